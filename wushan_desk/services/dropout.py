"""控辍保学 use cases: enrolment changes, cases, status changes, duties, visits, the board.

Each use case validates and writes inside one transaction; the rules are in
domain/dropout.py. Figures "as of" a date are computed from the dated status events,
never from a case's current status, so a past month's report stays what it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk.domain import dropout as rules
from wushan_desk.domain import ids
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import acting_as
from wushan_desk.services import attachments, records
from wushan_desk.services.session import user_name
from wushan_desk.store import dropout_queries as q
from wushan_desk.store.workspace import Workspace


class DuplicateCase(ValidationError):
    """A second open case for one child."""

    code = "duplicate-case"


def record_enrolment_change(ws: Workspace, student_id: str, change: str, day: dt.date,
                            **extra: Any) -> str:
    """A dated enrolment event (转入, 转出, 休学, …); the student's status follows it."""
    record = {"student_id": student_id, "change": change, "date": day.isoformat(), **extra}
    return records.put(ws, "enrolment_change", record).id


def open_case(ws: Workspace, case: Mapping[str, Any], *, made_by: str | None = None) -> str:
    """A new case with its first status event (dated `opened_on`). A child on the roster
    is named by `student_id` (name, sex, birth date and school come from the roster);
    one not on it needs an ID number. A second open case for the same child is refused
    (DuplicateCase), naming the case that exists."""
    with ws.transaction():
        record = _from_roster(ws, _linked(ws, _id_as_stored(dict(case))))
        _not_after_today(record.get("opened_on"), "登记日期", "opened_on")
        others = [c for c in q.same_child(
            ws, student_id=record.get("student_id"), resident_id=record.get("resident_id"),
            name=record.get("name"), birth_date=record.get("birth_date"))
            if c["status"] != rules.CLOSED]
        if others:
            raise DuplicateCase(
                f"{record.get('name')}（{record.get('birth_date')}）已有未销号的案件"
                f"（状态：{others[0]['status']}），不能重复登记；请在原案件中继续记录。",
                "name")
        with acting_as(rules.OPENING), acting_as(rules.STATUS_CHANGE):
            case_id = records.put(ws, "dropout_case", record).id
            records.put(ws, "dropout_status", {
                "case_id": case_id, "date": record["opened_on"], "status": record["status"],
                "placement": record.get("placement"), "note": "登记",
                "made_by": made_by or user_name(ws)})
    return case_id


def _id_as_stored(record: dict[str, Any]) -> dict[str, Any]:
    """The ID number as the store keeps it (an x typed in lower case), so that it
    compares; a wrong one is left for the put to explain."""
    if record.get("resident_id"):
        try:
            record["resident_id"] = ids.parse_resident_id(record["resident_id"]).number
        except ValidationError:
            pass
    return record


def _linked(ws: Workspace, record: dict[str, Any]) -> dict[str, Any]:
    """A child typed in by ID number who is on the roster after all becomes the roster's
    child: school and township come from the roster, and the case follows the child's
    school from then on."""
    if record.get("student_id") or not record.get("resident_id"):
        return record
    found = q.roster_matches(ws, resident_id=record["resident_id"], name=None,
                             birth_date=None)
    if len(found) != 1:
        return record
    return {k: v for k, v in record.items() if k not in ("school_id", "township_id")} | {
        "student_id": found[0]["id"]}


@dataclass(frozen=True)
class Matches:
    """What a new case may duplicate: cases and roster entries of the same child."""

    cases: list[dict[str, Any]]
    students: list[dict[str, Any]]


def possible_duplicates(ws: Workspace, *, resident_id: str | None = None,
                        name: str | None = None, birth_date: str | None = None) -> Matches:
    """Cases (any status) and roster entries with the same ID number, or the same name
    and birth date: shown at once while a case is typed in."""
    resident_id = _id_as_stored({"resident_id": resident_id}).get("resident_id") or None
    name, birth_date = (name or "").strip() or None, birth_date or None
    if not resident_id and not (name and birth_date):
        return Matches([], [])
    return Matches(q.same_child(ws, student_id=None, resident_id=resident_id, name=name,
                                birth_date=birth_date),
                   q.roster_matches(ws, resident_id=resident_id, name=name,
                                    birth_date=birth_date))


