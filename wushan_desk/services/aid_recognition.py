"""家庭经济困难认定 use cases: apply, review, post the notice, decide, revoke, re-check.

Each step is a dated event written with the recognition in one transaction (the rules
are in domain/aid_recognition.py). The public notice is counted in working days with
the county's calendar (services/aid): it may not end before the fifth working day, and
a recognition is decided only once its notice has ended. A re-check is a new
recognition naming the old one; deciding it revokes the old one, and both stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain import clock
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import acting_as
from wushan_desk.services import aid, attachments, records
from wushan_desk.services.session import user_name
from wushan_desk.store import aid_queries as q
from wushan_desk.store.workspace import Workspace

KIND, MEMBER, EVENT = "aid_recognition", "aid_household_member", "aid_recognition_event"
#: Facts of an application a re-check starts from.
FACTS = ("groups", "level", "household_size", "household_income", "situation")


class DuplicateRecognition(ValidationError):
    """A second live recognition of one student in one school year."""

    code = "duplicate-recognition"


def apply(ws: Workspace, student_id: str, school_year: str, day: dt.date, *,
          facts: Mapping[str, Any] | None = None, members: Sequence[Mapping[str, Any]] = (),
          files: Sequence[Path] = (), recheck_of: str | None = None,
          made_by: str | None = None) -> str:
    """受理申请: a new recognition (status 申请) with its household members and evidence
    files. One live recognition per student and school year: a second is refused
    (DuplicateRecognition) unless it re-checks the one that is 已认定."""
    _not_after_today(day, "申请日期")
    with ws.transaction():
        student = records.get(ws, "student", student_id)
        if student is None:
            raise ValidationError("学籍名单上找不到这个学生", "student_id")
        year = aid_rules.check_school_year(school_year)
        _no_other_live(ws, student, year, recheck_of)
        record = {"student_id": student_id, "school_year": year,
                  "applied_on": day.isoformat(), "status": rules.APPLIED,
                  "recheck_of": recheck_of, **{k: v for k, v in (facts or {}).items()
                                               if k in FACTS or k == "note"}}
        with acting_as(rules.APPLYING), acting_as(rules.STATUS_CHANGE):
            rec_id = records.put(ws, KIND, record).id
            records.put(ws, EVENT, {"recognition_id": rec_id, "date": day.isoformat(),
                                    "status": rules.APPLIED, "made_by": made_by or user_name(ws),
                                    "note": "复核" if recheck_of else "受理申请"})
        for member in members:
            records.put(ws, MEMBER, {**member, "recognition_id": rec_id})
        for path in files:
            attachments.add(ws, path, owner_kind=KIND, owner_id=rec_id, note="认定材料")
    return rec_id


def _no_other_live(ws: Workspace, student: Mapping[str, Any], year: str,
                   recheck_of: str | None) -> None:
    live = [r for r in q.recognitions(ws, student_id=student["id"], school_year=year)
            if r["status"] not in (rules.REJECTED, rules.REVOKED)]
    if recheck_of is not None:
        old = next((r for r in live if r["id"] == recheck_of), None)
        if old is None or old["status"] != rules.RECOGNISED:
            raise ValidationError("只能对本学年“已认定”的认定办理复核", "recheck_of")
        live = [r for r in live if r["id"] != recheck_of]
    if live:
        raise DuplicateRecognition(
            f"{student['name']}在 {year} 学年已有认定（{live[0]['status']}，"
            f"{live[0]['applied_on']} 申请），不能重复受理；情况变化请对已认定的办理复核。",
            "student_id")


def recheck(ws: Workspace, recognition_id: str, day: dt.date, reason: str, *,
            made_by: str | None = None) -> str:
    """复核: circumstances changed; a new application from the recognised one's facts and
    members. Deciding it revokes the old one."""
    old = _get(ws, recognition_id)
    if not (reason or "").strip():
        raise ValidationError("请写明复核的原因（家庭情况发生了什么变化）", "note")
    members = [{k: v for k, v in m.items() if k != "id"} for m in q.members(ws, old["id"])]
    return apply(ws, old["student_id"], old["school_year"], day,
                 facts={**{k: old.get(k) for k in FACTS}, "note": f"复核：{reason.strip()}"},
                 members=members, recheck_of=old["id"], made_by=made_by)


def update(ws: Workspace, recognition_id: str, facts: Mapping[str, Any], *,
           seen: Mapping[str, str] | None = None) -> None:
    """Correct the facts of an undecided application (only the fields given)."""
    allowed = {*FACTS, "note", "review_result", "notice_place"}
    extra = set(facts) - allowed
    if extra:
        raise ValidationError("这里只能修改家庭情况；状态和日期请通过“办理”登记",
                              sorted(extra)[0])
    records.put(ws, KIND, {"id": recognition_id, **facts}, seen=seen)


def set_members(ws: Workspace, recognition_id: str,
                members: Sequence[Mapping[str, Any]]) -> None:
    """Replace the household members (those not in `members` by id are removed)."""
    with ws.transaction():
        _get(ws, recognition_id)
        keep = {m["id"] for m in members if m.get("id")}
        for old in q.members(ws, recognition_id):
            if old["id"] not in keep:
                records.delete(ws, MEMBER, old["id"])
        for member in members:
            records.put(ws, MEMBER, {**member, "recognition_id": recognition_id})


def review(ws: Workspace, recognition_id: str, day: dt.date, result: str, level: str, *,
           made_by: str | None = None) -> str:
    """民主评议: the school's assessment, its opinion and the proposed level."""
    if not (result or "").strip():
        raise ValidationError("请填写评议意见", "review_result")
    return _move(ws, recognition_id, rules.REVIEWED, day, made_by=made_by, note=result,
                 fields={"review_date": day.isoformat(), "review_result": result.strip(),
                         "level": level})


