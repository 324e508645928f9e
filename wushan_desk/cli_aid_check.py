"""`wushan-desk aid check|explain` and `report aid-check`: the 资助核查 cross-checks from
the command line (services/aid_check.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_commands(asub: Any, common: argparse.ArgumentParser) -> None:
    from wushan_desk.cli import _date_arg
    from wushan_desk.domain import aid_check as rules

    p = asub.add_parser("check", parents=[common],
                        help="资助核查：在校状态、两校重复、认定与发放是否相符、公示期、在校天数")
    p.add_argument("--year", default=None, help="学年，如 2026-2027（默认全部）")
    p.add_argument("--kind", default=None, choices=rules.CHECKS, help="只看一种核查")
    p.add_argument("--open", action="store_true", help="只列待说明的")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)
    p = asub.add_parser("explain", parents=[common], help="给一条核查发现写明原因（标为已说明）")
    p.add_argument("key", metavar="KEY", help="核查发现的编号（aid check --json 的 key）")
    p.add_argument("--reason", required=True, help="原因，如“已退回，见调整记录”")
    p.add_argument("--date", type=_date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.set_defaults(func=cmd_explain)


def add_reports(rsub: Any, common: argparse.ArgumentParser) -> None:
    p = rsub.add_parser("aid-check", parents=[common], help="学生资助核查情况（PDF 或 XLSX）")
    p.add_argument("--year", default=None, help="学年（默认全部）")
    p.add_argument("--out", type=Path, required=True, help=".pdf 或 .xlsx 文件")
    p.set_defaults(func=cmd_report)


def _found(ws: Any, args: argparse.Namespace) -> list[Any]:
    from wushan_desk.cli_aid import _today
    from wushan_desk.domain import aid as aid_rules
    from wushan_desk.services import aid_check

    year = aid_rules.check_school_year(args.year) if args.year else None
    found = aid_check.findings(ws, school_year=year, today=_today(None))
    return [f for f in found if (getattr(args, "kind", None) in (None, f.check))
            and not (getattr(args, "open", False) and f.explained)]


def cmd_check(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid_check

    with _workspace(args) as ws:
        found = _found(ws, args)
    if args.json:
        print(json.dumps([f.as_dict() for f in found], ensure_ascii=False, indent=1))
        return 0
    for check, (open_, done) in aid_check.counts(found).items():
        print(f"{check}：待说明 {open_} 条，已说明 {done} 条")
    for f in found:
        state = "已说明" if f.explained else "待说明"
        print(f"[{state}] {f.check} {f.school} {f.student}：{f.detail}\n    {f.key}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.cli_aid import _today
    from wushan_desk.services import aid_check

    with _workspace(args) as ws:
        print(aid_check.explain(ws, args.key, args.reason, _today(args.date)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.cli_aid import _today
    from wushan_desk.services import aid_check_report, audit, permissions

    with _workspace(args) as ws:
        permissions.require(ws, "export")
        found = _found(ws, args)
        count = aid_check_report.export(ws, found, args.out, day=_today(None),
                                        school_year=args.year)
        audit.record_or_defer(ws, "export", kind="aid_explanation",
                              detail={"document": "学生资助核查情况", "file": args.out.name,
                                      "rows": count})
    print(json.dumps({"file": str(args.out), "rows": count}, ensure_ascii=False))
    return 0
