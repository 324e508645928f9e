"""SQL of sync bookkeeping: peers and their receipts, the package ledger, conflicts.

Local tables of db/0002 (never synced). The decisions live in wushan_desk/sync/; this
module only reads and writes rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wushan_desk.store import changes
from wushan_desk.store.changes import Change
from wushan_desk.store.workspace import Workspace


@dataclass(frozen=True)
class Peer:
    """What this workspace knows of its exchange with one peer (db/0002, db/0004)."""

    device_id: str
    acked_seq: int = 0  # our log up to here is confirmed by the peer
    acked_at: str | None = None
    received_seq: int = 0  # we hold the peer's log up to here (its numbers)
    last_export: str | None = None
    last_import: str | None = None
    peer_incarnation: str | None = None  # the peer's lifetime those numbers belong to
    received_stamp: str | None = None  # the peer's stamp at received_seq
    acked_stamp: str | None = None  # our stamp at acked_seq, as the peer's receipt said
    peer_made: str | None = None  # when the newest package seen from the peer was made
    resend_all: bool = False  # the next package to the peer carries its whole scope
    resend_since: str | None = None  # when that became necessary
    full_received: str | None = None  # the last full package received from the peer


_PEER_COLUMNS = (
    "device_id, acked_seq, acked_at, received_seq, last_export, last_import, "
    "peer_incarnation, received_stamp, acked_stamp, peer_made, resend_all, resend_since, "
    "full_received"
)


def peer(ws: Workspace, device_id: str) -> Peer:
    """The exchange state with `device_id` (all zero before the first exchange)."""
    row = ws.conn.execute(
        f"SELECT {_PEER_COLUMNS} FROM sync_peers WHERE device_id = ?", (device_id,)
    ).fetchone()
    if row is None:
        return Peer(device_id)
    values = list(row)
    values[10] = bool(values[10])
    return Peer(*values)


def save_peer(ws: Workspace, p: Peer) -> None:
    names = _PEER_COLUMNS.split(", ")
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    ws.conn.execute(
        f"INSERT INTO sync_peers ({_PEER_COLUMNS}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT (device_id) DO UPDATE SET {updates}",
        (p.device_id, p.acked_seq, p.acked_at, p.received_seq, p.last_export, p.last_import,
         p.peer_incarnation, p.received_stamp, p.acked_stamp, p.peer_made,
         int(p.resend_all), p.resend_since, p.full_received),
    )


def all_peers(ws: Workspace) -> list[Peer]:
    """Every peer this workspace has exchanged with."""
    ids = [r[0] for r in ws.conn.execute("SELECT device_id FROM sync_peers ORDER BY device_id")]
    return [peer(ws, i) for i in ids]


def full_package_since(ws: Workspace, package_id: str | None, peer_id: str,
                       since: str | None) -> bool:
    """Did we write package `package_id`, a full one for `peer_id`, at or after `since`?"""
    if not package_id or not since:
        return False
    row = ws.conn.execute(
        "SELECT 1 FROM sync_packages WHERE package_id = ? AND direction = 'out' AND peer = ? "
        "AND kind = 'sync' AND julianday(processed) >= julianday(?) "
        "AND json_extract(summary, '$.full') = 1",
        (package_id, peer_id, since),
    ).fetchone()
    return row is not None


def stamp_at(ws: Workspace, seq: int) -> str | None:
    """The stamp of our change-log entry `seq` (None if there is none)."""
    row = ws.conn.execute("SELECT hlc FROM change_log WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def package_seen(ws: Workspace, package_id: str, direction: str = "in") -> bool:
    row = ws.conn.execute(
        "SELECT 1 FROM sync_packages WHERE package_id = ? AND direction = ?",
        (package_id, direction),
    ).fetchone()
    return row is not None


def record_package(ws: Workspace, **fields: Any) -> None:
    """Add a row to the package ledger (fields as the sync_packages columns)."""
    fields["summary"] = json.dumps(fields.get("summary") or {}, ensure_ascii=False)
    names = ", ".join(fields)
    ws.conn.execute(
        f"INSERT OR REPLACE INTO sync_packages ({names}) VALUES ({', '.join('?' * len(fields))})",
        list(fields.values()),
    )


def ledger(ws: Workspace, limit: int = 500) -> list[dict[str, Any]]:
    """Newest packages first, for the 同步记录 table."""
    cur = ws.conn.execute(
        "SELECT package_id, direction, kind, peer, created, processed, from_seq, to_seq, "
        "changes, files, status, summary, file_name FROM sync_packages "
        "ORDER BY julianday(processed) DESC, package_id LIMIT ?",  # by time, whatever offset
        (limit,),
    )
    return [r | {"summary": json.loads(r["summary"])} for r in changes.dict_rows(cur)]


def row_log(ws: Workspace, table: str, row_id: str) -> dict[str, Change]:
    """Every logged change of one row, by stamp (used to follow edit ancestry)."""
    rows = ws.conn.execute(
        "SELECT hlc, device_id, op, data, base FROM change_log WHERE tbl = ? AND row_id = ?",
        (table, row_id),
    )
    return {
        r[0]: Change(table, row_id, r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]))
        for r in rows
    }


def field_bases(ws: Workspace, table: str, row: Mapping[str, Any]) -> dict[str, str]:
    """For each field of a stored row, the version its current version was written over
    (the `base` its change carried), where the log knows it: a resent snapshot keeps the
    ancestry that tells a concurrent write from a later one."""
    log = row_log(ws, table, row["id"])
    bases = {}
    for name, stamp in json.loads(row["versions"]).items():
        change = log.get(stamp)
        if change is not None and name in change.base:
            bases[name] = change.base[name]
    return bases


def previous_value(ws: Workspace, table: str, row_id: str, field: str, before_seq: int) -> Any:
    """The value `field` had just before log entry `before_seq` (None if never set)."""
    for (data,) in ws.conn.execute(
        "SELECT data FROM change_log WHERE tbl = ? AND row_id = ? AND seq < ? ORDER BY seq DESC",
        (table, row_id, before_seq),
    ):
        values = json.loads(data)
        if field in values:
            return values[field]
    return None


def logged_before(ws: Workspace, table: str, row_id: str, before_seq: int) -> bool:
    """Does the log hold an entry of this row before `before_seq` (is it not its first)?"""
    return ws.conn.execute(
        "SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND seq < ? LIMIT 1",
        (table, row_id, before_seq)).fetchone() is not None


def log_entries(
    ws: Workspace, after_seq: int, upto_seq: int, *, exclude_source: str | None = None
) -> Iterator[tuple[int, Change, str | None]]:
    """Log entries in (after_seq, upto_seq], in order, streamed; skips one source's."""
    cur = ws.conn.execute(
        "SELECT seq, tbl, row_id, hlc, device_id, op, data, base, source, author "
        "FROM change_log "
        "WHERE seq > ? AND seq <= ? AND (source IS NULL OR source <> ?) AND purged = 0 "
        "ORDER BY seq",
        (after_seq, upto_seq, exclude_source or ""),
    )
    for r in cur:
        change = Change(r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[9])
        yield r[0], change, r[8]


