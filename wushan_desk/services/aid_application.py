"""家庭经济困难学生认定申请表: one recognition's application form, printed for signature.

The family signs the form and the school files it (教财〔2018〕16号), so unlike the
public notice (services/aid_report.py) it carries everything the application holds: the
full ID number, the guardian's phone, the address, the household members and their
incomes, the situation in the family's words, then the school's 民主评议, the notice and
the decision, with lines for the applicant, the class teacher or review group, the head
teacher and the school's seal. Facts still missing print as empty cells to fill by hand.

Printing it shows full values, so it takes the right to see them (`view_full`; a
supervisor's form outside their zone prints masked), and the PDF is written only to the
path the caller gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wushan_desk import reports as r
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain.aid import HARDSHIP_LEVELS, amount_text
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid, permissions, records
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.services.report_signing import signer_for
from wushan_desk.store.workspace import Workspace

TITLE = "家庭经济困难学生认定申请表"
#: The member table has at least this many rows: the family adds members by hand.
MEMBER_ROWS = 4
MEMBER_COLUMNS = (r.Column("姓名", 1.3), r.Column("年龄", 0.7, "center"),
                  r.Column("与学生关系", 1.3, "center"), r.Column("工作单位或务工地", 2.4),
                  r.Column("年收入（元）", 1.4, "right"), r.Column("健康状况", 1.1, "center"))
#: An empty line to write on: a no-break space (reportlab draws "" or a newline, even
#: an ideographic space, as a paragraph of no height, leaving a sliver of a row).
BLANK = "\xa0"
PROMISE = "本人承诺以上所填内容真实、完整，如有虚假，愿承担相应责任。"


def application_form(ws: Workspace, recognition_id: str, path: Path) -> r.RenderResult:
    """Write the application form of one recognition to `path` (a PDF, atomically).

    ValidationError when there is no such recognition; PermissionDenied for an account
    that may not see full ID numbers.
    """
    permissions.require(ws, "view_full")
    rec = records.get(ws, recognition.KIND, recognition_id)
    if rec is None:
        raise ValidationError(f"找不到编号为“{recognition_id}”的困难认定：编号可能有误，"
                              "或已被删除。", "id")
    stored = records.get(ws, "student", rec["student_id"], deleted=True)
    if stored is None:
        raise ValidationError("这条困难认定的学生不在学籍名单上，无法打印申请表。", "student_id")
    student = next(records.full_values(ws, "student", [stored]))
    school = records.get(ws, "school", student["school_id"]) or {}
    blocks: list[Any] = [
        r.Heading("一、学生基本情况", level=2), _student_facts(rec, student, school),
        r.Heading("二、家庭成员情况", level=2), _members_table(recognition.members(ws, rec["id"])),
        r.Heading("三、家庭经济困难情况", level=2), _hardship(rec),
        r.SignatureBlock([r.Signer("申请人（学生或监护人）")], columns=2),
        r.Heading("四、学校认定意见", level=2), _school_review(ws, rec),
        r.SignatureBlock([r.Signer("班主任（评议小组）"), r.Signer("校长"),
                          r.Signer("学校（公章）")]),
    ]
    name = school.get("name") or "学校"
    doc = r.Document(title=TITLE, issuer=name, report_id=f"{rec['id']}:aid-application",
                     kind="aid-application", blocks=blocks, letterhead=(name,),
                     red_letterhead=False)
    return r.render_pdf(doc, path, signer=signer_for(ws))


def _date(value: str | None) -> str:
    """'2026-09-10' -> '2026年9月10日'; nothing -> '' (a cell to fill by hand)."""
    return r.chinese_date(dt.date.fromisoformat(value)) if value else ""


def _lines(count: int) -> str:
    """Room for `count` handwritten lines in a cell."""
    return "\n".join([BLANK] * count)


def _student_facts(rec: Mapping[str, Any], student: Mapping[str, Any],
                   school: Mapping[str, Any]) -> r.KeyValueTable:
    """Who applies: the child, the household's registration, the guardian to call."""
    guardian = student.get("guardian_name") or ""
    if guardian and student.get("guardian_relation"):
        guardian += f"（{student['guardian_relation']}）"
    size = rec.get("household_size")
    return r.KeyValueTable([
        ("学校", school.get("name") or ""), ("学年", f"{rec['school_year']}学年"),
        ("姓名", student["name"]), ("性别", student.get("sex") or ""),
        ("年级", student.get("grade") or ""), ("班级", student.get("class_name") or ""),
        ("出生日期", _date(student.get("birth_date"))),
        ("身份证号", student.get("resident_id") or ""),
        ("户籍类别", student.get("hukou_type") or ""), ("家庭人口", f"{size}人" if size else ""),
        ("监护人", guardian), ("监护人电话", student.get("guardian_phone") or ""),
        ("户籍地址", student.get("hukou_address") or ""), ("申请日期", _date(rec["applied_on"])),
    ])


