"""Demo 控辍保学 ledger: about one case per 1,000 students over two school years.

Cases run through the usual paths (疑似辍学 → 辍学 → 劝返中 → 已复学 → 已销号, 送教上门,
随班就读 ...) with the people responsible and persuasion visits; a few are still open,
some with their next step overdue; a few children are only candidates (transferred out
and not received, 休学 past its end). Deterministic: the given random generator, the
given id maker and the demo's fixed "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wushan_desk.domain import dropout as rules
from wushan_desk.services.demo_inspections import DEMO_TODAY

#: Status paths: (status, placement, days after the previous step)
PATHS: tuple[tuple[tuple[str, str | None, int], ...], ...] = (
    (("疑似辍学", None, 0), ("辍学", None, 30), ("劝返中", None, 6), ("已复学", "插班", 20),
     ("已销号", None, 60)),
    (("疑似辍学", None, 0), ("劝返中", None, 8)),  # still open
    (("辍学", None, 0), ("送教上门", None, 25)),
    (("疑似辍学", None, 0), ("辍学", None, 35)),  # still open
    (("劝返中", None, 0), ("已复学", "单独编班", 15)),
    (("疑似辍学", None, 0), ("随班就读", None, 12), ("已销号", None, 90)),
    (("辍学", None, 0), ("劝返中", None, 10), ("已复学", "普职融合", 40)),
)
METHODS = ("家访", "电话", "约谈", "联合劝返", "送达限期返校通知书")
RESULTS = ("家长表示孩子在外打工，答应月底前接回。", "孩子厌学情绪较重，已联系班主任结对帮扶。",
           "监护人同意送孩子返校，约定下周一报到。", "家中经济困难，已告知可申请资助。",
           "孩子身体原因，协调送教上门。")
DUTY_NAMES = ("谭", "向", "冉", "刘", "李", "王", "张", "陈")


def ledger(rng: random.Random, new_id: Callable[[], str], students: Sequence[Mapping[str, Any]],
           township_of: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Records by kind for the demo's cases and candidates, from a sample of students."""
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("enrolment_change", "dropout_case", "dropout_status",
                        "dropout_duty", "dropout_visit")}
    n_cases = max(4, round(len(students) / 1000))
    chosen = rng.sample(list(students), min(len(students), n_cases + max(2, n_cases // 3)))
    for number, student in enumerate(chosen[:n_cases]):
        _case(rng, new_id, student, township_of, PATHS[number % len(PATHS)], out)
    for number, student in enumerate(chosen[n_cases:]):
        _candidate(rng, new_id, student, number, out)
    return out


def _case(rng: random.Random, new_id: Callable[[], str], student: Mapping[str, Any],
          township_of: Mapping[str, str], path: Sequence[tuple[str, str | None, int]],
          out: dict[str, list[dict[str, Any]]]) -> None:
    span = sum(days for _, _, days in path) + 20
    opened = DEMO_TODAY - dt.timedelta(days=rng.randint(span, span + 500))
    case_id = new_id()
    day, previous, placement = opened, None, None
    for status, placement_now, days in path:
        day += dt.timedelta(days=days)
        if day > DEMO_TODAY:
            break
        out["dropout_status"].append({
            "id": new_id(), "case_id": case_id, "date": day.isoformat(),
            "from_status": previous, "status": status, "placement": placement_now,
            "note": "登记" if previous is None else "", "made_by": "责任督学"})
        previous, placement = status, placement_now
    out["dropout_case"].append({
        "id": case_id, "student_id": student["id"], "name": student["name"],
        "sex": student["sex"], "birth_date": student["birth_date"],
        "resident_id": student.get("resident_id"), "school_id": student["school_id"],
        "township_id": township_of[student["school_id"]], "grade": student.get("grade"),
        "reasons": sorted(rng.sample(rules.REASONS[:-1], rng.randint(1, 2)),
                          key=rules.REASONS.index),  # stored form: the choices' order
        "groups": sorted(rng.sample(rules.GROUPS[:5], rng.randint(0, 1))),
        "plan": "班主任每周联系一次；村（社区）干部入户；学校安排学业补偿。",
        "status": previous, "placement": placement, "opened_on": opened.isoformat(),
        "guardian_name": student.get("guardian_name"),
        "guardian_phone": student.get("guardian_phone")})
    for role in ("乡镇", "学校", "班主任", "家长"):
        name = student.get("guardian_name") if role == "家长" else (
            rng.choice(DUTY_NAMES) + ("老师" if role in ("学校", "班主任") else "干部"))
        out["dropout_duty"].append({"id": new_id(), "case_id": case_id, "role": role,
                                    "name": name or "监护人", "phone": None})
    visit_day = opened
    for _ in range(rng.randint(1, 3)):
        visit_day += dt.timedelta(days=rng.randint(3, 20))
        if visit_day > DEMO_TODAY:
            break
        due = visit_day + dt.timedelta(days=rng.choice((7, 14, 30)))
        out["dropout_visit"].append({
            "id": new_id(), "case_id": case_id, "date": visit_day.isoformat(),
            "method": rng.choice(METHODS), "participants": "班主任、村（社区）干部",
            "result": rng.choice(RESULTS), "next_step": "再次家访，确认返校时间",
            "next_due": due.isoformat(), "attachment_ids": []})


def _candidate(rng: random.Random, new_id: Callable[[], str], student: Mapping[str, Any],
               number: int, out: dict[str, list[dict[str, Any]]]) -> None:
    if number % 2 == 0:  # transferred out, nobody took them in
        day = DEMO_TODAY - dt.timedelta(days=rng.randint(45, 120))
        out["enrolment_change"].append({
            "id": new_id(), "student_id": student["id"], "date": day.isoformat(),
            "change": "转出", "other_school": "浙江省外学校（家长口述）", "note": "随父母外出"})
    else:  # on leave, the leave is over
        start = DEMO_TODAY - dt.timedelta(days=rng.randint(200, 300))
        until = start + dt.timedelta(days=150)
        out["enrolment_change"].append({
            "id": new_id(), "student_id": student["id"], "date": start.isoformat(),
            "change": "休学", "until": until.isoformat(), "note": "因病休学"})
