"""Turning a clear (pre-accounts) workspace file into an encrypted one (SQLCipher)."""

from __future__ import annotations

from pathlib import Path

from wushan_desk.store import keyslots
from wushan_desk.store.driver import sqlite3


def hold_exclusive(source: Path) -> sqlite3.Connection:
    """A connection holding `source` exclusively until closed; WorkspaceBusy if any other
    connection (another window, a county script) has it open: its later writes would
    go to the clear file after it is replaced."""
    from wushan_desk.store.errors import WorkspaceBusy

    conn = sqlite3.connect(source, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except sqlite3.OperationalError:
        conn.close()
        raise WorkspaceBusy(
            "工作区正在被另一个程序或窗口使用，现在不能加密。请先关闭其他打开这个工作区的"
            "程序（包括县教委的脚本），再重试。工作区未作改动。") from None
    return conn


def export_encrypted(source: Path, target: Path, key: bytes,
                     conn: sqlite3.Connection | None = None) -> None:
    """Write an encrypted copy of the clear database `source` to the new file `target`
    (SQLCipher's sqlcipher_export: schema, rows, triggers; the version numbers by hand),
    then check the copy opens with `key` and is sound. The source is not changed.
    `conn`: a connection to `source` already held (see `hold_exclusive`)."""
    own = conn is None
    conn = conn or sqlite3.connect(source, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        conn.execute(f"ATTACH DATABASE ? AS enc KEY \"x'{key.hex()}'\"", (str(target),))
        conn.execute("SELECT sqlcipher_export('enc')")
        conn.execute(f"PRAGMA enc.user_version = {int(version)}")
        conn.execute(f"PRAGMA enc.application_id = {int(app_id)}")
        conn.execute("DETACH DATABASE enc")
    finally:
        if own:
            conn.close()
    check = sqlite3.connect(target)
    try:
        check.execute(keyslots.pragma_key(key))
        found = [r[0] for r in check.execute("PRAGMA quick_check")]
        if found != ["ok"] or check.execute("PRAGMA user_version").fetchone()[0] != version:
            raise sqlite3.DatabaseError(f"encrypted copy failed its check: {found[:3]}")
    finally:
        check.close()



def export_clear(source: Path, target: Path, key: bytes) -> None:
    """A clear copy of the encrypted `source` (for `bench`'s comparison only: it measures
    the same workspace with and without encryption in one run, in a temporary folder)."""
    conn = sqlite3.connect(source, isolation_level=None)
    try:
        conn.execute(keyslots.pragma_key(key))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        conn.execute("ATTACH DATABASE ? AS clear KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('clear')")
        conn.execute(f"PRAGMA clear.user_version = {int(version)}")
        conn.execute(f"PRAGMA clear.application_id = {int(app_id)}")
        conn.execute("DETACH DATABASE clear")
    finally:
        conn.close()
