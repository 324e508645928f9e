"""What each role may do, enforced in the services (the GUI and the CLI obey the same).

Writes are checked at the one write path (store/changes.write_local calls
`check_write` through the workspace's write guard, installed at login), so no service
can forget the rule. Other actions name themselves with `require`.

- 县级管理员 (county_admin): everything, accounts included.
- 县级业务员 (county_staff): every record; no accounts, no restore.
- 督导员 (supervisor): records inside their centre's zone only; nothing the county owns.
- 只读 (read_only): reads masked lists; changes nothing, sees no full values.
"""

from __future__ import annotations

from typing import Any

from wushan_desk.domain import entities
from wushan_desk.services.accounts import ROLES, Actor, PermissionDenied
from wushan_desk.store.workspace import Workspace

#: action -> roles allowed to do it
ALLOWED: dict[str, frozenset[str]] = {
    "write": frozenset({"county_admin", "county_staff", "supervisor"}),
    "manage_accounts": frozenset({"county_admin"}),
    "restore": frozenset({"county_admin"}),
    "sync": frozenset({"county_admin", "county_staff", "supervisor"}),
    "backup": frozenset({"county_admin", "county_staff", "supervisor"}),
    "view_full": frozenset({"county_admin", "county_staff", "supervisor"}),
    "read_audit": frozenset({"county_admin", "county_staff"}),
    "export": frozenset({"county_admin", "county_staff", "supervisor"}),
}

_WHAT: dict[str, str] = {
    "write": "修改数据",
    "manage_accounts": "管理账号",
    "restore": "从备份恢复",
    "sync": "导入或导出同步包",
    "backup": "备份工作区",
    "view_full": "查看完整的身份证号、电话、地址或银行卡号",
    "read_audit": "查看审计记录",
    "export": "导出数据",
}


def may(actor: Actor | None, action: str) -> bool:
    """May `actor` do `action`? (No actor: a workspace without accounts, where all may.)"""
    return actor is None or actor.role in ALLOWED[action]


def require(ws: Workspace, action: str) -> None:
    """PermissionDenied, in plain words, unless the logged-in account may do `action`."""
    actor = ws.user
    if not may(actor, action):
        assert actor is not None
        raise PermissionDenied(
            f"您的账号“{actor.login}”（{ROLES.get(actor.role, actor.role)}）无权{_WHAT[action]}。"
            "如需此权限，请联系县教委管理员。")


def check_write(ws: Workspace, table: str, before: dict[str, Any] | None,
                changed: dict[str, Any]) -> None:
    """The write guard: may the logged-in account make this change to `table`?"""
    require(ws, "write")
    actor: Actor | None = ws.user
    if actor is None or actor.role != "supervisor":
        return
    from wushan_desk.store import changes
    from wushan_desk.sync import scope

    kind = changes.table_kind(table)
    after = {**(before or {}), **changed}
    if before is not None:
        before = changes.from_sql(kind, before) | {"origin_device": before["origin_device"]}
        after = {**before, **changed}
    after.setdefault("origin_device", ws.device_id)
    zone = scope.centre_scope(ws, actor.centre_id or "")
    refusal = scope.zone_refusal(ws, zone, kind, before, after)
    if refusal:
        raise PermissionDenied(f"督导员账号只能修改本督导中心责任区内的记录：{refusal}。")


def writable_townships(ws: Workspace) -> frozenset[str] | None:
    """The townships the logged-in account may write in: a supervisor's centre zone;
    None for any other role (county accounts write everywhere, read-only nowhere, which
    `check_write` says). For services that skip what is not theirs instead of failing."""
    actor: Actor | None = ws.user
    if actor is None or actor.role != "supervisor":
        return None
    from wushan_desk.sync import scope

    return frozenset(scope.centre_scope(ws, actor.centre_id or "").township_ids)


def may_see_full(actor: Actor | None) -> bool:
    return may(actor, "view_full")


def sensitive_fields(kind_name: str) -> list[str]:
    return [f.name for f in entities.kind(kind_name).fields if f.sensitive]
