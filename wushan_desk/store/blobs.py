"""Attachment files, stored content-addressed beside the workspace.

`<workspace>.files/ab/abcdef…` holds the bytes whose sha256 is `abcdef…`: the same photo
attached twice is stored once, a file can be checked against its name at any time, and
sync can ship or skip files by hash. Files are written to a temporary name and renamed,
so a full disk or a crash never leaves a truncated file under a valid name.

In an encrypted workspace each file is sealed with AES-256-GCM under a key derived from
the workspace's data key (HKDF), its sha256 bound as associated data: the folder reveals
only how many files there are and their sizes. Files of a workspace not yet encrypted
stay clear and are still read.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO

from wushan_desk import files
from wushan_desk.store.errors import WorkspaceError

CHUNK = 1 << 20
SEALED = b"WSKENC1\0"


def _files_key(key: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"wushan-desk attachments v1").derive(key)


def seal(data: bytes, sha256: str, key: bytes | None) -> bytes:
    """The bytes to store for `data` (clear when the workspace has no key)."""
    if key is None:
        return data
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return SEALED + nonce + AESGCM(_files_key(key)).encrypt(nonce, data, sha256.encode())


def read_blob(files_dir: Path, sha256: str, key: bytes | None) -> bytes:
    """The content of a stored file, checked against its hash; WorkspaceError if it is
    missing, damaged, or sealed and no key is given."""
    path = blob_path(files_dir, sha256)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"附件文件缺失或无法读取（{exc.strerror or exc}）。") from exc
    data = raw
    if raw.startswith(SEALED):
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if key is None:
            raise WorkspaceError("附件已加密，需要登录后才能读取。")
        body = raw[len(SEALED):]
        try:
            data = AESGCM(_files_key(key)).decrypt(body[:12], body[12:], sha256.encode())
        except InvalidTag:
            raise WorkspaceError("附件文件已损坏（解密校验失败）。") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise WorkspaceError("附件文件已损坏（内容与校验值不符）。")
    return data


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


def store_bytes(files_dir: Path, data: bytes, max_bytes: int, name: str,
                key: bytes | None = None) -> tuple[str, int]:
    """Store `data` (a signature drawn on screen) once per content; returns (sha256, size)."""
    if len(data) > max_bytes:
        raise WorkspaceError(f"{name} 超过附件上限 {max_bytes / 1e6:.0f} MB。")
    sha256 = hashlib.sha256(data).hexdigest()
    target = blob_path(files_dir, sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            sealed = seal(data, sha256, key)
            files.write_atomic(target, lambda fh: fh.write(sealed))
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


def store_file(files_dir: Path, source: Path, max_bytes: int,
               key: bytes | None = None) -> tuple[str, int]:
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
    if key is not None:  # sealed as one piece: attachments are bounded by `max_bytes`
        try:
            return store_bytes(files_dir, source.read_bytes(), max_bytes, source.name, key)
        except OSError as exc:
            raise WorkspaceError(f"无法读取文件 {source.name}：{exc.strerror}") from exc
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


def verify(files_dir: Path, sha256: str, key: bytes | None = None) -> bool:
    """True if the stored file exists and still has the content its name promises."""
    try:
        read_blob(files_dir, sha256, key)
    except WorkspaceError:
        return False
    return True


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda fh: fh.write(data)


def seal_all(files_dir: Path, key: bytes) -> int:
    """Seal the clear files of a workspace being encrypted; returns how many."""
    done = 0
    for path in sorted(files_dir.glob("??/*")) if files_dir.is_dir() else []:
        with path.open("rb") as fh:
            if fh.read(len(SEALED)) == SEALED:
                continue
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != path.name:
            continue
        path.chmod(stat.S_IREAD | stat.S_IWRITE)
        files.write_atomic(path, _writer(seal(raw, path.name, key)))
        _protect(path)
        done += 1
    return done