def _members_table(members: list[dict[str, Any]]) -> r.Table:
    """Every member entered, then empty rows up to MEMBER_ROWS for the family's pen."""
    rows: list[list[object]] = [
        [m["name"], m.get("age") or "", m.get("relation") or "", m.get("employer") or "",
         "" if m.get("income") is None else amount_text(m["income"]), m.get("health") or ""]
        for m in members]
    rows += [[BLANK] * len(MEMBER_COLUMNS)] * max(0, MEMBER_ROWS - len(rows))
    return r.Table(MEMBER_COLUMNS, rows, size=r.SIZE_XIAO4)


def _hardship(rec: Mapping[str, Any]) -> r.KeyValueTable:
    """The family's case: its groups, its income (also per head), its own account, and
    the promise the applicant signs under (in the table, so no page separates them)."""
    income, size = rec.get("household_income"), rec.get("household_size")
    money = ""
    if income is not None:
        money = f"{amount_text(income)}元"
        if size:
            money += f"（人均{amount_text(round(income / size, 2))}元）"
    return r.KeyValueTable([
        ("认定类别", "、".join(rec.get("groups") or []) or "无（不属于特殊群体）"),
        ("家庭年收入", money),
        ("家庭陈述", rec.get("situation") or _lines(4)),
        ("申请人承诺", PROMISE),
    ], columns=1)


def _school_review(ws: Workspace, rec: Mapping[str, Any]) -> r.KeyValueTable:
    """The school's part: the review, the proposed level, the notice, the decision."""
    notice = ""
    if rec.get("notice_from") and rec.get("notice_to"):
        start, end = (dt.date.fromisoformat(rec[k]) for k in ("notice_from", "notice_to"))
        days = aid.count_working_days(ws, start, end).count
        notice = f"{r.chinese_date(start)}至{r.chinese_date(end)}（{days}个工作日）"
    return r.KeyValueTable([
        ("民主评议日期", _date(rec.get("review_date"))),
        ("评议意见", rec.get("review_result") or _lines(3)),
        ("拟认定等级", rec.get("level") or "　".join(f"□{lv}" for lv in HARDSHIP_LEVELS)),
        ("公示时间", notice),
        ("公示地点", rec.get("notice_place") or ""),
        ("学校认定意见", _decision(rec)),
    ], columns=1)


def _decision(rec: Mapping[str, Any]) -> str:
    """The decision as recorded, or boxes to tick when the school has not decided."""
    day = _date(rec.get("decided_on"))
    if rec["status"] == rules.RECOGNISED:
        return f"认定为{rec.get('level') or ''}（{day}）"
    if rec["status"] == rules.REJECTED:
        return f"不予认定（{day}）"
    if rec["status"] == rules.REVOKED:
        return "已撤销"
    return "　".join(f"□{lv}" for lv in (*HARDSHIP_LEVELS, "不予认定"))
