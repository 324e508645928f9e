"""学期名册存档: which students each school had in a term, and the rule it feeds.

Terms are written `2026-2027-1` (autumn, 第一学期, from August to January) and
`2026-2027-2` (spring, from February to July). A school's roster of a term is archived
from the workspace's roster or imported from the 学籍系统; a child on last term's roster
and on no roster this term, with no enrolment event since, is a candidate (名册缺失).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import UUID_RE, FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec
MISSING_FROM_ROSTER = "名册缺失"
SOURCES = ("本机名单存档", "学籍系统导入")
_TERM = re.compile(r"(\d{4})-(\d{4})-([12])")


def term_of(day: dt.date) -> str:
    """The term a day falls in: autumn from August to January, spring from February."""
    if day.month >= 8:
        return f"{day.year}-{day.year + 1}-1"
    if day.month == 1:
        return f"{day.year - 1}-{day.year}-1"
    return f"{day.year - 1}-{day.year}-2"


def recent_terms(day: dt.date, years: int = 3) -> list[str]:
    """The terms of the last `years` school years begun by `day`, newest first (the
    term lists of the aid tabs)."""
    now = term_of(day)
    first = int(now[:4])
    found = [f"{y}-{y + 1}-{half}" for y in range(first, first - years, -1)
             for half in ("2", "1")]
    return [t for t in found if t <= now]


def check_term(text: str) -> str:
    """`2026-2027-1` or a clear message."""
    match = _TERM.fullmatch((text or "").strip())
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationError(f"学期应写成“2026-2027-1”（第一学期）或“2026-2027-2”（第二学期）："
                              f"{text}", "term")
    return match.group(0)


def term_label(term: str) -> str:
    first, second, half = term.split("-")
    return f"{first}-{second}学年第{'一' if half == '1' else '二'}学期"


def missing(previous: Mapping[str, Any], held: set[str], present: set[str],
            changed_since: Mapping[str, str]) -> list[str]:
    """Students on the `previous` roster, still held here (`held`: a child deleted from
    the roster or gone to another zone is not this workspace's to find), on no roster
    now (`present`), with no enrolment event dated on or after that roster was taken."""
    taken = previous["date"]
    return [student for student in previous["student_ids"] if student in held
            and student not in present and changed_since.get(student, "") < taken]


def latest_before(rosters: Iterable[Mapping[str, Any]], term: str
                  ) -> dict[str, Mapping[str, Any]]:
    """Per school, its newest roster of a term before `term`."""
    out: dict[str, Mapping[str, Any]] = {}
    for roster in rosters:
        if roster["term"] < term and (roster["school_id"] not in out
                                      or roster["term"] > out[roster["school_id"]]["term"]):
            out[roster["school_id"]] = roster
    return out


def _check_roster(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("term_roster")(record, lookup)
    record["term"] = check_term(record["term"])
    if not all(UUID_RE.fullmatch(s) for s in record.get("student_ids") or []):
        raise ValidationError("名册中的学生编号格式不对", "student_ids")


register(
    Kind(
        "term_roster",
        "term_rosters",
        "学期名册存档",
        (
            F("school_id", "学校", "ref", required=True, ref="school"),
            F("term", "学期", required=True, max_length=11),
            F("date", "存档日期", "date", required=True),
            F("source", "来源", "choice", required=True, choices=SOURCES),
            # not a reference: a roster is history and names children later deleted,
            # or held only in another centre's zone
            F("student_ids", "学生", "list"),
            F("note", "说明", max_length=500),
        ),
        check=_check_roster,
        title_field="term",
    ),
)
