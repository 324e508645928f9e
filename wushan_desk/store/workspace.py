"""Opening a workspace: the one connection factory of the app.

A workspace is one SQLite file. Opening it checks that it really is a workspace of this
app and of a schema version we understand *before* anything is written to it, so that a
wrong or damaged file given by mistake is left exactly as it was. Then it applies pending
migrations (after a backup copy) and turns on WAL and foreign keys.

The file is only ever touched through SQLite. A plain `open()`/`close()` of a database
file that this process holds through SQLite drops every POSIX lock the process has on
it (fcntl locks belong to the process and the file, not to the descriptor); another
program could then checkpoint and delete the WAL under us. Connections for other threads
come from an open workspace (`Workspace.worker`), never from a second inspection.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wushan_desk import files
from wushan_desk.domain.hlc import HybridClock, Stamp, wall_clock_ms
from wushan_desk.store import backup, keyslots, migrations
from wushan_desk.store.driver import sqlite3
from wushan_desk.store.errors import (
    BUSY_MESSAGE,
    WorkspaceBusy,
    WorkspaceError,
    WorkspaceExists,
)
from wushan_desk.store.uri import sqlite_uri

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 1465075505  # 'WSK1', set by db/0001

#: How long a statement waits for another connection's write lock. Command-line runs
#: wait a while (a county script next to an import); the GUI thread passes a short
#: wait and retries later instead of freezing (design.md rule 5).
DEFAULT_BUSY_MS = 10_000


T = TypeVar("T")

@dataclass
class Workspace:
    """An open workspace: the connection and this device's clock.

    Use one Workspace per thread; `worker()` gives another thread its own connection.
    """

    path: Path
    conn: sqlite3.Connection
    clock: HybridClock
    busy_ms: int = DEFAULT_BUSY_MS
    #: SQLCipher's data key (None: a workspace not yet encrypted)
    key: bytes | None = field(default=None, repr=False)
    #: who is working (services/accounts.Actor); None in a workspace without accounts
    user: Any = None
    #: called with (ws, table, row before, changed values) before every local write:
    #: the services' permission rules, installed at login (services/permissions.py)
    write_guard: Callable[[Workspace, str, Any, Any], None] | None = None
    _depth: int = field(default=0, init=False)
    _persisted_hlc: str | None = field(default=None, init=False)
    _db: Any = field(default=None, init=False)
    _closed: bool = field(default=False, init=False)

    @property
    def device_id(self) -> str:
        return self.clock.device

    @property
    def files_dir(self) -> Path:
        """Attachments live beside the workspace, content-addressed by sha256."""
        return self.path.with_name(self.path.stem + ".files")

    @property
    def scratch_dir(self) -> Path:
        """Where plaintext that must touch a disk waits (a package being built or read)."""
        return self.path.with_name(self.path.stem + ".tmp")

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private folder beside the workspace (mode 0700) for this job's plaintext.

        Never the USB stick or the system's temp folder, where a child's data would
        outlive the job; removed on success, failure and cancel, and a crash's leftovers
        are wiped when the workspace is next opened.
        """
        root = self.scratch_dir
        root.mkdir(mode=0o700, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @property
    def db(self) -> sqlite_utils.Database:
        """A sqlite-utils view of the connection, for introspection and transforms.

        Loaded on first use: sqlite-utils is not needed to start the app.
        """
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def rolled_back(self, work: Callable[[], T]) -> T:
        """`work()` inside a transaction that is always rolled back, and its result: a
        dry run or preview meets every rule and lock a real run would, and writes
        nothing (inside another transaction: its savepoint is rolled back)."""
        done: list[T] = []
        try:
            with self.transaction():
                done.append(work())
                raise _RollBack()
        except _RollBack:
            return done[0]

    @contextmanager
    def transaction(self, *, join: bool = False) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing unit of work holding the write lock from its first line.

        Validate inside it: a rule checked before BEGIN IMMEDIATE is checked against data
        another program may change before the write (design.md rule 8). Nested calls
        become savepoints, unless `join`: then a nested call runs in the caller's
        transaction, whose rollback undoes a failure. Bulk writes join: a savepoint
        copies each page it first changes, encrypted, into a sub-journal, which makes
        inserting thousands of rows into a county's indexes ten times slower.
        A lock held elsewhere beyond `busy_ms` raises WorkspaceBusy.
        """
        if join and self._depth > 0:
            yield self.conn
            return
        depth = self._depth
        if depth == 0:
            self._begin()
        else:
            self.conn.execute(f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield self.conn
            if depth == 0:
                self._persist_clock()
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
            except BaseException as exc:
                # e.g. a deferred foreign key failing at COMMIT: never leave the
                # connection inside a transaction every later save would trip over
                if depth == 0 and self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _busy_or(exc) from exc
        finally:
            self._depth = depth

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _busy_or(exc) from exc
        # Another connection (a worker thread, the CLI beside the GUI) may have issued
        # stamps since we last looked: continue after the newest one persisted.
        row = self.conn.execute("SELECT value FROM local_state WHERE key = 'hlc'").fetchone()
        self._persisted_hlc = row[0] if row else None
        if self._persisted_hlc:
            self.clock.observe(self._persisted_hlc)

    def _persist_clock(self) -> None:
        last = str(self.clock.last)
        if self.clock.last.ms and last != self._persisted_hlc:
            self.set_state("hlc", last)
            self._persisted_hlc = last

    def stamp(self) -> str:
        """A new version stamp; call inside `transaction()` so it is unique and kept."""
        return str(self.clock.now())

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

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

    def clear_state(self, key: str) -> None:
        self.conn.execute("DELETE FROM local_state WHERE key = ?", (key,))

    def worker(self, *, busy_ms: int | None = None) -> Workspace:
        """Another connection to this open workspace, for another thread.

        No second inspection of the file (see the module docstring) and no migration:
        the workspace is open, so it is a workspace at the current schema.
        """
        wait = self.busy_ms if busy_ms is None else busy_ms
        conn = _connect(self.path, wait, self.key)
        return Workspace(self.path, conn, HybridClock(self.device_id, self.clock.last), wait,
                         self.key, self.user, self.write_guard)

    @contextmanager
    def worker_session(self, *, busy_ms: int | None = None) -> Iterator[Workspace]:
        """`worker()` closed at the end of the block (on the thread that used it)."""
        ws = self.worker(busy_ms=busy_ms)
        try:
            yield ws
        finally:
            ws.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            files.note_database(self.path, is_open=False)
        self.conn.close()

    def __post_init__(self) -> None:
        files.note_database(self.path, is_open=True)


class _RollBack(Exception):
    """Leaves `Workspace.rolled_back`'s transaction the way that undoes it."""


def _busy_or(exc: BaseException) -> BaseException:
    """SQLite's "database is locked" as WorkspaceBusy; anything else unchanged."""
    if is_busy(exc):
        return WorkspaceBusy(BUSY_MESSAGE)
    return exc


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" errors."""
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "locked" in str(exc)
    )


