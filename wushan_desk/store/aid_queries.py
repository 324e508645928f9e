"""Reads of the 学生资助 recognition tables (db/0010) joined to the roster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from wushan_desk.store.changes import dict_rows, grouped_rows
from wushan_desk.store.queries import FTS_MIN_CHARS, ListSql, Where, fts_phrase, page_sql
from wushan_desk.store.workspace import Workspace

_LISTING = (
    "SELECT r.id, r.student_id, r.school_year, r.applied_on, r.groups, r.level, r.status, "
    "r.review_date, r.notice_from, r.notice_to, r.decided_on, r.recheck_of, "
    "s.name, s.grade, s.class_name, s.school_id, sc.name AS school, sc.township_id "
    "FROM aid_recognitions r JOIN students s ON s.id = r.student_id "
    "JOIN schools sc ON sc.id = s.school_id WHERE r.deleted = 0")


def recognitions(ws: Workspace, *, school_year: str | None = None,
                 school_id: str | None = None, status: str | None = None,
                 name: str | None = None, student_id: str | None = None
                 ) -> list[dict[str, Any]]:
    """Live recognitions with the student's name, grade, class and school, filtered by
    what is given (`name`: part of the student's name), by school then name."""
    sql, args = _LISTING, []
    for column, value in (("r.school_year", school_year), ("s.school_id", school_id),
                          ("r.status", status), ("r.student_id", student_id)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    if name:
        sql += " AND instr(s.name, ?) > 0"
        args.append(name)
    cur = ws.conn.execute(sql + " ORDER BY sc.name, s.name, r.applied_on, r.created_hlc",
                          args)
    return [r | {"groups": json.loads(r["groups"] or "[]")} for r in dict_rows(cur)]


def events(ws: Workspace, recognition_id: str) -> list[dict[str, Any]]:
    """A recognition's dated status events, oldest first."""
    cur = ws.conn.execute(
        "SELECT id, date, from_status, status, note, made_by FROM aid_recognition_events "
        "WHERE deleted = 0 AND recognition_id = ? ORDER BY date, created_hlc",
        (recognition_id,))
    return list(dict_rows(cur))


def members(ws: Workspace, recognition_id: str) -> list[dict[str, Any]]:
    """A recognition's live household members, in the order they were entered."""
    cur = ws.conn.execute(
        "SELECT id, name, age, relation, employer, income, health FROM aid_household_members "
        "WHERE deleted = 0 AND recognition_id = ? ORDER BY created_hlc", (recognition_id,))
    return list(dict_rows(cur))


def rosters(ws: Workspace, *, school_id: str | None = None, term: str | None = None,
            status: str | None = None) -> list[dict[str, Any]]:
    """Live payment rosters with school and programme names, their number of payments
    and planned total (before adjustments), by term, school and programme."""
    sql = ("SELECT r.*, sc.name AS school, p.name AS programme, "
           "(SELECT count(*) FROM aid_payments x WHERE x.roster_id = r.id AND x.deleted = 0) "
           "AS payments, (SELECT coalesce(sum(x.amount), 0) FROM aid_payments x "
           "WHERE x.roster_id = r.id AND x.deleted = 0) AS total "
           "FROM aid_rosters r JOIN schools sc ON sc.id = r.school_id "
           "JOIN aid_programmes p ON p.id = r.programme_id WHERE r.deleted = 0")
    args: list[Any] = []
    for column, value in (("r.school_id", school_id), ("r.term", term), ("r.status", status)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    cur = ws.conn.execute(sql + " ORDER BY r.term DESC, sc.name, p.position", args)
    return list(dict_rows(cur))


def payments(ws: Workspace, roster_id: str) -> list[dict[str, Any]]:
    """A roster's live payments with the student's name, grade and class (None for a
    child who moved to another centre's school), by class and name."""
    cur = ws.conn.execute(
        "SELECT x.*, s.name, s.grade, s.class_name FROM aid_payments x "
        "LEFT JOIN students s ON s.id = x.student_id WHERE x.deleted = 0 AND x.roster_id = ? "
        "ORDER BY s.grade, s.class_name, s.name", (roster_id,))
    return list(dict_rows(cur))


def payments_of_student(ws: Workspace, student_id: str) -> list[dict[str, Any]]:
    """A student's live payments on any roster, with its programme, term and school."""
    cur = ws.conn.execute(
        "SELECT x.id, x.roster_id, x.amount, x.status, r.programme_id, r.term, "
        "sc.name AS school FROM aid_payments x JOIN aid_rosters r ON r.id = x.roster_id "
        "JOIN schools sc ON sc.id = r.school_id "
        "WHERE x.deleted = 0 AND r.deleted = 0 AND x.student_id = ?", (student_id,))
    return list(dict_rows(cur))


def recognised_levels(ws: Workspace, school_year: str) -> dict[str, str]:
    """Per student: the level of their newest recognition in force that school year
    (as services/aid_recognition.level_of gives it, for all children at once)."""
    found: dict[str, str] = {}
    for student, level in ws.conn.execute(
            "SELECT student_id, level FROM aid_recognitions WHERE deleted = 0 "
            "AND school_year = ? AND status = '已认定' ORDER BY coalesce(decided_on, '')",
            (school_year,)):
        found[student] = level
    return found


def payments_alongside(ws: Workspace, roster: dict[str, Any]) -> list[dict[str, Any]]:
    """The live payments of the roster's programme and term, on any live roster, to the
    children this roster lists, with their roster's school (the duplicate rule, for a
    whole roster at once)."""
    cur = ws.conn.execute(
        "SELECT x.id, x.student_id, x.roster_id, x.amount, x.status, r.programme_id, "
        "r.term, sc.name AS school FROM aid_payments x "
        "JOIN aid_rosters r ON r.id = x.roster_id JOIN schools sc ON sc.id = r.school_id "
        "WHERE x.deleted = 0 AND r.deleted = 0 AND r.programme_id = ? AND r.term = ? "
        "AND x.student_id IN (SELECT student_id FROM aid_payments "
        "WHERE roster_id = ? AND deleted = 0)",
        (roster["programme_id"], roster["term"], roster["id"]))
    return list(dict_rows(cur))


def adjustments(ws: Workspace, payment_id: str) -> list[dict[str, Any]]:
    """A payment's adjustments in date order."""
    cur = ws.conn.execute(
        "SELECT id, date, kind, amount, reason, made_by FROM aid_adjustments "
        "WHERE deleted = 0 AND payment_id = ? ORDER BY date, created_hlc", (payment_id,))
    return list(dict_rows(cur))


# -- the county's payment list (发放明细): paged like the students list -----------------

_PAYMENT_SCHOOL = "(SELECT school_id FROM aid_rosters WHERE id = x.roster_id)"
PAYMENTS = ListSql(
    table="aid_payments x",
    rowid="x.rowid",
    columns="x.id, r.term, sc.name, p.name, s.name, s.grade, s.class_name, x.amount, "
            "x.status, x.bank_card, r.status, x.roster_id, x.created_hlc",
    joins="JOIN aid_rosters r ON r.id = x.roster_id JOIN schools sc ON sc.id = r.school_id "
          "JOIN aid_programmes p ON p.id = r.programme_id "
          "LEFT JOIN students s ON s.id = x.student_id",
    sort_joins={"s.": "LEFT JOIN students s ON s.id = x.student_id",
                "r.": "JOIN aid_rosters r ON r.id = x.roster_id",
                "sc.": f"JOIN schools sc ON sc.id = {_PAYMENT_SCHOOL}"},
)
#: (never NULL: a keyset comparison with NULL is NULL, and the next page would be lost;
#: a child held here no more has no student row)
_NAME = "coalesce(s.sort_key, '')"
PAYMENT_SORTS: dict[str, tuple[str, ...]] = {
    "entered": ("x.created_hlc",),  # walks an index (db/0014): the list's default
    "name": (_NAME,),
    "term": ("r.term", _NAME),
    "school": ("coalesce(sc.sort_key, '')", _NAME),
    "amount": ("x.amount",),
    "status": ("x.status", _NAME),
}


def payment_where(text: str, term: str | None, school_id: str | None,
                  zone: Sequence[str] | None = None) -> Where:
    """Conditions for the payment list: by the child's name (as the students list
    searches it), the roster's term and school, a centre's zone; tombstones never."""
    where = Where()
    where.add("x.deleted = 0")
    rosters = Where()  # conditions on the payment's roster
    if term:
        rosters.add("term = ?", term)
    if school_id:
        rosters.add("school_id = ?", school_id)
    if zone is not None:
        marks = ", ".join("?" * len(zone)) or "NULL"
        rosters.add(f"school_id IN (SELECT id FROM schools WHERE township_id IN ({marks}))",
                    *zone)
    if rosters.terms:
        where.add(f"x.roster_id IN (SELECT id FROM aid_rosters WHERE {rosters.sql})",
                  *rosters.params)
    if len(text) >= FTS_MIN_CHARS:
        where.add("x.student_id IN (SELECT id FROM students WHERE rowid IN "
                  "(SELECT rowid FROM students_fts WHERE students_fts MATCH ?))",
                  fts_phrase(text))
    elif text:
        where.add("x.student_id IN (SELECT id FROM students WHERE instr(name, ?) > 0)", text)
    return where


def payment_page(ws: Workspace, where: Where, order_by: str, descending: bool,
                 after: Sequence[Any] | None, limit: int, *, filtered: bool
                 ) -> list[tuple[Any, ...]]:
    """Rows: the 13 list columns, then the key (sort values + rowid) for the next page."""
    sql, params = page_sql(PAYMENTS, where, PAYMENT_SORTS[order_by], descending, after,
                           limit, 0, by_index=not filtered)
    return ws.conn.execute(sql, params).fetchall()


def payment_count(ws: Workspace, where: Where) -> int:
    return ws.conn.execute(f"SELECT count(*) FROM aid_payments x WHERE {where.sql}",
                           where.params).fetchone()[0]


def adjustments_of(ws: Workspace, payment_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The adjustments of some payments (a page of them), in date order, by payment."""
    marks = ", ".join("?" * len(payment_ids)) or "NULL"
    found = grouped_rows(ws.conn.execute(
        f"SELECT payment_id, kind, amount FROM aid_adjustments WHERE deleted = 0 "
        f"AND payment_id IN ({marks}) ORDER BY date, created_hlc", list(payment_ids)),
        "payment_id")
    return {i: found.get(i, []) for i in payment_ids}
