"""Reads for the term rosters (db/0007) and the students they are matched against."""

from __future__ import annotations

import json
from typing import Any

from wushan_desk.store.changes import dict_rows
from wushan_desk.store.workspace import Workspace


def kept(ws: Workspace, term: str | None = None) -> list[dict[str, Any]]:
    """Live archived rosters (of one term, or all), student ids as lists, in a stable
    order (term, school, then the oldest first: two kept for one school and term by two
    computers before they synced are read the same way everywhere)."""
    sql = ("SELECT id, school_id, term, date, source, student_ids FROM term_rosters "
           "WHERE deleted = 0" + (" AND term = ?" if term else "")
           + " ORDER BY term, school_id, created_hlc")
    rows = dict_rows(ws.conn.execute(sql, (term,) if term else ()))
    return [r | {"student_ids": json.loads(r["student_ids"] or "[]")} for r in rows]


def live_by_school(ws: Workspace) -> dict[str, list[str]]:
    """The live students of each school (school id -> student ids)."""
    out: dict[str, list[str]] = {}
    for student_id, school_id in ws.conn.execute(
            "SELECT id, school_id FROM students WHERE deleted = 0 ORDER BY school_id, id"):
        out.setdefault(school_id, []).append(student_id)
    return out


def student_keys(ws: Workspace) -> tuple[dict[str, str], dict[str, str]]:
    """Live students by 学籍号 and by ID number (to match a 学籍系统 export)."""
    by_number, by_id = {}, {}
    for sid, number, rid in ws.conn.execute(
            "SELECT id, student_number, resident_id FROM students WHERE deleted = 0"):
        if number:
            by_number[number] = sid
        if rid:
            by_id[rid] = sid
    return by_number, by_id