def post_notice(ws: Workspace, recognition_id: str, start: dt.date,
                end: dt.date | None = None, place: str = "", *,
                made_by: str | None = None) -> str:
    """公示: from `start` to `end` (default: the fifth working day); shorter than five
    working days by the calendar is refused, naming the earliest lawful end."""
    days = aid.count_working_days(ws, start, end or start)
    end = end or days.notice_ends
    days = aid.count_working_days(ws, start, end)
    if days.count < aid_rules.NOTICE_WORKING_DAYS:
        raise ValidationError(
            f"公示只有 {days.count} 个工作日，不足 {aid_rules.NOTICE_WORKING_DAYS} 个；"
            f"从 {start} 开始最早到 {days.notice_ends} 结束。", "notice_to")
    return _move(ws, recognition_id, rules.NOTICE, start, made_by=made_by,
                 note=f"公示 {start} 至 {end}" + (f"，{place}" if place else ""),
                 fields={"notice_from": start.isoformat(), "notice_to": end.isoformat(),
                         "notice_place": place.strip() or None})


def decide(ws: Workspace, recognition_id: str, day: dt.date, recognised: bool,
           note: str = "", *, made_by: str | None = None) -> str:
    """认定 (or 未通过). Recognised only after a notice of at least five working days has
    ended; a re-check decided revokes the recognition it re-checks."""
    rec = _get(ws, recognition_id)
    if recognised and rec.get("notice_from") and rec.get("notice_to"):
        days = aid.count_working_days(ws, dt.date.fromisoformat(rec["notice_from"]),
                                      dt.date.fromisoformat(rec["notice_to"]))
        if days.count < aid_rules.NOTICE_WORKING_DAYS:
            raise ValidationError(
                f"公示只有 {days.count} 个工作日（按现行节假日安排），不足 "
                f"{aid_rules.NOTICE_WORKING_DAYS} 个，不能认定；请重新公示。", "notice_to")
    status = rules.RECOGNISED if recognised else rules.REJECTED
    with ws.transaction():
        event = _move(ws, recognition_id, status, day, made_by=made_by, note=note,
                      fields={"decided_on": day.isoformat()})
        if rec.get("recheck_of"):
            old = _get(ws, rec["recheck_of"])
            if old["status"] == rules.RECOGNISED:
                _move(ws, old["id"], rules.REVOKED, day, made_by=made_by,
                      note=f"复核{'认定为' + str(rec.get('level')) if recognised else '未通过'}，"
                           "由复核结果代替")
    return event


def revoke(ws: Workspace, recognition_id: str, day: dt.date, reason: str, *,
           made_by: str | None = None) -> str:
    """撤销 (the family withdrew, or the facts were wrong), with the reason."""
    if not (reason or "").strip():
        raise ValidationError("请写明撤销的原因", "note")
    return _move(ws, recognition_id, rules.REVOKED, day, made_by=made_by, note=reason.strip())


