"""Turning a clear (pre-accounts) workspace file into an encrypted one (SQLCipher)."""

from __future__ import annotations

from pathlib import Path

from wushan_desk.store import keyslots
from wushan_desk.store.driver import sqlite3


def export_encrypted(source: Path, target: Path, key: bytes) -> None:
    """Write an encrypted copy of the clear database `source` to the new file `target`
    (SQLCipher's sqlcipher_export: schema, rows, triggers; the version numbers by hand),
    then check the copy opens with `key` and is sound. The source is not changed."""
    conn = sqlite3.connect(source, isolation_level=None)
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
