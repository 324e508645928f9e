"""学生资助 standards and the working-day calendar: kept at the hub, read everywhere.

The county loads the default programmes and standards for a school year
(resources/aid/defaults.json, from domain.md's table), corrects them, and they reach
every device with the next package. A centre's laptop shows them read-only: what it
pays is checked against them (the rosters, later), so it may not change them.

The calendar is seeded from `chinesecalendar` (the State Council's holiday schedules, for
the years it knows) and completed by hand at the hub for later years. Ids are
`workspace.reference_id` of the programme, standard or date, so loading twice, or on two
computers, makes the same rows, never duplicates.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from wushan_desk import paths
from wushan_desk.domain import aid as rules
from wushan_desk.domain.errors import UserError
from wushan_desk.services import records, workspace
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity

PROGRAMME, STANDARD, DAY = "aid_programme", "aid_standard", "calendar_day"
SEEDED, ENTERED = "国务院办公厅放假安排", "县教委录入"  # calendar_day.source
#: The first year seeded from chinesecalendar: older holidays matter to no notice.
FIRST_SEEDED_YEAR = 2021


class NotAtHub(UserError):
    """A centre's laptop may not change what the county sets."""

    code = "hub-only"


@dataclass(frozen=True)
class StandardRow:
    """One standard with its programme, as the lists show it."""

    id: str
    programme_id: str
    programme: str
    stage: str
    basis: str
    hardship_only: bool
    section: str
    level: str
    boarding: str
    amount: float | None
    note: str

    @property
    def payment(self) -> float | None:
        """One payment (a term's is half the year's standard)."""
        return None if self.amount is None else rules.per_payment(self.amount, self.basis)


def may_edit(ws: Workspace) -> bool:
    """Is this workspace where the county sets standards (the hub, or a stand-alone one)?"""
    return identity.role(ws) != "centre"


def require_hub(ws: Workspace) -> None:
    """NotAtHub unless this workspace may set standards (`may_edit`)."""
    if not may_edit(ws):
        raise NotAtHub("资助项目、标准和节假日安排由县教委在县级中心库维护，"
                       "督导中心设备上只能查看；同步后即可看到县教委的最新版本。")


def load_defaults(ws: Workspace, school_year: str) -> int:
    """Create the default programmes and standards of `school_year` that are missing
    (one the county deleted stays deleted); returns how many records were created."""
    require_hub(ws)
    year = rules.check_school_year(school_year)
    data = json.loads((paths.resources_dir() / "aid" / "defaults.json").read_text("utf-8"))
    created = 0
    with ws.transaction():
        for position, prog in enumerate(data["programmes"], start=1):
            prog_id = workspace.reference_id(f"aid_programme:{year}:{prog['name']}")
            if records.get(ws, PROGRAMME, prog_id, deleted=True) is None:
                records.put(ws, PROGRAMME, {
                    "id": prog_id, "school_year": year, "name": prog["name"],
                    "stage": prog["stage"], "basis": prog["basis"],
                    "hardship_only": prog["hardship_only"], "groups": prog.get("groups", []),
                    "position": position, "note": prog.get("note")})
                created += 1
            for std in prog["standards"]:
                key = f"{prog['name']}:{std['section']}:{std['level']}:{std['boarding']}"
                std_id = workspace.reference_id(f"aid_standard:{year}:{key}")
                if records.get(ws, STANDARD, std_id, deleted=True) is None:
                    records.put(ws, STANDARD, {"id": std_id, "programme_id": prog_id, **std})
                    created += 1
    return created


def school_years(ws: Workspace) -> list[str]:
    """School years that have programmes, newest first."""
    years = {p["school_year"] for p in records.iter_records(ws, PROGRAMME)}
    return sorted(years, reverse=True)


def standards(ws: Workspace, school_year: str) -> list[StandardRow]:
    """Every standard of a school year, by programme order, then 学段, level, boarding."""
    programmes = {p["id"]: p for p in records.iter_records(ws, PROGRAMME)
                  if p["school_year"] == school_year}
    rows = [_row(programmes[s["programme_id"]], s) for s in records.iter_records(ws, STANDARD)
            if s["programme_id"] in programmes]
    order = {pid: (p.get("position") or 0, p["name"]) for pid, p in programmes.items()}
    return sorted(rows, key=lambda r: (order[r.programme_id], rules.SECTIONS.index(r.section),
                                       rules.LEVELS.index(r.level),
                                       rules.BOARDING.index(r.boarding)))