def _not_after_today(day: str | None, label: str, field: str) -> None:
    from wushan_desk.domain import clock

    if day and day > clock.today().isoformat():
        raise ValidationError(f"{label}不能晚于今天（{day}）。", field)


def _from_roster(ws: Workspace, record: dict[str, Any]) -> dict[str, Any]:
    student_id = record.get("student_id")
    if not student_id:
        return record
    student = records.get(ws, "student", student_id)
    if student is None:
        raise ValidationError("学籍名单上找不到这个学生", "student_id")
    school = records.get(ws, "school", student["school_id"]) or {}
    roster = {"name": student["name"], "sex": student["sex"],
              "birth_date": student["birth_date"], "resident_id": student.get("resident_id"),
              "school_id": student["school_id"], "township_id": school.get("township_id"),
              "grade": student.get("grade"), "guardian_name": student.get("guardian_name"),
              "guardian_phone": student.get("guardian_phone")}
    return {**{k: v for k, v in roster.items() if v}, **{k: v for k, v in record.items()
                                                        if v not in (None, "")}}


def change_status(ws: Workspace, case_id: str, status: str, day: dt.date, *,
                  placement: str | None = None, note: str = "",
                  made_by: str | None = None) -> str:
    """Move a case to `status` on `day` (a dated event with a note and who made it).
    A transition the rules refuse raises ValidationError naming what is allowed."""
    with ws.transaction():
        case = records.get(ws, "dropout_case", case_id)
        if case is None:
            raise ValidationError("找不到这个案件", "case_id")
        latest = max((e["date"] for e in q.status_events(ws, case_id)), default="")
        if day.isoformat() < latest:
            raise ValidationError(
                f"状态变更的日期不能早于上一次变更（{latest}）：请按时间顺序登记。", "date")
        problem = rules.transition_problem(case["status"], status, placement)
        if problem:
            raise ValidationError(problem + "。", "status")
        _not_after_today(day.isoformat(), "状态变更的日期", "date")
        with acting_as(rules.STATUS_CHANGE):
            event = records.put(ws, "dropout_status", {
                "case_id": case_id, "date": day.isoformat(), "from_status": case["status"],
                "status": status, "placement": placement, "note": note,
                "made_by": made_by or user_name(ws)}).id
            records.put(ws, "dropout_case", case | {"status": status, "placement": placement},
                        seal=status == rules.CLOSED)
    return event


def add_duty(ws: Workspace, case_id: str, role: str, name: str, phone: str | None = None
             ) -> str:
    return records.put(ws, "dropout_duty", {"case_id": case_id, "role": role, "name": name,
                                            "phone": phone}).id


def add_visit(ws: Workspace, case_id: str, day: dt.date, method: str, participants: str,
              result: str, *, next_step: str | None = None, next_due: dt.date | None = None,
              attachment_ids: list[str] | None = None, files: Sequence[Path] = ()) -> str:
    """A persuasion visit (劝返记录): not in the future; its next step after it. `files`
    (photos, recordings, scans) are stored with it in the same transaction: a refused
    visit leaves no attachment record behind."""
    _not_after_today(day.isoformat(), "劝返日期", "date")
    if next_due is not None and next_due < day:
        raise ValidationError("下一步期限不能早于这次劝返的日期。", "next_due")
    visit: dict[str, Any] = {
        "case_id": case_id, "date": day.isoformat(), "method": method,
        "participants": participants, "result": result, "next_step": next_step,
        "next_due": next_due.isoformat() if next_due else None,
        "attachment_ids": list(attachment_ids or [])}
    with ws.transaction():
        if files:  # judged before any file is stored: a refused visit leaves no file
            records.prepare(ws, "dropout_visit", visit)
        stored = [attachments.add(ws, path, owner_kind="dropout_case", owner_id=case_id,
                                  note=f"{day.isoformat()} {method}") for path in files]
        return records.put(ws, "dropout_visit", visit | {
            "attachment_ids": [*visit["attachment_ids"], *stored]}).id


