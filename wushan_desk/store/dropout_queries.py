"""Reads of the 控辍保学 tables (db/0006): cases, their status events and visits."""

from __future__ import annotations

import json
from typing import Any

from wushan_desk.store.changes import dict_rows
from wushan_desk.store.workspace import Workspace


def status_events(ws: Workspace, case_id: str | None = None) -> list[dict[str, Any]]:
    """Live status events (of one case, or all), in date order then creation order."""
    sql = ("SELECT id, case_id, date, from_status, status, placement, note, made_by, "
           "created_hlc FROM dropout_statuses WHERE deleted = 0")
    args: tuple[Any, ...] = ()
    if case_id is not None:
        sql += " AND case_id = ?"
        args = (case_id,)
    return list(dict_rows(ws.conn.execute(sql + " ORDER BY date, created_hlc", args)))


def cases(ws: Workspace) -> list[dict[str, Any]]:
    """Live cases, oldest first, with the township they count in: the current school's
    of a child on the roster (a transfer or a school moving takes the case along), else
    the school's they left, else the one where they live (`township_id` here)."""
    cur = ws.conn.execute(
        "SELECT c.*, COALESCE(ss.township_id, cs.township_id, c.township_id) AS here, "
        "t.name AS township_name FROM dropout_cases c "
        "LEFT JOIN students st ON st.id = c.student_id AND st.deleted = 0 "
        "LEFT JOIN schools ss ON ss.id = st.school_id "
        "LEFT JOIN schools cs ON cs.id = c.school_id "
        "LEFT JOIN townships t ON t.id = COALESCE(ss.township_id, cs.township_id, "
        "c.township_id) WHERE c.deleted = 0 ORDER BY c.opened_on, c.created_hlc")
    return [r | {"township_id": r.pop("here"), "reasons": json.loads(r["reasons"] or "[]"),
                 "groups": json.loads(r["groups"] or "[]")} for r in dict_rows(cur)]


def same_child(ws: Workspace, *, student_id: str | None, resident_id: str | None,
               name: str | None, birth_date: str | None) -> list[dict[str, Any]]:
    """Live cases that may be about the same child: same student, same ID number, or
    same name and birth date."""
    cur = ws.conn.execute(
        "SELECT id, name, birth_date, status, township_id, student_id FROM dropout_cases "
        "WHERE deleted = 0 AND ((? IS NOT NULL AND student_id = ?) "
        "OR (? IS NOT NULL AND resident_id = ?) OR (name = ? AND birth_date = ?))",
        (student_id, student_id, resident_id, resident_id, name, birth_date))
    return list(dict_rows(cur))


def roster_matches(ws: Workspace, *, resident_id: str | None, name: str | None,
                   birth_date: str | None) -> list[dict[str, Any]]:
    """Live students with the same ID number, or the same name and birth date, with
    their school (the roster entries a new case may be about)."""
    cur = ws.conn.execute(
        "SELECT s.id, s.name, s.sex, s.birth_date, s.resident_id, s.grade, "
        "sc.name AS school FROM students s JOIN schools sc ON sc.id = s.school_id "
        "WHERE s.deleted = 0 AND ((? IS NOT NULL AND s.resident_id = ?) "
        "OR (s.name = ? AND s.birth_date = ?)) LIMIT 20",
        (resident_id, resident_id, name, birth_date))
    return list(dict_rows(cur))


def last_visits(ws: Workspace, as_of: str | None = None) -> dict[str, tuple[str, str | None]]:
    """Per case: its newest persuasion visit on or before `as_of` (all: None) and that
    visit's next due date; two on one day: the later recorded."""
    cur = ws.conn.execute(
        "SELECT case_id, date, next_due FROM dropout_visits WHERE deleted = 0 "
        "AND (? IS NULL OR date <= ?) ORDER BY case_id, date, created_hlc", (as_of, as_of))
    return {r[0]: (r[1], r[2]) for r in cur}  # the last row of each case wins


def visits_between(ws: Workspace, first: str, last: str) -> dict[str, int]:
    """Per case: how many live persuasion visits are dated from `first` to `last`."""
    return {r[0]: r[1] for r in ws.conn.execute(
        "SELECT case_id, count(*) FROM dropout_visits WHERE deleted = 0 "
        "AND date BETWEEN ? AND ? GROUP BY case_id", (first, last))}


def townships(ws: Workspace) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in ws.conn.execute(
        "SELECT id, name FROM townships WHERE deleted = 0 ORDER BY name")]


def enrolment_changes(ws: Workspace) -> list[dict[str, Any]]:
    """Every live enrolment change, by student then date (the candidate rules read them)."""
    return list(dict_rows(ws.conn.execute(
        "SELECT id, student_id, date, change, other_school, until, created_hlc AS 'order' "
        "FROM enrolment_changes WHERE deleted = 0 ORDER BY student_id, date, created_hlc")))


def dismissed(ws: Workspace) -> set[tuple[str, str, str]]:
    """(student, rule, event) of every dismissed candidate."""
    return {(r[0], r[1], r[2]) for r in ws.conn.execute(
        "SELECT student_id, rule, event_id FROM dropout_dismissals WHERE deleted = 0")}


def students_with_open_cases(ws: Workspace) -> set[str]:
    return {r[0] for r in ws.conn.execute(
        "SELECT student_id FROM dropout_cases WHERE deleted = 0 AND student_id IS NOT NULL "
        "AND status <> '已销号'")}


def latest_case_opened(ws: Workspace) -> dict[str, str]:
    """Per student: when their newest case was opened (a flag older than that was
    already dealt with by the case, even once it is closed)."""
    return {r[0]: r[1] for r in ws.conn.execute(
        "SELECT student_id, max(opened_on) FROM dropout_cases WHERE deleted = 0 "
        "AND student_id IS NOT NULL GROUP BY student_id")}


def student_facts(ws: Workspace, student_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Name, school and township of some students (for the candidates list)."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(student_ids), 500):
        chunk = student_ids[start:start + 500]
        cur = ws.conn.execute(
            "SELECT s.id, s.name, s.grade, sc.name AS school, t.name AS township, "
            "sc.township_id FROM students s JOIN schools sc ON sc.id = s.school_id "
            "LEFT JOIN townships t ON t.id = sc.township_id "
            f"WHERE s.id IN ({', '.join('?' * len(chunk))})", chunk)
        out |= {r["id"]: r for r in dict_rows(cur)}
    return out


def open_cases_by_child(ws: Workspace) -> list[dict[str, Any]]:
    """Open (not 已销号) live cases with what identifies the child and who opened them."""
    return list(dict_rows(ws.conn.execute(
        "SELECT c.id, c.name, c.birth_date, c.resident_id, c.student_id, c.status, "
        "c.opened_on, c.origin_device, t.name AS township FROM dropout_cases c "
        "LEFT JOIN townships t ON t.id = c.township_id "
        "WHERE c.deleted = 0 AND c.status <> '已销号' ORDER BY c.opened_on")))
