"""控辍保学月报: each township's figures for one calendar month, from the dated events.

Schools report monthly (the national report is due by the 15th of the next month). The
figures of a month come only from status events and visits dated in or before it, so a
month's report printed in a later month shows what it showed then; the identity
``月末在册 = 月初在册 + 新增 + 反复 - 安置`` holds for every township and month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import dropout as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.store import dropout_queries as q
from wushan_desk.store.workspace import Workspace

#: Column headings of the monthly report, in the order of `MonthlyLine.figures`.
HEADER = ("乡镇（街道）", "月初在册", "本月新增", "反复", "本月安置", "本月销号", "月末在册",
          "本月劝返次数", "月末动态清零")


@dataclass(frozen=True)
class Month:
    """A calendar month (the unit of the monthly report)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2026-11` (or `2026-11-05`: that day's month); a clear message otherwise."""
        try:
            year, month = (int(part) for part in text.strip().split("-")[:2])
        except ValueError:
            year = month = 0
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValidationError(f"月份应写成 YYYY-MM，例如 2026-11：{text}", "month")
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def due(self) -> dt.date:
        """The 15th of the next month: when the report must be in."""
        return self.last + dt.timedelta(days=15)

    def previous(self) -> Month:
        return Month.of(self.first - dt.timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class MonthlyLine:
    """One township's line of a month's report."""

    township_id: str
    township: str
    open_start: int  # open on the last day of the month before
    new: int  # cases opened in the month with an open status
    relapsed: int  # placed cases that became open again in the month (反复)
    placed: int  # moves from an open status to a placement in the month
    closed: int  # moves to 已销号 in the month
    open_end: int  # open on the last day of the month
    visits: int  # persuasion visits dated in the month

    @property
    def dynamic_zero(self) -> bool:
        return self.open_end == 0

    @property
    def figures(self) -> list[Any]:
        return [self.township, self.open_start, self.new, self.relapsed, self.placed,
                self.closed, self.open_end, self.visits, "是" if self.dynamic_zero else "否"]


def monthly(ws: Workspace, month: Month) -> list[MonthlyLine]:
    """Every township's figures for `month` (townships with no case: zeros)."""
    township_of = {c["id"]: c["township_id"] for c in q.cases(ws)}
    names = dict(q.townships(ws))
    lines = tally(q.status_events(ws), township_of, month)
    visits = dict.fromkeys(names, 0)
    for case, count in q.visits_between(ws, month.first.isoformat(),
                                        month.last.isoformat()).items():
        if township_of.get(case) in visits:
            visits[township_of[case]] += count
    return [MonthlyLine(tid, name, **lines.get(tid, dict.fromkeys(COUNTS, 0)),
                        visits=visits[tid]) for tid, name in names.items()]


COUNTS = ("open_start", "new", "relapsed", "placed", "closed", "open_end")


def tally(events: list[dict[str, Any]], township_of: dict[str, str], month: Month
          ) -> dict[str, dict[str, int]]:
    """The status counts of `month` per township from every status event (each a dict
    with case_id, date, status, created_hlc; in date order, then creation order)."""
    first, last = month.first.isoformat(), month.last.isoformat()
    lines: dict[str, dict[str, int]] = {}
    previous: dict[str, str] = {}  # case -> its status after its events so far
    for event in events:
        case, status, day = event["case_id"], event["status"], event["date"]
        before = previous.get(case)
        previous[case] = status
        if case not in township_of or not first <= day <= last:
            continue
        line = lines.setdefault(township_of[case], dict.fromkeys(COUNTS, 0))
        was_open, now_open = before in rules.OPEN_STATUSES, status in rules.OPEN_STATUSES
        if before is None and now_open:
            line["new"] += 1
        elif before is not None and not was_open and now_open:
            line["relapsed"] += 1
        elif was_open and not now_open:
            line["placed"] += 1
        if status == rules.CLOSED and before != rules.CLOSED:
            line["closed"] += 1
    by_case = rules.events_by_case(events)
    for field, day in (("open_start", month.previous().last), ("open_end", month.last)):
        for tid, count in _open_counts(by_case, township_of, day).items():
            lines.setdefault(tid, dict.fromkeys(COUNTS, 0))[field] = count
    return lines


def _open_counts(by_case: dict[str, list[rules.StatusEvent]], township_of: dict[str, str],
                 day: dt.date) -> dict[str, int]:
    """Open cases per township on `day` (the board's rule, from the events)."""
    counts: dict[str, int] = {}
    for case, history in by_case.items():
        if case in township_of and rules.status_on(history, day) in rules.OPEN_STATUSES:
            counts[township_of[case]] = counts.get(township_of[case], 0) + 1
    return counts


def monthly_report(ws: Workspace, month: Month, path: Any) -> int:
    """The month's figures as PDF or XLSX by the file's suffix (no personal data: the
    figures only); returns the number of townships."""
    from pathlib import Path

    from wushan_desk import reports as r
    from wushan_desk.services import permissions
    from wushan_desk.services.inspection_report import letterhead_of
    from wushan_desk.services.report_signing import signer_for

    permissions.require(ws, "export")
    path = Path(path)
    lines = monthly(ws, month)
    rows = [line.figures for line in lines]
    sums = [sum(line.figures[i] for line in lines) for i in range(1, 8)]
    total = ["合计", *sums, "是" if sums[5] == 0 else "否"]
    title = f"控辍保学月报（{month.year}年{month.month}月）"
    if path.suffix.lower() == ".xlsx":
        from wushan_desk.reports.xlsx import write_table

        write_table(path, f"{month}月报", list(HEADER), [*rows, total])
        return len(lines)
    if path.suffix.lower() != ".pdf":
        raise ValidationError("月报可导出为 .pdf 或 .xlsx 文件。", "out")
    issuer, letterhead = letterhead_of(ws)
    widths = (3.0, 1.6, 1.6, 1.2, 1.6, 1.6, 1.6, 1.9, 2.0)
    table = r.Table([r.Column(h, w) for h, w in zip(HEADER, widths, strict=True)],
                    [[str(v) for v in row] for row in rows], size=9,
                    totals=[str(v) for v in total])
    note = r.Paragraph(f"统计期间：{r.chinese_date(month.first)}至{r.chinese_date(month.last)}；"
                       f"报送截止：{r.chinese_date(month.due)}。月末在册 = 月初在册 + 本月新增 + "
                       "反复 − 本月安置。", indent=0)
    doc = r.Document(title=title, issuer=issuer, report_id=f"{month}:dropout-monthly",
                     kind="dropout-monthly", blocks=[note, table], letterhead=letterhead,
                     red_letterhead=False)
    r.render_pdf(doc, path, signer=signer_for(ws))
    return len(lines)