def pending_count(ws: Workspace, after_seq: int, peer_id: str) -> int:
    """Log entries after `after_seq` that did not come from `peer_id` (so may go to it)."""
    row = ws.conn.execute(
        "SELECT count(*) FROM change_log WHERE seq > ? AND (source IS NULL OR source <> ?) "
        "AND purged = 0",
        (after_seq, peer_id),
    ).fetchone()
    return row[0]


def rows_of(ws: Workspace, table: str, *, live: bool = False) -> Iterator[dict[str, Any]]:
    """Every stored row of a synced table in creation order, streamed; tombstones too
    unless `live` (enrolment snapshots need them)."""
    # sqlite-utils' reader: streams dicts exactly as a hand-written loop would
    yield from ws.db[table].rows_where("deleted = 0" if live else None,
                                       order_by="created_hlc, id")


def rows_where(ws: Workspace, table: str, column: str, value: str) -> list[dict[str, Any]]:
    """Stored rows with `column` = value (dependents of a row that changes scope)."""
    cur = ws.conn.execute(f"SELECT * FROM {table} WHERE {column} = ?", (value,))
    return list(changes.dict_rows(cur))


# --- conflicts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    id: str
    table: str
    row_id: str
    field: str
    local_value: Any
    local_stamp: str
    incoming_value: Any
    incoming_stamp: str
    base_stamp: str | None
    winner: str
    detected: str
    package_id: str | None
    resolved: str | None
    resolution: str | None


_CONFLICT_COLUMNS = (
    "id, tbl, row_id, field, local_value, local_stamp, incoming_value, incoming_stamp, "
    "base_stamp, winner, detected, package_id, resolved, resolution"
)


def _conflict(r: tuple[Any, ...]) -> Conflict:
    values = list(r)
    values[4] = json.loads(values[4]) if values[4] is not None else None
    values[6] = json.loads(values[6]) if values[6] is not None else None
    return Conflict(*values)


def add_conflict(ws: Workspace, c: Conflict) -> None:
    """Keep a conflict (the same pair of versions is recorded once)."""
    ws.conn.execute(
        f"INSERT OR IGNORE INTO sync_conflicts ({_CONFLICT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            c.id or str(uuid.uuid4()),
            c.table,
            c.row_id,
            c.field,
            json.dumps(c.local_value, ensure_ascii=False),
            c.local_stamp,
            json.dumps(c.incoming_value, ensure_ascii=False),
            c.incoming_stamp,
            c.base_stamp,
            c.winner,
            c.detected,
            c.package_id,
            c.resolved,
            c.resolution,
        ),
    )


def conflicts(ws: Workspace, *, open_only: bool = True) -> list[Conflict]:
    where = "WHERE resolved IS NULL" if open_only else ""
    rows = ws.conn.execute(
        f"SELECT {_CONFLICT_COLUMNS} FROM sync_conflicts {where} ORDER BY detected, id"
    )
    return [_conflict(r) for r in rows]


def conflict(ws: Workspace, conflict_id: str) -> Conflict | None:
    row = ws.conn.execute(
        f"SELECT {_CONFLICT_COLUMNS} FROM sync_conflicts WHERE id = ?", (conflict_id,)
    ).fetchone()
    return _conflict(row) if row else None


def close_conflicts(
    ws: Workspace,
    table: str,
    row_id: str,
    field: str,
    when: str,
    resolution: str,
    *,
    conflict_id: str | None = None,
    older_than: str | None = None,
) -> int:
    """Mark open conflicts of one field resolved: one by id, or all older than a stamp."""
    sql = (
        "UPDATE sync_conflicts SET resolved = ?, resolution = ? WHERE resolved IS NULL "
        "AND tbl = ? AND row_id = ? AND field = ?"
    )
    params: list[Any] = [when, resolution, table, row_id, field]
    if conflict_id:
        sql += " AND id = ?"
        params.append(conflict_id)
    if older_than:
        sql += " AND local_stamp < ? AND incoming_stamp < ?"
        params += [older_than, older_than]
    return ws.conn.execute(sql, params).rowcount
