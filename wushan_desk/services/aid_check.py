"""资助核查: the cross-checks of aid records (domain/aid_check.py), each finding with the
records involved and its explanation, if it was given one.

All checks read every payment of the workspace at once (a county holds about 100,000):
a few queries, then dictionaries, never a read per payment. At a centre the checks see
its own zone; at the hub, the whole county (a child paid in two centres' schools).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_check as rules
from wushan_desk.domain import aid_recognition as recognition_rules
from wushan_desk.domain import aid_roster as roster_rules
from wushan_desk.domain import clock
from wushan_desk.domain import dropout as dropout_rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.term_rosters import term_label, term_of
from wushan_desk.services import aid, records
from wushan_desk.services.session import user_name
from wushan_desk.store import aid_check_queries as qc
from wushan_desk.store import aid_queries
from wushan_desk.store.workspace import Workspace

EXPLANATION = "aid_explanation"


@dataclass(frozen=True)
class Finding:
    """One problem a cross-check found, in plain words, with the records involved."""

    check: str
    key: str
    student_id: str
    student: str
    school: str
    period: str  # the term (`2026-2027-1`) or school year it concerns
    detail: str
    records: tuple[tuple[str, str], ...]  # (kind, id)
    explanation: Mapping[str, Any] | None = None

    @property
    def explained(self) -> bool:
        return self.explanation is not None

    def as_dict(self) -> dict[str, Any]:
        """As `aid check --json` prints it."""
        explained = None if self.explanation is None else {
            k: self.explanation[k] for k in ("reason", "explained_on", "explained_by")}
        return {"kind": self.check, "key": self.key, "detail": self.detail,
                "student": {"id": self.student_id, "name": self.student},
                "school": self.school, "period": self.period,
                "records": [{"kind": k, "id": i} for k, i in self.records],
                "explained": explained}


def findings(ws: Workspace, *, school_year: str | None = None,
             today: dt.date | None = None) -> list[Finding]:
    """Every finding of every check, in the order of `rules.CHECKS`, then by school and
    student; those with an explanation carry it."""
    today = today or clock.today()  # the county's day, whatever the laptop's zone
    paid = _live_payments(ws, school_year)
    recognitions = aid_queries.recognitions(ws, school_year=school_year)
    calendar = aid.exceptions(ws)
    found = [*_not_at_school(ws, paid, today), *_two_schools(paid),
             *_recognised_unpaid(ws, paid, recognitions, school_year, today),
             *_paid_unrecognised(paid, recognitions), *_short_notices(recognitions, calendar),
             *_too_many_days(paid, calendar)]
    explained = qc.explanations(ws)
    order = {check: n for n, check in enumerate(rules.CHECKS)}
    found.sort(key=lambda f: (order[f.check], f.school, f.student, f.period))
    return [Finding(**{**f.__dict__, "explanation": explained.get(f.key)}) for f in found]


def explain(ws: Workspace, key: str, reason: str, day: dt.date, *,
            by: str | None = None, finding: Finding | None = None) -> str:
    """Mark a finding as explained, with the reason (explained again: the newest reason
    is shown). `finding`: the one a list shows (the checks are not run again for it).
    Returns the explanation's id."""
    if finding is None or finding.key != key:
        finding = next((f for f in findings(ws, today=day) if f.key == key), None)
    if finding is None:
        raise ValidationError("找不到这条核查发现：可能已经改正或记录已变，请重新核查后再说明。",
                              "key")
    return records.put(ws, EXPLANATION, {
        "student_id": finding.student_id, "check_kind": finding.check, "finding_key": key,
        "reason": (reason or "").strip(), "explained_on": day.isoformat(),
        "explained_by": by or user_name(ws)}).id


def with_explanation(ws: Workspace, finding: Finding) -> Finding:
    """The finding with its newest explanation, as stored now."""
    return Finding(**{**finding.__dict__,
                      "explanation": qc.explanations(ws).get(finding.key)})


def counts(found: list[Finding]) -> dict[str, tuple[int, int]]:
    """Per check: (findings still open, findings explained)."""
    tally = {check: [0, 0] for check in rules.CHECKS}
    for f in found:
        tally[f.check][1 if f.explained else 0] += 1
    return {check: (open_, done) for check, (open_, done) in tally.items()}


