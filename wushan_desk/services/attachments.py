"""Attachments: evidence photos, scans and recordings linked to a record.

The bytes go to the content-addressed store beside the workspace (store/blobs.py);
the metadata is an `attachment` record, written through the change log like any other.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from wushan_desk.services import records
from wushan_desk.store import blobs
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace

#: Default per-file limit; a setting of the workspace may lower or raise it.
MAX_BYTES = 20 * 1024 * 1024


def max_bytes(ws: Workspace) -> int:
    return int(ws.state("attachment_max_bytes", str(MAX_BYTES)) or MAX_BYTES)


def add(
    ws: Workspace,
    source: Path,
    *,
    owner_kind: str | None = None,
    owner_id: str | None = None,
    note: str | None = None,
) -> str:
    """Store `source` and record it as an attachment; returns the attachment id."""
    sha256, size = blobs.store_file(ws.files_dir, source, max_bytes(ws))
    record = {
        "sha256": sha256,
        "size": size,
        "filename": source.name[:200],
        "mime": mimetypes.guess_type(source.name)[0],
        "owner_kind": owner_kind,
        "owner_id": owner_id,
        "note": note,
    }
    return records.put(ws, "attachment", record).id


def path_of(ws: Workspace, attachment_id: str) -> Path:
    """The stored file of an attachment, checked against its hash."""
    record = records.get(ws, "attachment", attachment_id)
    if record is None:
        raise WorkspaceError("找不到该附件记录。")
    if not blobs.verify(ws.files_dir, record["sha256"]):
        raise WorkspaceError(
            f"附件文件 {record['filename']} 缺失或已损坏。若在其他电脑上录入，请先同步。"
        )
    return blobs.blob_path(ws.files_dir, record["sha256"])
