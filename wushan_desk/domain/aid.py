"""学生资助: programmes, their standards, and the working-day calendar, as data.

The county sets, per school year, which programmes exist (两免一补 living subsidy,
营养改善计划, 国家助学金, 免学费 ...) and what each pays (by 学段, hardship level or band,
boarding or not). It edits and publishes them at the hub; devices receive them. Amounts
are written as the standards are published: yuan per year (paid once a year or half each
term, by the programme's basis) or yuan per school day.

The calendar holds the exceptions to "Monday to Friday": public holidays (放假) and the
weekend days that are working days (调休上班). A public notice must last at least five
working days (教财〔2018〕16号); `working_days` counts them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from wushan_desk.domain import codes
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec

STAGES = ("学前教育", "义务教育", "普通高中", "中职", "高等教育")
#: How a programme pays its standard: once a year, half each term, per school day.
PER_YEAR, PER_TERM, PER_DAY = "按学年", "按学期", "按在校日"
BASES = (PER_YEAR, PER_TERM, PER_DAY)
SECTIONS = ("不分学段", "学前", "小学", "初中", "高中", "中职", "高校")
#: Family hardship levels (recognition) and grant bands (分档) a standard can depend on.
HARDSHIP_LEVELS = ("特别困难", "困难", "一般困难")
LEVELS = ("不分档", *HARDSHIP_LEVELS, "一档", "二档", "三档", "省内", "省外")
BOARDING = ("不限", "住校", "走读")
DAY_KINDS = ("放假", "调休上班")
CALENDAR_SOURCES = ("国务院办公厅放假安排", "县教委录入")
#: The shortest public notice of a hardship recognition, in working days.
NOTICE_WORKING_DAYS = 5

_SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{4})")


def check_school_year(text: str) -> str:
    """`2026-2027` or a clear message."""
    match = _SCHOOL_YEAR.fullmatch((text or "").strip())
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationError(f"学年应写成“2026-2027”：{text}", "school_year")
    return match.group(0)


def school_year_of(day: dt.date) -> str:
    """The school year a day falls in (from 1 August)."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def per_payment(amount: float, basis: str) -> float:
    """What one payment is worth: a year's standard halved for a term's payment."""
    return round(amount / 2, 2) if basis == PER_TERM else amount


#: How an amount paid at the school's actual fee (免学费, 免保教费) is written and shown.
ACTUAL_FEE = "按实收"


def parse_amount(text: str) -> float | None:
    """A standard's amount as typed: yuan, or 按实收 (None: the actual fee)."""
    text = (text or "").strip()
    if text == ACTUAL_FEE:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"金额应为数字（元），如 1250 或 2.5；按实际收费标准的写"
                              f"“{ACTUAL_FEE}”：{text}", "amount") from None


def amount_text(value: float | None) -> str:
    """An amount as the lists show it: 1,250 or 2.5, or 按实际收费标准."""
    return "按实际收费标准" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _check_programme(record: dict[str, Any], lookup: Lookup) -> None:
    record["school_year"] = check_school_year(record["school_year"])
    from wushan_desk.domain.inspection import stored_before

    stored = stored_before(lookup, "aid_programme", record)
    if stored and stored.get("school_year") != record["school_year"]:  # its rosters' year
        raise ValidationError("资助项目的学年不能修改：花名册和认定按学年使用它；请在新学年"
                              "新增项目（或载入默认标准）。", "school_year")


def _check_standard(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_standard")(record, lookup)
    programme = lookup("aid_programme", record["programme_id"])
    if programme and record.get("amount") is not None and programme.get("basis") == PER_DAY \
            and record["amount"] > 100:
        raise ValidationError("按在校日计发的标准是每天的金额，超过 100 元不合理，请核对",
                              "amount")


def _check_day(record: dict[str, Any], lookup: Lookup) -> None:
    day = dt.date.fromisoformat(record["date"])
    weekend = day.weekday() >= 5
    if record["kind"] == "调休上班" and not weekend:
        raise ValidationError(f"{day}是工作日，不需要登记为调休上班", "kind")


# --------------------------------------------------------------------- working days


def is_working_day(day: dt.date, exceptions: Mapping[str, str]) -> bool:
    """Monday to Friday unless a holiday; a weekend day only when made a working day.
    `exceptions`: ISO date -> 放假 or 调休上班."""
    kind = exceptions.get(day.isoformat())
    if kind is not None:
        return kind == "调休上班"
    return day.weekday() < 5


def working_days(start: dt.date, end: dt.date, exceptions: Mapping[str, str]) -> int:
    """Working days from `start` to `end`, both included (0 if end is before start)."""
    days = (end - start).days + 1
    return sum(is_working_day(start + dt.timedelta(n), exceptions) for n in range(max(0, days)))


def add_working_days(start: dt.date, count: int, exceptions: Mapping[str, str]) -> dt.date:
    """The last day of a period of `count` working days beginning on `start` (a notice
    from `start` must last until at least this day)."""
    day, left = start, count
    while True:
        if is_working_day(day, exceptions):
            left -= 1
            if left <= 0:
                return day
        day += dt.timedelta(days=1)


register(
    Kind(
        "aid_programme",
        "aid_programmes",
        "资助项目",
        (
            F("school_year", "学年", required=True, max_length=9),
            F("name", "项目名称", required=True, max_length=60),
            F("stage", "学段", "choice", required=True, choices=STAGES),
            F("basis", "计发方式", "choice", required=True, choices=BASES),
            F("hardship_only", "仅限认定的困难学生", "bool"),
            F("groups", "优先或限定的特殊群体", "list", choices=codes.SPECIAL_GROUPS),
            F("position", "顺序", "int"),
            F("note", "政策依据与说明", max_length=500),
        ),
        check=_check_programme,
    ),
    Kind(
        "aid_standard",
        "aid_standards",
        "资助标准",
        (
            F("programme_id", "资助项目", "ref", required=True, ref="aid_programme"),
            F("section", "适用学段", "choice", required=True, choices=SECTIONS),
            F("level", "困难等级或档次", "choice", required=True, choices=LEVELS),
            F("boarding", "住校", "choice", required=True, choices=BOARDING),
            # empty: paid at the school's actual fee (免学费, 免保教费)
            F("amount", "标准（元）", "number"),
            F("note", "说明", max_length=200),
        ),
        check=_check_standard,
        title_field="level",
    ),
    Kind(
        "calendar_day",
        "calendar_days",
        "节假日安排",
        (
            F("date", "日期", "date", required=True),
            F("kind", "类别", "choice", required=True, choices=DAY_KINDS),
            F("name", "节日", max_length=40),
            F("source", "来源", "choice", required=True, choices=CALENDAR_SOURCES),
        ),
        check=_check_day,
        title_field="date",
    ),
)
