"""Backup copies of a workspace, taken before anything destructive, and restored on request.

Uses SQLite's online backup API, so the copy is consistent even while the workspace is
open, and writes it under a temporary name first so that a full disk or a pulled USB
stick never leaves something that looks like a good backup. Old copies are pruned by a
retention rule (the last ten, and the newest of each of the last twelve months), so a
hub importing every centre's packages each month does not fill a small disk.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.store import keyslots
from wushan_desk.store.driver import sqlite3
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.uri import sqlite_uri


def backups_dir(workspace_path: Path) -> Path:
    return workspace_path.parent / "backups"


def backup_workspace(conn: sqlite3.Connection, workspace_path: Path, reason: str,
                     key: bytes | None = None, stop: threading.Event | None = None) -> Path:
    """Copy the open workspace to `backups/<name>-<reason>-<time>.wsdb`; returns the copy.

    An encrypted workspace's copy is encrypted with the same data key (pages are copied
    between two keyed connections), and its key file is copied beside the backups, so
    a backup is as unreadable as the workspace and can still be opened after a loss.
    With `stop`, the copy is made in steps and setting `stop` abandons it (BackupStopped;
    nothing is left behind): only for a caller holding the write lock, since SQLite
    starts a stepped copy over each time another connection commits.
    """
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
    partial = target.with_suffix(f".{os.getpid()}.partial")  # see `wipe_abandoned`
    try:
        dest = connect(partial, key)
        try:
            if stop is None:  # one step: a stepped copy starts over whenever another
                conn.backup(dest)  # connection commits, for ever on a busy workspace
            else:  # in steps, to be stoppable: only under the caller's write lock
                conn.backup(dest, pages=COPY_PAGES, progress=_stopper(stop))
        finally:
            dest.close()
        files.replace(partial, target)
        _copy_key_file(workspace_path, folder)
        files.fsync_dir(folder)
    except BackupStopped:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise WorkspaceError(f"备份工作区失败（{exc}），操作已取消，工作区未作改动。") from exc
    return target


#: A partial copy untouched this long belongs to no running backup (Windows cannot ask
#: whether its process lives): removed when the workspace is opened.
PARTIAL_STALE_S = 6 * 3600


def wipe_abandoned(workspace_path: Path) -> None:
    """Remove partial copies that a killed program left (encrypted like the workspace, but
    as large: a crash during a first sync's import, whose backup runs beside it)."""
    folder = backups_dir(workspace_path)
    try:
        partials = list(folder.glob(glob.escape(workspace_path.stem) + "-*.partial"))
    except OSError:
        return
    for partial in partials:
        pid = partial.name.rsplit(".", 2)[-2] if partial.name.count(".") >= 2 else ""
        if files.abandoned(partial, pid, PARTIAL_STALE_S):
            partial.unlink(missing_ok=True)


#: Pages copied between looks at `stop` (4 MB).
COPY_PAGES = 1024


class BackupStopped(Exception):
    """A backup abandoned half-way because what it was for will not happen."""


def _stopper(stop: threading.Event | None) -> Any:
    def check(status: int, remaining: int, total: int) -> None:
        if stop is not None and stop.is_set():
            raise BackupStopped()
    return check


#: Retention: the newest this many copies, and the newest copy of each of this many months.
KEEP_LAST = 10
KEEP_MONTHS = 12
#: `<stem>-<reason>-<when>.wsdb`; the stem may hold hyphens, so the reason is one of
#: the reasons this program writes (a hyphen in both made "hub-before-import-…" read as
#: the stem "hub-before": such backups were neither listed nor pruned).
_NAME = re.compile(r"^(?P<stem>.+?)-(?P<reason>manual|before-import|before-restore|"
                   r"before-encrypt|before-v\d+|[a-z0-9]+)-(?P<when>\d{8}-\d{6}-\d{6})\.wsdb$")


def take(workspace_path: Path, reason: str, key: bytes | None = None) -> Path:
    """A backup of the workspace as committed now, read by a connection of its own (the
    caller may be inside a write transaction that is not committed yet); then prune."""
    conn = connect(workspace_path, key)
    try:
        target = backup_workspace(conn, workspace_path, reason, key)
    finally:
        conn.close()
    prune(workspace_path)
    return target


class BatchBackup:
    """One backup for a batch of imports (26 centres' packages make one, not 26): the
    workspace as committed before the first import that changes anything.

    `start()`, called once that import's write transaction has begun (nothing else can
    commit until it ends, so the stepped copy never starts over), copies in a thread of
    its own: SQLite's backup runs outside
    Python's lock, so on a laptop's second core the copy costs the import no time (it was
    an eighth of a county's first sync). `__call__()` waits for the copy (starting it if
    need be) just before that commit and prunes old copies; `abandon()` stops and removes
    a copy whose import does not commit, as if it had never been started.
    """

    def __init__(self, workspace_path: Path, key: bytes | None,
                 reason: str = "before-import") -> None:
        self._workspace, self._key, self._reason = workspace_path, key, reason
        self.path: Path | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._outcome: Path | BaseException | None = None

    def start(self) -> None:
        if self.path is None and self._thread is None:
            self._stop.clear()
            self._outcome = None
            self._thread = threading.Thread(target=self._copy, name="wushan-backup",
                                            daemon=True)
            self._thread.start()

    def _copy(self) -> None:
        try:
            conn = connect(self._workspace, self._key)
            try:
                self._outcome = backup_workspace(conn, self._workspace, self._reason,
                                                 self._key, self._stop)
            finally:
                conn.close()
        except BaseException as exc:  # handed to the thread that waits for it
            self._outcome = exc

    def __call__(self) -> Path:
        if self.path is None:
            self.start()
            outcome = self._finish()
            if isinstance(outcome, BaseException):
                raise outcome
            assert outcome is not None
            self.path = outcome
            prune(self._workspace)
        return self.path

    def abandon(self) -> None:
        if self.path is None and self._thread is not None:
            self._stop.set()
            outcome = self._finish()
            if isinstance(outcome, Path):  # finished before it was stopped
                outcome.unlink(missing_ok=True)

    def _finish(self) -> Path | BaseException | None:
        assert self._thread is not None
        self._thread.join()
        self._thread = None
        return self._outcome


@dataclass(frozen=True)
class BackupInfo:
    """A backup file of one workspace and what it holds."""

    path: Path
    reason: str
    taken: dt.datetime
    size: int
    schema_version: int | None
    counts: dict[str, int]
    device_id: str | None = None  # whose workspace this is a copy of


def list_backups(workspace_path: Path, key: bytes | None = None) -> list[BackupInfo]:
    """This workspace's backups, newest first, each with what it holds."""
    out = []
    for path, reason, taken in _backups(workspace_path):
        out.append(_info(path, reason, taken, key))
    return sorted(out, key=lambda b: b.taken, reverse=True)


def describe(path: Path, key: bytes | None = None) -> BackupInfo:
    """What a backup file holds; one not named by `take` counts as copied by hand."""
    match = _NAME.match(path.name)
    if match:
        taken = dt.datetime.strptime(match["when"], "%Y%m%d-%H%M%S-%f")
        return _info(path, match["reason"], taken, key)
    return _info(path, "copy", dt.datetime.fromtimestamp(path.stat().st_mtime), key)


def connect(path: Path, key: bytes | None, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to a workspace or backup file, keyed when the workspace is encrypted."""
    if read_only:
        conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    else:
        conn = sqlite3.connect(path)
    if key is not None:
        conn.execute(keyslots.pragma_key(key))
    return conn


def _copy_key_file(workspace_path: Path, folder: Path) -> None:
    source = keyslots.keys_path(workspace_path)
    if source.is_file():
        data = source.read_bytes()
        files.write_atomic(folder / source.name, lambda f: f.write(data))


def quick_check(path: Path, key: bytes | None = None) -> list[str]:
    """SQLite's quick check of a backup, read-only (empty: sound)."""
    conn = connect(path, key, read_only=True)
    try:
        found = [r[0] for r in conn.execute("PRAGMA quick_check")]
    finally:
        conn.close()
    return [] if found == ["ok"] else found


def _info(path: Path, reason: str, taken: dt.datetime, key: bytes | None) -> BackupInfo:
    version, counts, device = _contents(path, key)
    return BackupInfo(path, reason, taken, path.stat().st_size, version, counts, device)


def prune(
    workspace_path: Path, keep_last: int = KEEP_LAST, months: int = KEEP_MONTHS
) -> list[Path]:
    """Delete backups outside the retention rule; returns what was deleted."""
    found = sorted(_backups(workspace_path), key=lambda b: b[2], reverse=True)
    keep = {path for path, _, _ in found[:keep_last]}
    newest_of_month: dict[tuple[int, int], Path] = {}
    for path, _, taken in found:  # newest first: the first seen of a month is its newest
        newest_of_month.setdefault((taken.year, taken.month), path)
    keep |= {path for _, path in sorted(newest_of_month.items(), reverse=True)[:months]}
    removed = [path for path, _, _ in found if path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def restore_into(conn: sqlite3.Connection, backup_path: Path, key: bytes | None = None) -> None:
    """Replace the open workspace's content with a backup's, through SQLite (every other
    connection sees the restored content at its next read)."""
    source = connect(backup_path, key)
    try:
        source.backup(conn)
    finally:
        source.close()


def backup_files(workspace_path: Path) -> list[Path]:
    """The backup files of this workspace (and of no other with a similar name)."""
    return [path for path, _, _ in _backups(workspace_path)]


def _backups(workspace_path: Path) -> list[tuple[Path, str, dt.datetime]]:
    folder = backups_dir(workspace_path)
    if not folder.is_dir():
        return []
    found = []
    prefix = f"{workspace_path.stem}-"
    for path in folder.glob(f"{workspace_path.stem}-*.wsdb"):
        match = _NAME.match("x-" + path.name[len(prefix):])  # the stem is known: skip it
        if match and match["stem"] == "x":
            found.append((path, match["reason"],
                          dt.datetime.strptime(match["when"], "%Y%m%d-%H%M%S-%f")))
    return found


def _contents(path: Path, key: bytes | None) -> tuple[int | None, dict[str, int], str | None]:
    """Schema version, live rows per main table and device id of a backup (read-only)."""
    try:
        conn = connect(path, key, read_only=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            counts = {}
            for table in ("schools", "students", "visits"):
                try:
                    counts[table] = conn.execute(
                        f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]
                except sqlite3.Error:
                    counts[table] = 0
            try:
                row = conn.execute(
                    "SELECT value FROM local_state WHERE key = 'device_id'").fetchone()
            except sqlite3.Error:
                row = None
            return version, counts, row[0] if row else None
        finally:
            conn.close()
    except sqlite3.Error:
        return None, {}, None
