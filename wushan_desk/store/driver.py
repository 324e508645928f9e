"""The one SQLite library of the process: SQLCipher's build of SQLite (sqlcipher3).

Every connection to a workspace, a backup or a baseline goes through this module. Two
SQLite libraries in one process would each keep their own table of POSIX locks, and a
file closed by one drops the locks the other holds on it (see store/workspace.py): so
the standard library's sqlite3 is never used on workspace files, and exceptions are
this module's classes (`sqlite3.OperationalError` here is not the standard library's).

An encrypted workspace needs `PRAGMA key` as the first statement of each connection;
an unencrypted one (a workspace not yet upgraded) is plain SQLite to this library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # same DB-API; the standard library's stubs describe it
    import sqlite3 as sqlite3
else:
    from sqlcipher3 import dbapi2 as sqlite3

__all__ = ["sqlite3"]
