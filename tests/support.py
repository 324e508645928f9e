"""Helpers shared by the core tests (imported as `support`; no Qt here)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from wushan_desk.domain import inspection as rules
from wushan_desk.services import records, workspace
from wushan_desk.store.workspace import Workspace


def new_workspace(path: Path, role: str = "demo") -> Workspace:
    """A fresh workspace file with the county and its townships."""
    return workspace.create(path, role, "测试工作区")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def township(name: str = "骡坪镇") -> str:
    return workspace.township_ids()[name]


def add_school(
    ws: Workspace, name: str = "巫山县骡坪镇中心小学", type_: str = "小学", **extra: Any
) -> str:
    record = {"name": name, "type": type_, "township_id": township(), **extra}
    return records.put(ws, "school", record).id


def student_record(school_id: str, **extra: Any) -> dict[str, Any]:
    """A valid student; 11010519491231002X is the standard's own example ID."""
    return {
        "id": str(uuid.uuid4()),
        "name": "向堃",
        "sex": "女",
        "birth_date": "1949-12-31",
        "resident_id": "11010519491231002X",
        "school_id": school_id,
        "grade": "三年级",
        **extra,
    }


ITEMS = [
    {
        "section": "一、课程与教学",
        "content": "开齐开足国家课程",
        "item_kind": rules.SCORE,
        "max_score": 10,
        "deduction_rule": "少开一门扣2分",
        "method": "查阅资料",
    },
    {
        "section": "一、课程与教学",
        "content": "一二年级不布置书面作业",
        "item_kind": rules.YES_NO,
        "max_score": 5,
        "method": "访谈",
    },
    {
        "section": "二、食堂与安全",
        "content": "陪餐记录完整",
        "item_kind": rules.RATING,
        "max_score": 10,
        "method": "实地查看",
        "deadline_days": 7,
    },
    {
        "section": "二、食堂与安全",
        "content": "每周体育课节数",
        "item_kind": rules.NUMBER,
        "method": "查阅资料",
    },
    {
        "section": "二、食堂与安全",
        "content": "晨检记录",
        "item_kind": rules.CHOICE,
        "choices": ["齐全", "部分", "无"],
        "method": "查阅资料",
    },
]


def make_template(ws: Workspace, publish: bool = True) -> str:
    template = records.put(
        ws,
        "checklist_template",
        {
            "name": "经常性督导检查表",
            "template_kind": "经常性督导",
            "version": 1,
            "status": "草稿",
            "default_deadline_days": 30,
        },
    ).id
    for position, item in enumerate(ITEMS, start=1):
        records.put(ws, "checklist_item", {"template_id": template, "position": position, **item})
    if publish:
        records.put(
            ws,
            "checklist_template",
            {"id": template, "status": "已发布", "published_on": "2026-09-01"},
        )
    return template


def inspector(ws: Workspace, name: str = "向堃") -> str:
    return records.put(ws, "staff", {"name": name, "role": "责任督学"}).id


#: A small valid JPEG's worth of bytes for an evidence photo (the store does not decode it).
PHOTO = b"\xff\xd8\xff\xe0" + b"canteen photo" * 20 + b"\xff\xd9"


def full_answer(item: dict[str, Any]) -> str:
    """A passing answer to an item of any kind (full marks where it is scored)."""
    kind = item["item_kind"]
    return {
        rules.SCORE: f"{float(item.get('max_score') or 0):g}",
        rules.YES_NO: rules.YES,
        rules.RATING: "好",
        rules.NUMBER: "4",
        rules.CHOICE: (item.get("choices") or [""])[0],
        rules.PHOTO: "照片1张",
    }.get(kind, "已查看")


