"""发放花名册 use cases: draft a roster, add payments by the rules, report, confirm, adjust.

Every payment is checked against the county's standards and the child's recognition
when it is written (`payment_problems`), and again, all of them, before the county
confirms: the amount equals the standard for the child's level (or band), stage and
boarding unless an override says why; a hardship programme pays recognised children
only; the programme's stage is the child's; no programme pays one child twice in a term
(anywhere this workspace can see: the whole county at the hub). The standard a payment
was computed from is copied into it, so a later change of standard leaves a confirmed
roster as it was confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain import clock
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import acting_as
from wushan_desk.domain.term_rosters import check_term
from wushan_desk.services import aid, aid_recognition, records
from wushan_desk.services.session import user_name
from wushan_desk.store import aid_queries as q
from wushan_desk.store.workspace import Workspace

ROSTER, PAYMENT, ADJUSTMENT = "aid_roster", "aid_payment", "aid_adjustment"


class RuleBroken(ValidationError):
    """A payment the rules refuse; the message names the child and the rule."""

    code = "aid-rule"


def new_roster(ws: Workspace, school_id: str, programme_id: str, term: str) -> str:
    """A draft roster of one school, programme and term (one such roster at a time)."""
    term = check_term(term)
    programme = records.get(ws, aid.PROGRAMME, programme_id)
    if programme is None:
        raise ValidationError("找不到这个资助项目", "programme_id")
    if term[:9] != programme["school_year"]:
        raise ValidationError(f"“{programme['name']}”是 {programme['school_year']} 学年的项目，"
                              f"不能用于 {term} 学期", "term")
    with ws.transaction():
        same = [r for r in q.rosters(ws, school_id=school_id, term=term)
                if r["programme_id"] == programme_id]
        if same:
            raise ValidationError(f"这所学校 {term} 学期已有“{programme['name']}”花名册"
                                  f"（{same[0]['status']}），请在原花名册中继续。", "programme_id")
        return records.put(ws, ROSTER, {"school_id": school_id, "programme_id": programme_id,
                                        "term": term, "status": rules.DRAFT}).id


@dataclass(frozen=True)
class Expected:
    """What the standards say a payment should be (None: no standard applies)."""

    amount: float | None
    standard_id: str | None
    problems: tuple[str, ...]


def expected(ws: Workspace, roster: Mapping[str, Any], student: Mapping[str, Any],
             payment: Mapping[str, Any],
             standards: list[aid.StandardRow] | None = None) -> Expected:
    """The standard amount of `payment` for `student` in `roster`, and the rules broken
    (`standards`: the school year's, when the caller has read them already)."""
    programme = records.get(ws, aid.PROGRAMME, roster["programme_id"]) or {}
    level = aid_recognition.level_of(ws, student["id"], programme.get("school_year", ""))
    if standards is None:
        standards = aid.standards(ws, programme.get("school_year", ""))
    return _expected(programme, level, student, payment, standards)


def _expected(programme: Mapping[str, Any], level: str | None, student: Mapping[str, Any],
              payment: Mapping[str, Any], standards: list[aid.StandardRow]) -> Expected:
    """`expected` with what it reads already read (a roster's lines check at once)."""
    section = rules.SECTION_OF_GRADE.get(student.get("grade") or "", "")
    problems: list[str] = []
    if section not in rules.SECTIONS_OF_STAGE.get(programme.get("stage", ""), ()):
        problems.append(f"{student.get('grade')}不属于“{programme.get('name')}”的学段"
                        f"（{programme.get('stage')}）")
    if programme.get("hardship_only") and level is None:
        problems.append(f"“{programme.get('name')}”只发给认定的家庭经济困难学生，"
                        f"{student.get('name')}在 {programme.get('school_year')} 学年没有认定")
    fits = [s for s in standards
            if s.programme_id == programme.get("id")
            and s.section in (section, "不分学段")
            and s.boarding in (payment.get("boarding"), "不限")
            and (s.level == "不分档" or s.level == level or s.level == payment.get("band"))]
    if not fits:
        problems.append("没有适用的资助标准（学段、住校或档次不符），请核对")
        return Expected(None, None, tuple(problems))
    standard = fits[0]
    if standard.amount is None:  # the school's actual fee
        return Expected(None, standard.id, tuple(problems))
    if standard.basis == aid_rules.PER_DAY:
        if not payment.get("days"):
            problems.append("按在校日计发的项目须填写在校天数")
            return Expected(None, standard.id, tuple(problems))
        return Expected(round(standard.amount * payment["days"], 2), standard.id,
                        tuple(problems))
    return Expected(standard.payment, standard.id, tuple(problems))


GONE = "学生已不在本责任区的学籍名单上（可能已转学），请移出花名册或向县教委核实"


def payment_problems(ws: Workspace, payment: Mapping[str, Any],
                     standards: list[aid.StandardRow] | None = None) -> list[str]:
    """Every rule `payment` breaks (empty: none), in plain words."""
    roster = records.get(ws, ROSTER, payment["roster_id"]) or {}
    student = records.get(ws, "student", payment["student_id"])
    if student is None:  # moved to another centre's school, or deleted
        return [GONE]
    found = list(expected(ws, roster, student, payment, standards).problems)
    others = [o | {"status": effective(ws, o)[1]}
              for o in q.payments_of_student(ws, payment["student_id"])]
    return found + _twice(roster, student, payment, others)


def _twice(roster: Mapping[str, Any], student: Mapping[str, Any],
           payment: Mapping[str, Any], others: list[dict[str, Any]]) -> list[str]:
    """The same programme paid to the child in the same term elsewhere (`others`: the
    child's payments with their status after adjustments)."""
    found = []
    for other in others:
        if other["id"] != payment.get("id") and other["programme_id"] == roster["programme_id"] \
                and other["term"] == roster["term"] and other["status"] in rules.LIVE_PAYMENTS:
            where = ("这份花名册" if other["roster_id"] == roster["id"]
                     else f"“{other['school']}”的同一项目花名册")
            found.append(f"{student['name']}本学期已在{where}上，同一项目同一学期不能重复发放")
    return found


def roster_problems(ws: Workspace, roster: Mapping[str, Any], payments: list[dict[str, Any]],
                    standards: list[aid.StandardRow]) -> dict[str, tuple[str, ...]]:
    """`payment_problems` of every line of a roster (`payments` as aid_queries.payments
    reads them), in a few queries: a central school's roster has 2,000 lines."""
    programme = records.get(ws, aid.PROGRAMME, roster["programme_id"]) or {}
    levels = q.recognised_levels(ws, programme.get("school_year", ""))
    paid = q.payments_alongside(ws, dict(roster))
    adjustments = q.adjustments_of(ws, [o["id"] for o in paid])
    by_student: dict[str, list[dict[str, Any]]] = {}
    for other in paid:
        status = rules.after_adjustments(other, adjustments[other["id"]])[1]
        by_student.setdefault(other["student_id"], []).append(other | {"status": status})
    found: dict[str, tuple[str, ...]] = {}
    for p in payments:
        if p["name"] is None:
            found[p["id"]] = (GONE,)
            continue
        student = {"id": p["student_id"], "name": p["name"], "grade": p["grade"]}
        problems = _expected(programme, levels.get(p["student_id"]), student, p,
                             standards).problems
        found[p["id"]] = (*problems,
                          *_twice(roster, student, p, by_student.get(p["student_id"], [])))
    return found


def add_payment(ws: Workspace, roster_id: str, student_id: str, *, boarding: str,
                band: str | None = None, days: int | None = None,
                amount: float | None = None, override_reason: str | None = None,
                account_holder: str | None = None, bank_card: str | None = None) -> str:
    """One child on a draft roster. The amount defaults to the standard; another amount
    needs a reason. A rule broken raises RuleBroken naming it."""
    with ws.transaction():
        roster = _roster(ws, roster_id)
        if roster["status"] != rules.DRAFT:
            raise ValidationError(f"花名册{roster['status']}，不能再列入学生"
                                  + ("；更正请登记调整。" if roster["status"] == rules.CONFIRMED
                                     else "；需修改请先由县教委退回为草稿。"), "roster_id")
        student = records.get(ws, "student", student_id)
        if student is None:
            raise ValidationError("学籍名单上找不到这个学生", "student_id")
        payment: dict[str, Any] = {
                   "roster_id": roster_id, "student_id": student_id, "boarding": boarding,
                   "band": band, "days": days, "account_holder": account_holder,
                   "bank_card": bank_card, "status": rules.PLANNED,
                   "override_reason": override_reason}
        problems = payment_problems(ws, payment)
        if problems:
            raise RuleBroken(f"{student['name']}：" + "；".join(problems) + "。", "student_id")
        norm = expected(ws, roster, student, payment)
        if amount is None and norm.amount is None:
            raise ValidationError("这个项目按实际收费标准发放，请填写金额", "amount")
        payment |= {"standard": norm.amount,
                    "amount": norm.amount if amount is None else amount}
        return records.put(ws, PAYMENT, payment).id


def remove_payment(ws: Workspace, payment_id: str) -> None:
    """Take a child off a draft roster."""
    records.delete(ws, PAYMENT, payment_id)


def report(ws: Workspace, roster_id: str, day: dt.date) -> None:
    """报送: the draft goes to the county; no more edits until it is sent back."""
    roster = _roster(ws, roster_id)
    records.put(ws, ROSTER, roster | {"status": rules.REPORTED,
                                      "reported_on": day.isoformat()})


def send_back(ws: Workspace, roster_id: str, note: str) -> None:
    """退回修改 (the county): back to a draft, with what to correct."""
    aid.require_hub(ws)
    roster = _roster(ws, roster_id)
    records.put(ws, ROSTER, roster | {"status": rules.DRAFT, "note": note or None})


def confirm(ws: Workspace, roster_id: str, day: dt.date, by: str | None = None) -> None:
    """确认 (the county, on a reported roster): every payment checked again; the roster
    is then locked, its content carried whole to every computer."""
    aid.require_hub(ws)
    with ws.transaction():
        roster = _roster(ws, roster_id)
        programme = records.get(ws, aid.PROGRAMME, roster["programme_id"]) or {}
        standards = aid.standards(ws, programme.get("school_year", ""))
        payments = q.payments(ws, roster_id)
        found = roster_problems(ws, roster, payments, standards)
        broken = [(p, found[p["id"]]) for p in payments if found[p["id"]]]
        if broken:
            first, problems = broken[0]
            raise RuleBroken(f"还有 {len(broken)} 人不符合发放规则，不能确认。例如"
                             f"{first['name'] or rules.ELSEWHERE}：{'；'.join(problems)}。",
                             "status")
        with acting_as(rules.CONFIRMING):
            records.put(ws, ROSTER, roster | {
                "status": rules.CONFIRMED, "confirmed_on": day.isoformat(),
                "confirmed_by": by or user_name(ws)}, seal=True)


def adjust(ws: Workspace, payment_id: str, day: dt.date, kind: str, reason: str, *,
           amount: float | None = None) -> str:
    """A dated correction of a confirmed roster's payment (退回, 停发, 补发, 金额更正,
    发放完成); the roster itself never changes."""
    if day > clock.today():
        raise ValidationError(f"调整日期不能晚于今天（{day}）。", "date")
    if kind == "金额更正" and amount is None:
        raise ValidationError("金额更正须填写更正后的金额", "amount")
    return records.put(ws, ADJUSTMENT, {"payment_id": payment_id, "date": day.isoformat(),
                                        "kind": kind, "amount": amount, "reason": reason,
                                        "made_by": user_name(ws)}).id


def mark_paid(ws: Workspace, roster_id: str, day: dt.date) -> int:
    """发放完成 for every payment of a confirmed roster still 拟发放; returns how many."""
    count = 0
    with ws.transaction():
        for payment in q.payments(ws, roster_id):
            if effective(ws, payment)[1] == rules.PLANNED:
                adjust(ws, payment["id"], day, "发放完成", "银行代发完成")
                count += 1
    return count


def effective(ws: Workspace, payment: Mapping[str, Any]) -> tuple[float, str]:
    """A payment's amount and status after its adjustments, in date order."""
    return rules.after_adjustments(payment, q.adjustments(ws, payment["id"]))


def _roster(ws: Workspace, roster_id: str) -> dict[str, Any]:
    roster = records.get(ws, ROSTER, roster_id)
    if roster is None:
        raise ValidationError("找不到这份花名册（可能已被删除），请刷新后再试。", "roster_id")
    return roster



# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Line:
    """One payment as the roster shows it: the card masked, after adjustments, with the
    rules it breaks (a draft's, shown inline)."""

    id: str
    student_id: str
    name: str
    grade: str
    boarding: str
    standard: float | None
    amount: float
    override_reason: str
    card: str
    status: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class RosterView:
    roster: dict[str, Any]
    lines: list[Line]

    @property
    def total(self) -> float:
        """The amount paid or to be paid (退回 and 停发 not counted)."""
        return round(sum(line.amount for line in self.lines
                         if line.status in rules.LIVE_PAYMENTS), 2)


def view(ws: Workspace, roster_id: str) -> RosterView:
    """A roster with its lines; rule problems are looked for unless it is confirmed."""
    roster = _roster(ws, roster_id)
    check = roster["status"] != rules.CONFIRMED
    programme = records.get(ws, aid.PROGRAMME, roster["programme_id"]) or {}
    standards = aid.standards(ws, programme.get("school_year", "")) if check else []
    lines = []
    payments = q.payments(ws, roster_id)
    problems = roster_problems(ws, roster, payments, standards) if check else {}
    adjustments = q.adjustments_of(ws, [p["id"] for p in payments])
    for p in payments:
        amount, status = rules.after_adjustments(p, adjustments[p["id"]])
        grade = f"{p['grade'] or ''}{p['class_name'] or ''}"
        lines.append(Line(p["id"], p["student_id"], p["name"] or rules.ELSEWHERE, grade,
                          p["boarding"],
                          p["standard"], amount, p["override_reason"] or "",
                          rules.mask_card(p["bank_card"] or ""), status,
                          problems.get(p["id"], ())))
    return RosterView(roster, lines)


def rosters(ws: Workspace, *, school_id: str | None = None, term: str | None = None,
            status: str | None = None) -> list[dict[str, Any]]:
    """Rosters with school, programme, count of payments and planned total."""
    return q.rosters(ws, school_id=school_id, term=term, status=status)
