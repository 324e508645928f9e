"""Baselines measured in the same run as the app's figures (see services/bench.py).

A figure alone says little on an unknown laptop; its ratio to plain SQLite doing the
same amount of work on the same disk says how much the app's own layers cost.
"""

from __future__ import annotations

import time
from pathlib import Path

from wushan_desk.store.driver import sqlite3


def raw_insert_rate(path: Path, rows: int = 100_000, key: bytes | None = None) -> float:
    """Rows/s of one `executemany` of 10-column rows into a fresh SQLite file (WAL);
    with `key`, an encrypted one (SQLCipher), to measure what encryption costs."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if key is not None:
            from wushan_desk.store.keyslots import pragma_key

            conn.execute(pragma_key(key))
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


def schema_insert_rate(path: Path, rows: int = 20_000) -> float:
    """Rows/s of plain `executemany` of new students, with their change-log entries, into
    a fresh workspace: the app's own tables, indexes and triggers, none of its Python.
    What an import of new students can at best approach."""
    from wushan_desk.store import changes
    from wushan_desk.store.workspace import open_workspace

    ws = open_workspace(path, new=True)
    try:
        township = ws.conn.execute("SELECT id FROM townships LIMIT 1").fetchone()
        if township is None:  # a bare workspace: one township row is enough
            changes.insert_many(ws, "counties", [{"id": _uid(0), "code": "500237",
                                                  "name": "巫山县"}])
            changes.insert_many(ws, "townships", [{"id": _uid(1), "county_id": _uid(0),
                                                   "name": "巫峡镇", "kind": "镇"}])
            township = (_uid(1),)
        changes.insert_many(ws, "schools", [{"id": _uid(2), "name": "巫山县第一小学",
                                             "type": "小学", "township_id": township[0]}])
        kind = changes.table_kind("students")
        names = ["id", "origin_device", "created_hlc", "hlc", "versions", "seq",
                 *kind.field_names, "sort_key"]
        start_seq = ws.conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        log, data = [], []
        for n in range(rows):
            row_id, seq = _uid(100 + n), start_seq + 1 + n
            stamp = f"{1_790_000_000_000 + n:013d}-00000-{_uid(9)}"
            log.append((seq, "students", row_id, stamp, _uid(9), "upsert", "{}"))
            values = {"name": "王小明", "sex": "男", "birth_date": "2015-03-01",
                      "school_id": _uid(2), "grade": "三年级", "class_name": "2班",
                      "special_groups": "[]"}
            data.append((row_id, _uid(9), stamp, stamp, "{}", seq,
                         *(values.get(f) for f in kind.field_names), "wang2 xiao3 ming2"))
        start = time.perf_counter()
        with ws.transaction():
            ws.conn.executemany(
                "INSERT INTO change_log (seq, tbl, row_id, hlc, device_id, op, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", log)
            ws.conn.executemany(
                f"INSERT INTO students ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})", data)
        return rows / (time.perf_counter() - start)
    finally:
        ws.close()


def _uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"
