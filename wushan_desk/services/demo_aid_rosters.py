"""Demo 发放花名册: the payment rosters of the demo's three school years.

Every term begun by the demo's "today" has, for each school, a roster of 两免一补
(boarders the full amount, day pupils half) and, in high schools, of 国家助学金 (the
band following the level) for the children recognised that year; the last two terms
also have the nutrition programme for every compulsory pupil (school days by the
county's calendar). Past terms are confirmed and paid; this term's rosters are in
every state. About 100,000 payments at scale 1.

A few problems are planted for the 资助核查 cross-checks (services/aid_check.py): two
children paid although their dropout case is open, two paid by two schools in one
term, two recognised children left off their school's roster, two paid although not
recognised, two paid for more school days than the term has. (Two notices of four
working days come from demo_aid.)
Deterministic: the given random generator, id maker and the demo's fixed "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stdnum import luhn

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_check
from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain.aid_recognition import RECOGNISED
from wushan_desk.services.aid import StandardRow
from wushan_desk.services.demo_aid import YEARS
from wushan_desk.services.demo_inspections import DEMO_TODAY

KINDS = ("aid_roster", "aid_payment")
LIVING = "家庭经济困难学生生活补助（两免一补）"
GRANT = "普通高中国家助学金"
MEALS = "农村义务教育学生营养改善计划"
BAND_OF_LEVEL = {"特别困难": "一档", "困难": "二档", "一般困难": "三档"}
PLANTED = 2  # of each kind of problem
#: How this term's rosters stand (share of them); past terms are all confirmed and paid.
NOW = ((rules.CONFIRMED, 50), (rules.REPORTED, 30), (rules.DRAFT, 20))


def terms() -> list[str]:
    """The terms of the demo's school years begun by its "today", oldest first."""
    found = [f"{year}-{half}" for year in YEARS for half in ("1", "2")]
    return [t for t in found if aid_check.term_window(t)[0] <= DEMO_TODAY]