def open_workspace(
    path: str | Path,
    *,
    create: bool = True,
    wall: Callable[[], int] = wall_clock_ms,
    busy_ms: int = DEFAULT_BUSY_MS,
    new: bool = False,
    key: bytes | None = None,
) -> Workspace:
    """Open (or with `create`, make) the workspace at `path`, migrating it if needed.

    With `new`, the file must not exist yet: it is claimed atomically (two programs
    creating the same workspace cannot both succeed), else WorkspaceExists.
    Raises WorkspaceError, leaving the file untouched, if it is not a workspace, is
    damaged, or was written by a newer version of the app; WorkspaceBusy if another
    program holds it while it must be migrated.

    An encrypted workspace needs its data `key` (from a login, services/accounts.py);
    without one, the key this process was given for it earlier (`remember_key`), else
    LoginRequired. With `new` and a `key`, the new file is encrypted from its first page.
    """
    path = Path(os.path.abspath(path))  # not resolve(): a mapped drive must stay a drive
    if new:
        _claim(path)
    key = key if key is not None else known_key(path)
    version = inspect(path, create=create or new, key=key, claimed=new)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path, busy_ms, key)
    try:
        wipe_stale_scratch(path)
        backup.wipe_abandoned(path)
        if version < migrations.latest_version():
            try:
                migrations.migrate(conn, path, version, key)
            except sqlite3.OperationalError as exc:
                raise _busy_or(exc) from exc
        clock = _load_clock(conn, wall)
    except BaseException:
        conn.close()
        raise
    return Workspace(path, conn, clock, busy_ms, key)


class LoginRequired(WorkspaceError):
    """The workspace is encrypted and this process holds no key for it: log in first."""

    code = "login-required"


_KEYS: dict[str, bytes] = {}


def remember_key(path: Path, key: bytes) -> None:
    """Keep the data key of `path` for this process (after a login), so that workers,
    backups and a reopen after a restore need no second login."""
    _KEYS[os.path.realpath(path)] = key


def forget_key(path: Path) -> None:
    _KEYS.pop(os.path.realpath(path), None)


def known_key(path: Path) -> bytes | None:
    return _KEYS.get(os.path.realpath(path))


