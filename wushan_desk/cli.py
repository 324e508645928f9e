"""The `wushan-desk` command: a thin layer over services/ (county scripts rely on it).

Exit codes: 0 ok; 1 unexpected error; 2 usage error; 3 input rejected, nothing written;
4 the workspace is busy; 5 login failed or needed; 6 the account may not do this.
Every command on an encrypted workspace runs as a user: a terminal prompt, or
WUSHAN_DESK_USER / WUSHAN_DESK_PASSWORD from the environment (scripts).
Errors are one line on stderr, in Chinese with an English code in brackets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wushan_desk import __version__, logs, paths
from wushan_desk.domain.errors import UserError
from wushan_desk.progress import Cancelled

log = logging.getLogger("wushan_desk")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_BUSY = 0, 1, 2, 3, 4
EXIT_LOGIN, EXIT_FORBIDDEN = 5, 6


def build_parser() -> argparse.ArgumentParser:
    # --db is accepted before or after a subcommand's own arguments: the sub-parsers
    # repeat it with SUPPRESS so that a value given at the top is not overwritten.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="工作区文件")
    parser = argparse.ArgumentParser(
        prog="wushan-desk", description="巫山教育督导桌面端", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"wushan-desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="生成演示用的模拟县数据")
    demo.add_argument("--scale", type=float, default=1.0, help="规模（1 = 巫山县全县）")
    demo.add_argument("--seed", type=int, default=2026, help="随机种子：相同种子生成相同数据")
    demo.set_defaults(func=cmd_demo)

    check = sub.add_parser("check", parents=[common], help="检查工作区完整性")
    check.set_defaults(func=cmd_check)

    selfcheck = sub.add_parser("selfcheck", help="自检：新建临时工作区并应用全部数据结构升级")
    selfcheck.set_defaults(func=cmd_selfcheck)

    hub = sub.add_parser("hub", help="县级中心库：创建、登记设备、吊销设备")
    hsub = hub.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = hsub.add_parser("init", parents=[common], help="创建县级中心库工作区")
    p.add_argument("--name", required=True, help="中心库名称，如“巫山县教委督导室”")
    p.set_defaults(func=cmd_hub_init)
    p = hsub.add_parser("enrol", parents=[common], help="登记督导中心设备，生成入网包")
    p.add_argument("request", type=Path, metavar="REQUEST", help="设备的入网申请文件")
    p.add_argument("--centre", required=True, help="督导中心名称或编号")
    p.add_argument("--out", type=Path, required=True, help="入网包写入的文件夹")
    p.set_defaults(func=cmd_hub_enrol)
    p = hsub.add_parser("revoke", parents=[common], help="吊销设备：此后拒收其同步包")
    p.add_argument("device", metavar="DEVICE", help="设备名称或编号")
    p.set_defaults(func=cmd_hub_revoke)

    dev = sub.add_parser("device", help="督导中心设备：创建、加入")
    dsub = dev.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = dsub.add_parser("init", parents=[common], help="创建设备工作区并生成入网申请")
    p.add_argument("--name", required=True, help="设备名称，如“骡坪督导中心-笔记本1”")
    p.add_argument("--out", type=Path, required=True, help="入网申请写入的文件夹")
    p.set_defaults(func=cmd_device_init)
    p = dsub.add_parser("join", parents=[common], help="导入县级中心库发来的入网包")
    p.add_argument("package", type=Path, metavar="PACKAGE")
    p.set_defaults(func=cmd_device_join)

    syn = sub.add_parser("sync", help="同步包：导出、导入、冲突")
    ssub = syn.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = ssub.add_parser("export", parents=[common], help="导出同步包")
    p.add_argument("--out", type=Path, required=True, help="写入的文件夹（如 U 盘）")
    p.add_argument("--to", help="县级中心库：只为该设备导出（名称或编号）")
    p.set_defaults(func=cmd_sync_export)
    p = ssub.add_parser("import", parents=[common], help="导入同步包")
    p.add_argument("--dry-run", action="store_true", help="只预览，不写入")
    p.add_argument("packages", type=Path, nargs="+", metavar="PACKAGE")
    p.set_defaults(func=cmd_sync_import)
    p = ssub.add_parser("conflicts", parents=[common], help="列出待处理的冲突")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p.set_defaults(func=cmd_sync_conflicts)
    p = ssub.add_parser("resolve", parents=[common], help="处理冲突")
    p.add_argument("conflict", metavar="CONFLICT_ID")
    p.add_argument("--keep", required=True, choices=["local", "incoming"])
    p.set_defaults(func=cmd_sync_resolve)
    p = ssub.add_parser("status", parents=[common], help="各对端的收发情况")
    p.set_defaults(func=cmd_sync_status)

    bk = sub.add_parser("backup", help="备份：列出、立即备份、恢复")
    bsub = bk.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = bsub.add_parser("list", parents=[common], help="列出本工作区的备份（最新的在前）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_backup_list)
    bsub.add_parser("now", parents=[common], help="立即备份").set_defaults(func=cmd_backup_now)
    for parent, name in ((bsub, "restore"), (sub, "restore")):
        p = parent.add_parser(name, parents=[common],
                              help="从备份恢复工作区（先备份当前数据；同步会补齐其余）")
        p.add_argument("backup", metavar="BACKUP", help="备份文件名（见 backup list）或路径")
        p.add_argument("--dry-run", action="store_true", help="只显示备份的内容，不恢复")
        p.set_defaults(func=cmd_restore)

    rep = sub.add_parser("report", help="打印文书（PDF）")
    rsub2 = rep.add_subparsers(dest="action", metavar="KIND", required=True)
    for name, label in (("inspection", "督导意见书"), ("rectification", "整改通知书")):
        p = rsub2.add_parser(name, parents=[common], help=label)
        p.add_argument("visit", metavar="VISIT_ID")
        p.add_argument("--out", type=Path, required=True, help="PDF 文件")
        p.set_defaults(func=cmd_report, kind=name)

    p = rsub2.add_parser("return-notice", parents=[common], help="限期返校通知书（控辍保学）")
    p.add_argument("case", metavar="CASE_ID")
    p.add_argument("--out", type=Path, required=True, help="PDF 文件")
    p.add_argument("--deadline", type=_date_arg, default=None, help="返校期限 YYYY-MM-DD")
    p.add_argument("--issue", action="store_true",
                   help="今天送达：记入案件，打印正式件（否则为草稿）")
    p.set_defaults(func=cmd_return_notice)

    p = rsub2.add_parser("dropout-ledger", parents=[common], help="控辍保学台账（PDF 或 XLSX）")
    p.add_argument("--township", required=True, help="乡镇（街道）名称")
    p.add_argument("--as-of", type=_date_arg, default=None, help="截至日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--out", type=Path, required=True, help=".pdf 或 .xlsx 文件")
    p.add_argument("--full", action="store_true", help="导出完整身份证号（须有权限并说明用途）")
    p.add_argument("--purpose", default="", help="导出完整信息的用途")
    p.set_defaults(func=cmd_dropout_ledger)

    p = rsub2.add_parser("dropout-monthly", parents=[common], help="控辍保学月报（PDF 或 XLSX）")
    p.add_argument("--month", default=None, help="月份 YYYY-MM（默认上个月）")
    p.add_argument("--out", type=Path, required=True, help=".pdf 或 .xlsx 文件")
    p.set_defaults(func=cmd_dropout_monthly_report)
    from wushan_desk import cli_recognition  # 学生资助 documents beside their commands

    cli_recognition.add_reports(rsub2, common)
    from wushan_desk import cli_aid_check

    cli_aid_check.add_reports(rsub2, common)

    p = sub.add_parser("verify", parents=[common], help="核验报告：PDF 文件或二维码内容",
                       description="核验本程序打印的报告是否真实、是否最新。退出码：0 核验通过；"
                       "3 未通过或需要注意（未签名、设备已吊销、库中记录已更正）。")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("file", type=Path, nargs="?", metavar="FILE.pdf", help="报告的 PDF 文件")
    which.add_argument("--qr", metavar="TEXT", help="报告二维码的内容（扫码枪扫入或手工输入）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_verify)

    bench = sub.add_parser("bench", help="性能基准（每项附同次运行测得的基线及比值）")
    bench.add_argument("--scale", type=float, default=1.0, help="演示县规模")
    bench.add_argument("--json", action="store_true", help="输出 JSON")
    bench.set_defaults(func=cmd_bench)

    tpl = sub.add_parser("template", help="督导检查表：列出、导出、导入、发布")
    tsub = tpl.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = tsub.add_parser("list", parents=[common], help="列出检查表的各个版本")
    p.set_defaults(func=cmd_template_list)
    p = tsub.add_parser("export", parents=[common], help="导出检查表（.xlsx 或 .json）")
    p.add_argument("template", metavar="ID")
    p.add_argument("--out", type=Path, required=True, help="写入的文件（.xlsx 或 .json）")
    p.set_defaults(func=cmd_template_export)
    p = tsub.add_parser("import", parents=[common], help="导入检查表（.xlsx 或 .json）为新版本草稿")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--name", help="检查表名称（默认取表格标题行）")
    p.add_argument("--publish", action="store_true", help="导入后立即发布")
    p.set_defaults(func=cmd_template_import)
    p = tsub.add_parser("publish", parents=[common], help="发布草稿，被替代的旧版本随之停用")
    p.add_argument("template", metavar="ID")
    p.set_defaults(func=cmd_template_publish)

    rec = sub.add_parser("records", help="按类别读写记录（JSON lines）")
    rsub = rec.add_subparsers(dest="action", metavar="ACTION", required=True)
    rsub.add_parser("kinds", parents=[common], help="列出记录类别").set_defaults(func=cmd_kinds)
    for name, func, extra in (
        ("schema", cmd_schema, []),
        ("list", cmd_list, []),
        ("get", cmd_get, ["id"]),
        ("put", cmd_put, ["file"]),
        ("delete", cmd_delete, ["id"]),
    ):
        p = rsub.add_parser(name, parents=[common])
        p.add_argument("kind", metavar="KIND")
        for arg in extra:
            p.add_argument(arg, metavar=arg.upper())
        if name == "list":
            p.add_argument("--deleted", action="store_true", help="也列出已删除（墓碑）记录")
        if name in ("list", "get"):
            p.add_argument("--full", action="store_true",
                           help="显示完整的身份证号、电话、地址（须有权限并说明用途，记入审计）")
            p.add_argument("--purpose", default="", help="查看完整信息的用途")
        p.set_defaults(func=func)
    _account_parsers(sub, common)
    _dropout_parsers(sub, common)
    from wushan_desk import cli_aid  # 学生资助 (its own module: this one is long enough)

    cli_aid.add_commands(sub, common)
    return parser


def _dropout_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    drop = sub.add_parser("dropout", help="控辍保学：案件状态、各乡镇台账汇总")
    dsub = drop.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = dsub.add_parser("status", parents=[common], help="案件在某日的状态（JSON）")
    p.add_argument("case", metavar="CASE_ID")
    p.add_argument("--as-of", type=_date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.set_defaults(func=cmd_dropout_status)
    p = dsub.add_parser("candidates", parents=[common], help="疑似失学辍学对象（发现）及原因")
    p.add_argument("--as-of", type=_date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dropout_candidates)
    p = dsub.add_parser("import", parents=[common], help="导入现有的台账（.xlsx，全部正确才导入）")
    p.add_argument("file", type=Path, metavar="FILE.xlsx")
    p.add_argument("--dry-run", action="store_true", help="只检查并显示将导入的案件，不写入")
    p.set_defaults(func=cmd_dropout_import)
    p = dsub.add_parser("change", parents=[common], help="变更案件状态（带日期与说明）")
    p.add_argument("case", metavar="CASE_ID")
    p.add_argument("--status", required=True, help="新状态，如 劝返中、已复学")
    p.add_argument("--date", type=_date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--placement", default=None, help="安置方式（已复学时必填）")
    p.add_argument("--note", default="", help="说明")
    p.set_defaults(func=cmd_dropout_change)
    p = dsub.add_parser("duplicates", parents=[common],
                        help="疑似重复的案件（县级中心库汇总各中心台账后核查）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dropout_duplicates)
    p = dsub.add_parser("board", parents=[common], help="各乡镇在某日的案件数与动态清零情况")
    p.add_argument("--as-of", type=_date_arg, default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dropout_board)
    p = dsub.add_parser("roster", parents=[common],
                        help="学期名册存档（发现“名册缺失”的孩子）：存档本机名单或导入学籍系统名册")
    p.add_argument("file", type=Path, nargs="?", metavar="FILE.xlsx",
                   help="学籍系统导出的名册；不给则存档本机现在的学生名单")
    p.add_argument("--term", default=None, help="学期，如 2026-2027-1（默认今天所在学期）")
    p.add_argument("--dry-run", action="store_true", help="只检查并显示将存档的数目，不写入")
    p.set_defaults(func=cmd_dropout_roster)
    p = dsub.add_parser("monthly", parents=[common], help="各乡镇某月的月报数字")
    p.add_argument("--month", default=None, help="月份 YYYY-MM（默认上个月）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dropout_monthly)


def _date_arg(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD，例如 2026-11-30：{text}") from None


def _account_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    acc = sub.add_parser("account", help="账号：列出、新建、修改密码、审计记录")
    asub = acc.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = asub.add_parser("list", parents=[common], help="列出账号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_account_list)
    p = asub.add_parser("add", parents=[common], help="新建账号（县级管理员）；密码从终端输入或 "
                        "WUSHAN_DESK_NEW_PASSWORD")
    p.add_argument("login", metavar="LOGIN")
    p.add_argument("--role", required=True, choices=["county_admin", "county_staff",
                                                     "supervisor", "read_only"])
    p.add_argument("--name", default="", help="姓名")
    p.add_argument("--centre", default=None, help="督导中心名称或编号（督导员必填）")
    p.set_defaults(func=cmd_account_add)
    p = asub.add_parser("passwd", parents=[common], help="修改当前账号的密码；新密码从终端输入或 "
                        "WUSHAN_DESK_NEW_PASSWORD")
    p.set_defaults(func=cmd_account_passwd)
    p = asub.add_parser("reset", parents=[common], help="重置账号密码为临时密码（县级管理员）；"
                        "督导中心账号随下一个同步包生效，只生效一次")
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(func=cmd_account_reset)
    p = asub.add_parser("disable", parents=[common], help="停用账号（县级管理员）")
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(func=cmd_account_disable)
    p = asub.add_parser("audit", parents=[common], help="审计记录（可筛选，可导出 XLSX）")
    p.add_argument("--action", default=None)
    p.add_argument("--user", default=None)
    p.add_argument("--record", default=None)
    p.add_argument("--since", default=None, help="起始日期 YYYY-MM-DD")
    p.add_argument("--out", type=Path, default=None, help="导出为 XLSX 文件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_account_audit)
    p = asub.add_parser("encrypt", parents=[common],
                        help="加密旧的未加密工作区并创建首个管理员（先备份，再删除明文）")
    p.set_defaults(func=cmd_account_encrypt)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wushan-desk` script."""
    _utf8_streams()
    gui_db = _gui_only(sys.argv[1:] if argv is None else list(argv))
    if gui_db is not None:  # just the app: no need to build every command's parser first
        logs.setup()
        from wushan_desk.gui.app import run

        return run(gui_db or None)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, bad usage exits 2
        return int(exc.code or 0)
    logs.setup()
    if not getattr(args, "func", None):
        from wushan_desk.gui.app import run

        return run(getattr(args, "db", None))
    try:
        return _run(args)
    except BrokenPipeError:
        # `wushan-desk records list student | head`: the reader has all it wanted.
        _silence_stdout()
        return EXIT_OK


