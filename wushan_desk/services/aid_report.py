"""家庭经济困难学生认定结果公示: the school's public notice, without sensitive data.

A public notice may show only what identifies a child to their schoolmates: name, grade
and the recognised level (教财〔2018〕16号: never the ID number, address, phone, birth
date or bank card). The document is built from those three fields alone, so nothing
else can reach the paper by mistake. One page (or more) per notice period: the
recognitions of a school and year on notice, grouped by their period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from wushan_desk import reports as r
from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid, browse
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.store.workspace import Workspace

#: The only facts a public notice prints (the test scans the PDF for anything else).
NOTICE_COLUMNS = ("序号", "姓名", "年级", "困难等级")


def notice_periods(ws: Workspace, school_id: str, school_year: str
                   ) -> dict[tuple[str, str], list[recognition.RecognitionRow]]:
    """The school's recognitions on notice in a year, by (first day, last day)."""
    periods: dict[tuple[str, str], list[recognition.RecognitionRow]] = defaultdict(list)
    for row in recognition.listing(ws, school_year, school_id=school_id, status=rules.NOTICE):
        rec = recognition.get(ws, row.id)
        periods[(rec["notice_from"], rec["notice_to"])].append(row)
    return dict(sorted(periods.items()))


def public_notice(ws: Workspace, school: str, school_year: str, path: Path) -> r.RenderResult:
    """Write the notice PDF of a school (name or id) and year; ValidationError when no
    recognition of it is on notice."""
    school_id = school if school in {c.id for c in browse.schools_in(ws)} \
        else browse.school_id_named(ws, school)
    name = next(c.name for c in browse.schools_in(ws) if c.id == school_id)
    year = aid_rules.check_school_year(school_year)
    periods = notice_periods(ws, school_id, year)
    if not periods:
        raise ValidationError(f"{name}在 {year} 学年没有公示中的困难认定：请先在“困难认定”中"
                              "登记公示，再打印公示名单。", "school")
    blocks: list[Any] = []
    for (start, end), rows in periods.items():
        if blocks:
            blocks.append(r.PageBreak())
        blocks += _period(ws, name, year, dt.date.fromisoformat(start),
                          dt.date.fromisoformat(end), rows)
    doc = r.Document(title="家庭经济困难学生认定结果公示", issuer=name,
                     report_id=f"{school_id}:{year}:aid-notice", kind="aid-notice",
                     blocks=blocks, letterhead=(name,), red_letterhead=False)
    return r.render_pdf(doc, path)


def _period(ws: Workspace, school: str, year: str, start: dt.date, end: dt.date,
            rows: list[recognition.RecognitionRow]) -> list[Any]:
    days = aid.count_working_days(ws, start, end).count
    table = r.Table([r.Column("序号", 0.6, "center"), r.Column("姓名", 1.4),
                     r.Column("年级", 1.2), r.Column("困难等级", 1.2)],
                    [[n, row.name, row.grade, row.level] for n, row in enumerate(rows, 1)],
                    size=r.SIZE_XIAO4)
    return [
        r.Paragraph(
            "根据《关于做好家庭经济困难学生认定工作的指导意见》（教财〔2018〕16号），经学生"
            f"（家长）申请、学校认定评议，拟认定以下 {len(rows)} 名学生为{year}学年家庭经济"
            "困难学生，现予公示。"),
        r.Paragraph(f"公示时间：{r.chinese_date(start)}至{r.chinese_date(end)}（{days}个工作日）。"
                    "公示期间如有异议，请以书面形式向学校学生资助工作领导小组实名反映。"),
        table,
        r.Spacer(10),
        r.Paragraph(f"{school}（盖章）", align="right", indent=0),
        r.Paragraph(r.chinese_date(start), align="right", indent=0),
    ]
