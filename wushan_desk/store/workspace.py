"""Opening a workspace: the one connection factory of the app.

A workspace is one SQLite file. Opening it checks that it really is a workspace of this
app and of a schema version we understand *before* anything is written to it, so that a
wrong or damaged file given by mistake is left exactly as it was. Then it applies pending
migrations (after a backup copy) and turns on WAL and foreign keys.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from wushan_desk.domain.hlc import HybridClock, Stamp, wall_clock_ms
from wushan_desk.store import migrations
from wushan_desk.store.errors import WorkspaceError

APPLICATION_ID = 1465075505  # 'WSK1', set by db/0001
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class Workspace:
    """An open workspace: the connection, its sqlite-utils view, and this device's clock."""

    path: Path
    conn: sqlite3.Connection
    clock: HybridClock
    db: sqlite_utils.Database = field(init=False)
    _depth: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.db = sqlite_utils.Database(self.conn)

    @property
    def device_id(self) -> str:
        return self.clock.device

    @property
    def files_dir(self) -> Path:
        """Attachments live beside the workspace, content-addressed by sha256."""
        return self.path.with_name(self.path.stem + ".files")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing unit of work; nested calls become savepoints."""
        depth = self._depth
        self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            if depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{depth}")
                self.conn.execute(f"RELEASE sp{depth}")
            raise
        else:
            try:
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")
            except BaseException:
                # e.g. a deferred foreign key failing at COMMIT: never leave the
                # connection inside a transaction every later save would trip over
                if depth == 0 and self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        finally:
            self._depth = depth

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_problems(self) -> tuple[list[str], list[str]]:
        """SQLite's integrity check (empty when "ok") and foreign keys pointing nowhere."""
        integrity = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        dangling = [
            f"{table} 行 {rowid} 引用的 {parent} 不存在"
            for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check")
        ]
        return ([] if integrity == ["ok"] else integrity), dangling

    def state(self, key: str, default: str | None = None) -> str | None:
        """A local (never synced) setting of this workspace."""
        row = self.conn.execute("SELECT value FROM local_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO local_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()


def open_workspace(
    path: str | Path,
    *,
    create: bool = True,
    wall: Callable[[], int] = wall_clock_ms,
) -> Workspace:
    """Open (or with `create`, make) the workspace at `path`, migrating it if needed.

    Raises WorkspaceError, leaving the file untouched, if it is not a workspace, is
    damaged, or was written by a newer version of the app.
    """
    path = Path(path)
    version = _inspect(path, create)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _configure(conn)
        if version < migrations.latest_version():
            migrations.migrate(conn, path, version)
        clock = _load_clock(conn, wall)
    except BaseException:
        conn.close()
        raise
    return Workspace(path, conn, clock)


def _inspect(path: Path, create: bool) -> int:
    """The schema version of the file at `path` (0 = new), read without writing to it."""
    if not path.exists() or path.stat().st_size == 0:
        if not create:
            raise WorkspaceError(f"找不到工作区文件：{path}。请检查路径，或先创建工作区。")
        return 0
    if path.is_dir():
        raise WorkspaceError(f"{path} 是文件夹，不是工作区文件。请指定 .wsdb 文件。")
    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise WorkspaceError(
                f"{path.name} 不是巫山教育督导工作区文件（也不是 SQLite 数据库），"
                "可能选错了文件或文件已损坏。文件未作任何改动。"
            )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(
            f"工作区文件 {path.name} 已损坏，无法读取（{exc}）。"
            "请从备份恢复，或联系县教委技术人员。文件未作任何改动。"
        ) from exc
    if app_id != APPLICATION_ID and (version or tables or app_id):
        raise WorkspaceError(
            f"{path.name} 是其他程序的数据库，不是巫山教育督导工作区。文件未作任何改动。"
        )
    if version > migrations.latest_version():
        raise WorkspaceError(
            f"此工作区由更新版本的程序创建（数据结构版本 {version}，本程序支持到 "
            f"{migrations.latest_version()}）。请先升级巫山教育督导桌面端再打开。"
        )
    return version


def _configure(conn: sqlite3.Connection) -> None:
    """WAL for crash safety and concurrent readers; FULL sync so a dying battery loses nothing."""
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")


def _load_clock(conn: sqlite3.Connection, wall: Callable[[], int]) -> HybridClock:
    """This device's clock, resumed from the last stamp it issued or received."""
    rows = dict(
        conn.execute("SELECT key, value FROM local_state WHERE key IN ('device_id', 'hlc')")
    )
    device = rows.get("device_id")
    if device is None:
        device = str(uuid.uuid4())
        conn.execute("INSERT INTO local_state (key, value) VALUES ('device_id', ?)", (device,))
    last = Stamp.parse(rows["hlc"]) if "hlc" in rows else None
    return HybridClock(device, last, wall)
