"""Children follow their school: what left a centre laptop's zone leaves the laptop.

When the county moves a school to another township, gives a township to another centre,
or transfers a child to a school of another zone, the gaining laptop receives the rows
(sync/exporter.py sends snapshots with their dependents) and the losing laptop must not
keep the children's ID numbers and phones. After each import a device works out which of
its rows its zone no longer contains and purges them locally (store/purge.py): not a
deletion that syncs back, and nothing is lost at the hub, which keeps everything.

A row with an edit made here that the hub has not confirmed yet is not purged (the edit
would be lost): the purge waits, whole, until the hub's receipt covers it.
"""

from __future__ import annotations

from typing import Any

from wushan_desk.domain import entities
from wushan_desk.store import changes, purge, sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync.scope import (
    OPTIONAL_PARENTS,
    PARENTS,
    REFERENCE_TABLES,
    SCOPE_FIELDS,
    Scope,
    device_scope,
)

#: Tables whose change can move rows out of a device's zone.
MOVES = frozenset({"schools", "centre_townships", "devices", *SCOPE_FIELDS})
PENDING_KEY = "zone_purge_pending"


def after_import(ws: Workspace, acked_seq: int, rows: set[tuple[str, str]], full: bool) -> int:
    """Purge what left this device's zone, if the import could have moved anything (or a
    purge is waiting); returns the rows purged. `rows` are the (table, id) the package
    carried; a `full` one from the hub is its whole scope: any other row held here is no
    longer this device's. Call inside the import's transaction."""
    if ws.state("role") != "centre" or ws.state("enrolled") != "1":
        return 0
    if full:
        purge.set_leavers(ws, _held(ws) - rows)
    else:
        purge.forget_leavers(ws, rows)  # sent again: in scope after all
    left_out = purge.leavers(ws)
    tables = {table for table, _ in rows}
    if not (MOVES & tables) and ws.state(PENDING_KEY) != "1" and not left_out:
        return 0
    leaving = outside_zone(ws, device_scope(ws, ws.device_id), left_out)
    if purge.unsent_rows(ws, leaving, acked_seq):
        ws.set_state(PENDING_KEY, "1")  # the hub has not confirmed an edit to them yet
        return 0
    ws.set_state(PENDING_KEY, "0")
    purge.forget_leavers(ws, left_out)
    return purge.purge_rows(ws, leaving)


def _held(ws: Workspace) -> set[tuple[str, str]]:
    """Every row of the zone-scoped tables held here."""
    return purge.held_rows(ws, [t for t in changes.synced_tables(ws)
                                if t not in REFERENCE_TABLES])


def outside_zone(ws: Workspace, zone: Scope,
                 left_out: set[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(table, id) of every row the zone does not contain (or the hub left out), and the
    rows that depend on them, children before parents."""
    left_out = left_out or set()
    order = [t for t in changes.synced_tables(ws) if t not in REFERENCE_TABLES]
    kept: dict[str, set[str]] = {t: set() for t in order}
    out: list[tuple[str, str]] = []
    later = [t for t in order if t == "attachments"]  # owned by rows of any table
    for table in [t for t in order if t not in later] + later:
        for row in sync_state.rows_of(ws, table):
            if (table, row["id"]) not in left_out and _inside(ws, zone, table, row, kept):
                kept[table].add(row["id"])
            else:
                out.append((table, row["id"]))
    needed = _staff_of(ws, kept.get("visits", set()))  # inspectors of visits kept here
    out = [(t, i) for t, i in out if not (t == "staff" and i in needed)]
    position = {t: n for n, t in enumerate(order)}
    return sorted(out, key=lambda r: -position[r[0]])


def _inside(ws: Workspace, zone: Scope, table: str, row: dict[str, Any],
            kept: dict[str, set[str]]) -> bool:
    if table in PARENTS:
        column, parent = PARENTS[table]
        return row[column] in kept[parent]
    if table in OPTIONAL_PARENTS:  # with a parent held here, it stays or goes with it
        column, parent = OPTIONAL_PARENTS[table]
        if row[column] and changes.read_row(ws, parent, row[column]) is not None:
            return row[column] in kept[parent]
    if table == "attachments":
        kind = entities.KINDS.get(row["owner_kind"] or "")
        owner = kind.table if kind else None
        if owner in kept and changes.read_row(ws, owner, row["owner_id"] or "") is not None:
            return row["owner_id"] in kept[owner]
        return bool(zone.contains(ws, table, row))
    return bool(zone.contains(ws, table, row))


def _staff_of(ws: Workspace, visits: set[str]) -> set[str]:
    kind = changes.table_kind("visits")
    found: set[str] = set()
    for visit_id in visits:
        row = changes.read_row(ws, "visits", visit_id)
        if row is not None:
            found |= set(changes.from_sql(kind, row)["inspector_ids"] or [])
    return found