@dataclass(frozen=True)
class CaseStatus:
    case_id: str
    status: str | None  # None: the case did not exist on that day
    since: str | None


def status(ws: Workspace, case_id: str, as_of: dt.date) -> CaseStatus:
    """A case's status on a date, from its events (and since when it has had it)."""
    if records.get(ws, "dropout_case", case_id) is None:
        raise ValidationError(f"找不到编号为 {case_id} 的案件。", "case_id")
    events = rules.events_by_case(q.status_events(ws, case_id)).get(case_id, [])
    return CaseStatus(case_id, rules.status_on(events, as_of), rules.since_on(events, as_of))


VISIT_EVERY_KEY = "dropout_visit_every_days"


def visit_every_days(ws: Workspace) -> int:
    """Days without a persuasion visit after which an open case stands out (a setting of
    this workspace; the board, the ledger and 首页 all use it)."""
    try:
        return int(ws.state(VISIT_EVERY_KEY) or rules.VISIT_EVERY_DAYS)
    except ValueError:
        return rules.VISIT_EVERY_DAYS


def set_visit_every_days(ws: Workspace, days: int) -> int:
    """Set it (1 to 90 days); returns the value kept."""
    kept = max(1, min(90, int(days)))
    with ws.transaction():
        ws.set_state(VISIT_EVERY_KEY, str(kept))
    return kept


@dataclass(frozen=True)
class TownshipFigures:
    """One township's line of the board (动态清零 when nothing is open)."""

    township_id: str
    township: str
    open: int
    placed: int
    closed: int
    oldest_open: str | None  # opened_on of the oldest case still open
    overdue: int

    @property
    def dynamic_zero(self) -> bool:
        return self.open == 0


def board(ws: Workspace, as_of: dt.date) -> list[TownshipFigures]:
    """Per township: cases open, placed and closed on `as_of`, the oldest open case and
    how many open cases are overdue for a visit; every township, zero or not."""
    by_case = rules.events_by_case(q.status_events(ws))
    visits, every = q.last_visits(ws, as_of.isoformat()), visit_every_days(ws)
    figures: dict[str, dict[str, Any]] = {
        tid: {"township": name, "open": 0, "placed": 0, "closed": 0, "oldest": None,
              "overdue": 0} for tid, name in q.townships(ws)}
    for case in q.cases(ws):
        now = rules.status_on(by_case.get(case["id"], []), as_of)
        line = figures.get(case["township_id"])
        if now is None or line is None:
            continue
        if now in rules.OPEN_STATUSES:
            line["open"] += 1
            if line["oldest"] is None or case["opened_on"] < line["oldest"]:
                line["oldest"] = case["opened_on"]
            last, due = visits.get(case["id"], (None, None))
            if rules.is_overdue(due, last or case["opened_on"], as_of, every):
                line["overdue"] += 1
        elif now == rules.CLOSED:
            line["closed"] += 1
        else:
            line["placed"] += 1
    return [TownshipFigures(tid, f["township"], f["open"], f["placed"], f["closed"],
                            f["oldest"], f["overdue"]) for tid, f in figures.items()]


@dataclass(frozen=True)
class Candidate:
    """A child who may be out of school, with the rule and the event that raised it."""

    student_id: str
    name: str
    school: str
    township: str
    rule: str
    event_id: str
    text: str