# -- the checks -----------------------------------------------------------------------


def _live_payments(ws: Workspace, school_year: str | None) -> list[dict[str, Any]]:
    """Payments paid or to be paid after their adjustments, with the amount in force."""
    adjustments = qc.adjustments(ws)
    live = []
    for p in qc.payments(ws, school_year):
        amount, status = roster_rules.after_adjustments(p, adjustments.get(p["id"], ()))
        if status in roster_rules.LIVE_PAYMENTS:
            live.append(p | {"amount": amount, "status": status,
                             "name": p["name"] or roster_rules.ELSEWHERE})
    return live


def _where(p: Mapping[str, Any]) -> str:
    return f"{p['school']}{term_label(p['term'])}“{p['programme']}”"


def _finding(check: str, ids: list[tuple[str, str]], p: Mapping[str, Any], period: str,
             detail: str) -> Finding:
    return Finding(check, rules.finding_key(check, *(i for _, i in ids)), p["student_id"],
                   p["name"], p["school"], period, detail, tuple(ids))


def _not_at_school(ws: Workspace, paid: list[dict[str, Any]], today: dt.date
                   ) -> list[Finding]:
    """Paid although an open dropout case, or the enrolment record, says the child is
    not at school in that term."""
    cases = qc.open_cases(ws, dropout_rules.OPEN_STATUSES)
    enrolment = qc.enrolment_changes(ws)
    found = []
    for p in paid:
        case = cases.get(p["student_id"])
        if case and term_of(dt.date.fromisoformat(case["opened_on"])) <= p["term"]:
            opened = f"{case['status']}，{case['opened_on']}立案"
            found.append(_finding(rules.NOT_AT_SCHOOL, [("aid_payment", p["id"]),
                                                        ("dropout_case", case["id"])],
                                  p, p["term"], f"{p['name']}有未结的辍学案件（{opened}），"
                                  f"{_where(p)}仍发放 {p['amount']:g} 元"))
            continue
        left = _left_school(enrolment.get(p["student_id"], ()), p["term"], today)
        if left is not None:
            found.append(_finding(rules.NOT_AT_SCHOOL, [("aid_payment", p["id"]),
                                                        ("enrolment_change", left["id"])],
                                  p, p["term"], f"{p['name']}学籍已于 {left['date']} 记为"
                                  f"{left['change']}，{_where(p)}仍发放 {p['amount']:g} 元"))
    return found


def _left_school(changes: Any, term: str, today: dt.date) -> dict[str, Any] | None:
    """The enrolment change that left the child out of school within the term's first
    month (or by today, if sooner), if it did: one who left later was at school for
    part of the term (a graduate in June, for the spring term)."""
    day = min(rules.term_window(term)[0] + dt.timedelta(days=rules.LEAVING_GRACE_DAYS),
              today)
    dated = sorted((c for c in changes if c["date"] <= day.isoformat()),
                   key=lambda c: (c["date"], c["order"]))
    if dated and dated[-1]["change"] in rules.LEFT_SCHOOL:
        return dated[-1]
    return None


def _two_schools(paid: list[dict[str, Any]]) -> list[Finding]:
    """The same programme paid to one child in one term by two schools' rosters."""
    together: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in paid:
        together[(p["student_id"], p["programme_id"], p["term"])].append(p)
    found = []
    for group in together.values():
        schools = list(dict.fromkeys(p["school"] for p in group))
        if len(schools) < 2:
            continue
        first, total = group[0], sum(p["amount"] for p in group)
        found.append(_finding(rules.TWO_SCHOOLS, [("aid_payment", p["id"]) for p in group],
                              first, first["term"],
                              f"{first['name']}{term_label(first['term'])}“{first['programme']}”"
                              f"在{'、'.join(schools)}都有发放，共 {len(group)} 笔 {total:g} 元"))
    return found


