"""The audit trail: who did what and when, append-only (db/0005 refuses edits).

Changes to records are in the change log with their author; this trail adds what the
change log cannot show: logins and failed logins, locks, full-value views with their
stated purpose, exports, prints, package imports and exports, account management.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk.domain import clock
from wushan_desk.store import accounts as store
from wushan_desk.store.workspace import Workspace

#: Actions and how the screens name them.
ACTIONS: dict[str, str] = {
    "login": "登录",
    "login-failed": "登录失败",
    "lock": "锁屏",
    "unlock": "解锁",
    "logout": "退出",
    "password-changed": "修改密码",
    "password-reset": "重置密码",
    "account-created": "新建账号",
    "account-disabled": "停用账号",
    "view-full": "查看完整信息",
    "export": "导出",
    "import": "导入",
    "print": "打印",
    "package-export": "导出同步包",
    "package-import": "导入同步包",
    "backup": "备份",
    "restore": "恢复备份",
    "encrypt": "加密工作区",
}


def record(ws: Workspace, action: str, *, kind: str | None = None,
           record_id: str | None = None, detail: Mapping[str, Any] | None = None,
           as_nobody: bool = False) -> None:
    """Append one entry for the logged-in account (inside the caller's transaction, or
    its own). `as_nobody`: an event with no account (a failed login)."""
    actor = None if as_nobody else ws.user
    entry = {"at": clock.now_iso(), "device_id": ws.device_id,
             "user_id": getattr(actor, "id", None), "login": getattr(actor, "login", None),
             "role": getattr(actor, "role", None), "action": action, "kind": kind,
             "record_id": record_id, "detail": dict(detail or {})}
    with ws.transaction():
        flush_pending(ws)
        store.append_audit(ws, entry)


#: What may wait beside the key file for the audit trail (anything else found there was
#: not written by this program and is dropped).
DEFERRABLE = frozenset({"login", "login-failed", "lock", "unlock", "print", "export",
                        "import", "package-import", "package-export"})


def record_or_defer(ws: Workspace, action: str, **kw: Any) -> None:
    """`record`, or, while another program holds the workspace, the entry kept beside
    the key file until the next audited action (what was done is already done: a
    written package must not be reported as failed because its audit line waited)."""
    from wushan_desk.store import keyslots
    from wushan_desk.store.errors import WorkspaceBusy

    try:
        record(ws, action, **kw)
    except WorkspaceBusy:
        if ws.key is None or not keyslots.is_encrypted(ws.path):
            return
        import uuid

        keys = keyslots.KeyFile.load(ws.path)
        actor = ws.user
        keys.note(action, getattr(actor, "login", "") or "", id=str(uuid.uuid4()),
                  user_id=getattr(actor, "id", None), role=getattr(actor, "role", None),
                  kind=kw.get("kind"), record_id=kw.get("record_id"),
                  detail=dict(kw.get("detail") or {}))
        keys.save()


def flush_pending(ws: Workspace) -> int:
    """Write the logins and failed logins waiting beside the key file (each once: they
    carry their own ids); returns how many were written."""
    from wushan_desk.store import keyslots

    if ws.key is None or not keyslots.has_pending_events(ws.path):
        return 0
    keys = keyslots.KeyFile.load(ws.path)
    written = []
    with ws.transaction():
        for event in keys.events:
            if event.get("action") not in DEFERRABLE:  # the file is not trusted further
                written.append(event.get("id") or _event_id(event))
                continue
            event_id = event.get("id") or _event_id(event)
            entry = {"id": event_id, "at": _moment(event.get("at")), "device_id": ws.device_id,
                     "user_id": event.get("user_id"), "login": event.get("login"),
                     "role": event.get("role"), "action": str(event.get("action"))[:40],
                     "kind": event.get("kind"), "record_id": event.get("record_id"),
                     "detail": _pending_detail(event)}
            store.append_audit(ws, entry, ignore_existing=True)
            written.append(event_id)
    keys = keyslots.KeyFile.load(ws.path)  # again: another program may have added some
    keys.events = [e for e in keys.events if (e.get("id") or _event_id(e)) not in written]
    keys.save()
    return len(written)


def _pending_detail(event: Mapping[str, Any]) -> dict[str, Any]:
    """What an event waiting beside the key file tells, marked as written afterwards."""
    detail = event.get("detail")
    found = dict(detail) if isinstance(detail, dict) else {
        k: v for k, v in event.items() if k == "count"}
    return found | {"deferred": True}


def _event_id(event: Mapping[str, Any]) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, repr(sorted(event.items()))))


def _moment(epoch: Any) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(float(epoch), clock.county_zone()).isoformat()
    except (TypeError, ValueError, OverflowError):
        return clock.now_iso()


#: How the screens and the XLSX name the kinds of objects and the detail fields.
KIND_LABELS = {"account": "账号", "visit": "督导记录", "package": "同步包", "audit": "审计记录",
               "student": "学生", "school": "学校", "staff": "人员"}
DETAIL_LABELS = {"login": "用户名", "role": "角色", "purpose": "用途", "records": "记录数",
                 "fields": "字段", "file": "文件", "count": "连续失败次数", "to": "发给",
                 "from": "来自", "added": "新增", "changed": "修改", "changes": "修改条数",
                 "document": "文书", "rows": "行数", "first": "首个管理员", "backups": "加密的备份",
                 "deferred": "事后补记", "safety_copy": "恢复前的备份"}
_HIDDEN_DETAILS = {"centre_id"}


@dataclass(frozen=True)
class Entry:
    at: str
    login: str | None
    role: str | None
    action: str
    kind: str | None
    record_id: str | None
    detail: dict[str, Any]
    device_id: str

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def role_label(self) -> str:
        from wushan_desk.services.accounts import ROLES

        return ROLES.get(self.role or "", self.role or "")

    @property
    def object_label(self) -> str:
        kind = KIND_LABELS.get(self.kind or "", self.kind or "")
        return f"{kind} {self.record_id[:8]}" if self.record_id else kind

    @property
    def detail_text(self) -> str:
        from wushan_desk.services.accounts import ROLES

        parts = []
        for key, value in self.detail.items():
            if key in _HIDDEN_DETAILS:
                continue
            if key == "role":
                value = ROLES.get(str(value), value)
            elif isinstance(value, list):
                value = "、".join(map(str, value))
            elif isinstance(value, bool):
                value = "是" if value else "否"
            parts.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
        return "；".join(parts)


def entries(ws: Workspace, **filters: Any) -> list[Entry]:
    """Audit entries, newest first; filters as store.accounts.audit_entries."""
    from wushan_desk.services import permissions

    permissions.require(ws, "read_audit")
    from wushan_desk.store.errors import WorkspaceBusy

    try:  # the logins waiting beside the key file belong in what is shown
        flush_pending(ws)
    except WorkspaceBusy:
        pass
    return [Entry(r["at"], r["login"], r["role"], r["action"], r["kind"], r["record_id"],
                  r["detail"], r["device_id"]) for r in store.audit_entries(ws, **filters)]


def export_xlsx(ws: Workspace, out: Path, **filters: Any) -> int:
    """The filtered trail as a spreadsheet; the export itself is audited. Returns rows."""
    from wushan_desk.reports.xlsx import write_table

    found = entries(ws, **filters)
    rows = [[clock.minutes(e.at), e.login or "—", e.role_label, e.action_label,
             KIND_LABELS.get(e.kind or "", e.kind or ""), e.record_id or "", e.detail_text,
             e.device_id[:8]] for e in found]
    write_table(out, "审计记录", ["时间", "用户", "角色", "操作", "对象类型", "对象编号",
                               "说明", "设备"], rows)
    record(ws, "export", kind="audit", detail={"rows": len(rows), "file": out.name})
    return len(rows)


def history(ws: Workspace, kind_name: str, record_id: str) -> list[dict[str, Any]]:
    """A record's 修改记录, oldest first: each logged change with when, who, on which
    device, and each field's value before and after (ID numbers, phones and addresses
    masked, as in lists)."""
    from wushan_desk.domain import entities
    from wushan_desk.services.records import masked

    kind = entities.kind(kind_name)
    out = []
    state: dict[str, Any] = {}
    for entry in store.row_history(ws, kind.table, record_id):
        changes = []
        for name, new in entry["data"].items():
            label = kind.field(name).label if name in kind.field_names else name
            before, after = _text(state.get(name)), _text(new)
            if name in kind.field_names:
                before = masked(kind_name, {name: before})[name]
                after = masked(kind_name, {name: after})[name]
            changes.append((label, before, after))
            state[name] = new
        out.append({"seq": entry["seq"], "stamp": entry["hlc"], "device_id": entry["device_id"],
                    "author": entry["author"], "op": entry["op"],
                    "fields": [c[0] for c in changes], "changes": changes,
                    "received": entry["source"] is not None, "purged": bool(entry["purged"])})
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)