def _gui_only(argv: list[str]) -> Path | str | None:
    """For `wushan-desk` and `wushan-desk --db PATH` (opening the app, the usual case):
    the workspace path, or "" for the default; None for anything else (parsed fully)."""
    if not argv:
        return ""
    if len(argv) == 2 and argv[0] == "--db" and not argv[1].startswith("-"):
        return Path(argv[1])
    if len(argv) == 1 and argv[0].startswith("--db=") and len(argv[0]) > 5:
        return Path(argv[0][5:])
    return None


def _run(args: argparse.Namespace) -> int:
    """Run one command; every expected refusal becomes one line and its exit code."""
    # (imported here: `wushan-desk --db PATH` opens the app without loading the store)
    from wushan_desk.services.session import BUSY_MESSAGE, WorkspaceBusy

    try:
        return int(args.func(args) or EXIT_OK)
    except WorkspaceBusy as exc:
        _error(f"{exc.message} [{exc.code}]")
        return EXIT_BUSY
    except UserError as exc:
        if exc.code in ("login-failed", "login-required", "no-key-file", "bad-key-file"):
            _error(f"{exc.message} [{exc.code}]")
            return EXIT_LOGIN
        if exc.code == "forbidden":
            _error(f"{exc.message} [{exc.code}]")
            return EXIT_FORBIDDEN
        _error(f"{exc.message} [{exc.code}]")
        return EXIT_REJECTED
    except Cancelled:
        _error("已取消，工作区未作改动。 [cancelled]")
        return EXIT_REJECTED
    except KeyboardInterrupt:
        _error("已中断。 [interrupted]")
        return EXIT_ERROR
    except BrokenPipeError:
        raise
    except Exception as exc:  # the last resort: one line for the user, the rest to the log
        from wushan_desk.services.session import is_busy

        if is_busy(exc):
            _error(f"{BUSY_MESSAGE} [busy]")
            return EXIT_BUSY
        log.exception("unexpected error")
        if isinstance(exc, OSError):
            _error(f"读写文件时出错：{exc.strerror or exc}（{exc.filename or ''}）。"
                   "请检查文件位置、磁盘空间和 U 盘后重试。 [os-error]")
        else:
            _error(f"发生意外错误：{exc}。详细信息见日志 {logs.log_path()} [unexpected]")
        return EXIT_ERROR


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the interpreter's final flush
    does not raise again (the Python documentation's recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@contextmanager
def _workspace(args: argparse.Namespace) -> Iterator[Any]:
    """The workspace named by --db (never created here), closed afterwards."""
    from wushan_desk.services import accounts
    from wushan_desk.services.session import open_workspace

    try:
        ws = open_workspace(_db(args), create=False, busy_ms=_busy_ms())
    except accounts.LoginRequired:
        if not _interactive():
            raise accounts.LoginRequired(
                f"工作区 {_db(args).name} 已加密，需要登录：请在终端中运行以输入用户名和密码，"
                f"或为脚本设置环境变量 {accounts.ENV_USER} 和 {accounts.ENV_PASSWORD}。") from None
        ws = accounts.login(_db(args), _prompt_credentials(), busy_ms=_busy_ms())
    if ws.key is None:
        _error(f"提示：工作区 {ws.path.name} 还没有加密，拿到文件的人能读出全部学生信息。"
               "请运行 wushan-desk account encrypt 加密并设置管理员账号。")
    if ws.user is not None and ws.user.must_change and args.func is not cmd_account_passwd:
        ws.close()
        raise accounts.LoginFailed(
            f"账号“{ws.user.login}”使用的是临时密码，请先修改密码："
            "wushan-desk account passwd（或在程序中登录后修改）。")
    try:
        yield ws
    finally:
        ws.close()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _prompt_credentials(*, new: bool = False) -> Any:
    """Name and password typed at the terminal (the password is not echoed)."""
    import getpass

    from wushan_desk.services import accounts

    login = input("用户名：" if not new else "首个管理员的用户名：").strip()
    password = getpass.getpass("密码：")
    if new:
        accounts.check_password(password, login)
        if getpass.getpass("再次输入密码：") != password:
            raise UserError("两次输入的密码不一致，工作区没有创建。", "password-mismatch")
    return accounts.Credentials(login, password)


def _admin_credentials() -> Any:
    """The first administrator of a workspace being created: from the environment,
    else typed at the terminal, else None (the service explains what is missing)."""
    from wushan_desk.services import accounts

    found = accounts.credentials_from_env()
    if found is None and _interactive():
        found = _prompt_credentials(new=True)
    return found


def _busy_ms() -> int:
    """How long a command waits for a workspace another program is writing to:
    WUSHAN_DESK_WAIT seconds (default 10), so a county script can wait out an import."""
    try:
        return max(0, int(float(os.environ.get("WUSHAN_DESK_WAIT", "10")) * 1000))
    except ValueError:
        return 10_000


def _db(args: argparse.Namespace) -> Path:
    return getattr(args, "db", None) or paths.default_workspace()


def cmd_demo(args: argparse.Namespace) -> int:
    from wushan_desk.services.demo import build_demo

    if not 0 < args.scale <= 20:
        raise UserError("规模应在 0 到 20 之间（1 = 巫山县全县）。", "bad-scale")
    summary = build_demo(_db(args), scale=args.scale, seed=args.seed, progress=_progress_bar())
    print(json.dumps(_jsonable(summary), ensure_ascii=False))
    if summary.accounts:
        _error("演示账号（用户名 / 角色 / 督导中心 / 密码）：")
        for login, role, centre, password in summary.accounts:
            _error(f"  {login:<12} {role:<6} {centre or '县教委':<12} {password}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from wushan_desk.services import workspace

    with _workspace(args) as ws:
        report = workspace.check(ws)
        info = workspace.info(ws)
    print(
        json.dumps(
            {
                "workspace": str(info.path),
                "schema_version": info.schema_version,
                "role": info.role,
                "integrity": report.integrity or "ok",
                "foreign_keys": report.foreign_keys or "ok",
                "schema": report.schema or "ok",
                "ok": report.ok,
            },
            ensure_ascii=False,
        )
    )
    if not report.ok:
        _error("工作区检查发现问题，请联系县教委技术人员，并先不要继续录入。 [check-failed]")
        return EXIT_REJECTED
    return EXIT_OK


def cmd_selfcheck(args: argparse.Namespace) -> int:
    """Prove an installation (or the frozen bundle) is whole: data files, migrations, deps."""
    import secrets
    import tempfile

    from wushan_desk.services import browse, session, workspace
    from wushan_desk.services.accounts import Credentials

    with tempfile.TemporaryDirectory() as tmp:
        throwaway = Credentials("selfcheck", secrets.token_urlsafe(12))
        ws = workspace.create(Path(tmp) / "selfcheck.wsdb", "demo", "自检", admin=throwaway)
        try:
            report = workspace.check(ws)
            version = workspace.info(ws).schema_version
            townships = browse.counts(ws)["townships"]
        finally:
            ws.close()
    fonts = sorted(p.name for p in paths.fonts_dir().glob("*.tt[fc]"))
    result = {
        "version": __version__,
        "data_root": str(paths.data_root()),
        "schema_version": version,
        "migrations": session.latest_schema_version(),
        "townships": townships,
        "fonts": fonts,
        "ok": report.ok and bool(fonts),
    }
    print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK if result["ok"] and version == session.latest_schema_version() else EXIT_ERROR


def _require_db(args: argparse.Namespace) -> Path:
    db = getattr(args, "db", None)
    if db is None:
        raise UserError("请用 --db 指定工作区文件。", "no-db")
    return db


def cmd_hub_init(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    result = sync.hub_init(_require_db(args), args.name, _admin_credentials())
    print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK


def cmd_hub_enrol(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        enrolled = sync.hub_enrol(ws, args.request, args.centre, args.out)
    print(enrolled.package)
    _error(
        f"已登记 {enrolled.device_name}（{enrolled.centre}）。请核对指纹——"
        f"设备：{enrolled.device_fingerprint}；中心库：{enrolled.hub_fingerprint}"
    )
    return EXIT_OK


def cmd_hub_revoke(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        device_id = sync.revoke(ws, args.device)
    print(json.dumps({"revoked": device_id}))
    return EXIT_OK


def cmd_device_init(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    print(sync.device_init(_require_db(args), args.name, args.out, _admin_credentials()))
    return EXIT_OK


def cmd_device_join(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        summary = sync.device_join(ws, args.package, progress=_progress_bar())
    print(json.dumps(summary.as_dict(), ensure_ascii=False))
    if summary.status == "rejected":
        raise UserError(summary.rejected or "入网包被拒绝。", summary.code or "rejected")
    return EXIT_OK


def cmd_sync_export(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        for exported in sync.export(ws, args.out, args.to, progress=_progress_bar()):
            print(exported.path)
            if not exported.recorded:
                _error(f"已写出同步包 {exported.path.name}，但工作区正忙，"
                       "本机的同步记录没有登记这一次导出；同步包完整有效，可以照常送出。"
                       " [not-recorded]")
    return EXIT_OK


def cmd_sync_import(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        summaries = sync.import_packages(
            ws, args.packages, dry_run=args.dry_run, progress=_progress_bar()
        )
    print(
        json.dumps(
            {"dry_run": args.dry_run, "packages": [s.as_dict() for s in summaries]},
            ensure_ascii=False,
        )
    )
    rejected = [s for s in summaries if s.status == "rejected"]
    for s in rejected:
        _error(f"{Path(s.file).name}：{s.rejected} [{s.code}]")
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_sync_conflicts(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        found = sync.conflicts(ws, open_only=not args.all)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1))
        return EXIT_OK
    from wushan_desk.services.browse import mask_field

    for c in found:
        local, incoming = (mask_field(c["kind"], c["field"], str(c[side]))
                           for side in ("local", "incoming"))
        print(f"{c['id']}  {c['kind_label']}“{c['record']}”的{c['field_label']}："
              f"本机 {local}（{c['local_by']} {c['local_at']}） / "
              f"对方 {incoming}（{c['incoming_by']} {c['incoming_at']}）"
              f"  当前采用：{'本机' if c['winner'] == 'local' else '对方'}")
    if not found:
        print("没有待处理的冲突。")
    return EXIT_OK


def cmd_backup_list(args: argparse.Namespace) -> int:
    from wushan_desk.services import backups

    with _workspace(args) as ws:
        found = backups.list_backups(ws)
    if args.json:
        print(json.dumps([_backup_json(b) for b in found], ensure_ascii=False, indent=1))
        return EXIT_OK
    for b in found:
        print(_backup_line(b))
    if not found:
        print("还没有备份。")
    return EXIT_OK


def cmd_backup_now(args: argparse.Namespace) -> int:
    from wushan_desk.services import backups

    with _workspace(args) as ws:
        print(backups.back_up_now(ws))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from wushan_desk.services import backups

    with _workspace(args) as ws:
        path, device, key = ws.path, ws.device_id, ws.key
    found = backups.find_backup(path, args.backup)
    info = backups.check_backup(path, device, found, key)
    _error(f"备份：{_backup_line(info)}")
    if args.dry_run:
        print(json.dumps(_backup_json(info), ensure_ascii=False))
        return EXIT_OK
    done = backups.restore(path, found)
    _error(f"已恢复。恢复前的数据已另存为备份 {done.safety_copy.name}；"
           "下次同步时会与县级中心库（或各设备）互相补齐。")
    print(json.dumps(_jsonable({"restored": _backup_json(done.restored),
                                "safety_copy": done.safety_copy}), ensure_ascii=False))
    return EXIT_OK


def _backup_json(b: Any) -> dict[str, Any]:
    from wushan_desk.services import backups

    return {"file": b.path.name, "path": str(b.path), "reason": b.reason,
            "reason_label": backups.reason_label(b), "taken": b.taken.isoformat(" ", "seconds"),
            "size": b.size, "schema_version": b.schema_version, "counts": b.counts}


def _backup_line(b: Any) -> str:
    from wushan_desk.services import backups

    counts = b.counts
    return (f"{b.path.name}  {b.taken:%Y-%m-%d %H:%M}  {backups.reason_label(b)}  "
            f"{b.size / 1e6:.1f} MB  学校 {counts.get('schools', 0)}、"
            f"学生 {counts.get('students', 0)}、督导记录 {counts.get('visits', 0)}")


def cmd_sync_resolve(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        sync.resolve(ws, args.conflict, args.keep)
    print(json.dumps({"resolved": args.conflict, "keep": args.keep}))
    return EXIT_OK


def cmd_sync_status(args: argparse.Namespace) -> int:
    from wushan_desk.services import sync

    with _workspace(args) as ws:
        status = [p.__dict__ for p in sync.peers(ws)]
    print(json.dumps(status, ensure_ascii=False, indent=1))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from wushan_desk.services import inspection_report

    with _workspace(args) as ws:
        result = inspection_report.render(ws, args.visit, args.out, args.kind)
    print(
        json.dumps(
            {
                "file": str(args.out),
                "pages": result.pages,
                "bytes": result.bytes,
                "content_hash": result.content_hash,
            },
            ensure_ascii=False,
        )
    )
    return EXIT_OK


def cmd_return_notice(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import audit, dropout_report

    with _workspace(args) as ws:
        result = dropout_report.return_notice(
            ws, args.case, args.out, deadline=args.deadline,
            issue_on=clock.today() if args.issue else None)
        audit.record_or_defer(ws, "print", kind="dropout_case", record_id=args.case,
                              detail={"document": "限期返校通知书", "file": args.out.name})
    print(json.dumps({"file": str(args.out), "pages": result.pages, "bytes": result.bytes,
                      "content_hash": result.content_hash}, ensure_ascii=False))
    return EXIT_OK


def cmd_dropout_ledger(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import audit, dropout_report, permissions, records

    day = args.as_of or clock.today()
    with _workspace(args) as ws:
        permissions.require(ws, "export")
        if args.full:
            records.disclose(ws, "dropout_case", args.purpose)
        count = dropout_report.dropout_ledger(ws, args.township, day, args.out, full=args.full)
        audit.record_or_defer(ws, "export", kind="dropout_case", detail={
            "document": "控辍保学台账", "file": args.out.name, "records": count})
    print(json.dumps({"file": str(args.out), "cases": count, "as_of": day.isoformat()},
                     ensure_ascii=False))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a report (PDF or QR text); exit 0 only when it passes every check."""
    from wushan_desk.services import report_verify

    with _workspace(args) as ws:
        if args.qr is not None:
            verdict = report_verify.verify_qr(ws, args.qr)
        else:
            verdict = report_verify.verify_pdf(ws, args.file)
    if args.json:
        print(json.dumps(verdict.as_dict(), ensure_ascii=False))
    else:
        print("\n".join(verdict.lines()))
    if verdict.ok:
        return EXIT_OK
    _error(f"{verdict.headline} [{verdict.code}]")
    return EXIT_REJECTED


def cmd_bench(args: argparse.Namespace) -> int:
    from wushan_desk.services import bench

    if not 0 < args.scale <= 20:
        raise UserError("规模应在 0 到 20 之间（1 = 巫山县全县）。", "bad-scale")
    figures = bench.run(args.scale, progress=_progress_bar())
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return EXIT_OK
    for name, fig in figures.items():
        ratio = f"  (基线 {fig['baseline']}，比值 {fig['ratio']})" if "ratio" in fig else ""
        print(f"{name:28} {fig['value']:>12} {fig['unit']}{ratio}")
    return EXIT_OK


def cmd_template_list(args: argparse.Namespace) -> int:
    from wushan_desk.services import templates

    with _workspace(args) as ws:
        for summary in templates.list_templates(ws):
            print(json.dumps(summary, ensure_ascii=False))
    return EXIT_OK


def cmd_template_export(args: argparse.Namespace) -> int:
    from wushan_desk.services import templates

    with _workspace(args) as ws:
        out = templates.export_file(ws, args.template, args.out)
    print(json.dumps({"exported": args.template, "out": str(out)}, ensure_ascii=False))
    return EXIT_OK


def cmd_template_import(args: argparse.Namespace) -> int:
    from wushan_desk.services import templates

    with _workspace(args) as ws:
        template_id = templates.import_file(ws, args.file, publish=args.publish, name=args.name)
        summary = next(t for t in templates.list_templates(ws) if t["id"] == template_id)
    print(json.dumps(summary, ensure_ascii=False))
    return EXIT_OK


def cmd_template_publish(args: argparse.Namespace) -> int:
    from wushan_desk.services import templates

    with _workspace(args) as ws:
        retired = templates.publish(ws, args.template)
    print(json.dumps({"published": args.template, "retired": retired}))
    return EXIT_OK


def cmd_kinds(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities

    for kind in entities.KINDS.values():
        print(f"{kind.name}\t{kind.label}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities

    print(json.dumps(entities.json_schema(args.kind), ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities
    from wushan_desk.services import records

    entities.kind(args.kind)
    with _workspace(args) as ws:
        if args.full:
            records.disclose(ws, args.kind, args.purpose)
        shown = records.full_values if args.full else records.masked_values
        for record in shown(ws, args.kind, records.iter_records(ws, args.kind,
                                                                deleted=args.deleted)):
            print(json.dumps(record, ensure_ascii=False))
    return EXIT_OK


def cmd_get(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities
    from wushan_desk.services import records

    entities.kind(args.kind)
    with _workspace(args) as ws:
        record = records.get(ws, args.kind, args.id)
        if record is not None and args.full:
            records.disclose(ws, args.kind, args.purpose, [args.id])
    if record is None:
        raise UserError(
            f"找不到编号为 {args.id} 的{entities.kind(args.kind).label}记录。", "not-found"
        )
    print(json.dumps(record if args.full else records.masked(args.kind, record),
                     ensure_ascii=False))
    return EXIT_OK


def cmd_put(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities
    from wushan_desk.services import records

    entities.kind(args.kind)
    lines = records.read_jsonl(Path(args.file))
    with _workspace(args) as ws:
        results = records.put_many(ws, args.kind, lines)
    print(
        json.dumps(
            {
                "created": sum(r.created for r in results),
                "updated": sum(bool(r.changed) and not r.created for r in results),
                "unchanged": sum(not r.changed for r in results),
                "ids": [r.id for r in results],
            },
            ensure_ascii=False,
        )
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    from wushan_desk.domain import entities
    from wushan_desk.services import records

    entities.kind(args.kind)
    with _workspace(args) as ws:
        if not records.delete(ws, args.kind, args.id):
            raise UserError(f"找不到编号为 {args.id} 的记录（或已删除）。", "not-found")
    print(json.dumps({"deleted": args.id}))
    return EXIT_OK


def _progress_bar() -> Callable[[int, int, str], None]:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""
    interactive = sys.stderr.isatty()
    last = [0.0]

    def show(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if not interactive or (now - last[0] < 0.1 and done < total):
            return
        last[0] = now
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r[{bar:<30}] {share:4.0%} {message}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _jsonable(v) for k, v in obj.__dict__.items()}
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _error(line: str) -> None:
    print(line, file=sys.stderr)


def _utf8_streams() -> None:
    """Chinese output must not crash on a Windows console with a legacy code page."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8", errors="replace")




def cmd_dropout_status(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import dropout

    day = args.as_of or clock.today()
    with _workspace(args) as ws:
        found = dropout.status(ws, args.case, day)
    print(json.dumps({"case_id": found.case_id, "as_of": day.isoformat(),
                      "status": found.status, "since": found.since}, ensure_ascii=False))
    return EXIT_OK


def cmd_dropout_candidates(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import dropout

    day = args.as_of or clock.today()
    with _workspace(args) as ws:
        found = dropout.candidates(ws, day)
    rows = [{"student_id": c.student_id, "name": c.name, "school": c.school,
             "township": c.township, "rule": c.rule, "event_id": c.event_id,
             "reason": c.text} for c in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['name']:<6} {r['school']:<16} {r['rule']:<6} {r['reason']}")
    return EXIT_OK


def cmd_dropout_import(args: argparse.Namespace) -> int:
    from wushan_desk.services import audit, dropout_import

    with _workspace(args) as ws:
        if args.dry_run:
            result = dropout_import.preview(ws, args.file)
        else:
            result = dropout_import.import_ledger(ws, args.file)
            audit.record_or_defer(ws, "import", kind="dropout_case", detail={
                "file": args.file.name, "records": result.cases})
    print(json.dumps({"cases": result.cases, "dry_run": args.dry_run, "rows": result.rows},
                     ensure_ascii=False))
    return EXIT_OK


def cmd_dropout_change(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import dropout

    day = args.date or clock.today()
    with _workspace(args) as ws:
        event = dropout.change_status(ws, args.case, args.status, day,
                                      placement=args.placement, note=args.note)
        found = dropout.status(ws, args.case, day)
    print(json.dumps({"case_id": args.case, "event_id": event, "status": found.status,
                      "since": found.since}, ensure_ascii=False))
    return EXIT_OK


def cmd_dropout_duplicates(args: argparse.Namespace) -> int:
    from wushan_desk.services import dropout

    with _workspace(args) as ws:
        groups = dropout.duplicates(ws)
    rows = [{"by": g.by, "case_ids": list(g.case_ids), "names": list(g.names),
             "townships": list(g.townships)} for g in groups]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            cases = zip(r["names"], r["townships"], strict=True)
            print(f"{r['by']}相同：" + "、".join(f"{n}（{t}）" for n, t in cases))
    return EXIT_OK


def cmd_dropout_board(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.services import dropout

    day = args.as_of or clock.today()
    with _workspace(args) as ws:
        lines = dropout.board(ws, day)
    rows = [{"township_id": t.township_id, "township": t.township, "as_of": day.isoformat(),
             "open": t.open, "placed": t.placed, "closed": t.closed,
             "oldest_open": t.oldest_open, "overdue": t.overdue,
             "dynamic_zero": t.dynamic_zero} for t in lines]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            zero = "动态清零" if r["dynamic_zero"] else f"未清零（最早 {r['oldest_open']}）"
            print(f"{r['township']:<10} 在册未安置 {r['open']:>3}  已安置 {r['placed']:>3}  "
                  f"已销号 {r['closed']:>3}  逾期 {r['overdue']:>3}  {zero}")
    return EXIT_OK


def cmd_dropout_roster(args: argparse.Namespace) -> int:
    from wushan_desk.domain import clock
    from wushan_desk.domain import term_rosters as terms
    from wushan_desk.services import audit, term_rosters

    today = clock.today()
    term = args.term or terms.term_of(today)
    with _workspace(args) as ws:
        if args.file is None:
            if args.dry_run:
                raise UserError("--dry-run 只用于导入名册文件。")
            result = term_rosters.archive(ws, today, term)
        else:
            result = term_rosters.import_roster(ws, args.file, term, today,
                                                dry_run=args.dry_run)
        if not args.dry_run:
            audit.record_or_defer(ws, "import", kind="term_roster", detail={
                "file": args.file.name if args.file else None, "term": result.term,
                "schools": result.schools})
    print(json.dumps({"term": result.term, "schools": result.schools,
                      "students": result.students, "skipped_schools": result.skipped_schools,
                      "other_zone": result.other_zone,
                      "unmatched": result.unmatched, "dry_run": args.dry_run},
                     ensure_ascii=False))
    return EXIT_OK


def _report_month(text: str | None) -> Any:
    """The month asked for, or the one most recently due (last month)."""
    from wushan_desk.domain import clock
    from wushan_desk.services.dropout_monthly import Month

    return Month.parse(text) if text else Month.of(clock.today()).previous()


def cmd_dropout_monthly(args: argparse.Namespace) -> int:
    from wushan_desk.services import dropout_monthly

    month = _report_month(args.month)
    with _workspace(args) as ws:
        lines = dropout_monthly.monthly(ws, month)
    rows = [{"township_id": t.township_id, "township": t.township, "month": str(month),
             "open_start": t.open_start, "new": t.new, "relapsed": t.relapsed,
             "placed": t.placed, "closed": t.closed, "open_end": t.open_end,
             "visits": t.visits, "dynamic_zero": t.dynamic_zero} for t in lines]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        print("\t".join(dropout_monthly.HEADER))
        for t in lines:
            print("\t".join(str(v) for v in t.figures))
    return EXIT_OK


def cmd_dropout_monthly_report(args: argparse.Namespace) -> int:
    from wushan_desk.services import audit, dropout_monthly

    month = _report_month(args.month)
    with _workspace(args) as ws:
        count = dropout_monthly.monthly_report(ws, month, args.out)
        audit.record_or_defer(ws, "export", kind="dropout_case", detail={
            "document": "控辍保学月报", "file": args.out.name, "month": str(month)})
    print(json.dumps({"file": str(args.out), "month": str(month), "townships": count},
                     ensure_ascii=False))
    return EXIT_OK


def cmd_account_list(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    with _workspace(args) as ws:
        found = accounts.list_accounts(ws)
        names = _centre_names(ws)
    rows = [{"login": a.login, "name": a.display_name, "role": a.role,
             "role_label": a.role_label, "centre": names.get(a.centre_id or "", "")}
            for a in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            centre = r["centre"] or "县教委"
            print(f"{r['login']:<14} {r['role_label']:<6} {centre:<12} {r['name']}")
    return EXIT_OK


def _centre_names(ws: Any) -> dict[str, str]:
    from wushan_desk.services import records

    return {c["id"]: c["name"] for c in records.iter_records(ws, "centre")}


def _new_password(prompt: str = "新密码：") -> str:
    import getpass

    given = os.environ.get("WUSHAN_DESK_NEW_PASSWORD")
    if given:
        return given
    if not _interactive():
        raise UserError("请在终端中输入新密码，或为脚本设置环境变量 WUSHAN_DESK_NEW_PASSWORD。",
                        "no-password")
    password = getpass.getpass(prompt)
    if getpass.getpass("再次输入：") != password:
        raise UserError("两次输入的密码不一致，没有修改。", "password-mismatch")
    return password


def cmd_account_add(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    with _workspace(args) as ws:
        centre_id = None
        if args.centre:
            names = _centre_names(ws)
            matches = [cid for cid, name in names.items() if args.centre in (cid, name)]
            if len(matches) != 1:
                raise UserError(f"找不到督导中心“{args.centre}”。可选：{'、'.join(names.values())}",
                                "not-found")
            centre_id = matches[0]
        actor = accounts.add_account(
            ws, accounts.Credentials(args.login, _new_password("新账号的密码：")), args.role,
            display_name=args.name, centre_id=centre_id, must_change=True)
    print(json.dumps({"login": actor.login, "role": actor.role, "centre_id": actor.centre_id},
                     ensure_ascii=False))
    return EXIT_OK


def cmd_account_reset(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    with _workspace(args) as ws:
        actor = accounts.reset_password(ws, args.login, _new_password("临时密码："))
    print(json.dumps({"reset": actor.login, "must_change": True}, ensure_ascii=False))
    return EXIT_OK


def cmd_account_disable(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    with _workspace(args) as ws:
        accounts.disable_account(ws, args.login)
    print(json.dumps({"disabled": args.login}, ensure_ascii=False))
    return EXIT_OK


def cmd_account_passwd(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    with _workspace(args) as ws:
        old = os.environ.get(accounts.ENV_PASSWORD) if not _interactive() else None
        if old is None:
            import getpass

            old = getpass.getpass("原密码：")
        accounts.change_password(ws, old, _new_password())
    _error("密码已修改。")
    return EXIT_OK


def cmd_account_audit(args: argparse.Namespace) -> int:
    from wushan_desk.services import audit

    filters = {"action": args.action, "login": args.user, "record_id": args.record,
               "since": args.since}
    with _workspace(args) as ws:
        if args.out:
            count = audit.export_xlsx(ws, args.out, **filters)
            print(json.dumps({"rows": count, "out": str(args.out)}, ensure_ascii=False))
            return EXIT_OK
        found = audit.entries(ws, **filters)
    if args.json:
        print(json.dumps([_jsonable(e) for e in found], ensure_ascii=False))
    else:
        for e in found:
            print(f"{e.at[:19]}  {e.login or '—':<12} {e.action_label:<8} {e.kind or ''} "
                  f"{e.record_id or ''} {json.dumps(e.detail, ensure_ascii=False)}")
    return EXIT_OK


def cmd_account_encrypt(args: argparse.Namespace) -> int:
    from wushan_desk.services import accounts

    admin = _admin_credentials()
    if admin is None:
        raise UserError(f"加密需要首个管理员账号：请在终端中运行，或设置 {accounts.ENV_USER} 和 "
                        f"{accounts.ENV_PASSWORD}。", "need-admin")
    ws = accounts.encrypt_existing(_require_db(args), admin)
    ws.close()
    _error(f"工作区已加密，管理员账号：{admin.login}。")
    return EXIT_OK

if __name__ == "__main__":
    sys.exit(main())
