"""`wushan-desk aid apply|review|notice|decide|revoke|recheck|recognitions|show` and
`wushan-desk report aid-notice|aid-application`: 家庭经济困难认定 from the command line
(services/aid_recognition.py, services/aid_report.py, services/aid_application.py).

Registered by cli_aid.add_commands under the same `aid` command, and by cli.py under
`report`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from wushan_desk.cli_aid import _today as today


def add_commands(asub: Any, common: argparse.ArgumentParser) -> None:
    from wushan_desk.cli import _date_arg

    p = asub.add_parser("apply", parents=[common], help="受理家庭经济困难认定申请")
    p.add_argument("student", metavar="STUDENT_ID")
    p.add_argument("--year", default=None, help="学年，如 2026-2027（默认今天所在学年）")
    p.add_argument("--date", type=_date_arg, default=None, help="申请日期（默认今天）")
    p.add_argument("--groups", default="", help="特殊群体，用顿号或逗号分隔，如 低保、残疾")
    p.add_argument("--household-size", type=int, default=None, help="家庭人口")
    p.add_argument("--income", type=float, default=None, help="家庭年收入（元）")
    p.add_argument("--situation", default=None, help="家庭经济困难情况")
    p.add_argument("--member", action="append", default=[], metavar="姓名,关系,年龄,年收入",
                   help="家庭成员（可多次给出），如 张大山,父亲,45,12000")
    p.add_argument("--file", action="append", type=Path, default=[],
                   help="证明材料（照片、扫描件；可多次给出）")
    p.set_defaults(func=cmd_apply)
    p = asub.add_parser("review", parents=[common], help="登记民主评议（意见与困难等级）")
    _id_and_date(p, _date_arg)
    p.add_argument("--level", required=True, help="困难等级：特别困难、困难或一般困难")
    p.add_argument("--result", required=True, help="评议意见")
    p.set_defaults(func=cmd_review)
    p = asub.add_parser("notice", parents=[common], help="登记公示（至少 5 个工作日）")
    p.add_argument("recognition", metavar="RECOGNITION_ID")
    p.add_argument("--from", dest="start", type=_date_arg, required=True, help="公示开始日期")
    p.add_argument("--to", dest="end", type=_date_arg, default=None,
                   help="公示结束日期（默认第 5 个工作日）")
    p.add_argument("--place", default="", help="公示地点，如 校务公开栏")
    p.set_defaults(func=cmd_notice)
    p = asub.add_parser("decide", parents=[common], help="认定（公示期满后）或不予认定")
    _id_and_date(p, _date_arg)
    p.add_argument("--reject", action="store_true", help="不予认定（未通过）")
    p.add_argument("--note", default="", help="说明")
    p.set_defaults(func=cmd_decide)
    for name, helptext in (("revoke", "撤销认定（写明原因）"),
                           ("recheck", "家庭情况变化：办理复核（新的申请，认定后代替原认定）")):
        p = asub.add_parser(name, parents=[common], help=helptext)
        _id_and_date(p, _date_arg)
        p.add_argument("--reason", required=True, help="原因")
        p.set_defaults(func=cmd_revoke if name == "revoke" else cmd_recheck)
    p = asub.add_parser("recognitions", parents=[common], help="困难认定名单（含公示倒计时）")
    p.add_argument("--year", default=None, help="学年（默认今天所在学年）")
    p.add_argument("--school", default=None, help="学校名称")
    p.add_argument("--status", default=None, help="状态，如 公示中")
    p.add_argument("--name", default=None, help="姓名中的字")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recognitions)
    p = asub.add_parser("show", parents=[common], help="一条认定的全部情况、家庭成员与办理记录")
    p.add_argument("recognition", metavar="RECOGNITION_ID")
    p.set_defaults(func=cmd_show)


def add_reports(rsub: Any, common: argparse.ArgumentParser) -> None:
    """`report aid-notice`: the school's public notice of its recognitions on notice;
    `report aid-application`: one recognition's application form, to be signed."""
    p = rsub.add_parser("aid-notice", parents=[common],
                        help="家庭经济困难学生认定结果公示（只含姓名、年级、困难等级）")
    p.add_argument("--school", required=True, help="学校名称")
    p.add_argument("--year", default=None, help="学年（默认今天所在学年）")
    p.add_argument("--out", type=Path, required=True, help="PDF 文件")
    p.set_defaults(func=cmd_aid_notice)
    p = rsub.add_parser("aid-application", parents=[common],
                        help="家庭经济困难学生认定申请表（含完整身份证号，供签字存档）")
    p.add_argument("recognition", metavar="RECOGNITION_ID")
    p.add_argument("--out", type=Path, required=True, help="PDF 文件")
    p.set_defaults(func=cmd_aid_application)
    p = rsub.add_parser("aid-roster", parents=[common], help="资助发放花名册（PDF 或 XLSX）")
    p.add_argument("roster", metavar="ROSTER_ID")
    p.add_argument("--out", type=Path, required=True, help=".pdf 或 .xlsx 文件")
    p.add_argument("--full", action="store_true", help="导出完整银行卡号（须有权限并说明用途）")
    p.add_argument("--purpose", default="", help="导出完整信息的用途，如“银行代发”")
    p.set_defaults(func=cmd_aid_roster)


