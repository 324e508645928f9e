"""Helpers shared by the core tests (imported as `support`; no Qt here)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

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
