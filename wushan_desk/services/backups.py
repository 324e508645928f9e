"""Backups of a workspace: list them, take one now, restore one.

Backups are taken before anything destructive (an import batch, a schema upgrade, a
restore) and pruned by a retention rule (store/backup.py). Restoring puts the workspace
back in time, which sync must know about: the restored workspace keeps its clock (new
stamps sort after every stamp it ever issued, so none is mistaken for one a peer already
holds) and its current keys, and starts a new lifetime (sync/receipts.py), so its peers
resend what it lost and it resends everything it holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.domain.errors import UserError
from wushan_desk.domain.hlc import Stamp
from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.services.accounts import reopen as open_workspace
from wushan_desk.store import accounts as accounts_store
from wushan_desk.store import backup, migrations
from wushan_desk.store.backup import BackupInfo
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace, inspect
from wushan_desk.sync import identity, receipts

#: Why a backup was taken, as the user reads it.
REASONS = {
    "before-import": "导入同步包前",
    "before-migration": "升级数据结构前",
    "before-restore": "恢复备份前",
    "manual": "手动备份",
    "copy": "复制的文件",
}


class BackupRefused(UserError):
    """The file cannot be restored into this workspace; nothing was changed."""

    code = "bad-backup"


def reason_label(info: BackupInfo) -> str:
    return REASONS.get(info.reason, info.reason)


def list_backups(ws: Workspace) -> list[BackupInfo]:
    """This workspace's backups, newest first."""
    return backup.list_backups(ws.path, ws.key)


def back_up_now(ws: Workspace) -> Path:
    """A backup of the workspace as it is now (kept by the same retention rule)."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "backup")
    made = backup.take(ws.path, "manual", ws.key)
    audit.record(ws, "backup", detail={"file": made.name})
    return made


def find_backup(workspace_path: Path, name: str) -> Path:
    """A backup named by its file name (in the workspace's backups folder) or a path."""
    given = Path(name)
    candidates = [given] if given.is_absolute() or given.parent != Path(".") else [
        backup.backups_dir(workspace_path) / name, given]
    for path in candidates:
        if path.exists():
            return Path(os.path.abspath(path))
    raise BackupRefused(
        f"找不到备份“{name}”。可以用 `wushan-desk backup list` 查看本工作区的备份。")


def check_backup(workspace_path: Path, device_id: str, path: Path,
                 key: bytes | None = None) -> BackupInfo:
    """What the backup holds, if it may be restored into this workspace; else BackupRefused
    (not a workspace, damaged, another computer's workspace, a newer program's)."""
    if not files.is_regular_file(path):
        raise BackupRefused(f"{path.name} 不是普通文件，不能用来恢复。")
    if _same_file(path, workspace_path):
        raise BackupRefused("这就是当前的工作区文件本身，不是备份。请选择备份文件夹里的文件。")
    try:
        inspect(path, key=key)
        problems = backup.quick_check(path, key)
    except WorkspaceError as exc:
        if exc.code == "wrong-key":  # encrypted with another workspace's key
            raise BackupRefused(
                f"{path.name} 不是本工作区的备份（用本工作区的密钥读不出：可能是另一台电脑"
                "或另一个工作区的数据，也可能根本不是巫山教育督导工作区文件），不能用来恢复。"
            ) from exc
        raise BackupRefused(f"不能用 {path.name} 恢复：{exc.message}") from exc
    if problems:
        raise BackupRefused(
            f"备份 {path.name} 已损坏（{problems[0]}），不能用来恢复。请选择另一个备份。")
    info = backup.describe(path, key)
    if info.device_id != device_id:
        raise BackupRefused(
            f"{path.name} 是另一台电脑（或另一个工作区）的数据，不是本工作区的备份，不能用来恢复。"
        )
    return info


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    restored: BackupInfo
    safety_copy: Path  # the state just before the restore, itself a backup
    incarnation: str


def restore(workspace_path: Path, backup_path: Path, progress: ProgressFn = no_progress,
            cancelled: CancelledFn = never_cancelled) -> Restored:
    """Put the workspace back to `backup_path`. The current state is backed up first;
    the clock and keys stay those of now; sync learns of the restore (a new lifetime).

    The workspace must not be open elsewhere in this program (close the window's
    connections first); another program holding it raises WorkspaceBusy, nothing done.
    """
    ws = open_workspace(workspace_path, create=False)
    try:
        from wushan_desk.services import permissions

        permissions.require(ws, "restore")
        info = check_backup(ws.path, ws.device_id, backup_path, ws.key)
        kept_clock, kept_keys = ws.state("hlc"), identity.keystore(ws).load()
        # the audit trail is append-only: a restore must not take entries away
        kept_trail = accounts_store.all_audit_rows(ws)
        kept_accounts = accounts_store.all_accounts(ws)
        progress(0, 3, "正在备份当前数据…")
        safety = backup.take(ws.path, "before-restore", ws.key)
        if cancelled():  # the last moment to stop: nothing is changed yet
            raise Cancelled()
        progress(1, 3, "正在恢复备份…")
        backup.restore_into(ws.conn, backup_path, ws.key)
    finally:
        ws.close()
    progress(2, 3, "正在整理…")
    ws = open_workspace(workspace_path, create=False)  # an older backup is upgraded here
    try:
        with ws.transaction():
            if kept_clock:  # never issue a stamp the workspace issued before
                ws.clock.observe(Stamp.parse(kept_clock))
            if kept_keys is not None:
                identity.keystore(ws).save(kept_keys)
            lifetime = receipts.begin_new_lifetime(ws)
            ws.set_state("restored_from", backup_path.name)
            ws.set_state("restored_at", clock.now_iso())
            accounts_store.keep_audit_rows(ws, kept_trail)
            accounts_store.keep_accounts(ws, kept_accounts)  # they match the key file
            from wushan_desk.services import audit

            audit.record(ws, "restore", detail={"file": backup_path.name,
                                               "safety_copy": safety.name})
        assert ws.schema_version == migrations.latest_version()
    finally:
        ws.close()
    progress(3, 3, "恢复完成")
    return Restored(info, safety, lifetime)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
