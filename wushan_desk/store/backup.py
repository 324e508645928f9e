"""Backup copies of a workspace, taken before anything destructive.

Uses SQLite's online backup API, so the copy is consistent even while the workspace is
open, and writes it under a temporary name first so that a full disk or a pulled USB
stick never leaves something that looks like a good backup.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.store.errors import WorkspaceError


def backups_dir(workspace_path: Path) -> Path:
    return workspace_path.parent / "backups"


def backup_workspace(conn: sqlite3.Connection, workspace_path: Path, reason: str) -> Path:
    """Copy the open workspace to `backups/<name>-<reason>-<time>.wsdb`; returns the copy."""
    folder = backups_dir(workspace_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{workspace_path.stem}-{reason}-{stamp}.wsdb"
    size = workspace_path.stat().st_size if workspace_path.exists() else 0
    if shutil.disk_usage(folder).free < size * 1.1 + 1_000_000:
        raise WorkspaceError(
            f"磁盘空间不足，无法先备份工作区（需要约 {size // 1_000_000 + 1} MB）。"
            "请清理磁盘后重试，工作区未作改动。"
        )
    partial = target.with_suffix(".partial")
    try:
        dest = sqlite3.connect(partial)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        files.replace(partial, target)
        files.fsync_dir(folder)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise WorkspaceError(f"备份工作区失败（{exc}），操作已取消，工作区未作改动。") from exc
    return target
