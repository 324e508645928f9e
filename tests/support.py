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
