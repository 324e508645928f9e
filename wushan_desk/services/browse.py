"""Browse use cases: the students and schools lists, their filters and counts.

The lists show sensitive fields masked (ui-guide: ID first 6 + last 4, phone first 3 +
last 4); the full values are only in the detail form. Search text is normalised the way
IDs are typed (full-width digits from a Chinese IME, stray blanks) before it is matched.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import codes, entities, ids
from wushan_desk.domain.errors import UserError
from wushan_desk.store import queries, sync_state
from wushan_desk.store.workspace import Workspace

PAGE_SIZE = 200

#: A row's position in its list: the sort values and rowid (opaque to callers).
Key = tuple[Any, ...]


def normalize_search(text: str) -> str:
    """NFKC (full-width -> ASCII) with every blank removed: '５００ 237' -> '500237'."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass(frozen=True)
class StudentQuery:
    text: str = ""
    township_id: str | None = None
    school_id: str | None = None
    grade: str | None = None
    order_by: str = "name"  # a key of queries.STUDENT_SORTS
    descending: bool = False
    zone: tuple[str, ...] | None = None  # a centre device's townships (working_zone)


@dataclass(frozen=True)
class StudentRow:
    id: str
    name: str
    sex: str
    birth_date: str
    resident_id: str  # masked
    student_number: str  # masked: a G number embeds the whole ID number
    school: str
    grade: str
    class_name: str
    guardian_name: str
    guardian_phone: str  # masked
    special_groups: tuple[str, ...]
    key: Key


@dataclass(frozen=True)
class SchoolQuery:
    text: str = ""
    township_id: str | None = None
    order_by: str = "name"  # a key of queries.SCHOOL_SORTS
    descending: bool = False


@dataclass(frozen=True)
class SchoolRow:
    id: str
    name: str
    type: str
    township: str
    head: str
    phone: str
    boarding: bool
    students: int
    key: Key


def mask_student_number(number: str | None) -> str:
    """Letter + first 6 + last 4 of the 18 after it, like the ID mask it contains."""
    if not number:
        return ""
    return number[0] + ids.mask_resident_id(number[1:]) if len(number) > 1 else "*"


def mask_field(kind_name: str, field: str, text: str) -> str:
    """A value as lists and printed summaries show it: sensitive fields masked
    (ui-guide: ID first 6 + last 4, phone first 3 + last 4, addresses cut)."""
    if field == "deleted" or not text:
        return text
    if field == "student_number":
        return mask_student_number(text)
    if not entities.kind(kind_name).field(field).sensitive:
        return text
    if field == "resident_id":
        return ids.mask_resident_id(text)
    if "phone" in field:
        return ids.mask_phone(text)
    if field == "bank_card":
        from wushan_desk.domain.aid_roster import mask_card

        return mask_card(text)
    return text[:2] + "……"  # an address: enough to recognise, not to read


def _student_where(q: StudentQuery) -> queries.Where:
    return queries.student_where(
        normalize_search(q.text), q.township_id, q.school_id, q.grade, q.zone)


def working_zone(ws: Workspace) -> tuple[str, ...] | None:
    """The townships a centre device works on; None (everything) for the hub and demo."""
    centre = ws.state("centre_id")
    if ws.state("role") != "centre" or not centre:
        return None
    rows = sync_state.rows_where(ws, "centre_townships", "centre_id", centre)
    return tuple(sorted(r["township_id"] for r in rows if not r["deleted"]))


def count_students(ws: Workspace, q: StudentQuery) -> int:
    return queries.student_count(ws.conn, _student_where(q))


def fetch_students(
    ws: Workspace, q: StudentQuery, offset: int = 0, limit: int = PAGE_SIZE,
    *, after: Key | None = None,
) -> list[StudentRow]:
    """One page of the students list: after the row whose key is `after`, or at `offset`."""
    # A selective filter makes walking the sort index wasteful (see queries.page_sql).
    filtered = bool(normalize_search(q.text) or q.township_id or q.school_id or q.zone)
    rows = queries.student_page(ws.conn, _student_where(q), q.order_by, q.descending,
                                after, limit, offset, filtered=filtered)
    return [_student_row(r) for r in rows]


