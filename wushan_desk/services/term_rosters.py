"""学期名册存档: archive each school's roster for a term, or import the 学籍系统's.

The candidate rule 名册缺失 (services/dropout.candidates) compares a school's latest
roster of an earlier term with this term's: the union of this term's archived rosters
when any exists, else the live roster. Archiving is done once a term (at the start of
each term, after the roster is up to date); an import replaces nothing: a school's
roster of a term, once kept, is history (a second one for the same term is refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wushan_desk.domain import ids
from wushan_desk.domain import term_rosters as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services import records
from wushan_desk.store.changes import dict_rows
from wushan_desk.store.workspace import Workspace

ROSTER = xlsx.Limits(what="学籍系统名册", max_rows=100_000, max_columns=60,
                     max_cells=2_000_000)
#: field -> the column names that mean it in a 学籍系统 export
COLUMNS: dict[str, tuple[str, ...]] = {
    "school": ("学校", "学校名称", "就读学校"),
    "name": ("姓名", "学生姓名"),
    "student_number": ("学籍号", "全国学籍号", "学籍辅号"),
    "resident_id": ("身份证号", "身份证件号", "公民身份号码", "身份证号码"),
}


@dataclass
class RosterResult:
    """What an archive or an import kept (or, dry run, would keep)."""

    term: str
    schools: int = 0
    students: int = 0
    skipped_schools: list[str] = field(default_factory=list)  # already kept for the term
    unmatched: list[str] = field(default_factory=list)  # rows found on no roster here


def kept(ws: Workspace, term: str | None = None) -> list[dict[str, Any]]:
    """Live archived rosters (of one term, or all), with their student ids as lists."""
    import json

    sql = ("SELECT id, school_id, term, date, source, student_ids FROM term_rosters "
           "WHERE deleted = 0")
    rows = dict_rows(ws.conn.execute(sql + (" AND term = ?" if term else ""),
                                     (term,) if term else ()))
    return [r | {"student_ids": json.loads(r["student_ids"] or "[]")} for r in rows]


def archive(ws: Workspace, day: dt.date, term: str | None = None) -> RosterResult:
    """Keep every school's live roster as its roster of `term` (default: the term of
    `day`), one record per school; schools already kept for the term are skipped."""
    term = rules.check_term(term) if term else rules.term_of(day)
    by_school: dict[str, list[str]] = {}
    for student_id, school_id in ws.conn.execute(
            "SELECT id, school_id FROM students WHERE deleted = 0 ORDER BY school_id, id"):
        by_school.setdefault(school_id, []).append(student_id)
    return _keep(ws, term, day, "本机名单存档", by_school, [])


def _keep(ws: Workspace, term: str, day: dt.date, source: str,
          by_school: dict[str, list[str]], unmatched: list[str], *,
          dry_run: bool = False) -> RosterResult:
    done = {r["school_id"] for r in kept(ws, term)}
    names = {s["id"]: s["name"] for s in records.iter_records(ws, "school")}
    result = RosterResult(term, unmatched=unmatched)
    with ws.transaction():
        for school_id, students in sorted(by_school.items()):
            if school_id in done:
                result.skipped_schools.append(names.get(school_id, school_id))
                continue
            records.put(ws, "term_roster", {"school_id": school_id, "term": term,
                                            "date": day.isoformat(), "source": source,
                                            "student_ids": students})
            result.schools += 1
            result.students += len(students)
        if dry_run:  # leaving the transaction by an exception rolls it back
            raise _DryRun(result)
    return result


class _DryRun(Exception):
    def __init__(self, result: RosterResult) -> None:
        super().__init__("dry run")
        self.result = result


def import_roster(ws: Workspace, path: Path, term: str, day: dt.date, *,
                  dry_run: bool = False) -> RosterResult:
    """Keep the rosters of a 学籍系统 export (one sheet of 学校, 姓名, 学籍号 and/or
    身份证号) for `term`. Each row is matched to a student here by 学籍号, else by
    ID number; rows that match nobody are listed, not kept (this app's roster does not
    have them). A school name that is not known refuses the whole file."""
    term = rules.check_term(term)
    sheets = xlsx.read_sheets(path, ROSTER, accept=lambda rows: _header(rows) is not None)
    rows = sheets[-1] if sheets else []
    start = _header(rows)
    if start is None:
        raise ValidationError(f"{path.name} 里没有找到名册的表头：需要“学校、姓名”和“学籍号”"
                              "或“身份证号”列。", "file")
    at = {f: i for i, cell in enumerate(rows[start]) for f, names in COLUMNS.items()
          if str(cell or "").strip() in names}
    schools = {s["name"]: s["id"] for s in records.iter_records(ws, "school")}
    by_number, by_id = _student_keys(ws)
    by_school: dict[str, list[str]] = {}
    unmatched, errors = [], []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        value = {f: str(row[i]).strip() if i < len(row) and row[i] is not None else ""
                 for f, i in at.items()}
        if not any(value.values()):
            continue
        school = schools.get(value.get("school", ""))
        if school is None:
            errors.append(f"第 {number} 行：没有名为“{value.get('school', '')}”的学校")
            continue
        student = by_number.get(value.get("student_number", "")) or by_id.get(
            _id_key(value.get("resident_id", "")))
        if student is None:
            unmatched.append(f"第 {number} 行 {value.get('name', '')}（{value['school']}）")
            continue
        if student not in by_school.setdefault(school, []):
            by_school[school].append(student)
    if errors:
        raise ValidationError("名册没有导入（全部正确才导入）：\n" + "\n".join(errors[:20]),
                              "file")
    try:
        return _keep(ws, term, day, "学籍系统导入", by_school, unmatched, dry_run=dry_run)
    except _DryRun as done:
        return done.result


def _header(rows: list[list[Any]]) -> int | None:
    for n, row in enumerate(rows[:20]):
        cells = {str(c or "").strip() for c in row}
        if cells & set(COLUMNS["school"]) and cells & set(COLUMNS["name"]) and (
                cells & set(COLUMNS["student_number"]) or cells & set(COLUMNS["resident_id"])):
            return n
    return None


def _student_keys(ws: Workspace) -> tuple[dict[str, str], dict[str, str]]:
    by_number, by_id = {}, {}
    for sid, number, rid in ws.conn.execute(
            "SELECT id, student_number, resident_id FROM students WHERE deleted = 0"):
        if number:
            by_number[number] = sid
        if rid:
            by_id[rid] = sid
    return by_number, by_id


def _id_key(text: str) -> str:
    try:
        return ids.parse_resident_id(text).number if text else ""
    except ValidationError:
        return text
