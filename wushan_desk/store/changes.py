"""The one write path for synced tables: every change is logged, stamped, then applied.

A change is (table, row id, HLC stamp, device, op, {field: value}). It is appended to
`change_log` first; the row is then written with `seq` pointing at that entry, which
the guard triggers of db/0001 check. Sync builds packages from the log by `seq` alone,
and applies incoming changes through `apply_change`, the same function local edits use.

Values in a change are the logical ones (lists, booleans); `to_sql` turns them into
column values.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from wushan_desk.domain import entities
from wushan_desk.store.derived import derived_columns
from wushan_desk.store.driver import sqlite3
from wushan_desk.store.workspace import Workspace

BOOKKEEPING = ("id", "origin_device", "created_hlc", "hlc", "versions", "seq", "deleted")


@dataclass(frozen=True)
class Change:
    table: str
    row_id: str
    stamp: str
    device: str
    op: str  # 'upsert' | 'delete'
    data: dict[str, Any]
    base: dict[str, str] = field(default_factory=dict)
    #: the login that made it on `device` (None: made before accounts existed)
    author: str | None = None


def synced_tables(ws: Workspace) -> list[str]:
    """Synced tables in apply order (parents first), as the migrations registered them."""
    return [r[0] for r in ws.conn.execute("SELECT name FROM sync_tables ORDER BY position")]


def table_kind(table: str) -> entities.Kind:
    """The kind stored in `table` (KeyError if none is)."""
    found = _KIND_OF_TABLE.get(table)
    if found is None:
        found = next((k for k in entities.KINDS.values() if k.table == table), None)
        if found is None:
            raise KeyError(table)
        _KIND_OF_TABLE[table] = found
    return found


#: Kinds by table, as looked up (kinds register at import and never change).
_KIND_OF_TABLE: dict[str, entities.Kind] = {}


def to_sql(kind: entities.Kind, field: str, value: Any) -> Any:
    """A logical value as stored in its column."""
    kind_of_value = "bool" if field == "deleted" else kind.field(field).type
    if kind_of_value == "bool":
        return int(bool(value))
    if kind_of_value == "list":
        return json.dumps(value or [], ensure_ascii=False)
    return value


def log_json(values: Mapping[str, Any]) -> str:
    """A change's data, a row's field versions or a change's bases as the log and the
    rows store them: compact, keys sorted, characters as they are (orjson: a first sync
    writes half a million of these texts; the standard library took five times longer).
    Every text is read back with a JSON parser, never compared as text (but for the empty
    "{}", written as before): entries of earlier versions, spaced out, read the same."""
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode() if values else "{}"


def from_sql(kind: entities.Kind, row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as a logical record: id plus the kind's fields."""
    out: dict[str, Any] = {"id": row["id"]}
    for spec in kind.fields:
        value = row[spec.name]
        if spec.type == "bool":
            value = bool(value)
        elif spec.type == "list":
            value = json.loads(value or "[]")
        out[spec.name] = value
    return out


