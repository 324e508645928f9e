"""`wushan-desk aid rosters|roster|roster-new|pay|import-roster|roster-report|roster-back|
roster-confirm|adjust|paid`: payment rosters from the command line
(services/aid_roster.py, services/aid_roster_import.py). Registered by
cli_aid.add_commands under `aid`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from wushan_desk.cli_aid import _today as today


def add_commands(asub: Any, common: argparse.ArgumentParser) -> None:
    from wushan_desk.cli import _date_arg

    p = asub.add_parser("rosters", parents=[common], help="发放花名册列表（人数、金额、状态）")
    p.add_argument("--term", default=None, help="学期，如 2026-2027-1")
    p.add_argument("--school", default=None, help="学校名称")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rosters)
    p = asub.add_parser("roster", parents=[common], help="一份花名册的发放名单（银行卡号遮挡）")
    p.add_argument("roster", metavar="ROSTER_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_roster)
    p = asub.add_parser("roster-new", parents=[common], help="新建发放花名册（草稿）")
    p.add_argument("--school", required=True, help="学校名称")
    p.add_argument("--programme", required=True, help="资助项目名称")
    p.add_argument("--term", required=True, help="学期，如 2026-2027-1")
    p.set_defaults(func=cmd_roster_new)
    p = asub.add_parser("pay", parents=[common], help="把一名学生列入花名册（按标准计算金额）")
    p.add_argument("roster", metavar="ROSTER_ID")
    p.add_argument("student", metavar="STUDENT_ID")
    p.add_argument("--boarding", required=True, help="住校、走读或不限")
    p.add_argument("--band", default=None, help="档次（一档、二档、三档）")
    p.add_argument("--days", type=int, default=None, help="在校天数（按在校日计发的项目）")
    p.add_argument("--amount", type=float, default=None, help="金额（默认按标准）")
    p.add_argument("--reason", default=None, help="金额与标准不同的原因")
    p.add_argument("--card", default=None, help="银行卡号")
    p.add_argument("--holder", default=None, help="持卡人")
    p.set_defaults(func=cmd_pay)
    p = asub.add_parser("import-roster", parents=[common],
                        help="从表格（.xlsx）导入发放名单到草稿花名册（全部正确才导入）")
    p.add_argument("file", type=Path, metavar="FILE.xlsx")
    p.add_argument("--roster", required=True, metavar="ROSTER_ID", help="草稿花名册的编号")
    p.add_argument("--dry-run", action="store_true", help="只检查并显示将列入的人数和金额，不写入")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import_roster)
    for name, helptext in (("roster-report", "报送花名册（之后不能修改，除非县教委退回）"),
                           ("roster-confirm", "确认花名册（县级中心库；确认后锁定）")):
        p = asub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("roster", metavar="ROSTER_ID")
        p.add_argument("--date", type=_date_arg, default=None, help="日期（默认今天）")
        p.set_defaults(func=cmd_roster_report if name == "roster-report" else cmd_confirm)
    p = asub.add_parser("roster-back", parents=[common], help="退回花名册修改（县级中心库）")
    p.add_argument("roster", metavar="ROSTER_ID")
    p.add_argument("--note", required=True, help="需要修改什么")
    p.set_defaults(func=cmd_roster_back)
    p = asub.add_parser("adjust", parents=[common], help="已确认花名册的调整（退回、停发、补发……）")
    p.add_argument("payment", metavar="PAYMENT_ID")
    p.add_argument("--kind", required=True, help="金额更正、退回、停发、补发或发放完成")
    p.add_argument("--reason", required=True, help="原因")
    p.add_argument("--amount", type=float, default=None, help="更正后的金额")
    p.add_argument("--date", type=_date_arg, default=None, help="日期（默认今天）")
    p.set_defaults(func=cmd_adjust)
    p = asub.add_parser("paid", parents=[common], help="登记花名册已由银行发放完成")
    p.add_argument("roster", metavar="ROSTER_ID")
    p.add_argument("--date", type=_date_arg, default=None, help="日期（默认今天）")
    p.set_defaults(func=cmd_paid)


def cmd_rosters(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster, browse

    with _workspace(args) as ws:
        school = browse.school_id_named(ws, args.school) if args.school else None
        rows = aid_roster.rosters(ws, school_id=school, term=args.term)
    if args.json:
        keep = ("id", "school", "programme", "term", "status", "payments", "total")
        print(json.dumps([{k: r[k] for k in keep} for r in rows], ensure_ascii=False))
        return 0
    for r in rows:
        print(f"{r['id']}  {r['term']}  {r['school']}  {r['programme']}  {r['status']}  "
              f"{r['payments']} 人  {r['total']:,.2f} 元")
    return 0


def cmd_roster(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        shown = aid_roster.view(ws, args.roster)
    if args.json:
        print(json.dumps({**{k: shown.roster[k] for k in ("id", "term", "status")},
                          "total": shown.total,
                          "lines": [line.__dict__ | {"problems": list(line.problems)}
                                    for line in shown.lines]}, ensure_ascii=False))
        return 0
    for n, line in enumerate(shown.lines, 1):
        flag = f"  ▲ {'；'.join(line.problems)}" if line.problems else ""
        print(f"{n}  {line.name}  {line.grade}  {line.amount:,.2f}  {line.status}  "
              f"{line.card}{flag}")
    print(f"合计 {shown.total:,.2f} 元（{shown.roster['status']}）")
    return 0


def cmd_roster_new(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.domain.errors import UserError
    from wushan_desk.services import aid, aid_roster, browse, records

    with _workspace(args) as ws:
        school = browse.school_id_named(ws, args.school)
        year = args.term[:9]
        found = [p["id"] for p in records.iter_records(ws, aid.PROGRAMME)
                 if p["name"] == args.programme and p["school_year"] == year]
        if not found:
            raise UserError(f"{year} 学年没有名为“{args.programme}”的资助项目；可用 "
                            f"`wushan-desk aid standards --year {year}` 查看。", "no-programme")
        print(aid_roster.new_roster(ws, school, found[0], args.term))
    return 0


def cmd_pay(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        print(aid_roster.add_payment(
            ws, args.roster, args.student, boarding=args.boarding, band=args.band,
            days=args.days, amount=args.amount, override_reason=args.reason,
            account_holder=args.holder, bank_card=args.card))
    return 0


def cmd_import_roster(args: argparse.Namespace) -> int:
    """Check (dry run) or import a roster's rows; any row error: exit 3, nothing written,
    every error on stderr (and in the JSON on stdout with --json)."""
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster_import as importer

    with _workspace(args) as ws:
        try:
            if args.dry_run:
                result = importer.preview(ws, args.file, args.roster)
                if result.errors:
                    raise importer.RowsInvalid(result)
            else:
                result = importer.import_payments(ws, args.file, args.roster)
        except importer.RowsInvalid as exc:
            _print_import(exc.result, args.json)
            raise
    _print_import(result, args.json)
    return 0


def _print_import(result: Any, as_json: bool) -> None:
    """The import's summary (cards are masked by the service; errors go to stderr)."""
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    if not result.errors:  # with errors nothing is added: the errors say it (stderr)
        done = "将列入" if result.dry_run else "已列入"
        print(f"{done} {result.added} 人，合计 {result.total:,.2f} 元"
              + ("（只检查，未写入）" if result.dry_run else "") + "。")
        for name, heading in result.columns.items():
            print(f"  {name} ← “{heading}”列")
    if result.ignored:
        print(f"忽略的列：{'、'.join(result.ignored)}")


def cmd_roster_report(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        aid_roster.report(ws, args.roster, today(args.date))
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        aid_roster.confirm(ws, args.roster, today(args.date))
    return 0


def cmd_roster_back(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        aid_roster.send_back(ws, args.roster, args.note)
    return 0


def cmd_adjust(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        print(aid_roster.adjust(ws, args.payment, today(args.date), args.kind, args.reason,
                                amount=args.amount))
    return 0


def cmd_paid(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_roster

    with _workspace(args) as ws:
        print(aid_roster.mark_paid(ws, args.roster, today(args.date)))
    return 0
