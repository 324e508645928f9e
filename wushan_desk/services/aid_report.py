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
from wushan_desk.services.report_signing import signer_for
from wushan_desk.store.workspace import Workspace

#: The only facts a public notice prints (the test scans the PDF for anything else).
NOTICE_COLUMNS = ("序号", "姓名", "年级", "困难等级")


def notice_periods(ws: Workspace, school_id: str, school_year: str
                   ) -> dict[tuple[str, str], list[recognition.RecognitionRow]]:
    """The school's recognitions on notice in a year, by (first day, last day)."""
    periods: dict[tuple[str, str], list[recognition.RecognitionRow]] = defaultdict(list)
    for row in recognition.listing(ws, school_year, school_id=school_id, status=rules.NOTICE):
        periods[(row.notice_from, row.notice_to)].append(row)
    return dict(sorted(periods.items()))


def public_notice(ws: Workspace, school: str, school_year: str, path: Path) -> r.RenderResult:
    """Write the notice PDF of a school (name or id) and year; ValidationError when no
    recognition of it is on notice."""
    names = {c.id: c.name for c in browse.schools_in(ws)}
    school_id = school if school in names else browse.school_id_named(ws, school)
    name = names[school_id]
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
    return r.render_pdf(doc, path, signer=signer_for(ws))


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


# ------------------------------------------------------------------------ payment rosters

ROSTER_HEADER = ("序号", "姓名", "年级班级", "住校", "标准（元）", "发放金额（元）", "状态",
                 "说明", "持卡人", "银行卡号")
#: Rows per printed page: each page ends with its subtotal and the running total.
ROWS_PER_PAGE = 20


def roster_rows(ws: Workspace, roster_id: str, *, full: bool = False) -> list[list[Any]]:
    """The roster's lines as printed and exported: bank cards masked unless `full` (the
    caller disclosed them with a purpose)."""
    from wushan_desk.services import aid_roster
    from wushan_desk.store import aid_queries

    stored = {p["id"]: p for p in aid_queries.payments(ws, roster_id)}
    rows = []
    for n, line in enumerate(aid_roster.view(ws, roster_id).lines, 1):
        payment = stored[line.id]
        rows.append([n, line.name, line.grade, line.boarding,
                     "" if line.standard is None else line.standard, line.amount, line.status,
                     line.override_reason, payment["account_holder"] or "",
                     payment["bank_card"] or "" if full else line.card])
    return rows


def roster_export(ws: Workspace, roster_id: str, path: Path, *, full: bool = False) -> int:
    """The roster as .pdf (paginated, running totals, signature lines) or .xlsx, by the
    file's suffix; returns the number of lines."""
    from wushan_desk.domain.term_rosters import term_label
    from wushan_desk.services import aid_roster

    shown = aid_roster.view(ws, roster_id)
    roster = next(r for r in aid_roster.rosters(ws) if r["id"] == roster_id)
    rows = roster_rows(ws, roster_id, full=full)
    title = f"{term_label(roster['term'])}{roster['programme']}发放花名册"
    if path.suffix.lower() == ".xlsx":
        from wushan_desk.reports.xlsx import write_table

        total = ["", "合计", "", "", "", shown.total, "", "", "", ""]
        write_table(path, "发放花名册", list(ROSTER_HEADER), [*rows, total])
        return len(rows)
    if path.suffix.lower() != ".pdf":
        raise ValidationError("花名册可导出为 .pdf 或 .xlsx 文件。", "out")
    draft = "" if roster["status"] == "已确认" else f"（{roster['status']}，未确认）"
    doc = r.Document(title=title + draft, issuer=roster["school"],
                     report_id=f"{roster_id}:aid-roster", kind="aid-roster",
                     blocks=_roster_pages(rows, shown.total), letterhead=(roster["school"],),
                     landscape=True, red_letterhead=False, draft=bool(draft))
    r.render_pdf(doc, path, signer=signer_for(ws))
    return len(rows)


def _roster_pages(rows: list[list[Any]], total: float) -> list[Any]:
    widths = (0.6, 1.2, 1.3, 0.8, 1.1, 1.2, 0.9, 2.0, 1.2, 2.2)
    columns = [r.Column(h, w, "right" if "元" in h else "left")
               for h, w in zip(ROSTER_HEADER, widths, strict=True)]
    blocks: list[Any] = []
    running = 0.0
    pages = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    for number, page in enumerate(pages, 1):
        counted = sum(row[5] for row in page if row[6] in ("拟发放", "已发放"))
        running += counted
        last = number == len(pages)
        totals = ["", "本页小计", "", "", "", round(counted, 2), "",
                  f"累计 {round(running, 2):g} 元" + ("（合计）" if last else ""), "", ""]
        blocks.append(r.Table(columns, page or [["", "（无）", *[""] * 8]], totals=totals,
                              size=10))
        if not last:
            blocks.append(r.PageBreak())
    blocks += [r.Paragraph(f"共 {len(rows)} 人，发放金额合计 {total:,.2f} 元（退回、停发不计）。",
                           indent=0, size=r.SIZE_XIAO4),
               r.SignatureBlock([r.Signer("经办人"), r.Signer("审核人"), r.Signer("校长"),
                                 r.Signer("学校（公章）")], columns=2)]
    return blocks