def dict_rows(cur: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    """A query's rows as {column: value}, streamed."""
    names = [d[0] for d in cur.description]
    for row in cur:
        yield dict(zip(names, row, strict=True))


def grouped_rows(cur: sqlite3.Cursor, column: str) -> dict[str, list[dict[str, Any]]]:
    """A query's rows as {column: value} lists by the value of `column`, in query order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in dict_rows(cur):
        found.setdefault(row[column], []).append(row)
    return found


def read_row(ws: Workspace, table: str, row_id: str) -> dict[str, Any] | None:
    cur = ws.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    return next(dict_rows(cur), None)


def write_local(
    ws: Workspace,
    table: str,
    row_id: str,
    values: Mapping[str, Any],
    *,
    force: Collection[str] = (),
) -> list[str]:
    """Record a local edit of `row_id`: only fields whose value changes are logged.

    `force` names fields to log even if unchanged (resolving a conflict in favour of
    the value already here must still reach the other side). Returns the changed
    field names (empty: nothing written at all).
    """
    with ws.transaction():  # read, decide and write under one write lock
        change = _local_change(ws, table, row_id, values, force)
        if change is not None:
            apply_change(ws, change)
    return list(change.data) if change is not None else []


def _local_change(
    ws: Workspace, table: str, row_id: str, values: Mapping[str, Any], force: Collection[str]
) -> Change | None:
    """The change a local edit makes to the row as stored now (None: nothing changes)."""
    kind = table_kind(table)
    current = read_row(ws, table, row_id)
    base: dict[str, str] = {}
    if current is None:
        changed = {f: values.get(f) for f in kind.field_names}
        if "deleted" in values:
            changed["deleted"] = values["deleted"]
    else:
        logical = from_sql(kind, current) | {"deleted": bool(current["deleted"])}
        changed = {
            f: v for f, v in values.items() if f != "id" and (logical.get(f) != v or f in force)
        }
        versions = json.loads(current["versions"])
        # The versions this edit replaces and the deletion state it was made on; a
        # deletion names every field's version, so sync can tell an unseen edit.
        seen = [*kind.field_names, "deleted"] if changed.get("deleted") else [*changed, "deleted"]
        base = {f: versions.get(f, current["created_hlc"]) for f in seen}
    if not changed:
        return None
    if ws.write_guard is not None:  # the services' permission rules: one door for all
        ws.write_guard(ws, table, current, changed)
    op = "delete" if changed.get("deleted") else "upsert"
    if current is not None:
        # an edit must sort after the version it replaces, even if this laptop's clock
        # is behind the device that wrote it (HLC receive)
        ws.clock.observe(current["hlc"])
    author = getattr(ws.user, "login", None)
    return Change(table, row_id, ws.stamp(), ws.device_id, op, changed, base, author)


def apply_change(ws: Workspace, change: Change) -> int:
    """Log a local `change` and write all its fields: the path of every local edit."""
    seq = log_change(ws, change)
    assert seq is not None, "a local stamp is never reused"
    write_fields(
        ws,
        change.table,
        change.row_id,
        seq,
        {f: (v, change.stamp) for f, v in change.data.items()},
        origin=change.device,
    )
    return seq


def log_change(ws: Workspace, change: Change, source: str | None = None) -> int | None:
    """Append `change` to the log; None if the log already holds it (same row and stamp).

    `source` is the peer an incoming change arrived from (NULL for local edits).
    """
    cur = ws.conn.execute(
        "INSERT INTO change_log (tbl, row_id, hlc, device_id, op, data, base, source, author) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hlc, tbl, row_id) DO NOTHING",
        (
            change.table,
            change.row_id,
            change.stamp,
            change.device,
            change.op,
            log_json(change.data),
            log_json(change.base),
            source,
            change.author,
        ),
    )
    return cur.lastrowid if cur.rowcount else None


def write_fields(
    ws: Workspace,
    table: str,
    row_id: str,
    seq: int,
    fields: Mapping[str, tuple[Any, str]],
    *,
    origin: str,
    created: str | None = None,
    current: Mapping[str, Any] | object | None = ...,
) -> None:
    """Write {field: (value, stamp)} to a row, recording each field's version.

    The row is created if absent (`created` is then its creation stamp, by default the
    oldest given; `origin` its creating device). `seq` must name the change_log entry
    this write belongs to: the guard triggers refuse the write otherwise. A caller that
    has just read the row passes it as `current` (None: known absent) to skip a read.
    """
    if not fields:
        return
    kind = table_kind(table)
    columns = {f: to_sql(kind, f, v) for f, (v, _) in fields.items()}
    newest = max(stamp for _, stamp in fields.values())
    stored = read_row(ws, table, row_id) if current is ... else current
    if stored is None:
        created = created or min(stamp for _, stamp in fields.values())
        versions = {f: stamp for f, (_, stamp) in fields.items() if stamp != created}
        columns |= derived_columns(table, columns)
        columns |= {
            "id": row_id,
            "origin_device": origin,
            "created_hlc": created,
            "hlc": max(newest, created),
            "versions": log_json(versions),
            "seq": seq,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        ws.conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(columns.values()))
        return
    assert isinstance(stored, Mapping)
    versions = json.loads(stored["versions"]) | {f: stamp for f, (_, stamp) in fields.items()}
    columns |= derived_columns(table, {**stored, **columns})
    columns |= {
        "hlc": max(stored["hlc"], newest),
        "versions": log_json(versions),
        "seq": seq,
    }
    sets = ", ".join(f"{c} = ?" for c in columns)
    ws.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*columns.values(), row_id])


def field_version(row: Mapping[str, Any], field: str) -> str:
    """The stamp of the write that set `field` of a stored row."""
    return json.loads(row["versions"]).get(field, row["created_hlc"])


def insert_many(ws: Workspace, table: str, records: Iterable[Mapping[str, Any]]) -> int:
    """Bulk-create new rows (demo data, reference rosters) through the change log.

    Same result as `write_local` per record, but with executemany: ~10x faster, which
    is what makes a 60,000-student demo build in seconds. Records must carry `id` and
    be new and already validated. Returns the number written.
    """
    kind = table_kind(table)
    fields = list(kind.field_names)
    extra = list(derived_columns(table, {f: None for f in fields}))
    names = ["id", "origin_device", "created_hlc", "hlc", "versions", "seq", *fields, *extra]
    with ws.transaction(join=True):  # (a failure aborts the caller's work)
        log_rows: list[tuple[Any, ...]] = []
        row_rows: list[tuple[Any, ...]] = []
        next_seq = _next_seq(ws)
        for offset, rec in enumerate(records):
            stamp = ws.stamp()
            data = {f: rec.get(f) for f in fields}
            seq = next_seq + offset
            log_rows.append(
                (
                    seq,
                    table,
                    rec["id"],
                    stamp,
                    ws.device_id,
                    "upsert",
                    log_json(data),
                )
            )
            columns = {f: to_sql(kind, f, v) for f, v in data.items()}
            columns |= derived_columns(table, columns)
            row_rows.append((rec["id"], ws.device_id, stamp, stamp, "{}", seq, *columns.values()))
        if not row_rows:
            return 0
        ws.conn.executemany(
            "INSERT INTO change_log (seq, tbl, row_id, hlc, device_id, op, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            log_rows,
        )
        ws.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            row_rows,
        )
    return len(row_rows)


def _next_seq(ws: Workspace) -> int:
    row = ws.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'").fetchone()
    return (row[0] if row else 0) + 1


def last_seq(ws: Workspace) -> int:
    """The newest change log position (0 for an empty log)."""
    return ws.conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]


def row_seq(ws: Workspace, table: str, row_id: str) -> int:
    """The newest change_log position of one row (0 if it has none)."""
    row = ws.conn.execute(
        "SELECT coalesce(max(seq), 0) FROM change_log WHERE tbl = ? AND row_id = ?",
        (table, row_id),
    ).fetchone()
    return row[0]


def changes_since(ws: Workspace, after_seq: int, limit: int = 10_000) -> list[tuple[int, Change]]:
    """Log entries with seq > after_seq, oldest first (an index range scan, never a table scan)."""
    rows = ws.conn.execute(
        "SELECT seq, tbl, row_id, hlc, device_id, op, data, base, author FROM change_log "
        "WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit),
    )
    return [
        (r[0], Change(r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[8]))
        for r in rows
    ]


class NewRow(NamedTuple):
    """A row this workspace does not hold yet, arriving whole (a creation or a snapshot):
    its field values with their versions and the log entries that made them. (A named
    tuple: made for each row of a first sync, four times faster than a dataclass.)"""

    row_id: str
    origin: str
    created: str
    fields: Mapping[str, tuple[Any, str]]
    log: list[Change]


def insert_incoming(ws: Workspace, table: str, rows: list[NewRow], source: str) -> int:
    """Create many new rows that arrived in a package, with their log entries, in two
    `executemany` calls (a first sync is mostly this). The caller has judged them and made
    sure that neither the rows nor their log entries exist here. Returns rows written."""
    if not rows:
        return 0
    kind = table_kind(table)
    fields = list(kind.field_names)
    extra = list(derived_columns(table, {f: None for f in fields}))
    names = ["id", "origin_device", "created_hlc", "hlc", "versions", "seq", "deleted",
             *fields, *extra]
    log_rows: list[tuple[Any, ...]] = []
    row_rows: list[tuple[Any, ...]] = []
    converted = {f for f in fields if kind.field(f).type in ("bool", "list")}
    seq = _next_seq(ws) - 1
    for new in rows:
        for change in sorted(new.log, key=_stamp_of) if len(new.log) > 1 else new.log:
            seq += 1
            log_rows.append((seq, table, new.row_id, change.stamp, change.device, change.op,
                             log_json(change.data), log_json(change.base), source,
                             change.author))
        values = {f: value for f, (value, _) in new.fields.items()}
        columns = {f: to_sql(kind, f, values[f]) if f in converted and f in values
                   else values.get(f) for f in fields}
        columns |= derived_columns(table, columns)
        versions = {f: stamp for f, (_, stamp) in new.fields.items() if stamp != new.created}
        newest = max(new.created, *versions.values()) if versions else new.created
        row_rows.append((new.row_id, new.origin, new.created, newest,
                         log_json(versions), seq, int(bool(values.get("deleted"))),
                         *columns.values()))
    with ws.transaction(join=True):
        ws.conn.executemany(
            "INSERT INTO change_log (seq, tbl, row_id, hlc, device_id, op, data, base, source, "
            "author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", log_rows)
        ws.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            row_rows)
    return len(row_rows)


def _stamp_of(change: Change) -> str:
    return change.stamp


def present_rows(ws: Workspace, table: str, row_ids: Collection[str]) -> set[str]:
    """Which of these rows exist in `table` (deleted or not)."""
    return _found(ws, f"SELECT id FROM {table} WHERE id IN", (), row_ids)


def logged_rows(ws: Workspace, table: str, row_ids: Collection[str]) -> set[str]:
    """Which of these rows have any entry in the change log here."""
    return _found(ws, "SELECT DISTINCT row_id FROM change_log WHERE tbl = ? AND row_id IN",
                  (table,), row_ids)


def _found(ws: Workspace, query: str, params: tuple[Any, ...],
           row_ids: Collection[str]) -> set[str]:
    """The ids `query` ("... IN", completed here) returns."""
    found: set[str] = set()
    for chunk, marks in id_chunks(row_ids):
        found |= {r[0] for r in ws.conn.execute(f"{query} ({marks})", (*params, *chunk))}
    return found


def id_chunks(row_ids: Collection[str]) -> Iterator[tuple[list[str], str]]:
    """The ids in lists of at most 500, each with its "?, ?, ..." for an `IN (...)`: one
    query per list stays below SQLite's limit on parameters."""
    ids = list(row_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        yield chunk, ", ".join("?" * len(chunk))


@contextmanager
def search_index_deferred(ws: Workspace, enabled: bool = True) -> Iterator[None]:
    """Inside a transaction: students written in the block enter the full-text index in
    one statement at its end instead of one trigger run each (ten times faster for a
    first sync). If the block raises, the transaction's rollback restores the trigger."""
    if not enabled:
        yield
        return
    trigger = ws.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'students_fts_ai'"
    ).fetchone()
    assert ws.in_transaction and trigger is not None
    before = ws.conn.execute("SELECT coalesce(max(rowid), 0) FROM students").fetchone()[0]
    ws.conn.execute("DROP TRIGGER students_fts_ai")
    yield
    ws.conn.execute(
        "INSERT INTO students_fts (rowid, name, resident_id, student_number) "
        "SELECT rowid, name, resident_id, student_number FROM students WHERE rowid > ?",
        (before,))
    ws.conn.execute(trigger[0])
