"""Attachment files, stored content-addressed beside the workspace.

`<workspace>.files/ab/abcdef…` holds the bytes whose sha256 is `abcdef…`: the same photo
attached twice is stored once, a file can be checked against its name at any time, and
sync can ship or skip files by hash. Files are written to a temporary name and renamed,
so a full disk or a crash never leaves a truncated file under a valid name.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import IO

from wushan_desk import files
from wushan_desk.store.errors import WorkspaceError

CHUNK = 1 << 20


def blob_path(files_dir: Path, sha256: str) -> Path:
    return files_dir / sha256[:2] / sha256


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def store_bytes(files_dir: Path, data: bytes, max_bytes: int, name: str) -> tuple[str, int]:
    """Store `data` (a signature drawn on screen) once per content; returns (sha256, size)."""
    if len(data) > max_bytes:
        raise WorkspaceError(f"{name} 超过附件上限 {max_bytes / 1e6:.0f} MB。")
    sha256 = hashlib.sha256(data).hexdigest()
    target = blob_path(files_dir, sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            files.write_atomic(target, lambda fh: fh.write(data))
        except OSError as exc:
            raise WorkspaceError(
                f"保存附件 {name} 失败（{exc.strerror or exc}）。请检查磁盘空间后重试。"
            ) from exc
        _protect(target)
    return sha256, len(data)


def _protect(path: Path) -> None:
    """Read-only on disk: a program the user opens a file with cannot overwrite the blob."""
    try:
        path.chmod(stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
    except OSError:
        pass  # a file system without permissions (FAT stick): the hash check still guards


def store_file(files_dir: Path, source: Path, max_bytes: int) -> tuple[str, int]:
    """Copy `source` into the store (once per content); returns (sha256, size)."""
    if not files.is_regular_file(source):
        raise WorkspaceError(f"{source.name} 不是普通文件（或已无法读取），不能作为附件。")
    if files.is_database(source):
        raise WorkspaceError(f"{source.name} 是工作区（数据库）文件，不能作为附件。")
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise WorkspaceError(f"无法读取文件 {source.name}：{exc.strerror}") from exc
    if size > max_bytes:
        raise WorkspaceError(
            f"文件 {source.name} 有 {size / 1e6:.1f} MB，超过附件上限 {max_bytes / 1e6:.0f} MB。"
            "请压缩或缩小后再添加。"
        )
    sha256, _ = hash_file(source)
    target = blob_path(files_dir, sha256)
    if target.exists():
        return sha256, size
    target.parent.mkdir(parents=True, exist_ok=True)

    def copy(dst: IO[bytes]) -> None:
        digest = hashlib.sha256()
        with source.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != sha256:  # changed while we copied: do not store a lie
            raise OSError("源文件在复制过程中发生了变化")

    try:
        files.write_atomic(target, copy)
    except OSError as exc:
        raise WorkspaceError(
            f"保存附件 {source.name} 失败（{exc.strerror or exc}）。请检查磁盘空间后重试。"
        ) from exc
    _protect(target)
    return sha256, size


def verify(files_dir: Path, sha256: str) -> bool:
    """True if the stored file exists and still has the content its name promises."""
    path = blob_path(files_dir, sha256)
    return path.exists() and hash_file(path)[0] == sha256
