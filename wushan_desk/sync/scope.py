"""Which rows a device may hold: its centre's townships, plus county-wide reference data.

A centre laptop receives the students of its own townships and nothing about other
children. Reference tables (county, townships, centres, schools, devices) go everywhere:
they are needed to pick a school for a transfer and to verify the hub's packages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wushan_desk.domain import entities
from wushan_desk.store import changes, sync_state
from wushan_desk.store.workspace import Workspace

#: Tables every device holds in full (the hub's checklists, aid standards and calendar
#: included).
REFERENCE_TABLES = frozenset(
    {
        "counties",
        "townships",
        "centres",
        "centre_townships",
        "schools",
        "devices",
        "checklist_templates",
        "checklist_items",
        "aid_programmes",
        "aid_standards",
        "calendar_days",
    }
)

#: Written only at the hub: a device's package touching them is refused (a device must
#: not move townships between centres or swap another device's keys).
HUB_AUTHORED = REFERENCE_TABLES - {"schools"}

#: Tables scoped by the township of the school a row names in `school_id`.
BY_SCHOOL = frozenset({"students", "visits", "term_rosters", "aid_rosters"})

#: Tables scoped by their parent row: table -> (column holding the parent id, parent table).
PARENTS: dict[str, tuple[str, str]] = {
    "visit_answers": ("visit_id", "visits"),
    "findings": ("visit_id", "visits"),
    "visit_signatures": ("visit_id", "visits"),
    "visit_amendments": ("visit_id", "visits"),
    "finding_checks": ("finding_id", "findings"),
    "enrolment_changes": ("student_id", "students"),
    "dropout_dismissals": ("student_id", "students"),
    "dropout_statuses": ("case_id", "dropout_cases"),
    "dropout_duties": ("case_id", "dropout_cases"),
    "dropout_visits": ("case_id", "dropout_cases"),
    "aid_recognitions": ("student_id", "students"),
    "aid_household_members": ("recognition_id", "aid_recognitions"),
    "aid_recognition_events": ("recognition_id", "aid_recognitions"),
    "aid_payments": ("roster_id", "aid_rosters"),
    "aid_adjustments": ("payment_id", "aid_payments"),
    "aid_explanations": ("student_id", "students"),
}

#: Tables scoped by a parent row when they name one, else by their own rule in
#: `Scope.contains`: a roster child's dropout case goes where the child is.
OPTIONAL_PARENTS: dict[str, tuple[str, str]] = {
    "dropout_cases": ("student_id", "students"),
}

#: Fields whose change can move a row into or out of a device's scope.
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "students": ("school_id",),
    "visits": ("school_id",),
    "term_rosters": ("school_id",),
    "aid_rosters": ("school_id",),
    "staff": ("centre_id", "school_id"),
    "attachments": ("owner_kind", "owner_id"),
    "dropout_cases": ("school_id", "township_id"),
}

#: Rows that follow another row when it changes scope: (table, column holding its id).
DEPENDENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "students": (("attachments", "owner_id"), ("enrolment_changes", "student_id"),
                 ("dropout_dismissals", "student_id"), ("dropout_cases", "student_id"),
                 ("aid_recognitions", "student_id"), ("aid_explanations", "student_id")),
    "aid_rosters": (("aid_payments", "roster_id"),),
    "aid_payments": (("aid_adjustments", "payment_id"),),
    "aid_recognitions": (("aid_household_members", "recognition_id"),
                         ("aid_recognition_events", "recognition_id"),
                         ("attachments", "owner_id")),
    "dropout_cases": (("dropout_statuses", "case_id"), ("dropout_duties", "case_id"),
                      ("dropout_visits", "case_id"), ("attachments", "owner_id")),
    "staff": (("attachments", "owner_id"),),
    "visits": (
        ("visit_answers", "visit_id"),
        ("findings", "visit_id"),
        ("visit_signatures", "visit_id"),
        ("visit_amendments", "visit_id"),
        ("attachments", "owner_id"),
    ),
    "findings": (("finding_checks", "finding_id"), ("attachments", "owner_id")),
    # an answer's or a re-check's photos (owners "visit_answer", "finding_check"): they
    # go where the visit goes
    "visit_answers": (("attachments", "owner_id"),),
    "finding_checks": (("attachments", "owner_id"),),
}


@dataclass
class Scope:
    """The scope of one device; `everything` for the hub itself."""

    device_id: str
    centre_id: str | None
    township_ids: frozenset[str]
    everything: bool = False
    _school_township: dict[str, str | None] = field(default_factory=dict)

    def contains(self, ws: Workspace, table: str, row: Mapping[str, Any]) -> bool:
        """True if `row` (stored columns or logical values) of `table` is in scope."""
        if self.everything or table in REFERENCE_TABLES:
            return True
        if table in BY_SCHOOL:
            return self._school_in(ws, row.get("school_id"))
        if table in PARENTS:
            column, parent_table = PARENTS[table]
            parent = changes.read_row(ws, parent_table, row.get(column) or "")
            return parent is not None and self.contains(ws, parent_table, parent)
        if table == "staff":
            centre, school = row.get("centre_id"), row.get("school_id")
            if not centre and not school:
                return True  # county office staff: known to every centre
            return centre == self.centre_id or self._school_in(ws, school)
        if table == "attachments":
            return self._attachment_in(ws, row)
        if table in OPTIONAL_PARENTS:
            column, parent_table = OPTIONAL_PARENTS[table]
            parent = changes.read_row(ws, parent_table, row.get(column) or "")
            if parent is not None:
                return self.contains(ws, parent_table, parent)
        if table == "dropout_cases":  # no child on the roster: the school they left, else
            if row.get("school_id"):  # where they live
                return self._school_in(ws, row.get("school_id"))
            return self.township_in(row.get("township_id"))
        return False

    def forget_schools(self) -> None:
        """Drop the cached township of each school (a school just moved)."""
        self._school_township.clear()

    def township_in(self, township_id: str | None) -> bool:
        return self.everything or township_id in self.township_ids

    def _school_in(self, ws: Workspace, school_id: str | None) -> bool:
        if not school_id:
            return False
        if school_id not in self._school_township:
            school = changes.read_row(ws, "schools", school_id)
            self._school_township[school_id] = school["township_id"] if school else None
        return self._school_township[school_id] in self.township_ids

    def _attachment_in(self, ws: Workspace, row: Mapping[str, Any]) -> bool:
        owner_kind, owner_id = row.get("owner_kind"), row.get("owner_id")
        table = _table_of_kind(owner_kind)
        if table and owner_id:
            owner = changes.read_row(ws, table, owner_id)
            if owner is not None:
                return self.contains(ws, table, owner)
        return row.get("origin_device") == self.device_id


def in_zone(ws: Workspace, zone: Scope, table: str, row: Mapping[str, Any]) -> bool:
    """Is `row` inside the zone (a school: by its township; the hub-owned reference
    tables are inside no device's zone for writing)?"""
    if table == "schools":
        return zone.township_in(row.get("township_id"))
    if table in HUB_AUTHORED:
        return zone.everything
    return zone.contains(ws, table, row)


def zone_refusal(
    ws: Workspace, zone: Scope, kind: entities.Kind,
    before: Mapping[str, Any] | None, after: Mapping[str, Any],
) -> str | None:
    """Why a centre device may not make this write (None: it may): it writes only rows of
    its zone, and moves nothing into or out of it (transfers are made at the county)."""
    title = after.get(kind.title_field) or str(after.get("id", ""))[:8]
    if kind.table in HUB_AUTHORED:
        return f"{kind.label}由县教委管理，督导中心设备不能修改"
    now_in = in_zone(ws, zone, kind.table, after)
    was_in = None if before is None else in_zone(ws, zone, kind.table, before)
    if was_in is None and not now_in:
        return f"{kind.label}“{title}”不在本中心的责任区内，不能在本机新建"
    if was_in is not None and was_in != now_in:
        return (f"{kind.label}“{title}”移入或移出本中心的责任区（如转到其他督导中心的学校）"
                "须由县教委在中心库中办理")
    if was_in is False:
        return f"{kind.label}“{title}”不在本中心的责任区内，不能修改"
    return None


def _table_of_kind(kind_name: str | None) -> str | None:
    kind = entities.KINDS.get(kind_name or "")
    return kind.table if kind else None


def everything(ws: Workspace) -> Scope:
    return Scope(ws.device_id, None, frozenset(), everything=True)


def device_scope(ws: Workspace, device_id: str) -> Scope:
    """The scope of an enrolled device, from its centre's responsibility zone."""
    device = changes.read_row(ws, "devices", device_id)
    centre = device["centre_id"] if device else None
    townships = (
        frozenset(r["township_id"] for r in _live_rows(ws, "centre_townships", "centre_id", centre))
        if centre
        else frozenset()
    )
    return Scope(device_id, centre, townships)


def centre_scope(ws: Workspace, centre_id: str) -> Scope:
    """The zone of a centre (its townships): what a supervisor of it may change."""
    townships = frozenset(
        r["township_id"] for r in _live_rows(ws, "centre_townships", "centre_id", centre_id))
    return Scope(ws.device_id, centre_id, townships)


def _live_rows(ws: Workspace, table: str, column: str, value: str) -> list[dict[str, Any]]:
    return [r for r in sync_state.rows_where(ws, table, column, value) if not r["deleted"]]
