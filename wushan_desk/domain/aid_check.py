"""资助核查: the cross-checks of aid records, and the explanation a finding can be given.

Each check finds a kind of problem that the rules of a single record cannot stop: a
child paid although the dropout ledger or the enrolment record says they are not at
school, a child paid the same programme in two schools (rosters of two centres meet
only at the county), a recognised child left off the roster of a hardship programme, a
payment whose recognition was revoked or never made, a public notice shorter than five
working days, and school-day payments for more days than the term has.

A finding is named by a key made from its kind and the records involved, so that an
explanation (`aid_explanation`: a reason, who, when) keeps to the finding for as long
as the same records are involved. An explained finding is still listed, as explained.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec

NOT_AT_SCHOOL = "在校状态异常仍发放"
TWO_SCHOOLS = "两校重复发放"
RECOGNISED_UNPAID = "认定未发放"
PAID_UNRECOGNISED = "发放未认定"
SHORT_NOTICE = "公示不足五个工作日"
TOO_MANY_DAYS = "营养餐天数超过在校日"
CHECKS = (NOT_AT_SCHOOL, TWO_SCHOOLS, RECOGNISED_UNPAID, PAID_UNRECOGNISED, SHORT_NOTICE,
          TOO_MANY_DAYS)
#: What each check looks for, as the 资助核查 list explains it.
MEANING = {
    NOT_AT_SCHOOL: "学生有未结的辍学案件，或开学一个月内学籍已记为转出、休学、毕业、死亡，"
                   "花名册上仍在发放",
    TWO_SCHOOLS: "同一学生同一项目同一学期在两所学校的花名册上都有发放",
    RECOGNISED_UNPAID: "学生已认定为家庭经济困难，但本校该学期的困难资助花名册上没有他",
    PAID_UNRECOGNISED: "困难资助发给了当年没有认定（或认定已撤销、未通过）的学生",
    SHORT_NOTICE: "认定的公示期按工作日历不足五个工作日",
    TOO_MANY_DAYS: "按在校日计发的项目，填报天数超过该学期的在校日",
}
#: Enrolment changes after which a child is not at this school any more.
LEFT_SCHOOL = ("转出", "休学", "毕业", "死亡")
#: A child who left within this many days of a term's start was not at school for it.
LEAVING_GRACE_DAYS = 30
#: Term windows (month, day) for counting school days: the autumn term from 1 September
#: to 20 January, the spring term from 20 February to 5 July, working days only by the
#: county's calendar (the 寒暑假 fall outside). An upper bound, not the school's timetable.
TERM_WINDOWS = {"1": ((9, 1), (1, 20)), "2": ((2, 20), (7, 5))}


def term_window(term: str) -> tuple[dt.date, dt.date]:
    """First and last day a term's school days can fall on (`2026-2027-1`)."""
    first, second, half = term.split("-")
    (m1, d1), (m2, d2) = TERM_WINDOWS[half]
    if half == "1":
        return dt.date(int(first), m1, d1), dt.date(int(second), m2, d2)
    return dt.date(int(second), m1, d1), dt.date(int(second), m2, d2)


def finding_key(check: str, *ids: str) -> str:
    """The stable name of a finding: its check and the records involved, sorted."""
    return ":".join([check, *sorted(ids)])


def _check_explanation(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_explanation")(record, lookup)
    if record["check_kind"] not in CHECKS:
        raise ValidationError(f"没有这种核查：{record['check_kind']}", "check_kind")
    if not record["finding_key"].startswith(record["check_kind"] + ":"):
        raise ValidationError("说明与核查项不符", "finding_key")
    if not (record.get("reason") or "").strip():
        raise ValidationError("请写明原因（例如：已退回、已核实为同一人已转学）", "reason")


register(
    Kind(
        "aid_explanation",
        "aid_explanations",
        "资助核查说明",
        (
            F("student_id", "学生", "ref", required=True, ref="student"),
            F("check_kind", "核查项", "choice", required=True, choices=CHECKS),
            F("finding_key", "核查发现", required=True, max_length=400),
            F("reason", "原因", required=True, max_length=500),
            F("explained_on", "说明日期", "date", required=True),
            F("explained_by", "说明人", max_length=40),
        ),
        check=_check_explanation,
        title_field="check_kind",
    ),
)
