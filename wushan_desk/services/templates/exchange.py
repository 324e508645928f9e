"""Checklist files: export and import by file type, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from wushan_desk.domain.errors import ValidationError
from wushan_desk.services.templates.json_format import (
    _read_json_file,
    template_from_json,
    template_to_json,
)
from wushan_desk.services.templates.model import _write_atomic
from wushan_desk.services.templates.xlsx_format import template_from_xlsx, template_to_xlsx
from wushan_desk.store.workspace import Workspace


def export_file(ws: Workspace, template_id: str, path: str | Path) -> Path:
    """Export to `path`: .xlsx or .json by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return template_to_xlsx(ws, template_id, path)
    if suffix == ".json":
        text = json.dumps(template_to_json(ws, template_id), ensure_ascii=False, indent=1)
        _write_atomic(path, lambda fh: fh.write((text + "\n").encode("utf-8")))
        return path
    raise ValidationError(f"导出文件名应以 .xlsx 或 .json 结尾：{path.name}")

def import_file(
    ws: Workspace, path: str | Path, *, publish: bool = False, name: str | None = None
) -> str:
    """Import a .json template, or anything else as an XLSX sheet; returns the new id."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = _read_json_file(path)
        if name and isinstance(data, dict):
            data = {**data, "name": name}
        return template_from_json(ws, data, publish=publish)
    return template_from_xlsx(ws, path, name=name, publish=publish)
