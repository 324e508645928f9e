"""Local purge: remove rows and everything they said from this workspace, never synced.

A centre laptop keeps the children of its own zone only. When a school, a township or a
child leaves the zone, the rows go from the laptop altogether: the rows themselves, the
data of their change-log entries (the entries keep their numbers and stamps, which
receipts name, but nothing about the child), and the conflicts that quote their values.
The delete guards of the synced tables let a delete through only for a table named in
`purging`, which exists only inside this transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace


def purge_rows(ws: Workspace, rows: Iterable[tuple[str, str]]) -> int:
    """Delete (table, id) rows and scrub their log entries and conflicts; returns how many
    rows went. Children must come before their parents (foreign keys hold throughout)."""
    rows = list(rows)
    if not rows:
        return 0
    tables = sorted({table for table, _ in rows})
    order = changes.synced_tables(ws)
    known = set(order)
    if not set(tables) <= known:
        raise ValueError(f"not synced tables: {set(tables) - known}")
    # the freed pages are overwritten with zeros, not left readable in the file
    ws.conn.execute("PRAGMA secure_delete = ON")
    with ws.transaction():
        ws.conn.executemany("INSERT INTO purging (tbl) VALUES (?)", [(t,) for t in tables])
        for table, row_id in rows:
            ws.conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        ws.conn.executemany(
            "UPDATE change_log SET data = '{}', base = '{}', purged = 1, "
            "row_id = 'purged:' || seq WHERE tbl = ? AND row_id = ? AND purged = 0", rows)
        ws.conn.executemany(
            "DELETE FROM sync_conflicts WHERE tbl = ? AND row_id = ?", rows)
        ws.conn.execute("DELETE FROM purging")
        if "students" in tables:  # rebuild the search index without the purged names
            ws.conn.execute("INSERT INTO students_fts (students_fts) VALUES ('optimize')")
    return len(rows)


def unsent_rows(ws: Workspace, rows: Iterable[tuple[str, str]], acked_seq: int) -> set[str]:
    """The ids among `rows` with an edit made here after `acked_seq` (not yet confirmed
    by the peer): purging them now would lose that edit."""
    found: set[str] = set()
    for table, row_id in rows:
        row = ws.conn.execute(
            "SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND source IS NULL "
            "AND seq > ? LIMIT 1", (table, row_id, acked_seq)).fetchone()
        if row:
            found.add(row_id)
    return found


def set_leavers(ws: Workspace, rows: Iterable[tuple[str, str]]) -> None:
    """Replace the rows noted as left out of this device's scope by the hub."""
    ws.conn.execute("DELETE FROM scope_leavers")
    ws.conn.executemany("INSERT OR IGNORE INTO scope_leavers (tbl, row_id) VALUES (?, ?)",
                        list(rows))


def leavers(ws: Workspace) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in ws.conn.execute("SELECT tbl, row_id FROM scope_leavers")}


def forget_leavers(ws: Workspace, rows: Iterable[tuple[str, str]]) -> None:
    """These rows are this device's after all (the hub sent them) or are gone."""
    ws.conn.executemany("DELETE FROM scope_leavers WHERE tbl = ? AND row_id = ?", list(rows))


def held_rows(ws: Workspace, tables: Iterable[str]) -> set[tuple[str, str]]:
    """(table, id) of every row, tombstones included, of these synced tables."""
    known = set(changes.synced_tables(ws))
    return {(t, r[0]) for t in tables if t in known
            for r in ws.conn.execute(f"SELECT id FROM {t}")}
