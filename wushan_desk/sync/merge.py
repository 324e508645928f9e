"""Field-level merge of incoming changes, with conflicts kept for a person.

Each field is a last-writer-wins register ordered by HLC stamp, so every party that has
seen the same changes holds the same values, in whatever order they arrived. Whether
two writes of a field were *concurrent* (a conflict to show) or one was made on top of
the other is read from the `base` each change carries: the version its author saw.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wushan_desk.domain import aid_recognition as recognition_rules
from wushan_desk.domain import aid_roster as roster_rules
from wushan_desk.domain import clock, entities
from wushan_desk.domain import dropout as dropout_rules
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.hlc import Stamp
from wushan_desk.store import changes, sync_state
from wushan_desk.store.changes import Change
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync.payload import Snapshot

MAX_ANCESTRY = 10_000


@dataclass
class MergeStats:
    """What an import did, row by row and field by field."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: int = 0
    tables: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome in ("added", "changed"):
            self.tables[table] = self.tables.get(table, 0) + 1


def descends(log: Mapping[str, Change], start: str | None, target: str, name: str) -> bool:
    """Does version `start` of field `name` build, through its bases, on version `target`?

    Bases always point to older stamps, so the walk stops once it passes `target`. A
    version missing from our log but newer than `target` is one we never received: the
    author saw more than we did, which is no conflict.
    """
    current = start
    for _ in range(MAX_ANCESTRY):
        if current is None or current < target:
            return False
        if current == target:
            return True
        change = log.get(current)
        if change is None:
            return True
        current = change.base.get(name)
    return False


def now_text() -> str:
    return clock.now_iso()


def merge_change(
    ws: Workspace, change: Change, source: str, package_id: str, stats: MergeStats
) -> None:
    """Log an incoming change and apply the fields it wins; record conflicts."""
    seq = changes.log_change(ws, change, source)
    if seq is None:
        stats.count(change.table, "unchanged")
        return
    kind = changes.table_kind(change.table)
    current = changes.read_row(ws, change.table, change.row_id)
    if current is None:
        if all(f in change.data for f in kind.field_names):  # a creation: the whole row
            fields = {f: (v, change.stamp) for f, v in change.data.items()}
            changes.write_fields(
                ws,
                change.table,
                change.row_id,
                seq,
                fields,
                origin=change.device,
                created=change.stamp,
                current=None,
            )
            stats.count(change.table, "added")
        else:  # an edit of a row we do not hold: logged; a snapshot brings the row
            stats.count(change.table, "unchanged")
        return
    log = sync_state.row_log(ws, change.table, change.row_id)
    logical = changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])}
    winners: dict[str, tuple[Any, str]] = {}
    found: list[sync_state.Conflict] = []
    for name, value in change.data.items():
        local_stamp = changes.field_version(current, name)
        incoming_wins = change.stamp > local_stamp
        if incoming_wins:
            winners[name] = (value, change.stamp)
        sequential = (
            descends(log, change.base.get(name), local_stamp, name)
            if incoming_wins
            else descends(log, local_stamp, change.stamp, name)
        )
        if not sequential and logical.get(name) != value:
            found.append(
                _conflict(
                    change,
                    name,
                    logical[name],
                    local_stamp,
                    value,
                    "incoming" if incoming_wins else "local",
                    package_id,
                )
            )
        elif incoming_wins:
            sync_state.close_conflicts(
                ws,
                change.table,
                change.row_id,
                name,
                now_text(),
                "superseded",
                older_than=change.stamp,
            )
    found += _deletion_conflicts(current, logical, change, log, package_id)
    found, sealed = _sealed_over(ws, change, logical, found)
    changes.write_fields(
        ws, change.table, change.row_id, seq, winners, origin=change.device, current=current
    )
    for c in found:
        sync_state.add_conflict(ws, c)
    if sealed:  # stamped now: the locked content wins here and wherever this goes
        ws.clock.observe(change.stamp)
        changes.write_local(ws, change.table, change.row_id, sealed)
    stats.conflicts += len(found)
    differs = any(logical.get(f) != v for f, (v, _) in winners.items())
    stats.count(change.table, "changed" if differs else "unchanged")


#: Tables whose records lock at some statuses (a closed case, a decided recognition):
#: the change that locks one carries every field as locked (records.put(seal=True)).
SEALING: dict[str, tuple[str, ...]] = {
    "dropout_cases": (dropout_rules.CLOSED,),
    "aid_recognitions": recognition_rules.DECIDED,
    "aid_rosters": (roster_rules.CONFIRMED,),
}


#: Parts locked with their record: part table -> (column naming the record, the record's
#: table, the record's statuses that lock the part). A roster's lines lock from its
#: report on (a restored laptop's draft must not stop every package until the county
#: confirms the roster or sends it back).
LOCKED_PARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "dropout_duties": ("case_id", "dropout_cases", SEALING["dropout_cases"]),
    "dropout_visits": ("case_id", "dropout_cases", SEALING["dropout_cases"]),
    "aid_household_members": ("recognition_id", "aid_recognitions",
                              SEALING["aid_recognitions"]),
    "aid_payments": ("roster_id", "aid_rosters",
                     (*SEALING["aid_rosters"], roster_rules.REPORTED)),
}


