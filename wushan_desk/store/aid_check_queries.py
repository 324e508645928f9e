"""Reads for the 资助核查 cross-checks: every live payment at once, with what the checks
compare it to, in a few queries (a county holds about 100,000 payments)."""

from __future__ import annotations

from typing import Any

from wushan_desk.store.changes import dict_rows, grouped_rows
from wushan_desk.store.workspace import Workspace


def payments(ws: Workspace, school_year: str | None = None) -> list[dict[str, Any]]:
    """Live payments on live rosters, with the roster's term and school, the programme
    and the student's name and grade (None: a child held no more), by term and school."""
    sql = ("SELECT x.id, x.student_id, x.roster_id, x.days, x.amount, x.status, "
           "r.term, r.school_id, sc.name AS school, r.programme_id, p.name AS programme, "
           "p.hardship_only, p.school_year, s.name, s.grade "
           "FROM aid_payments x JOIN aid_rosters r ON r.id = x.roster_id "
           "JOIN schools sc ON sc.id = r.school_id "
           "JOIN aid_programmes p ON p.id = r.programme_id "
           "LEFT JOIN students s ON s.id = x.student_id "
           "WHERE x.deleted = 0 AND r.deleted = 0")
    args: list[Any] = []
    if school_year is not None:
        sql += " AND p.school_year = ?"
        args.append(school_year)
    return list(dict_rows(ws.conn.execute(sql + " ORDER BY r.term, sc.name, s.name", args)))


def adjustments(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every payment's adjustments in date order, by payment."""
    return grouped_rows(ws.conn.execute(
        "SELECT payment_id, kind, amount FROM aid_adjustments WHERE deleted = 0 "
        "ORDER BY date, created_hlc"), "payment_id")


def hardship_rosters(ws: Workspace, school_year: str | None = None) -> list[dict[str, Any]]:
    """Live rosters of programmes only for recognised children, with their programme's
    stage and school year."""
    sql = ("SELECT r.id, r.school_id, sc.name AS school, r.term, r.programme_id, "
           "p.name AS programme, p.stage, p.school_year FROM aid_rosters r "
           "JOIN aid_programmes p ON p.id = r.programme_id "
           "JOIN schools sc ON sc.id = r.school_id "
           "WHERE r.deleted = 0 AND p.hardship_only = 1")
    args: list[Any] = []
    if school_year is not None:
        sql += " AND p.school_year = ?"
        args.append(school_year)
    return list(dict_rows(ws.conn.execute(sql, args)))


def open_cases(ws: Workspace, statuses: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per student: their newest dropout case in one of `statuses` (id, status, opened)."""
    marks = ",".join("?" * len(statuses))
    found: dict[str, dict[str, Any]] = {}
    for row in dict_rows(ws.conn.execute(
            "SELECT id, student_id, status, opened_on FROM dropout_cases WHERE deleted = 0 "
            f"AND student_id IS NOT NULL AND status IN ({marks}) ORDER BY opened_on",
            statuses)):
        found[row["student_id"]] = row
    return found


def enrolment_changes(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every student's live enrolment changes, by student."""
    return grouped_rows(ws.conn.execute(
        "SELECT id, student_id, date, change, created_hlc AS 'order' "
        "FROM enrolment_changes WHERE deleted = 0"), "student_id")


def explanations(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The newest live explanation of each finding, by finding key."""
    return {row["finding_key"]: row for row in dict_rows(ws.conn.execute(
        "SELECT id, finding_key, check_kind, student_id, reason, explained_on, explained_by "
        "FROM aid_explanations WHERE deleted = 0 ORDER BY explained_on, created_hlc"))}
