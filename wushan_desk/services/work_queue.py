"""首页 as the supervisor's work queue: what needs doing next, each with where to do it.

The lines, computed as of a day for the zone this workspace works on: rectifications
past their deadline, dropout cases whose next step is due (or overdue), schools still
short of this term's routine visits, hardship notices ending within two working days
or over and waiting for the decision, and payment rosters reported and waiting for the
county's confirmation. The same rules as the pages they open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wushan_desk.domain import aid_roster as roster_rules
from wushan_desk.domain import dropout as dropout_rules
from wushan_desk.domain import inspection as inspection_rules
from wushan_desk.services import aid_recognition, aid_roster, browse, dropout, inspection
from wushan_desk.store.workspace import Workspace

#: A case's next step due within this many days is already on the list.
DUE_SOON_DAYS = 3
SHOWN = 3  # names shown on each line
#: A hardship notice with this many working days left, or over, is on the list.
NOTICE_DAYS_LEFT = 2


@dataclass(frozen=True)
class WorkItem:
    """One line of the work queue: how many, what, a few names, and the page to open."""

    page: str
    count: int
    what: str
    names: tuple[str, ...]


def work_queue(ws: Workspace, day: dt.date) -> list[WorkItem]:
    """The lines of 首页's 待办, as of `day`."""
    zone = browse.working_zone(ws)
    late = [f for f in inspection.open_findings(ws, day, zone=zone) if f["overdue"]]
    soon = (day + dt.timedelta(days=DUE_SOON_DAYS)).isoformat()
    cases = [r for r in dropout.ledger(ws, day)
             if r.status in dropout_rules.OPEN_STATUSES
             and (r.overdue or (r.next_due is not None and r.next_due <= soon))]
    short = inspection.coverage(ws, inspection_rules.term_of(day), zone=zone)
    notices = aid_recognition.notices_ending(ws, NOTICE_DAYS_LEFT, today=day)
    waiting = aid_roster.rosters(ws, status=roster_rules.REPORTED)
    return [
        WorkItem("督导检查", len(late), "整改逾期的问题",
                 tuple(f"{f['school']}：{f['description'][:12]}" for f in late[:SHOWN])),
        WorkItem("控辍保学", len(cases), "劝返逾期或即将到期的案件",
                 tuple(f"{r.name}（{r.status}）" for r in cases[:SHOWN])),
        WorkItem("督导检查", len(short), "本学期经常性督导不足两次的学校",
                 tuple(r.school for r in short[:SHOWN])),
        WorkItem("学生资助", len(notices), "即将结束或已期满待认定的困难认定公示",
                 tuple(f"{r.name}（{r.notice_to[5:]}止）" for r in notices[:SHOWN])),
        WorkItem("学生资助", len(waiting), "已报送、等待县教委确认的发放花名册",
                 tuple(f"{r['school']}·{r['programme'].split('（')[0]}" for r in waiting[:SHOWN])),
    ]