def seals(change: Change) -> bool:
    """Does this change lock its record (moves it into a locking status)?"""
    return change.data.get("status") in SEALING.get(change.table, ())


def _sealed_over(ws: Workspace, change: Change, logical: Mapping[str, Any],
                 found: list[sync_state.Conflict]
                 ) -> tuple[list[sync_state.Conflict], dict[str, Any]]:
    """A change that locks a record wins over what this computer wrote concurrently
    without knowing of it (its author locked what they saw): those values, which won
    by stamp, are put back to the locked ones and wait as conflicts, so that every
    party ends with the content as locked (the other side keeps it: sync/judge).
    Two rival locks (both decided, unaware of each other): the hub's stands, at the hub
    and on the laptop."""
    if not seals(change):
        return found, {}
    rival = logical.get("status") in SEALING[change.table]
    if rival and ws.state("role") != "centre":
        return found, {}  # the hub's own decision stands; the laptop's waits for review
    lost = {c.field: c.incoming_value for c in found if c.winner == "local"
            and c.field != "deleted"}
    return [replace(c, winner="incoming") if c.field in lost else c for c in found], lost


def keep_for_review(ws: Workspace, change: Change, package_id: str, stats: MergeStats) -> None:
    """A change the judge kept out (it broke a rule because the record changed here after
    it was made): nothing is applied or logged; each value it would have changed waits
    as a conflict, the local (signed) value in force."""
    kind = changes.table_kind(change.table)
    current = changes.read_row(ws, change.table, change.row_id)
    logical = {} if current is None else (
        changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])})
    for name, value in change.data.items():
        if logical.get(name) == value:
            continue
        local_stamp = changes.field_version(current, name) if current else change.stamp
        sync_state.add_conflict(
            ws, _conflict(change, name, logical.get(name), local_stamp, value, "local",
                          package_id))
        stats.conflicts += 1
    stats.count(change.table, "unchanged")


def withdraw(ws: Workspace, change: Change, source: str, package_id: str,
             stats: MergeStats) -> None:
    """A laptop's change to a part of a record locked here (judge.Withdraw), made before
    it knew of the lock: the hub keeps it for review and writes the locked content again,
    stamped now, so that the laptop's copy returns to it. A part the laptop added is
    deleted: its content stays here, in the tombstone and a conflict, for a person to
    carry into a new case, recognition or roster."""
    current = changes.read_row(ws, change.table, change.row_id)
    if current is None:
        merge_change(ws, change, source, package_id, stats)
        if changes.read_row(ws, change.table, change.row_id) is None:
            return  # only part of a row: nothing here to withdraw
        changes.write_local(ws, change.table, change.row_id, {"deleted": True})
        sync_state.add_conflict(ws, _conflict(
            change, "deleted", True, str(ws.clock.last), False, "local", package_id))
        stats.conflicts += 1
        return
    keep_for_review(ws, change, package_id, stats)
    kind = changes.table_kind(change.table)
    logical = changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])}
    locked = {f: logical[f] for f, v in change.data.items() if f in logical and logical[f] != v}
    if locked:
        changes.write_local(ws, change.table, change.row_id, locked, force=set(locked))


def _deletion_conflicts(
    current: Mapping[str, Any],
    logical: Mapping[str, Any],
    change: Change,
    log: Mapping[str, Change],
    package_id: str,
) -> list[sync_state.Conflict]:
    """An edit of a row deleted elsewhere, or a deletion of a row edited elsewhere."""
    deleted_stamp = changes.field_version(current, "deleted")
    edited_unseen_deletion = (
        "deleted" not in change.data
        and logical["deleted"]
        and not descends(log, change.base.get("deleted"), deleted_stamp, "deleted")
    )
    if edited_unseen_deletion:
        return [_conflict(change, "deleted", True, deleted_stamp, False, "local", package_id)]
    if change.data.get("deleted") and not logical["deleted"]:
        unseen = [
            f
            for f in logical
            if f != "deleted"
            and not descends(log, change.base.get(f), changes.field_version(current, f), f)
        ]
        if unseen:
            winner = "incoming" if change.stamp > deleted_stamp else "local"
            return [
                _conflict(
                    change,
                    "deleted",
                    False,
                    changes.field_version(current, unseen[0]),
                    True,
                    winner,
                    package_id,
                )
            ]
    return []


def _conflict(
    change: Change,
    name: str,
    local_value: Any,
    local_stamp: str,
    incoming_value: Any,
    winner: str,
    package_id: str,
) -> sync_state.Conflict:
    return sync_state.Conflict(
        id=str(uuid.uuid4()),
        table=change.table,
        row_id=change.row_id,
        field=name,
        local_value=local_value,
        local_stamp=local_stamp,
        incoming_value=incoming_value,
        incoming_stamp=change.stamp,
        base_stamp=change.base.get(name),
        winner=winner,
        detected=now_text(),
        package_id=package_id,
        resolved=None,
        resolution=None,
    )