def _move(ws: Workspace, recognition_id: str, status: str, day: dt.date, *,
          made_by: str | None, note: str = "", fields: Mapping[str, Any] | None = None
          ) -> str:
    """Write the event and the recognition's new status and facts in one transaction."""
    _not_after_today(day, "办理日期")
    with ws.transaction():
        rec = _get(ws, recognition_id)
        latest = max((e["date"] for e in q.events(ws, recognition_id)), default="")
        if day.isoformat() < latest:
            raise ValidationError(f"办理日期不能早于上一次办理（{latest}）：请按时间顺序登记。",
                                  "date")
        after = rec | dict(fields or {}) | {"status": status}
        problem = rules.transition_problem(rec["status"], status, after)
        if problem:
            raise ValidationError(problem + "。", "status")
        with acting_as(rules.STATUS_CHANGE):
            event = records.put(ws, EVENT, {
                "recognition_id": recognition_id, "date": day.isoformat(),
                "from_status": rec["status"], "status": status, "note": note or None,
                "made_by": made_by or user_name(ws)}).id
            records.put(ws, KIND, after, seal=status in rules.DECIDED)
    return event


def _get(ws: Workspace, recognition_id: str) -> dict[str, Any]:
    rec = records.get(ws, KIND, recognition_id)
    if rec is None:
        raise ValidationError("找不到这条困难认定（可能已被删除），请刷新后再试。", "id")
    return rec


def _not_after_today(day: dt.date, label: str) -> None:
    if day > clock.today():
        raise ValidationError(f"{label}不能晚于今天（{day}）。", "date")



# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class RecognitionRow:
    """One recognition as the list shows it, with its notice countdown."""

    id: str
    student_id: str
    name: str
    school: str
    grade: str
    class_name: str
    school_year: str
    level: str
    groups: tuple[str, ...]
    status: str
    applied_on: str
    notice_from: str
    notice_to: str
    #: working days of the notice still to run after today (None: no notice running)
    notice_left: int | None
    recheck: bool


def listing(ws: Workspace, school_year: str | None = None, *, school_id: str | None = None,
            status: str | None = None, name: str | None = None,
            today: dt.date | None = None) -> list[RecognitionRow]:
    """Recognitions with student and school, filtered; a running notice's countdown."""
    today = today or clock.today()
    known = aid.exceptions(ws)
    return [RecognitionRow(
        r["id"], r["student_id"], r["name"], r["school"], r["grade"], r["class_name"] or "",
        r["school_year"], r["level"] or "", tuple(r["groups"]), r["status"], r["applied_on"],
        r["notice_from"] or "", r["notice_to"] or "", _left(r, today, known),
        bool(r["recheck_of"]))
        for r in q.recognitions(ws, school_year=school_year, school_id=school_id,
                                status=status, name=(name or "").strip() or None)]


def _left(row: Mapping[str, Any], today: dt.date, known: Mapping[str, str]) -> int | None:
    if row["status"] != rules.NOTICE or not row["notice_to"]:
        return None
    end = dt.date.fromisoformat(row["notice_to"])
    return aid_rules.working_days(today + dt.timedelta(days=1), end, known)


def notices_ending(ws: Workspace, within_days: int = 2,
                   today: dt.date | None = None) -> list[RecognitionRow]:
    """Notices running that end within `within_days` working days, or have ended and
    wait for the decision (首页's reminder), soonest first."""
    rows = [r for r in listing(ws, status=rules.NOTICE, today=today)
            if r.notice_left is not None and r.notice_left <= within_days]
    return sorted(rows, key=lambda r: (r.notice_to, r.school, r.name))


def level_of(ws: Workspace, student_id: str, school_year: str) -> str | None:
    """The hardship level a student is recognised at in a school year (None: not)."""
    found = [r for r in q.recognitions(ws, student_id=student_id, school_year=school_year)
             if r["status"] == rules.RECOGNISED]
    return max(found, key=lambda r: r["decided_on"] or "")["level"] if found else None


def events(ws: Workspace, recognition_id: str) -> list[dict[str, Any]]:
    return q.events(ws, recognition_id)


def members(ws: Workspace, recognition_id: str) -> list[dict[str, Any]]:
    return q.members(ws, recognition_id)


def get(ws: Workspace, recognition_id: str) -> dict[str, Any]:
    """The recognition (ValidationError when it is gone)."""
    return _get(ws, recognition_id)