class Rosters:
    """Builds the rosters and payments (`build`), records by kind."""

    def __init__(self, rng: random.Random, new_id: Callable[[], str],
                 students: Sequence[Mapping[str, Any]], boarding_schools: set[str],
                 standards: Mapping[str, list[StandardRow]], calendar: Mapping[str, str],
                 recognitions: Sequence[Mapping[str, Any]], not_at_school: set[str]) -> None:
        self.rng, self.new_id, self.calendar = rng, new_id, calendar
        self.standards = standards
        self.by_school: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for s in students:
            self.by_school[s["school_id"]].append(s)
        self.boarding = {s["id"]: ("住校" if s["school_id"] in boarding_schools
                                   and rng.random() < 0.6 else "走读") for s in students}
        self.level: dict[tuple[str, str], str] = {
            (r["student_id"], r["school_year"]): r["level"] for r in recognitions
            if r["status"] == RECOGNISED}
        self.not_at_school = not_at_school
        self.out: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
        self.planted: dict[str, int] = defaultdict(int)
        self.cards: dict[str, str] = {}

    def build(self) -> dict[str, list[dict[str, Any]]]:
        begun = terms()
        for term in begun:
            current = term == begun[-1]
            year = term[:9]
            for school_id, pupils in sorted(self.by_school.items()):
                self._hardship(school_id, pupils, year, term, current)
                if term in begun[-2:]:
                    self._meals(school_id, pupils, year, term, current)
        return self.out

    # -- one roster ----------------------------------------------------------------------

    def _roster(self, school_id: str, programme: str, year: str, term: str,
                current: bool) -> dict[str, Any]:
        status = self._pick(NOW) if current else rules.CONFIRMED
        start = aid_check.term_window(term)[0]
        roster = {"id": self.new_id(), "school_id": school_id,
                  "programme_id": self._standard(year, programme)[0].programme_id,
                  "term": term, "status": status, "note": None,
                  "reported_on": None if status == rules.DRAFT
                  else (start + dt.timedelta(days=40)).isoformat(),
                  "confirmed_on": (start + dt.timedelta(days=50)).isoformat()
                  if status == rules.CONFIRMED else None,
                  "confirmed_by": "县学生资助管理中心" if status == rules.CONFIRMED else None}
        self.out["aid_roster"].append(roster)
        return roster

    def _pay(self, roster: Mapping[str, Any], student: Mapping[str, Any], amount: float,
             *, band: str | None = None, days: int | None = None) -> None:
        paid = roster["status"] == rules.CONFIRMED and roster["term"] != terms()[-1]
        self.out["aid_payment"].append({
            "id": self.new_id(), "roster_id": roster["id"], "student_id": student["id"],
            "boarding": self.boarding[student["id"]], "band": band, "days": days,
            "standard": amount, "amount": amount, "override_reason": None,
            "account_holder": student.get("guardian_name") or student["name"],
            "bank_card": self._card(student["id"]), "status": rules.PAID if paid else rules.PLANNED,
            "paid_on": (dt.date.fromisoformat(roster["confirmed_on"])
                        + dt.timedelta(days=10)).isoformat() if paid else None})

    # -- programmes ----------------------------------------------------------------------

    def _hardship(self, school_id: str, pupils: list[Mapping[str, Any]], year: str,
                  term: str, current: bool) -> None:
        for programme, sections in ((LIVING, ("小学", "初中")), (GRANT, ("高中",))):
            chosen = [p for p in pupils if (p["id"], year) in self.level
                      and rules.SECTION_OF_GRADE.get(p["grade"]) in sections]
            if not chosen:
                continue
            roster = self._roster(school_id, programme, year, term, current)
            for pupil in chosen:
                if current and programme == LIVING and self._plant("unpaid"):
                    continue  # 认定未发放
                band = BAND_OF_LEVEL[self.level[(pupil["id"], year)]] \
                    if programme == GRANT else None
                self._pay(roster, pupil, self._amount(year, programme, pupil, band), band=band)
            if current and programme == LIVING and self.planted["unrecognised"] < PLANTED:
                stranger = next((p for p in pupils if (p["id"], year) not in self.level
                                 and rules.SECTION_OF_GRADE.get(p["grade"]) in sections), None)
                if stranger is not None and self._plant("unrecognised"):  # 发放未认定
                    self._pay(roster, stranger, self._amount(year, programme, stranger, None))
            if term == terms()[-2] and programme == LIVING and self.planted["twice"] < PLANTED:
                self._twice(roster, chosen[0], year)

    def _twice(self, roster: Mapping[str, Any], pupil: Mapping[str, Any], year: str) -> None:
        """两校重复发放: the child also on another school's roster of that term."""
        other = next((r for r in reversed(self.out["aid_roster"])
                      if r["term"] == roster["term"] and r["programme_id"] == roster["programme_id"]
                      and r["school_id"] != roster["school_id"]), None)
        if other is not None and self._plant("twice", 1.0):
            self._pay(other, pupil, self._amount(year, LIVING, pupil, None))

    def _meals(self, school_id: str, pupils: list[Mapping[str, Any]], year: str, term: str,
               current: bool) -> None:
        chosen = [p for p in pupils if rules.SECTION_OF_GRADE.get(p["grade"]) in ("小学", "初中")]
        if not chosen:
            return
        most = aid_rules.working_days(*aid_check.term_window(term), self.calendar)
        (standard,) = self._standard(year, MEALS)
        roster = self._roster(school_id, MEALS, year, term, current)
        for pupil in chosen:
            if pupil["id"] in self.not_at_school and not (current and self._plant("absent", 1.0)):
                continue  # the school left out a child not at school (two planted: 在校状态异常)
            days = most - self.rng.randint(0, 8)
            if current and self._plant("days"):
                days = most + 6  # 营养餐天数超过在校日
            self._pay(roster, pupil, round((standard.amount or 0) * days, 2), days=days)

    # -- helpers -------------------------------------------------------------------------

    def _plant(self, problem: str, chance: float = 0.2) -> bool:
        """Plant one more of `problem` (now and then, at most PLANTED of each)?"""
        if self.planted[problem] >= PLANTED or self.rng.random() > chance:
            return False
        self.planted[problem] += 1
        return True

    def _standard(self, year: str, programme: str) -> list[StandardRow]:
        return [s for s in self.standards[year] if s.programme == programme]

    def _amount(self, year: str, programme: str, pupil: Mapping[str, Any],
                band: str | None) -> float:
        section = rules.SECTION_OF_GRADE[pupil["grade"]]
        for s in self._standard(year, programme):
            if s.section in (section, "不分学段") and s.boarding in (
                    self.boarding[pupil["id"]], "不限") and s.level in ("不分档", band):
                return s.payment or 0.0
        raise LookupError(f"no standard of {programme} for {section}")

    def _card(self, student_id: str) -> str:
        """The family's card (one per child, whatever the programme or term)."""
        if student_id not in self.cards:
            body = "621700" + "".join(str(self.rng.randint(0, 9)) for _ in range(12))
            self.cards[student_id] = body + luhn.calc_check_digit(body)
        return self.cards[student_id]

    def _pick(self, weighted: Sequence[tuple[str, int]]) -> str:
        return self.rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]