def merge_snapshot(ws: Workspace, snap: Snapshot, source: str, stats: MergeStats,
                   package_id: str = "") -> None:
    """Apply a row's state: each field takes the newer version. A field whose version
    comes with its base (a resend after a restore) is judged as a change would be: a
    different value written without knowledge of ours is a conflict (for a snapshot
    without bases, from an enrolment, nothing can be told, and none is recorded)."""
    for c in snap.as_changes():
        changes.log_change(ws, c, source)
    # the row's newest log entry: the guard triggers accept a write naming it
    seq = changes.row_seq(ws, snap.table, snap.row_id)
    current = changes.read_row(ws, snap.table, snap.row_id)
    if current is None:
        changes.write_fields(
            ws,
            snap.table,
            snap.row_id,
            seq,
            snap.fields,
            origin=snap.origin,
            created=snap.created,
            current=None,
        )
        stats.count(snap.table, "added")
        return
    if snap.bases:
        _snapshot_conflicts(ws, snap, current, package_id, stats)
    newer = {
        f: (v, s) for f, (v, s) in snap.fields.items() if s > changes.field_version(current, f)
    }
    if newer and seq > current["seq"]:
        changes.write_fields(
            ws, snap.table, snap.row_id, seq, newer, origin=snap.origin, current=current
        )
        stats.count(snap.table, "changed")
    else:
        stats.count(snap.table, "unchanged")


def _snapshot_conflicts(ws: Workspace, snap: Snapshot, current: Mapping[str, Any],
                        package_id: str, stats: MergeStats) -> None:
    """Conflicts between a resent row's versions (with bases) and ours: each field where
    the values differ and neither version was written on top of the other."""
    kind = changes.table_kind(snap.table)
    logical = changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])}
    log = sync_state.row_log(ws, snap.table, snap.row_id)
    for name, base in snap.bases.items():
        value, stamp = snap.fields[name]
        local_stamp = changes.field_version(current, name)
        if stamp == local_stamp or logical.get(name) == value:
            continue
        incoming_wins = stamp > local_stamp
        sequential = (descends(log, base, local_stamp, name) if incoming_wins
                      else descends(log, local_stamp, stamp, name))
        if sequential:
            continue
        version = Change(snap.table, snap.row_id, stamp, Stamp.parse(stamp).device, "upsert",
                         {name: value}, {name: base})
        sync_state.add_conflict(ws, _conflict(
            version, name, logical.get(name), local_stamp, value,
            "incoming" if incoming_wins else "local", package_id))
        stats.conflicts += 1


def restate_snapshot(ws: Workspace, snap: Snapshot, source: str, package_id: str,
                     stats: MergeStats) -> None:
    """Bring back the signed content of a row from the hub's snapshot (judge.Restate).

    The snapshot's versions are merged as usual; every field that still differs (this
    computer's edits made after the signing, unknown to it) takes the signed value in a
    local write stamped now, so it wins everywhere, and the value it replaces waits as a
    conflict for a person."""
    merge_snapshot(ws, snap, source, stats, package_id)
    kind = changes.table_kind(snap.table)
    current = changes.read_row(ws, snap.table, snap.row_id)
    assert current is not None
    logical = changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])}
    differ = {f: v for f, (v, _) in snap.fields.items() if logical.get(f) != v}
    if not differ:
        return
    for name, value in differ.items():
        signed = Change(snap.table, snap.row_id, snap.fields[name][1], source, "upsert",
                        {name: value}, {})
        sync_state.add_conflict(ws, _conflict(
            signed, name, logical[name], changes.field_version(current, name), value,
            "incoming", package_id))
        stats.conflicts += 1
    changes.write_local(ws, snap.table, snap.row_id, differ)
    stats.count(snap.table, "changed")


def retract_unsigned_parts(ws: Workspace, visit_ids: set[str], seen: set[tuple[str, str]],
                           source: str, package_id: str, stats: MergeStats) -> None:
    """After a full package restated signed visits: parts this computer added to them
    that the hub never had (made on the draft after the signing) are withdrawn here, a
    local deletion, and wait as conflicts for a person."""
    stamp = ws.stamp()
    for kind_name, column in rules.VISIT_PARTS.items():
        if column == "id":
            continue
        table = entities.kind(kind_name).table
        for visit_id in sorted(visit_ids):
            for row in sync_state.rows_where(ws, table, column, visit_id):
                if row["deleted"] or (table, row["id"]) in seen:
                    continue
                withdrawn = Change(table, row["id"], stamp, source, "delete",
                                   {"deleted": True}, {})
                sync_state.add_conflict(ws, _conflict(
                    withdrawn, "deleted", False, row["hlc"], True, "incoming", package_id))
                stats.conflicts += 1
                changes.write_local(ws, table, row["id"], {"deleted": True})