def cmd_aid_notice(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.cli_aid import _year
    from wushan_desk.domain.errors import UserError
    from wushan_desk.services import aid_report, audit

    if args.out.suffix.lower() != ".pdf":
        raise UserError("公示名单请保存为 .pdf 文件。", "bad-suffix")
    with _workspace(args) as ws:
        result = aid_report.public_notice(ws, args.school, _year(args.year), args.out)
        audit.record_or_defer(ws, "print", kind="aid_recognition", detail={
            "document": "家庭经济困难学生认定结果公示", "school": args.school,
            "file": args.out.name})
    print(json.dumps({"file": str(args.out), "pages": result.pages, "bytes": result.bytes,
                      "content_hash": result.content_hash}, ensure_ascii=False))
    return 0


def cmd_aid_application(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.domain.errors import UserError
    from wushan_desk.services import aid_application, audit

    if args.out.suffix.lower() != ".pdf":
        raise UserError("申请表请保存为 .pdf 文件。", "bad-suffix")
    with _workspace(args) as ws:
        result = aid_application.application_form(ws, args.recognition, args.out)
        audit.record_or_defer(ws, "print", kind="aid_recognition", record_id=args.recognition,
                              detail={"document": aid_application.TITLE,
                                      "file": args.out.name})
    print(json.dumps({"file": str(args.out), "pages": result.pages, "bytes": result.bytes,
                      "content_hash": result.content_hash}, ensure_ascii=False))
    return 0


def cmd_aid_roster(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_report, audit, permissions, records

    with _workspace(args) as ws:
        permissions.require(ws, "export")
        if args.full:
            records.disclose(ws, "aid_payment", args.purpose)
        count = aid_report.roster_export(ws, args.roster, args.out, full=args.full)
        audit.record_or_defer(ws, "export", kind="aid_roster", record_id=args.roster,
                              detail={"file": args.out.name, "rows": count, "full": args.full})
    print(json.dumps({"file": str(args.out), "rows": count}, ensure_ascii=False))
    return 0


def _id_and_date(p: argparse.ArgumentParser, date_arg: Any) -> None:
    p.add_argument("recognition", metavar="RECOGNITION_ID")
    p.add_argument("--date", type=date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")


def _members(texts: list[str]) -> list[dict[str, Any]]:
    from wushan_desk.domain.errors import UserError

    out = []
    for text in texts:
        parts = [p.strip() for p in text.replace("，", ",").split(",")]
        if len(parts) < 2 or not parts[0]:
            raise UserError(f"家庭成员应写成“姓名,关系,年龄,年收入”：{text}", "bad-member")
        try:
            age = int(parts[2]) if len(parts) > 2 and parts[2] else None
            income = float(parts[3]) if len(parts) > 3 and parts[3] else None
        except ValueError:
            raise UserError(f"家庭成员的年龄和年收入应为数字：{text}", "bad-member") from None
        out.append({"name": parts[0], "relation": parts[1], "age": age, "income": income})
    return out


def cmd_apply(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.cli_aid import _year
    from wushan_desk.services import aid_recognition as recognition

    groups = [g for g in args.groups.replace("，", "、").replace(",", "、").split("、") if g]
    facts = {"groups": groups, "household_size": args.household_size,
             "household_income": args.income, "situation": args.situation}
    with _workspace(args) as ws:
        rec_id = recognition.apply(ws, args.student, _year(args.year), today(args.date),
                                   facts={k: v for k, v in facts.items() if v is not None},
                                   members=_members(args.member), files=args.file)
    print(rec_id)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        recognition.review(ws, args.recognition, today(args.date), args.result, args.level)
    return 0


def cmd_notice(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        recognition.post_notice(ws, args.recognition, args.start, args.end, args.place)
        rec = recognition.get(ws, args.recognition)
    print(f"公示 {rec['notice_from']} 至 {rec['notice_to']}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        recognition.decide(ws, args.recognition, today(args.date), not args.reject, args.note)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        recognition.revoke(ws, args.recognition, today(args.date), args.reason)
    return 0


def cmd_recheck(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        print(recognition.recheck(ws, args.recognition, today(args.date), args.reason))
    return 0


def cmd_recognitions(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.cli_aid import _year
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import browse

    with _workspace(args) as ws:
        school_id = browse.school_id_named(ws, args.school) if args.school else None
        rows = recognition.listing(ws, _year(args.year), school_id=school_id,
                                   status=args.status, name=args.name)
    if args.json:
        print(json.dumps([r.__dict__ | {"groups": list(r.groups)} for r in rows],
                         ensure_ascii=False))
        return 0
    for r in rows:
        left = "" if r.notice_left is None else (
            f"  公示还剩 {r.notice_left} 个工作日" if r.notice_left else "  公示期满，待认定")
        print(f"{r.id}  {r.school}  {r.grade}  {r.name}  {r.level or '未评定'}  {r.status}{left}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_recognition as recognition

    with _workspace(args) as ws:
        rec = recognition.get(ws, args.recognition)
        out = {**rec, "members": recognition.members(ws, rec["id"]),
               "events": recognition.events(ws, rec["id"])}
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0