def candidates(ws: Workspace, day: dt.date) -> list[Candidate]:
    """Children the rules flag on `day` (domain/dropout.flags, and 名册缺失 from the term
    rosters), except those with an open case and flags dismissed before (a new event
    raises a new flag)."""
    by_student: dict[str, list[dict[str, Any]]] = {}
    for change in q.enrolment_changes(ws):
        by_student.setdefault(change["student_id"], []).append(change)
    skip, dismissed = q.students_with_open_cases(ws), q.dismissed(ws)
    handled = q.latest_case_opened(ws)
    raised = [(student, flag) for student, changes in by_student.items()
              for flag in rules.flags(changes, day)]
    raised += _missing_from_rosters(ws, day, by_student)
    found = [(student, flag) for student, flag in raised if student not in skip
             and (student, flag.rule, flag.event_id) not in dismissed
             and flag.date > handled.get(student, "")]
    facts = q.student_facts(ws, [student for student, _ in found])
    return [Candidate(student, facts.get(student, {}).get("name", ""),
                      facts.get(student, {}).get("school", ""),
                      facts.get(student, {}).get("township") or "", flag.rule,
                      flag.event_id, flag.text) for student, flag in found]


def _missing_from_rosters(ws: Workspace, day: dt.date,
                          by_student: Mapping[str, list[dict[str, Any]]]
                          ) -> list[tuple[str, rules.Flag]]:
    """名册缺失: on a school's latest roster of an earlier term, still on the roster here,
    on no roster of this term, and no enrolment event since that roster was taken. This
    term's roster of a school is the one kept for it, else (none kept yet) its live
    students: a school that has not archived yet flags nobody."""
    from wushan_desk.domain import term_rosters as terms
    from wushan_desk.services import term_rosters

    term = terms.term_of(day)
    rosters = term_rosters.kept(ws)
    previous = terms.latest_before(rosters, term)
    if not previous:
        return []
    live = {school: set(ids) for school, ids in term_rosters.live_by_school(ws).items()}
    now = {r["school_id"]: set(r["student_ids"]) for r in rosters if r["term"] == term}
    present = set().union(*now.values(), *(ids for school, ids in live.items()
                                           if school not in now))
    held = set().union(*live.values())
    changed = {student: max(c["date"] for c in cs) for student, cs in by_student.items()}
    return [(student, rules.Flag(
        rules.MISSING_FROM_ROSTER, roster["id"],
        f"在{terms.term_label(roster['term'])}名册上（{roster['date']} 存档），本学期名册上没有，"
        "也没有转出、休学等学籍变动记录", roster["date"]))
        for roster in previous.values()
        for student in terms.missing(roster, held, present, changed)]


def dismiss(ws: Workspace, candidate: Candidate, reason: str, day: dt.date) -> str:
    """Not a dropout (e.g. 已在县外就读, with a reason): the flag stays away until a new
    enrolment event raises another."""
    if not (reason or "").strip():
        raise ValidationError("排除疑似对象须说明理由（例如“已在县外学校就读，电话核实”）。",
                              "reason")
    return records.put(ws, "dropout_dismissal", {
        "student_id": candidate.student_id, "rule": candidate.rule,
        "event_id": candidate.event_id, "reason": reason, "date": day.isoformat()}).id


def confirm(ws: Workspace, candidate: Candidate, status: str, day: dt.date,
            **case: Any) -> str:
    """A flagged child becomes a case (the candidate then leaves the list)."""
    return open_case(ws, {"student_id": candidate.student_id, "status": status,
                          "opened_on": day.isoformat(), **case})


@dataclass(frozen=True)
class LedgerRow:
    """One case as the ledger lists it."""

    case_id: str
    name: str
    township: str
    school: str
    status: str
    opened_on: str
    last_visit: str | None
    next_due: str | None
    overdue: bool