def _claim(path: Path) -> None:
    """Create `path` empty with O_EXCL: only one program can make a new workspace there.

    An empty file left by an interrupted creation may be claimed again once it is
    `CLAIM_STALE_S` old (a younger one is another program's creation under way).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return
    except FileExistsError:
        pass
    try:
        info = path.stat()
    except OSError:
        info = None
    abandoned = (info is not None and stat.S_ISREG(info.st_mode) and info.st_size == 0
                 and time.time() - info.st_mtime > CLAIM_STALE_S and not _sidecars(path))
    if abandoned:
        os.utime(path)  # ours now: a second late claimer sees it young again
        return
    raise WorkspaceExists(f"{path} 已存在，不会覆盖。请换一个文件名或先移走原文件。")


#: An empty workspace file younger than this is another program's creation under way.
CLAIM_STALE_S = 60


def _sidecars(path: Path) -> bool:
    """Does SQLite's journal of `path` exist (a creation under way elsewhere)?"""
    return any(Path(f"{path}{s}").exists() for s in ("-wal", "-journal"))


#: A scratch folder untouched this long belongs to no running job (a big import takes
#: minutes): wiped when the workspace is opened.
SCRATCH_STALE_S = 6 * 3600


def wipe_stale_scratch(path: Path) -> None:
    """Remove what crashed jobs left in the workspace's scratch folder (plaintext)."""
    root = path.with_name(path.stem + ".tmp")
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if files.abandoned(folder, folder.name.split("-", 1)[0], SCRATCH_STALE_S):
            shutil.rmtree(folder, ignore_errors=True)


def inspect(path: Path, *, create: bool = False, key: bytes | None = None,
            claimed: bool = False) -> int:
    """The schema version of the file at `path` (0 = new), read without writing to it.

    Only SQLite reads the file (read-only): see the module docstring for why. A young
    file without a key file that is empty or unreadable is another program's creation
    under way (it writes the key file last): WorkspaceBusy, not "damaged".
    """
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        if not create:
            raise WorkspaceError(f"找不到工作区文件：{path}。请检查路径，或先创建工作区。")
        if not claimed and _being_created(path, key):
            raise WorkspaceBusy(BUSY_MESSAGE)
        return 0
    if path.is_dir():
        raise WorkspaceError(f"{path} 是文件夹，不是工作区文件。请指定 .wsdb 文件。")
    if not path.is_file():
        raise WorkspaceError(f"{path} 不是普通文件（可能是设备或管道），不能作为工作区打开。")
    if key is None and keyslots.is_encrypted(path):
        raise LoginRequired(f"工作区 {path.name} 已加密，请先登录。")
    try:
        conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
        try:
            if key is not None:
                conn.execute(keyslots.pragma_key(key))
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise WorkspaceBusy(BUSY_MESSAGE) from exc
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB and key is not None:
            raise WorkspaceError(
                f"{path.name} 无法用这个密钥打开：工作区文件与它的 .keys 密钥文件不是一对"
                "（可能其中一个被换成了别的工作区的）。文件未作任何改动。", "wrong-key"
            ) from exc
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB \
                and _being_created(path, key) and _sidecars(path):
            raise WorkspaceBusy(BUSY_MESSAGE) from exc
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise WorkspaceError(
                f"{path.name} 不是巫山教育督导工作区文件（也不是 SQLite 数据库），"
                "可能选错了文件或文件已损坏；如果它是加密的工作区，请把同名的 .keys 密钥文件"
                "放在它旁边。文件未作任何改动。"
            ) from exc
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
    return int(version)


def _being_created(path: Path, key: bytes | None) -> bool:
    """Is `path` a workspace another program is creating right now (young, no key file)?"""
    if key is not None or keyslots.is_encrypted(path):
        return False
    try:
        return path.exists() and time.time() - path.stat().st_mtime < CLAIM_STALE_S
    except OSError:
        return False


def _connect(path: Path, busy_ms: int, key: bytes | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        if key is not None:
            conn.execute(keyslots.pragma_key(key))  # SQLCipher: before any other statement
        _configure(conn, busy_ms)
    except BaseException as exc:
        conn.close()
        raise _busy_or(exc) from exc
    return conn


#: Page cache per connection, in KiB.
CACHE_KIB = 32 * 1024


def _configure(conn: sqlite3.Connection, busy_ms: int) -> None:
    """WAL for crash safety and concurrent readers; FULL sync so a dying battery loses nothing."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # 32 MB of page cache (SQLite's default is 2 MB), allocated only as pages are read: a
    # first sync inserts into the indexes of a county's students at random places, and
    # with the default every other insert decrypts a page again (twice the import time)
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")


def _load_clock(conn: sqlite3.Connection, wall: Callable[[], int]) -> HybridClock:
    """This device's clock, resumed from the last stamp it issued or received."""
    rows = dict(
        conn.execute("SELECT key, value FROM local_state WHERE key IN ('device_id', 'hlc')")
    )
    device = rows.get("device_id")
    if device is None:
        device = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO local_state (key, value) VALUES ('device_id', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (device,),
        )
        device = conn.execute("SELECT value FROM local_state WHERE key = 'device_id'").fetchone()[0]
    last = Stamp.parse(rows["hlc"]) if "hlc" in rows else None
    return HybridClock(device, last, wall)
