"""Workspace use cases: create, open, describe, check.

A workspace has a role, kept locally: `demo` (a synthetic county to try the app on),
`hub` (the county office) or `centre` (a township centre's laptop; set up by enrolment,
which the sync issue adds).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wushan_desk import paths
from wushan_desk.domain import clock, text
from wushan_desk.domain.errors import UserError, ValidationError
from wushan_desk.services import accounts
from wushan_desk.services.accounts import Credentials
from wushan_desk.store.workspace import Workspace

ROLE_LABELS = {"demo": "演示工作区", "hub": "县教委（中心库）", "centre": "督导中心设备"}


@cache
def reference_data() -> dict[str, Any]:
    """The county and its townships, shipped in resources/reference/wushan.json."""
    path = paths.resources_dir() / "reference" / "wushan.json"
    return json.loads(path.read_text(encoding="utf-8"))


def reference_id(key: str) -> str:
    """Stable id of a reference record, identical in every workspace (uuid5)."""
    return str(uuid.uuid5(uuid.UUID(reference_data()["namespace"]), key))


def county_id() -> str:
    return reference_id(f"county:{reference_data()['county']['code']}")


def township_ids() -> dict[str, str]:
    """Township name -> record id, in the order of the reference file."""
    return {t["name"]: reference_id(f"township:{t['name']}") for t in reference_data()["townships"]}


def ensure_reference(ws: Workspace) -> None:
    """Create the county and its 26 townships if this workspace lacks them."""
    from wushan_desk.store import changes

    ref = reference_data()
    with ws.transaction():
        if changes.read_row(ws, "counties", county_id()) is None:
            changes.insert_many(ws, "counties", [{"id": county_id(), **ref["county"]}])
        missing = [
            {"id": tid, "name": t["name"], "kind": t["kind"], "county_id": county_id()}
            for t, tid in zip(ref["townships"], township_ids().values(), strict=True)
            if changes.read_row(ws, "townships", tid) is None
        ]
        changes.insert_many(ws, "townships", missing)


#: Longest name of a workspace (a hub, a centre's laptop): it heads reports and file names.
MAX_NAME = 40


def clean_name(name: str) -> str:
    """A workspace's name as stored: one line of visible text, not empty, not too long."""
    try:
        cleaned = text.clean(name or "", multiline=False).strip()
    except ValidationError as exc:
        raise ValidationError(f"名称{exc.message}", "name") from None
    if not cleaned:
        raise ValidationError("名称不能为空，请填写（例如“骡坪督导中心-1”）。", "name")
    if len(cleaned) > MAX_NAME:
        raise ValidationError(f"名称不能超过 {MAX_NAME} 个字（现在 {len(cleaned)} 个）。", "name")
    return cleaned


def create(path: str | Path, role: str, name: str, *, reference: bool = True,
           admin: Credentials | None = None) -> Workspace:
    """Make a new, encrypted workspace file, by default with the county's reference data.

    Its first account, a county administrator, is `admin`, else the one named by
    WUSHAN_DESK_USER / WUSHAN_DESK_PASSWORD (scripts); without either, NeedAdmin. A
    centre device is created without reference data: it comes from the hub in the
    enrolment package. Refuses to overwrite an existing file; a bad name or password is
    refused before anything is made, and a failure while making it leaves no file behind.
    """
    name = clean_name(name)
    admin = admin or accounts.credentials_from_env()
    if admin is None:
        raise NeedAdmin(
            "新建工作区需要设置首个管理员账号：请在提示时输入用户名和密码，或为脚本设置"
            "环境变量 WUSHAN_DESK_USER 和 WUSHAN_DESK_PASSWORD。")
    accounts.check_password(admin.password, accounts.check_login_name(admin.login))
    ws = accounts.new_encrypted(Path(path), admin)
    try:
        with ws.transaction():
            ws.set_state("role", role)
            ws.set_state("name", name)
            if reference:
                ensure_reference(ws)
    except BaseException:
        discard(ws)
        raise
    return ws


class NeedAdmin(UserError):
    """A new workspace needs its first administrator's name and password."""

    code = "need-admin"


def discard(ws: Workspace) -> None:
    """Close and delete a workspace this program has just made (creation failed)."""
    ws.close()
    remove_files(ws.path)


def remove_files(path: Path) -> None:
    """A workspace file and its SQLite journals."""
    for suffix in ("", "-wal", "-shm", "-journal", ".keys"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class WorkspaceInfo:
    """What the status bar and `check` show about a workspace."""

    path: Path
    name: str
    role: str
    role_label: str
    device_id: str
    last_sync: str | None
    schema_version: int


def info(ws: Workspace) -> WorkspaceInfo:
    role = ws.state("role", "demo") or "demo"
    version = ws.schema_version
    return WorkspaceInfo(
        path=ws.path,
        name=ws.state("name", ws.path.stem) or ws.path.stem,
        role=role,
        role_label=ROLE_LABELS.get(role, role),
        device_id=ws.device_id,
        last_sync=_minutes(ws.state("last_sync")),
        schema_version=version,
    )


def _minutes(iso: str | None) -> str | None:
    """2026-11-28T14:30:05+08:00 -> 2026-11-28 14:30 (the UI's date-time form)."""
    return clock.minutes(iso) if iso else None


@dataclass(frozen=True)
class CheckReport:
    integrity: list[str]
    foreign_keys: list[str]
    schema: list[str]

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.foreign_keys and not self.schema


def check(ws: Workspace) -> CheckReport:
    """SQLite's integrity and foreign-key checks, and the tables against the record kinds."""
    from wushan_desk.store.introspect import schema_problems

    return CheckReport(*ws.integrity_problems(), schema_problems(ws))


def set_idle_minutes(ws: Workspace, minutes: int) -> None:
    """How long the window waits without input before it locks (1-120 minutes)."""
    with ws.transaction():
        ws.set_state("idle_lock_minutes", str(max(1, min(120, int(minutes)))))