def ledger(ws: Workspace, day: dt.date, *, township_id: str | None = None,
           status: str | None = None, overdue_only: bool = False) -> list[LedgerRow]:
    """The cases, newest first, with their last visit and whether they stand out (open
    and overdue on `day`); filtered by township, status, or overdue."""
    visits, every = q.last_visits(ws), visit_every_days(ws)
    schools = {r["id"]: r["name"] for r in records.iter_records(ws, "school")}
    out = []
    for case in reversed(q.cases(ws)):
        if township_id and case["township_id"] != township_id:
            continue
        if status and case["status"] != status:
            continue
        last, due = visits.get(case["id"], (None, None))
        late = case["status"] in rules.OPEN_STATUSES and rules.is_overdue(
            due, last or case["opened_on"], day, every)
        if overdue_only and not late:
            continue
        out.append(LedgerRow(case["id"], case["name"], case.get("township_name") or "",
                             schools.get(case.get("school_id") or "", "（未入学）"),
                             case["status"], case["opened_on"], last, due, late))
    return out


@dataclass(frozen=True)
class TimelineEntry:
    date: str
    what: str  # 状态 | 劝返
    text: str
    attachment_ids: tuple[str, ...] = ()  # a visit's photos, recordings, scans


def timeline(ws: Workspace, case_id: str) -> list[TimelineEntry]:
    """A case's status events and persuasion visits, oldest first."""
    entries = [TimelineEntry(e["date"], "状态", _status_text(e))
               for e in q.status_events(ws, case_id)]
    for v in records.iter_records(ws, "dropout_visit"):
        if v["case_id"] == case_id:
            due = f"；下一步：{v['next_step'] or ''}（{v['next_due']} 前）" if v["next_due"] else ""
            files = f"（佐证 {len(v['attachment_ids'])} 个，双击查看）" \
                if v["attachment_ids"] else ""
            entries.append(TimelineEntry(v["date"], "劝返", f"{v['method']}，{v['participants']}："
                                                         f"{v['result'].rstrip('。')}{due}{files}",
                                         tuple(v["attachment_ids"])))
    return sorted(entries, key=lambda e: (e.date, e.what != "状态"))


def _status_text(event: Mapping[str, Any]) -> str:
    moved = f"{event['from_status']} → " if event["from_status"] else "登记为"
    placed = f"（{event['placement']}）" if event["placement"] else ""
    note = f"：{event['note']}" if event["note"] else ""
    return f"{moved}{event['status']}{placed}{note}"


def next_statuses(current: str) -> tuple[str, ...]:
    """Where a case may go from `current` (for the status menu)."""
    return rules.TRANSITIONS.get(current, ())


@dataclass(frozen=True)
class DuplicateGroup:
    """Open cases that seem to be about one child (the hub sees every centre's)."""

    by: str  # 身份证号 | 姓名和出生日期 | 学籍
    case_ids: tuple[str, ...]
    names: tuple[str, ...]
    townships: tuple[str, ...]


def duplicates(ws: Workspace) -> list[DuplicateGroup]:
    """Groups of open cases for the same child: same student, ID number, or name and
    birth date. A laptop refuses a second case when it opens one; two centres may each
    open one before they sync, so the hub lists them for the county to settle (it does
    not refuse the package: the laptop could not take its case back)."""
    rows = q.open_cases_by_child(ws)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        keys = [("学籍", row["student_id"]), ("身份证号", row["resident_id"]),
                ("姓名和出生日期", f"{row['name']}|{row['birth_date']}")]
        for by, value in keys:
            if value:
                groups.setdefault((by, value), []).append(row)
    seen: set[tuple[str, ...]] = set()
    out = []
    for (by, _), members in groups.items():
        ids = tuple(sorted({m["id"] for m in members}))
        if len(ids) > 1 and ids not in seen:
            seen.add(ids)
            chosen = [m for m in members if m["id"] in ids]
            out.append(DuplicateGroup(by, ids, tuple(m["name"] for m in chosen),
                                      tuple(m["township"] or "" for m in chosen)))
    return out



__all__ = [
    "Candidate",
    "DuplicateCase",
    "LedgerRow",
    "Matches",
    "TimelineEntry",
    "add_duty",
    "add_visit",
    "board",
    "candidates",
    "change_status",
    "confirm",
    "dismiss",
    "ledger",
    "next_statuses",
    "open_case",
    "possible_duplicates",
    "record_enrolment_change",
    "status",
    "timeline",
]
