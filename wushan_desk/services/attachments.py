"""Attachments: evidence photos, scans and recordings linked to a record.

The bytes go to the content-addressed store beside the workspace (store/blobs.py);
the metadata is an `attachment` record, written through the change log like any other.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from wushan_desk import files
from wushan_desk.domain.errors import ValidationError
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
    sha256, size = blobs.store_file(ws.files_dir, source, max_bytes(ws), ws.key)
    return _record(ws, sha256, size, source.name, owner_kind, owner_id, note)


def add_bytes(
    ws: Workspace,
    data: bytes,
    filename: str,
    *,
    owner_kind: str | None = None,
    owner_id: str | None = None,
    note: str | None = None,
) -> str:
    """Store bytes made in the app (a signature drawn on screen) as an attachment."""
    name = files.safe_name(Path(filename).stem, Path(filename).suffix, fallback="附件")
    sha256, size = blobs.store_bytes(ws.files_dir, data, max_bytes(ws), name, ws.key)
    return _record(ws, sha256, size, name, owner_kind, owner_id, note)


def _record(
    ws: Workspace,
    sha256: str,
    size: int,
    filename: str,
    owner_kind: str | None,
    owner_id: str | None,
    note: str | None,
) -> str:
    record = {
        "sha256": sha256,
        "size": size,
        "filename": filename[:200],
        "mime": mimetypes.guess_type(filename)[0],
        "owner_kind": owner_kind,
        "owner_id": owner_id,
        "note": note,
    }
    return records.put(ws, "attachment", record).id


#: What an attachment copy may be opened as: Windows starts whatever program the
#: extension names, and a package from another laptop could name a file "照片.exe".
VIEWABLE = frozenset({
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic",
    ".pdf", ".ofd", ".txt",
    ".mp3", ".m4a", ".wav", ".amr", ".aac", ".mp4", ".mov",
    ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et",
})


def open_copy(ws: Workspace, attachment_id: str, folder: Path) -> Path:
    """A read-only copy of an attachment in `folder`, named with its extension, for the
    user to open in another program: Windows picks the program by the extension, and an
    image editor saving over the copy cannot change the stored evidence. Only pictures,
    PDF, recordings and office documents (VIEWABLE): never a program or a script."""
    content = read(ws, attachment_id)
    record = records.get(ws, "attachment", attachment_id) or {}
    original = Path(record.get("filename") or "附件")
    suffix = original.suffix or (mimetypes.guess_extension(record.get("mime") or "") or "")
    if suffix.lower() not in VIEWABLE:
        raise ValidationError(
            f"附件“{original.name}”不是图片、PDF、录音或办公文档，为安全起见不能直接打开"
            "（可能是程序或脚本）。如确需查看，请联系县教委技术人员。")
    folder.mkdir(parents=True, exist_ok=True)
    target = files.free_path(folder, files.safe_name(original.stem, suffix, fallback="附件"))
    files.write_atomic(target, lambda fh: fh.write(content))
    target.chmod(0o444)
    return target


def read(ws: Workspace, attachment_id: str) -> bytes:
    """The content of an attachment (decrypted), checked against its hash."""
    record = records.get(ws, "attachment", attachment_id)
    if record is None:
        raise WorkspaceError("找不到该附件记录。")
    try:
        return blobs.read_blob(ws.files_dir, record["sha256"], ws.key)
    except WorkspaceError:
        raise WorkspaceError(
            f"附件文件 {record['filename']} 缺失或已损坏。若在其他电脑上录入，请先同步。"
        ) from None