def _student_row(r: Sequence[Any]) -> StudentRow:
    return StudentRow(
        id=r[0], name=r[1], sex=r[2], birth_date=r[3],
        resident_id=ids.mask_resident_id(r[4]) if r[4] else "",
        student_number=mask_student_number(r[5]),
        school=r[6] or "", grade=r[7], class_name=r[8] or "", guardian_name=r[9] or "",
        guardian_phone=ids.mask_phone(r[10]) if r[10] else "",
        special_groups=tuple(json.loads(r[11] or "[]")),
        key=tuple(r[12:]),
    )


def count_schools(ws: Workspace, q: SchoolQuery) -> int:
    return queries.school_count(ws.conn, queries.school_where(normalize_search(q.text),
                                                               q.township_id))


def fetch_schools(
    ws: Workspace, q: SchoolQuery, offset: int = 0, limit: int = PAGE_SIZE,
    *, after: Key | None = None,
) -> list[SchoolRow]:
    where = queries.school_where(normalize_search(q.text), q.township_id)
    rows = queries.school_page(ws.conn, where, q.order_by, q.descending, after, limit, offset)
    return [
        SchoolRow(id=r[0], name=r[1], type=r[2], township=r[3] or "", head=r[4] or "",
                  phone=r[5] or "", boarding=bool(r[6]),  # a school's office number is public
                  students=r[7], key=tuple(r[8:]))
        for r in rows
    ]


@dataclass(frozen=True)
class Choice:
    """An entry of a filter or form combo box."""

    id: str
    name: str


def townships(ws: Workspace) -> list[Choice]:
    return [Choice(i, n) for i, n in queries.townships(ws.conn)]


def schools_in(ws: Workspace, township_id: str | None = None) -> list[Choice]:
    """Live schools (of one township, or all), in pinyin order of their names."""
    return [Choice(i, n) for i, n, _ in queries.schools_in(ws.conn, township_id)]


def zone_schools(ws: Workspace) -> list[Choice]:
    """The schools this workspace works on (a centre's zone; everything at the hub), by
    township then name: a page's school filter."""
    zone = working_zone(ws)
    return [school for township in townships(ws) if zone is None or township.id in zone
            for school in schools_in(ws, township.id)]


def school_id_named(ws: Workspace, name: str) -> str:
    """The id of the live school called `name` (a command line names schools so);
    UserError naming the schools whose names contain it when none is called so."""
    schools = schools_in(ws)
    for choice in schools:
        if choice.name == name.strip():
            return choice.id
    similar = "、".join(c.name for c in schools if name.strip() and name.strip() in c.name)
    raise UserError(f"没有名为“{name}”的学校" + (f"；名称相近的有：{similar[:200]}" if similar
                                                 else "；请核对学校全称"), "no-school")


def grades_for(ws: Workspace, school_id: str | None) -> tuple[str, ...]:
    """The grades a school teaches (all grades when no school or an unknown type)."""
    kind = queries.school_type(ws.conn, school_id) if school_id else None
    return codes.GRADES_BY_SCHOOL_TYPE.get(kind or "", codes.ALL_GRADES)


def township_of_school(ws: Workspace, school_id: str) -> str | None:
    """The township a school is in, to preset a form's township filter."""
    return queries.school_township(ws.conn, school_id)


#: Kinds small enough to offer in full in a form's drop-down list.
CHOOSABLE = ("county", "township", "centre", "school", "device", "checklist_template")


def ref_choices(ws: Workspace, kind_name: str) -> list[Choice]:
    """Every live record of a small kind as (id, title), for a reference field's list."""
    if kind_name not in CHOOSABLE:
        raise ValueError(f"{kind_name} is too large to list in a drop-down")
    kind = entities.kind(kind_name)
    return [Choice(i, t) for i, t in queries.titles(ws.conn, kind.table, kind.title_field)]


def counts(ws: Workspace) -> dict[str, int]:
    """Live townships, schools, students and staff, for the home page."""
    return queries.live_counts(ws.conn)