def _row(programme: dict[str, Any], standard: dict[str, Any]) -> StandardRow:
    return StandardRow(standard["id"], programme["id"], programme["name"], programme["stage"],
                       programme["basis"], bool(programme.get("hardship_only")),
                       standard["section"], standard["level"], standard["boarding"],
                       standard.get("amount"), standard.get("note") or "")


def set_amount(ws: Workspace, standard_id: str, amount: float | None, note: str | None = None,
               *, seen: dict[str, str] | None = None) -> None:
    """Change one standard's amount (None: the school's actual fee). A confirmed roster
    keeps the amounts it was confirmed with (rosters copy them, they never look back)."""
    require_hub(ws)
    if records.get(ws, STANDARD, standard_id) is None:
        raise UserError("这条资助标准已不存在（可能刚被删除），请刷新后再试。", "not-found")
    record: dict[str, Any] = {"id": standard_id, "amount": amount}
    if note is not None:
        record["note"] = note
    records.put(ws, STANDARD, record, seen=seen)  # only these fields: others keep theirs


# ----------------------------------------------------------------------- the calendar


def seed_calendar(ws: Workspace) -> int:
    """Add the State Council's holidays and 调休 working days for every year
    chinesecalendar knows from FIRST_SEEDED_YEAR; returns how many days were added.
    Only what differs from Monday-to-Friday is kept: holidays on weekdays, working
    weekends. A day the county entered or deleted by hand is left as it is."""
    require_hub(ws)
    added = 0
    with ws.transaction():
        for day, (kind, name) in sorted(state_council_days().items()):
            day_id = workspace.reference_id(f"calendar_day:{day.isoformat()}")
            if records.get(ws, DAY, day_id, deleted=True) is None:
                records.put(ws, DAY, {"id": day_id, "date": day.isoformat(), "kind": kind,
                                      "name": name, "source": SEEDED})
                added += 1
    return added


def state_council_days() -> dict[dt.date, tuple[str, str]]:
    """Every day from FIRST_SEEDED_YEAR that chinesecalendar knows to differ from
    Monday-to-Friday: date -> (放假 or 调休上班, the holiday's Chinese name)."""
    from chinese_calendar import constants

    found = {day: ("放假", str(name)) for day, name in constants.holidays.items()
             if day.weekday() < 5}
    found |= {day: ("调休上班", str(name)) for day, name in constants.workdays.items()
              if day.weekday() >= 5}
    return {day: (kind, _holiday_name(name)) for day, (kind, name) in found.items()
            if day.year >= FIRST_SEEDED_YEAR}


def _holiday_name(english: str) -> str:
    from chinese_calendar.constants import Holiday

    for holiday in Holiday:
        if holiday.value == english:
            return str(holiday.chinese)
    return english[:40]


def set_day(ws: Workspace, day: dt.date, kind: str | None, name: str = "") -> None:
    """Enter a holiday or a working weekend day by hand (`kind` None: back to normal)."""
    require_hub(ws)
    day_id = workspace.reference_id(f"calendar_day:{day.isoformat()}")
    if kind is None:
        records.delete(ws, DAY, day_id)
        return
    records.put(ws, DAY, {"id": day_id, "date": day.isoformat(), "kind": kind,
                          "name": name or None, "source": ENTERED})


def calendar(ws: Workspace, year: int | None = None) -> list[dict[str, Any]]:
    """The entered days (of one calendar year, or all), by date."""
    days = [d for d in records.iter_records(ws, DAY)
            if year is None or d["date"].startswith(f"{year}-")]
    return sorted(days, key=lambda d: d["date"])


def exceptions(ws: Workspace) -> dict[str, str]:
    """ISO date -> 放假 or 调休上班, for domain/aid.working_days."""
    return {d["date"]: d["kind"] for d in records.iter_records(ws, DAY)}


@dataclass(frozen=True)
class WorkingDays:
    count: int
    #: calendar years in the period with no schedule entered (weekends only counted)
    unknown_years: tuple[int, ...]
    #: the last day of a public notice posted on the first day (NOTICE_WORKING_DAYS long)
    notice_ends: dt.date


def count_working_days(ws: Workspace, start: dt.date, end: dt.date) -> WorkingDays:
    """Working days from `start` to `end` (both included), which years of the period
    have no holiday schedule here yet (the count could then be too high), and when a
    notice posted on `start` may end. The calendar is read once."""
    known = exceptions(ws)
    years = {int(d[:4]) for d in known}
    unknown = tuple(y for y in range(start.year, end.year + 1) if y not in years)
    return WorkingDays(rules.working_days(start, end, known), unknown,
                       rules.add_working_days(start, rules.NOTICE_WORKING_DAYS, known))
