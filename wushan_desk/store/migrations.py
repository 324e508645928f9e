"""Numbered schema migrations from `db/NNNN_name.sql` or `db/NNNN_name.py`, forward only.

Each file runs in one transaction together with its `user_version` bump, so a crash
or a full disk leaves the workspace at the previous version, never half-way. Before
the first migration of an existing workspace a backup copy is taken.

Most migrations are SQL. A change SQLite's ALTER TABLE cannot make (change a column's
type or constraints, drop a column that an index or trigger uses) is a `.py` migration
with `upgrade(db)`, where `db` is a sqlite-utils Database on the same connection inside
the same transaction: `db["table"].transform(...)` rebuilds a table safely. A transformed
synced table loses its triggers with the old table: the migration recreates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wushan_desk import paths
from wushan_desk.store.driver import sqlite3

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.(sql|py)$")


@dataclass(frozen=True, order=True)
class Migration:
    version: int
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def run(self, conn: sqlite3.Connection) -> None:
        """Apply this migration on `conn` (inside the caller's transaction)."""
        if self.path.suffix == ".sql":
            for statement in _statements(self.sql):
                conn.execute(statement)
            return
        import sqlite_utils

        # compiled and run here rather than imported: no __pycache__ beside the data
        namespace: dict[str, Any] = {"__name__": f"_migration_{self.version:04d}"}
        exec(compile(self.path.read_text(encoding="utf-8"), str(self.path), "exec"), namespace)
        namespace["upgrade"](sqlite_utils.Database(conn))


@cache
def available() -> tuple[Migration, ...]:
    """All migrations shipped with this build, in order; gaps are a packaging bug."""
    found = sorted(
        Migration(int(m.group(1)), p)
        for p in paths.migrations_dir().iterdir()
        if (m := _NAME.match(p.name))
    )
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise RuntimeError(f"migration {expected:04d} missing before {mig.path.name}")
    return tuple(found)


def latest_version() -> int:
    return len(available())


def migrate(conn: sqlite3.Connection, path: Path, current: int,
            key: bytes | None = None) -> Path | None:
    """Bring the workspace at `path` from `current` to the latest version.

    Returns the backup taken (None for a new, empty workspace).
    """
    from wushan_desk.store.backup import backup_workspace

    backup = (backup_workspace(conn, path, f"before-v{latest_version()}", key)
              if current else None)
    for mig in available()[current:]:
        apply_one(conn, mig)
    return backup


def apply_one(conn: sqlite3.Connection, mig: Migration) -> None:
    """Run one migration file and its version bump atomically.

    Foreign keys are off while it runs (SQLite's way to rebuild a table other tables
    refer to: dropping the old one must not count their rows as orphans) and checked,
    all of them, before the commit: a migration that leaves an orphan is rolled back."""
    conn.execute("PRAGMA foreign_keys = OFF")  # (a no-op inside a transaction)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("PRAGMA user_version").fetchone()[0] >= mig.version:
            conn.execute("ROLLBACK")  # another process migrated it while we waited
            return
        try:
            mig.run(conn)
            orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
            if orphans:
                raise sqlite3.IntegrityError(
                    f"migration {mig.version:04d} leaves rows without their parent: "
                    f"{orphans[:3]}")
            conn.execute(f"PRAGMA user_version = {mig.version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (sqlite3.complete_statement knows triggers)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        raise ValueError("incomplete SQL statement at end of migration")
    return out
