"""限期返校通知书: the township's notice to a guardian to bring the child back by a date.

A draft (marked 草稿 in its title, the deadline left blank unless given) until it is
issued; issuing records the delivery as a persuasion visit (method 送达限期返校通知书)
with the deadline as its next step's due date, so the case's timeline, the overdue rule
and every later print of the notice agree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from wushan_desk import reports as r
from wushan_desk.domain import dropout as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import dropout, records
from wushan_desk.services.inspection_report import letterhead_of
from wushan_desk.services.report_signing import signer_for
from wushan_desk.store.workspace import Workspace

NOTICE_METHOD = "送达限期返校通知书"


def issued(ws: Workspace, case_id: str) -> dict[str, Any] | None:
    """The delivery of the latest issued notice of a case (None: not issued yet)."""
    found = sorted((v for v in records.iter_records(ws, "dropout_visit")
                    if v["case_id"] == case_id and v["method"] == NOTICE_METHOD),
                   key=lambda v: v["date"])  # stable: same-day ones stay in creation order
    return found[-1] if found else None  # records come in creation order


def return_notice(ws: Workspace, case_id: str, path: Path, *,
                  deadline: dt.date | None = None, issue_on: dt.date | None = None
                  ) -> r.RenderResult:
    """Write the notice's PDF. With `issue_on` (and a `deadline`), the notice is issued
    that day: recorded on the case, printed without the draft mark."""
    case = records.get(ws, "dropout_case", case_id)
    if case is None:
        raise ValidationError(f"找不到编号为 {case_id} 的案件。", "case_id")
    if issue_on is not None:
        if case["status"] not in rules.OPEN_STATUSES:
            raise ValidationError(f"案件现在是“{case['status']}”，不需要限期返校通知书。",
                                  "status")
        if deadline is None or deadline <= issue_on:
            raise ValidationError("送达通知书须注明晚于送达日的返校期限。", "deadline")
        # printed first: a full disk or a bad folder must not leave a delivery on record
        # that never had its paper
        delivery: dict[str, Any] | None = {"participants": _who(ws), "date": issue_on.isoformat(),
                                            "next_due": deadline.isoformat()}
        result = r.render_pdf(_document(ws, case, deadline, delivery), path,
                              signer=signer_for(ws))
        dropout.add_visit(ws, case_id, issue_on, NOTICE_METHOD, _who(ws),
                          f"送达限期返校通知书，限 {deadline.isoformat()} 前返校",
                          next_step="核实是否按期返校", next_due=deadline)
        return result
    delivery = issued(ws, case_id)
    if delivery is not None:
        deadline = dt.date.fromisoformat(delivery["next_due"])
    return r.render_pdf(_document(ws, case, deadline, delivery), path, signer=signer_for(ws))


def _document(ws: Workspace, case: dict[str, Any], deadline: dt.date | None,
              delivery: dict[str, Any] | None) -> r.Document:
    issuer, letterhead = letterhead_of(ws)
    school = records.get(ws, "school", case.get("school_id") or "") or {}
    child = case["name"]
    born = r.chinese_date(dt.date.fromisoformat(case["birth_date"]))
    since = r.chinese_date(dt.date.fromisoformat(case["opened_on"]))
    where = (f"原就读于{school['name']}{case.get('grade') or ''}，自{since}起未到校就读"
             if school else f"自{since}起未入学就读")
    by = r.chinese_date(deadline) if deadline else "____年__月__日"
    draft = "" if delivery else "（草稿）"
    blocks: list[Any] = [
        r.Paragraph(f"{case.get('guardian_name') or '学生家长（监护人）'}：", indent=0),
        r.Paragraph(
            f"你的孩子{child}（{case['sex']}，{born}出生）{where}。根据《中华人民共和国义务"
            "教育法》第五条、第十一条和《中华人民共和国未成年人保护法》第十六条的规定，适龄"
            "儿童、少年的父母或者其他法定监护人应当依法保证其按时入学，接受并完成义务教育。"),
        r.Paragraph(f"现通知你于{by}前送{child}返校复学。逾期仍不送子女返校的，将依法处理。"),
        r.Paragraph("特此通知。"),
        r.Spacer(4),
        r.SignatureBlock([r.Signer("送达人", delivery["participants"] if delivery else ""),
                          r.Signer("监护人签收")],
                         closing=r.Closing(issuer, dt.date.fromisoformat(delivery["date"])
                                           if delivery else "____年__月__日")),
    ]
    return r.Document(title=f"限期返校通知书{draft}", issuer=issuer,
                      report_id=f"{case['id']}:return-notice", kind="dropout-notice",
                      blocks=blocks, letterhead=letterhead, draft=delivery is None)


def _who(ws: Workspace) -> str:
    from wushan_desk.services.session import user_name

    return user_name(ws) or "督导中心"


LEDGER_HEADER = ("序号", "姓名", "性别", "出生日期", "身份证号", "乡镇（街道）", "学校", "年级",
                 "状态", "安置方式", "原因", "登记日期", "包保责任人", "最近劝返")


def ledger_rows(ws: Workspace, township_id: str, as_of: dt.date, *,
                full: bool = False) -> list[list[str]]:
    """The township's ledger as of a date: each case that existed then, with its status
    then (not today's). ID numbers masked unless `full` (the caller disclosed them)."""
    from wushan_desk.store import dropout_queries as q

    rows_of_events = q.status_events(ws)  # in date order
    events = rules.events_by_case(rows_of_events)
    placed = {e["case_id"]: e["placement"] or "" for e in rows_of_events  # the last one
              if e["date"] <= as_of.isoformat()}  # on or before the date wins
    duties: dict[str, list[str]] = {}
    for d in records.iter_records(ws, "dropout_duty"):
        duties.setdefault(d["case_id"], []).append(f"{d['role']}：{d['name']}")
    visits = q.last_visits(ws, as_of.isoformat())
    schools = {s["id"]: s["name"] for s in records.iter_records(ws, "school")}
    township_name = dict(q.townships(ws)).get(township_id, "")
    rows: list[list[str]] = []
    for case in q.cases(ws):
        status = rules.status_on(events.get(case["id"], []), as_of)
        if case["township_id"] != township_id or status is None:
            continue
        shown = case if full else records.masked("dropout_case", case)
        last = visits.get(case["id"], (None, None))[0]
        rows.append([str(len(rows) + 1), case["name"], case["sex"], case["birth_date"],
                     shown.get("resident_id") or "", township_name,
                     schools.get(case.get("school_id") or "", ""),
                     case.get("grade") or "", status, placed.get(case["id"], ""),
                     "、".join(case["reasons"]), case["opened_on"],
                     "；".join(duties.get(case["id"], [])),
                     last or ""])
    return rows


def dropout_ledger(ws: Workspace, township: str, as_of: dt.date, path: Path, *,
                   full: bool = False) -> int:
    """The ledger of one township (name or id) as of a date, as PDF or XLSX by the file's
    suffix; returns the number of cases."""
    from wushan_desk.services import permissions
    from wushan_desk.store import dropout_queries as q

    permissions.require(ws, "export")
    found = [tid for tid, name in q.townships(ws) if township in (tid, name)]
    if not found:
        raise ValidationError(f"没有名为“{township}”的乡镇（街道）。", "township")
    name = dict(q.townships(ws))[found[0]]
    rows = ledger_rows(ws, found[0], as_of, full=full)
    title = f"{name}控辍保学台账（截至{r.chinese_date(as_of)}）"
    if path.suffix.lower() == ".xlsx":
        from wushan_desk.reports.xlsx import write_table

        write_table(path, f"{name}台账", list(LEDGER_HEADER), rows)
        return len(rows)
    if path.suffix.lower() != ".pdf":
        raise ValidationError("台账可导出为 .pdf 或 .xlsx 文件。", "out")
    issuer, letterhead = letterhead_of(ws)
    widths = (0.7, 1.2, 0.6, 1.7, 3.3, 1.4, 2.6, 1.0, 1.3, 1.1, 2.2, 1.7, 2.8, 1.7)
    table = r.Table([r.Column(h, w) for h, w in zip(LEDGER_HEADER, widths, strict=True)],
                    rows or [["", "（无）", *[""] * (len(LEDGER_HEADER) - 2)]], size=9)
    doc = r.Document(title=title, issuer=issuer, report_id=f"{found[0]}:{as_of}:dropout-ledger",
                     kind="dropout-ledger", blocks=[table], letterhead=letterhead,
                     landscape=True, red_letterhead=False)
    r.render_pdf(doc, path, signer=signer_for(ws))
    return len(rows)
