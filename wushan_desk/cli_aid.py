"""`wushan-desk aid ...`: 学生资助 standards and the working-day calendar (services/aid.py).

Kept apart from cli.py, which registers these commands through `add_commands`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from wushan_desk.domain.errors import UserError


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    from wushan_desk.cli import _date_arg

    aid = sub.add_parser("aid", help="学生资助：资助项目与标准、节假日安排、家庭经济困难认定")
    asub = aid.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = asub.add_parser("standards", parents=[common], help="某学年的资助项目与标准")
    p.add_argument("--year", default=None, help="学年，如 2026-2027（默认今天所在学年）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_standards)
    p = asub.add_parser("defaults", parents=[common],
                        help="载入某学年的默认项目与标准及节假日安排（县级中心库；已有的不变）")
    p.add_argument("--year", default=None, help="学年，如 2026-2027（默认今天所在学年）")
    p.set_defaults(func=cmd_defaults)
    p = asub.add_parser("set-amount", parents=[common], help="修改一条资助标准的金额（县级中心库）")
    p.add_argument("standard", metavar="STANDARD_ID")
    p.add_argument("amount", metavar="AMOUNT", help="金额（元）；写“按实收”表示按实际收费标准")
    p.add_argument("--note", default=None, help="说明")
    p.set_defaults(func=cmd_set_amount)
    p = asub.add_parser("calendar", parents=[common], help="节假日安排（放假与调休上班的日子）")
    p.add_argument("--year", type=int, default=None, help="年份，如 2026（默认全部）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calendar)
    p = asub.add_parser("day", parents=[common], help="登记一天为放假或调休上班（县级中心库）")
    p.add_argument("date", type=_date_arg, metavar="YYYY-MM-DD")
    p.add_argument("--kind", required=True, choices=("放假", "调休上班", "正常"),
                   help="“正常”表示取消登记，按周一至周五上班")
    p.add_argument("--name", default="", help="节日名称，如 春节")
    p.set_defaults(func=cmd_day)
    p = asub.add_parser("workdays", parents=[common], help="两个日期之间（含首尾）的工作日数")
    p.add_argument("start", type=_date_arg, metavar="START")
    p.add_argument("end", type=_date_arg, metavar="END")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_workdays)
    from wushan_desk import cli_recognition  # 家庭经济困难认定, under the same `aid`

    cli_recognition.add_commands(asub, common)
    from wushan_desk import cli_roster  # 发放花名册, under the same `aid`

    cli_roster.add_commands(asub, common)
    from wushan_desk import cli_aid_check  # 资助核查, under the same `aid`

    cli_aid_check.add_commands(asub, common)


def _today(day: Any) -> Any:
    """The --date given, else today (the aid commands' default day)."""
    from wushan_desk.domain import clock

    return day or clock.today()


def _year(text: str | None) -> str:
    from wushan_desk.domain import aid as rules
    from wushan_desk.domain import clock

    return rules.check_school_year(text) if text else rules.school_year_of(clock.today())


def cmd_standards(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.domain import aid as rules
    from wushan_desk.services import aid

    year = _year(args.year)
    with _workspace(args) as ws:
        rows = aid.standards(ws, year)
    if args.json:
        print(json.dumps([{"id": r.id, "programme": r.programme, "stage": r.stage,
                           "basis": r.basis, "hardship_only": r.hardship_only,
                           "section": r.section, "level": r.level, "boarding": r.boarding,
                           "amount": r.amount, "payment": r.payment, "note": r.note}
                          for r in rows], ensure_ascii=False))
        return 0
    if not rows:
        print(f"{year}学年还没有资助标准。县级中心库可用 `wushan-desk aid defaults --year {year}` "
              "载入默认标准。")
    for r in rows:
        print(f"{r.id}  {r.programme}  {r.section}  {r.level}  {r.boarding}  "
              f"{rules.amount_text(r.amount)}（{r.basis}）")
    return 0


def cmd_defaults(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid

    year = _year(args.year)
    with _workspace(args) as ws:
        created = aid.load_defaults(ws, year)
        days = aid.seed_calendar(ws)
    print(json.dumps({"school_year": year, "created": created, "calendar_days": days},
                     ensure_ascii=False))
    return 0


def cmd_set_amount(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.domain import aid as rules
    from wushan_desk.services import aid

    amount = rules.parse_amount(args.amount)
    with _workspace(args) as ws:
        aid.set_amount(ws, args.standard, amount, args.note)
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid

    with _workspace(args) as ws:
        days = aid.calendar(ws, args.year)
    if args.json:
        print(json.dumps([{k: d.get(k) for k in ("date", "kind", "name", "source")}
                          for d in days], ensure_ascii=False))
        return 0
    for d in days:
        print(f"{d['date']}  {d['kind']}  {d.get('name') or ''}  （{d['source']}）")
    return 0


def cmd_day(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid

    with _workspace(args) as ws:
        aid.set_day(ws, args.date, None if args.kind == "正常" else args.kind, args.name)
    return 0


def cmd_workdays(args: argparse.Namespace) -> int:
    from wushan_desk.cli import _workspace
    from wushan_desk.services import aid

    if args.end < args.start:
        raise UserError("结束日期早于开始日期，请核对。", "bad-range")
    with _workspace(args) as ws:
        found = aid.count_working_days(ws, args.start, args.end)
    unknown = "、".join(str(y) for y in found.unknown_years)
    if args.json:
        print(json.dumps({"start": args.start.isoformat(), "end": args.end.isoformat(),
                          "working_days": found.count,
                          "years_without_schedule": list(found.unknown_years)}))
    else:
        print(f"{args.start} 至 {args.end}：{found.count} 个工作日")
        if unknown:
            print(f"注意：{unknown}年还没有节假日安排，只按周末计算，实际工作日可能更少。")
    return 0
