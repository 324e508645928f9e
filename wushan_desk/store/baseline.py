"""Baselines measured in the same run as the app's figures (see services/bench.py).

A figure alone says little on an unknown laptop; its ratio to plain SQLite doing the
same amount of work on the same disk says how much the app's own layers cost.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def raw_insert_rate(path: Path, rows: int = 100_000) -> float:
    """Rows/s of one `executemany` of 10-column rows into a fresh SQLite file (WAL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(
            "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, "
            "f TEXT, g TEXT, h INTEGER, i TEXT)"
        )
        data = [
            (
                f"{n:032x}",
                "王小明",
                "男",
                "2015-03-01",
                f"50023720150301{n % 10000:04d}",
                "三年级",
                "2班",
                "王大明",
                n % 2,
                "[]",
            )
            for n in range(rows)
        ]
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", data)
        conn.execute("COMMIT")
        return rows / (time.perf_counter() - start)
    finally:
        conn.close()
