"""学期名册存档: archive each school's roster for a term, or import the 学籍系统's.

The candidate rule 名册缺失 (services/dropout.candidates) compares a school's latest
roster of an earlier term with this term's: per school, the roster kept for it this
term, else its live students. Archiving is done once a term (at the start of
each term, after the roster is up to date); an import replaces nothing: a school's
roster of a term, once kept, is history (a second one for the same term is refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wushan_desk.domain import ids
from wushan_desk.domain import term_rosters as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services import permissions, records
from wushan_desk.store import term_roster_queries as q
from wushan_desk.store.workspace import Workspace

ROSTER = replace(xlsx.ROSTER, what="学籍系统名册", max_columns=60)
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
    other_zone: int = 0  # schools outside a supervisor's zone, left to their centres
    unmatched: list[str] = field(default_factory=list)  # rows found on no roster here


def kept(ws: Workspace, term: str | None = None) -> list[dict[str, Any]]:
    """Live archived rosters (of one term, or all), student ids as lists."""
    return q.kept(ws, term)


def live_by_school(ws: Workspace) -> dict[str, list[str]]:
    """The students on the roster now, by school (school id -> student ids)."""
    return q.live_by_school(ws)


def archive(ws: Workspace, day: dt.date, term: str | None = None) -> RosterResult:
    """Keep every school's live roster as its roster of `term` (default: the term of
    `day`), one record per school; schools already kept for the term are skipped."""
    term = rules.check_term(term) if term else rules.term_of(day)
    return _keep(ws, term, day, "本机名单存档", live_by_school(ws), [])


def _keep(ws: Workspace, term: str, day: dt.date, source: str,
          by_school: dict[str, list[str]], unmatched: list[str], *,
          dry_run: bool = False) -> RosterResult:
    if dry_run:
        return ws.rolled_back(lambda: _keep(ws, term, day, source, by_school, unmatched))
    done = {r["school_id"] for r in kept(ws, term)}
    schools = {s["id"]: s for s in records.iter_records(ws, "school")}
    mine = permissions.writable_townships(ws)
    result = RosterResult(term, unmatched=unmatched)
    with ws.transaction():
        for school_id, students in sorted(by_school.items()):
            township = (schools.get(school_id) or {}).get("township_id")
            if mine is not None and township not in mine:
                result.other_zone += 1  # a supervisor keeps the rosters of the own zone
                continue
            if school_id in done:
                result.skipped_schools.append((schools.get(school_id) or {}).get(
                    "name", school_id))
                continue
            records.put(ws, "term_roster", {"school_id": school_id, "term": term,
                                            "date": day.isoformat(), "source": source,
                                            "student_ids": students})
            result.schools += 1
            result.students += len(students)
    return result


def import_roster(ws: Workspace, path: Path, term: str, day: dt.date, *,
                  dry_run: bool = False) -> RosterResult:
    """Keep the rosters of a 学籍系统 export (one sheet of 学校, 姓名, 学籍号 and/or
    身份证号) for `term`. Each row is matched to a student here by 学籍号, else by
    ID number; rows that match nobody are listed, not kept (this app's roster does not
    have them). A school name that is not known refuses the whole file."""
    term = rules.check_term(term)
    sheets = xlsx.read_sheets(path, ROSTER, accept=lambda rows: _header(rows) is not None)
    rows = sheets[-1] if sheets else []
    header = _header(rows)
    if header is None:
        raise ValidationError(f"{path.name} 里没有找到名册的表头：需要“学校、姓名”和“学籍号”"
                              "或“身份证号”列。", "file")
    start, at = header
    schools: dict[str, str | None] = {}
    for known in records.iter_records(ws, "school"):  # a name two schools share: unknown
        schools[known["name"]] = None if known["name"] in schools else known["id"]
    by_number, by_id = q.student_keys(ws)
    by_school: dict[str, list[str]] = {}
    unmatched: list[str] = []
    errors: list[str] = []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        value = {f: str(row[i]).strip() if i < len(row) and row[i] is not None else ""
                 for f, i in at.items()}
        if not any(value.values()):
            continue
        name = value.get("school", "")
        school = schools.get(name)
        if school is None:
            errors.append(f"第 {number} 行：" + (f"有两所学校都叫“{name}”，无法确定是哪一所"
                                                 if name in schools else
                                                 f"没有名为“{name}”的学校"))
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
    return _keep(ws, term, day, "学籍系统导入", by_school, unmatched, dry_run=dry_run)


def _header(rows: xlsx.Rows) -> tuple[int, dict[str, int]] | None:
    return xlsx.find_header(rows, COLUMNS, lambda found: {"school", "name"} <= found and bool(
        found & {"student_number", "resident_id"}))


def _id_key(text: str) -> str:
    try:
        return ids.parse_resident_id(text).number if text else ""
    except ValidationError:
        return text
