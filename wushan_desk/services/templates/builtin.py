"""The checklists shipped in resources/templates/, created alike in every workspace.

Two real templates ship (routine.json: 经常性督导, the eight routine items of the
responsible inspector with 双减, 五项管理, 课程“三开”, food safety and 陪餐;
term_start.json: 开学专项督导). `ensure_builtin_templates` creates them published, with
ids from `workspace.reference_id`, so every workspace holds identical rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from wushan_desk import paths
from wushan_desk.services import records, workspace
from wushan_desk.services.templates.json_format import _read_json_file, parse_template_json
from wushan_desk.services.templates.lifecycle import _create, _same_name, publish
from wushan_desk.services.templates.model import TEMPLATE
from wushan_desk.store.workspace import Workspace


def builtin_files() -> list[Path]:
    """The shipped template files, resources/templates/*.json, by name."""
    return sorted((paths.resources_dir() / "templates").glob("*.json"))

def builtin_template_ids() -> dict[str, str]:
    """File stem ('routine', 'term_start') -> the id of the shipped version."""
    out = {}
    for path in builtin_files():
        version = json.loads(path.read_text(encoding="utf-8"))["version"]
        out[path.stem] = workspace.reference_id(f"template:{path.stem}:v{version}")
    return out

def _builtin_item_id(stem: str, version: int) -> Callable[[int], str]:
    """The fixed id of a shipped template's item at a position (the same everywhere)."""
    return lambda position: workspace.reference_id(f"template-item:{stem}:v{version}:{position}")

def ensure_builtin_templates(ws: Workspace) -> list[str]:
    """Create the shipped templates, published, if this workspace lacks them.

    Ids are `reference_id("template:<stem>:v<version>")` and, for the items,
    `reference_id("template-item:<stem>:v<version>:<position>")`, so that every workspace
    creates identical rows. Idempotent: a template already there (even deleted) is left
    alone, and so is a shipped version the county has overtaken with a newer version of
    its own under the same name. Returns the ids created by this call.
    """
    created = []
    with ws.transaction():
        for path in builtin_files():
            data = _read_json_file(path)
            stem, version = path.stem, int(data["version"])
            template_id = workspace.reference_id(f"template:{stem}:v{version}")
            if records.get(ws, TEMPLATE, template_id, deleted=True) is not None:
                continue
            if any(t["version"] >= version for t in _same_name(ws, data["name"])):
                continue
            previous = workspace.reference_id(f"template:{stem}:v{version - 1}")
            tpl, items = parse_template_json(data)
            _create(
                ws,
                tpl,
                items,
                version=version,
                template_id=template_id,
                item_id=_builtin_item_id(stem, version),
                supersedes_id=previous if records.get(ws, TEMPLATE, previous) else None,
            )
            publish(ws, template_id, dt.date.fromisoformat(data["published_on"]))
            created.append(template_id)
    return created
