"""Reads of the 学生资助 recognition tables (db/0010) joined to the roster."""

from __future__ import annotations

import json
from typing import Any

from wushan_desk.store.changes import dict_rows
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
