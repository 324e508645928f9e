"""Who may write a draft visit: the computer where it was started, only.

Two laptops of a centre, or the county office, filling in the same draft would each sign
different content, and no merge can say which of them the school's head signed. So a
draft visit and its parts (answers, findings, signatures) are written on its origin
device alone; once finalized, changes go through an amendment, on any computer. When
the origin laptop is lost and revoked, the county office may take its drafts over.

The same rule guards a local write (services/records.py) and an incoming change
(sync/judge.py): a write refused here would be refused by every receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wushan_desk.domain import inspection as rules
from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity


def draft_refusal(ws: Workspace, kind_name: str, record: Mapping[str, Any],
                  writer: str) -> str | None:
    """Why `writer` (a device id) may not write `record` of `kind_name`, or None."""
    part = rules.VISIT_PARTS.get(kind_name)
    visit_id = record.get(part) if part else None
    if not visit_id:
        return None
    visit = changes.read_row(ws, "visits", str(visit_id))
    if visit is None or visit["deleted"] or visit["status"] == rules.FINAL:
        return None  # a new visit is its writer's; a final one changes by amendment
    origin = visit["origin_device"]
    if writer == origin or (_is_hub(ws, writer) and identity.is_revoked(ws, origin)):
        return None
    return (f"这份督导记录草稿是在“{identity.device_name(ws, origin)}”上开始的，只能在那台电脑上"
            "填写、签名和定稿（定稿后可以在任何一台电脑上“更正”）")


def _is_hub(ws: Workspace, device_id: str) -> bool:
    row = identity.device_row(ws, device_id)
    return bool(row and row["role"] == "hub")
