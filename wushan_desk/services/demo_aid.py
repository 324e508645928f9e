"""Demo 家庭经济困难认定: about one student in ten, over three school years.

Each year's recognitions run the usual steps (申请 in September, 民主评议, a notice of
five working days by the State Council's calendar, 认定 after it); the demo's current
year also has applications still under review, notices still running (some ending in
the next days, for 首页's reminder), a few refused and a re-check. Two recognitions were
decided after a notice of only four working days: planted for the cross-check.
Deterministic: the given random generator, id maker and the demo's fixed "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.services.demo_inspections import DEMO_TODAY

YEARS = ("2024-2025", "2025-2026", "2026-2027")
SHARE = 0.10  # of the students, recognised in a year
LEVELS = (("特别困难", 20), ("困难", 45), ("一般困难", 35))
FAMILY_GROUPS = ("脱贫家庭", "监测户", "低保", "特困供养", "孤儿", "事实无人抚养", "残疾")
SITUATIONS = ("父亲因病丧失劳动能力，母亲务农，收入微薄。", "单亲家庭，母亲在外务工，收入不稳定。",
              "家中有重病患者，医疗支出大。", "祖父母抚养，依靠低保生活。",
              "多子女家庭，父母务农，遭受洪灾后收入锐减。")
EMPLOYERS = ("务农", "在外务工（浙江）", "县城打零工", "无业", "在家照顾老人")
#: How the current year's recognitions stand on the demo's "today" (share of them).
NOW = ((rules.RECOGNISED, 70), (rules.NOTICE, 10), (rules.REVIEWED, 8), (rules.APPLIED, 7),
       (rules.REJECTED, 5))
KINDS = ("aid_recognition", "aid_household_member", "aid_recognition_event")


def recognitions(rng: random.Random, new_id: Callable[[], str],
                 students: Sequence[Mapping[str, Any]],
                 calendar: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Records by kind: recognitions with members and events, for a sample of students
    (`calendar`: ISO date -> 放假 or 调休上班, as services/aid.exceptions gives it)."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    chosen = rng.sample(list(students), round(len(students) * SHARE))
    planted = 0
    for year in YEARS:
        current = year == YEARS[-1]
        for number, student in enumerate(chosen):
            if rng.random() < 0.15:  # not every family applies every year
                continue
            end = _pick(rng, NOW) if current else rules.RECOGNISED
            short = current and end == rules.RECOGNISED and planted < 2 and number % 50 == 7
            planted += short
            _one(rng, new_id, student, year, end, calendar, out, short_notice=short)
    return out


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _one(rng: random.Random, new_id: Callable[[], str], student: Mapping[str, Any],
         year: str, end: str, calendar: Mapping[str, str], out: dict[str, list[dict[str, Any]]],
         *, short_notice: bool = False) -> None:
    start = dt.date(int(year[:4]), 9, 1)
    applied = start + dt.timedelta(days=rng.randint(3, 20))
    reviewed = applied + dt.timedelta(days=rng.randint(5, 15))
    notice_from = reviewed + dt.timedelta(days=rng.randint(1, 5))
    if end == rules.NOTICE:  # running now: ending in the next days, or just ended
        notice_from = DEMO_TODAY - dt.timedelta(days=rng.randint(0, 6))
        reviewed = notice_from - dt.timedelta(days=rng.randint(2, 7))
        applied = reviewed - dt.timedelta(days=rng.randint(5, 10))
    days = aid_rules.NOTICE_WORKING_DAYS - short_notice
    notice_to = aid_rules.add_working_days(notice_from, days, calendar)
    decided = notice_to + dt.timedelta(days=rng.randint(1, 4))
    rec_id = new_id()
    chosen = {g for g in student.get("special_groups") or () if g in rules.GROUPS} \
        or {rng.choice(FAMILY_GROUPS)}
    groups = [g for g in rules.GROUPS if g in chosen]  # stored form: the choices' order
    steps: list[tuple[dt.date, str | None, str, str]] = [
        (applied, None, rules.APPLIED, "受理申请")]
    if end != rules.APPLIED:
        steps.append((reviewed, rules.APPLIED, rules.REVIEWED, "经民主评议，家庭经济困难情况属实"))
    if end in (rules.NOTICE, rules.RECOGNISED):
        steps.append((notice_from, rules.REVIEWED, rules.NOTICE,
                      f"公示 {notice_from} 至 {notice_to}"))
    if end == rules.RECOGNISED:
        steps.append((decided, rules.NOTICE, rules.RECOGNISED, ""))
    if end == rules.REJECTED:
        steps.append((reviewed + dt.timedelta(days=3), rules.REVIEWED, rules.REJECTED,
                      "家庭人均收入高于当地标准"))
    shown = {s for _, _, s, _ in steps}
    household = rng.randint(3, 6)
    out["aid_recognition"].append({
        "id": rec_id, "student_id": student["id"], "school_year": year,
        "applied_on": applied.isoformat(), "groups": groups,
        "level": _pick(rng, LEVELS) if rules.REVIEWED in shown else None,
        "household_size": household,
        "household_income": float(rng.randrange(6000, 36000, 500)),
        "situation": rng.choice(SITUATIONS),
        "review_date": reviewed.isoformat() if rules.REVIEWED in shown else None,
        "review_result": "经民主评议，家庭经济困难情况属实" if rules.REVIEWED in shown else None,
        "notice_from": notice_from.isoformat() if rules.NOTICE in shown else None,
        "notice_to": notice_to.isoformat() if rules.NOTICE in shown else None,
        "notice_place": "校务公开栏" if rules.NOTICE in shown else None,
        "decided_on": steps[-1][0].isoformat() if end in rules.DECIDED else None,
        "status": end, "recheck_of": None, "note": None})
    for day, before, status, note in steps:
        out["aid_recognition_event"].append({
            "id": new_id(), "recognition_id": rec_id, "date": day.isoformat(),
            "from_status": before, "status": status, "note": note or None,
            "made_by": "学校资助专干"})
    for relation in ("父亲", "母亲", "祖母")[:min(3, household - 1)]:
        out["aid_household_member"].append({
            "id": new_id(), "recognition_id": rec_id,
            "name": student["name"][0] + ("某某" if relation == "父亲" else "某"),
            "age": rng.randint(36, 50) if relation != "祖母" else rng.randint(62, 80),
            "relation": relation, "employer": rng.choice(EMPLOYERS),
            "income": float(rng.randrange(0, 24000, 1000)),
            "health": rng.choice(("健康", "健康", "慢性病", "残疾"))})