def answer_all(ws: Workspace, visit_id: str) -> None:
    """Answer every item of a draft visit not answered yet, as a finalize needs: a
    passing answer, and a photo where the item requires one. Answers already given
    (what a test is about) stay as they are, a missing photo is added to them."""
    from wushan_desk.services import attachments, inspection

    d = inspection.detail(ws, visit_id)
    for item in d.items:
        given = d.answers.get(item["id"]) or {}
        value = given.get("value") or full_answer(item)
        photos = list(given.get("photo_ids") or [])
        wants_photo = item["item_kind"] == rules.PHOTO or (
            item.get("photo_required") and value != rules.NOT_APPLICABLE)
        if given.get("value") and (photos or not wants_photo):
            continue
        if wants_photo and not photos:
            photos.append(attachments.add_bytes(
                ws, PHOTO, "照片.jpg", owner_kind="visit_answer",
                owner_id=rules.answer_id(visit_id, item["id"]), note="督导照片"))
        inspection.answer(ws, visit_id, item["id"], value, given.get("note"), photos)


def workspace_key(path: Path) -> bytes | None:
    """The data key of an encrypted workspace, as its test administrator's login opens it."""
    from wushan_desk.services.accounts import credentials_from_env
    from wushan_desk.store import keyslots
    from wushan_desk.store.workspace import known_key

    path = Path(path)
    key = known_key(path)
    admin = credentials_from_env()
    assert admin is not None, "tests/conftest.py sets the test administrator"
    if key is None and keyslots.is_encrypted(path):
        key = keyslots.KeyFile.load(path).unwrap(admin.login, admin.password)
    if key is None:  # a backup: its workspace's key file is copied beside it
        for found in path.parent.glob("*.keys"):
            owner = found.with_name(found.name[: -len(".keys")])
            if path.name.startswith(owner.stem + "-"):
                return keyslots.KeyFile.load(owner).unwrap(admin.login, admin.password)
    return key


def open_workspace(path: Path | str, **kw: Any) -> Workspace:
    """store.open_workspace with the test administrator's key (encrypted workspaces),
    acting as that administrator when logged in to it in this process."""
    from wushan_desk.services import accounts
    from wushan_desk.store import workspace as store_ws

    if kw.get("key") is None and not kw.get("new"):
        kw["key"] = workspace_key(Path(path))
    ws = store_ws.open_workspace(path, **kw)
    if ws.key is not None:
        store_ws.remember_key(ws.path, ws.key)  # as a login does
    accounts.attach(ws, accounts.current_actor(path))
    return ws


def raw_connect(path: Path | str, owner: Path | str | None = None, **kw: Any) -> Any:
    """A plain SQLite connection to a workspace (or to a backup of `owner`), keyed."""
    from wushan_desk.store import keyslots
    from wushan_desk.store.driver import sqlite3

    conn = sqlite3.connect(path, **kw)
    key = workspace_key(Path(owner or path))
    if key is not None:
        conn.execute(keyslots.pragma_key(key))
    return conn


def copy_workspace(source: Path, target: Path) -> None:
    """A copy of a workspace file under another name, with its key file."""
    import shutil

    shutil.copy(source, target)
    keys = Path(f"{source}.keys")
    if keys.exists():
        shutil.copy(keys, Path(f"{target}.keys"))


def open_copy(seeded: Path, folder: Path) -> Workspace:
    """A copy of a module's seeded workspace in `folder`, open (each test changes its own)."""
    copy = folder / "w.wsdb"
    copy_workspace(seeded, copy)
    return open_workspace(copy, create=False)


def old_workspace(path: Path, version: int) -> Workspace:
    """A new workspace at schema `version` (made with the first migrations only), open:
    fill it as that version's app would, close it, and opening it again upgrades it."""
    import shutil

    from wushan_desk import paths
    from wushan_desk.store import migrations

    old_dir = path.parent / f"db-v{version}"
    old_dir.mkdir(exist_ok=True)
    full_dir = paths.migrations_dir()
    for migration in sorted(full_dir.iterdir())[:version]:
        shutil.copy(migration, old_dir / migration.name)
    saved = paths.migrations_dir
    paths.migrations_dir = lambda: old_dir  # type: ignore[assignment]
    migrations.available.cache_clear()
    try:
        ws = new_workspace(path)
    finally:
        paths.migrations_dir = saved  # type: ignore[assignment]
        migrations.available.cache_clear()
    assert ws.schema_version == version
    return ws
