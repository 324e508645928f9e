"""The 资助核查 report: every finding with its explanation, as .pdf or .xlsx.

Findings name children and schools but never an ID number, bank card, phone or
address: the report goes to the people who correct the rosters.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from wushan_desk import reports as r
from wushan_desk.domain import aid_check as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services.aid_check import Finding, counts
from wushan_desk.services.inspection_report import letterhead_of
from wushan_desk.services.report_signing import signer_for
from wushan_desk.store.workspace import Workspace

HEADER = ("序号", "核查项", "学校", "学生", "学期或学年", "情况", "说明")


def rows(found: list[Finding]) -> list[list[Any]]:
    """One row a finding, as printed and exported."""
    return [[n, f.check, f.school, f.student, f.period, f.detail,
             _explained(f)] for n, f in enumerate(found, 1)]


def _explained(f: Finding) -> str:
    if f.explanation is None:
        return "待说明"
    by = f.explanation.get("explained_by") or ""
    return f"{f.explanation['reason']}（{by}{f.explanation['explained_on']}）"


def export(ws: Workspace, found: list[Finding], path: Path, *, day: dt.date,
           school_year: str | None = None) -> int:
    """The findings as .pdf (a summary by check, then the list) or .xlsx, by the file's
    suffix; returns the number of findings."""
    table = rows(found)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from wushan_desk.reports.xlsx import write_table

        write_table(path, "资助核查", list(HEADER), table)
        return len(table)
    if suffix != ".pdf":
        raise ValidationError("核查结果可导出为 .pdf 或 .xlsx 文件。", "out")
    title = f"{school_year + '学年' if school_year else ''}学生资助核查情况"
    summary = [[check, open_, done] for check, (open_, done) in counts(found).items()]
    widths = (0.7, 2.2, 2.2, 1.4, 1.6, 7.5, 4.0)
    columns = [r.Column(h, w) for h, w in zip(HEADER, widths, strict=True)]
    blocks: list[Any] = [
        r.Paragraph(f"核查日期：{r.chinese_date(day)}。共发现 {len(found)} 条，其中已说明 "
                    f"{sum(1 for f in found if f.explained)} 条。", indent=0),
        r.Table([r.Column("核查项", 4.0), r.Column("待说明", 1.5, "right"),
                 r.Column("已说明", 1.5, "right")], summary, size=10),
        r.Table(columns, table or [["", "（无）", "", "", "", "", ""]], size=9),
    ]
    for check in rules.CHECKS:
        blocks.append(r.Paragraph(f"{check}：{rules.MEANING[check]}。", indent=0, size=9))
    issuer, letterhead = letterhead_of(ws)
    doc = r.Document(title=title, issuer=issuer, report_id=f"aid-check:{day.isoformat()}",
                     kind="aid-check", blocks=blocks, letterhead=letterhead, landscape=True,
                     red_letterhead=False)
    r.render_pdf(doc, path, signer=signer_for(ws))
    return len(table)
