"""Baselines measured in the same run as the app's figures (see services/bench.py).

A figure alone says little on an unknown laptop; its ratio to plain SQLite doing the
same amount of work on the same disk says how much the app's own layers cost.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wushan_desk.store import changes
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


def same_rows_insert_rate(done: Any, before: Path, key: bytes | None,
                          defer_search_from: int) -> tuple[float, int]:
    """(rows/s, rows) of plain `executemany` of exactly the rows and change-log entries
    that an import wrote into `done`, replayed into `before` (a copy of the workspace as
    it was before that import): the same rows into the same tables, indexes and triggers
    of a workspace of the same size, none of the app's Python. Given what the import
    itself does in bulk: the full-text index filled once at the end (from
    `defer_search_from` log entries on, as the import does), and a row the copy already
    holds updated in place, not deleted and inserted again. `before` is changed."""
    from wushan_desk.store.workspace import open_workspace

    ws = open_workspace(before, create=False, key=key)  # the workspace's own settings
    try:
        log = done.conn.execute("SELECT * FROM change_log WHERE seq > ? ORDER BY seq",
                                (changes.last_seq(ws),)).fetchall()
        log_columns = _columns(done.conn, "change_log")
        rows = _rows_named(done.conn, log, log_columns.index("tbl"), log_columns.index("row_id"))
        start = time.perf_counter()
        bulk = len(log) >= defer_search_from
        with ws.transaction(), changes.search_index_deferred(ws, enabled=bulk):
            ws.conn.executemany(_insert("change_log", log_columns), log)
            for table, (columns, values) in rows.items():
                ws.conn.executemany(_upsert(table, columns), values)
        count = sum(len(values) for _, values in rows.values())
        return count / (time.perf_counter() - start), count
    finally:
        ws.close()


def _rows_named(conn: Any, log: list[Any], tbl: int, row_id: int
                ) -> dict[str, tuple[list[str], list[Any]]]:
    """table -> (columns, rows) of every row the log entries name, as stored now."""
    ids: dict[str, dict[str, None]] = {}
    for entry in log:
        ids.setdefault(entry[tbl], {})[entry[row_id]] = None
    out: dict[str, tuple[list[str], list[Any]]] = {}
    for table, named in ids.items():
        columns, unique = _columns(conn, table), list(named)
        values = []
        for chunk, marks in changes.id_chunks(unique):
            values += conn.execute(f'SELECT * FROM "{table}" WHERE id IN ({marks})',
                                   chunk).fetchall()
        out[table] = (columns, values)
    return out


def _columns(conn: Any, table: str) -> list[str]:
    return [d[0] for d in conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description]


def _insert(table: str, columns: list[str]) -> str:
    return (f'INSERT INTO "{table}" ({", ".join(columns)}) '
            f'VALUES ({", ".join("?" * len(columns))})')


def _upsert(table: str, columns: list[str]) -> str:
    """An insert that updates the row in place where the copy holds it already (the few
    rows an import changes rather than creates, such as its sender's device record)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    return f"{_insert(table, columns)} ON CONFLICT (id) DO UPDATE SET {updates}"