def _recognised_unpaid(ws: Workspace, paid: list[dict[str, Any]],
                       recognitions: list[dict[str, Any]], school_year: str | None,
                       today: dt.date) -> list[Finding]:
    """Recognised this school year, yet left off a hardship roster of their school and
    stage (earlier years are not checked: the workspace knows the child's school and
    grade of today only)."""
    rosters: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for roster in qc.hardship_rosters(ws, school_year):
        rosters[(roster["school_id"], roster["school_year"])].append(roster)
    on_roster = {(p["student_id"], p["programme_id"], p["term"]) for p in paid}
    found = []
    current = aid_rules.school_year_of(today)
    for rec in recognitions:  # this year's: a child's school and grade are today's
        if rec["status"] != recognition_rules.RECOGNISED or rec["school_year"] != current:
            continue
        section = roster_rules.SECTION_OF_GRADE.get(rec["grade"] or "", "")
        for roster in rosters.get((rec["school_id"], rec["school_year"]), ()):
            if section not in roster_rules.SECTIONS_OF_STAGE.get(roster["stage"], ()) \
                    or (rec["student_id"], roster["programme_id"], roster["term"]) in on_roster:
                continue
            found.append(Finding(
                rules.RECOGNISED_UNPAID,
                rules.finding_key(rules.RECOGNISED_UNPAID, rec["id"], roster["id"]),
                rec["student_id"], rec["name"], rec["school"], roster["term"],
                f"{rec['name']}已认定为{rec['level'] or '困难'}，{roster['school']}"
                f"{term_label(roster['term'])}“{roster['programme']}”花名册上却没有这名学生",
                (("aid_recognition", rec["id"]), ("aid_roster", roster["id"]))))
    return found


def _paid_unrecognised(paid: list[dict[str, Any]], recognitions: list[dict[str, Any]]
                       ) -> list[Finding]:
    """A hardship programme paid to a child with no recognition in force that year."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in recognitions:
        key = (rec["student_id"], rec["school_year"])
        if key not in newest or rec["status"] == recognition_rules.RECOGNISED:
            newest[key] = rec
    found = []
    for p in paid:
        if not p["hardship_only"] or p["grade"] is None:
            continue  # (a child held here no more: their recognition left with them)
        held = newest.get((p["student_id"], p["school_year"]))
        if held is not None and held["status"] == recognition_rules.RECOGNISED:
            continue
        why = "没有认定" if held is None else f"的认定是“{held['status']}”"
        ids = [("aid_payment", p["id"])] + ([("aid_recognition", held["id"])] if held else [])
        found.append(_finding(rules.PAID_UNRECOGNISED, ids, p, p["term"],
                              f"{p['name']}在 {p['school_year']} 学年{why}，"
                              f"{_where(p)}却发放 {p['amount']:g} 元"))
    return found


def _short_notices(recognitions: list[dict[str, Any]], calendar: Mapping[str, str]
                   ) -> list[Finding]:
    """A public notice shorter than five working days by the county's calendar."""
    found = []
    for rec in recognitions:
        if not (rec["notice_from"] and rec["notice_to"]):
            continue
        days = aid_rules.working_days(dt.date.fromisoformat(rec["notice_from"]),
                                      dt.date.fromisoformat(rec["notice_to"]), calendar)
        if days >= aid_rules.NOTICE_WORKING_DAYS:
            continue
        found.append(Finding(
            rules.SHORT_NOTICE, rules.finding_key(rules.SHORT_NOTICE, rec["id"]),
            rec["student_id"], rec["name"], rec["school"], rec["school_year"],
            f"{rec['name']}的公示期 {rec['notice_from']} 至 {rec['notice_to']} 只有 {days} 个"
            f"工作日（至少 {aid_rules.NOTICE_WORKING_DAYS} 个），认定现为“{rec['status']}”",
            (("aid_recognition", rec["id"]),)))
    return found


def _too_many_days(paid: list[dict[str, Any]], calendar: Mapping[str, str]
                   ) -> list[Finding]:
    """School-day payments for more days than the term has working days."""
    school_days: dict[str, int] = {}
    found = []
    for p in paid:
        if not p["days"]:
            continue
        if p["term"] not in school_days:
            school_days[p["term"]] = aid_rules.working_days(*rules.term_window(p["term"]),
                                                            calendar)
        most = school_days[p["term"]]
        if p["days"] > most:
            first, last = rules.term_window(p["term"])
            found.append(_finding(rules.TOO_MANY_DAYS, [("aid_payment", p["id"])], p, p["term"],
                                  f"{p['name']}{_where(p)}填报 {p['days']} 天，该学期在校日最多 "
                                  f"{most} 天（{first}至{last}的工作日）"))
    return found
