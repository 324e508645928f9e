"""Checklists in the workspace: what there is, and its life: 草稿 -> 已发布 -> 已停用.

A published version never changes (domain/inspection.py enforces it); editing one means
`new_version` (a 草稿 copy, version + 1, `supersedes_id` pointing back), and `publish`
of that draft retires the version it replaces. Visits keep the version they used.
Every write goes through records.put_many: validation, locks and the change log apply.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wushan_desk.domain import clock, entities
from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import records
from wushan_desk.services.templates.model import (
    DRAFT,
    ITEM,
    ITEM_KEYS,
    PUBLISHED,
    RETIRED,
    TEMPLATE,
    TemplateInvalid,
)
from wushan_desk.store import inspection_queries
from wushan_desk.store.workspace import Workspace


def get_template(ws: Workspace, template_id: str) -> dict[str, Any]:
    """The template record; ValidationError if there is none with that id."""
    template = (
        records.get(ws, TEMPLATE, template_id)
        if entities.UUID_RE.fullmatch(str(template_id))
        else None
    )
    if template is None:
        raise ValidationError(f"找不到编号为 {template_id} 的检查表。", "id")
    return template

def template_items(ws: Workspace, template_id: str) -> list[dict[str, Any]]:
    """The template's items in checklist (position) order."""
    return inspection_queries.template_items(ws, template_id)

def total_points(items: Iterable[Mapping[str, Any]]) -> float:
    """满分: the points of the scored items (符合/不符合, 评分, 评级 with a 分值)."""
    return round(sum(float(i["max_score"]) for i in items if insp.is_scored(i)), 2)

def list_templates(ws: Workspace) -> list[dict[str, Any]]:
    """Every live template, all versions, as summaries (items, points), by name/version."""
    counts: dict[str, list[dict[str, Any]]] = {}
    for item in records.iter_records(ws, ITEM):
        counts.setdefault(item["template_id"], []).append(item)
    out = []
    for t in records.iter_records(ws, TEMPLATE):
        items = counts.get(t["id"], [])
        out.append(
            {
                "id": t["id"],
                "name": t["name"],
                "template_kind": t["template_kind"],
                "version": t["version"],
                "status": t["status"],
                "published_on": t["published_on"],
                "supersedes_id": t["supersedes_id"],
                "items": len(items),
                "points": total_points(items),
            }
        )
    return sorted(out, key=lambda t: (_kind_order(t["template_kind"]), t["name"], t["version"]))

def current_templates(ws: Workspace) -> list[dict[str, Any]]:
    """The published templates a new visit can use: the newest published version per name."""
    newest: dict[str, dict[str, Any]] = {}
    for t in records.iter_records(ws, TEMPLATE):
        if t["status"] == PUBLISHED and (
            t["name"] not in newest or t["version"] > newest[t["name"]]["version"]
        ):
            newest[t["name"]] = t
    return sorted(newest.values(), key=lambda t: (_kind_order(t["template_kind"]), t["name"]))

def _kind_order(kind: str) -> int:
    return insp.TEMPLATE_KINDS.index(kind) if kind in insp.TEMPLATE_KINDS else 99

def _same_name(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return [t for t in records.iter_records(ws, TEMPLATE) if t["name"] == name]

def _next_version(ws: Workspace, name: str) -> int:
    return 1 + max((t["version"] for t in _same_name(ws, name)), default=0)

def _label(template: Mapping[str, Any]) -> str:
    return f"“{template['name']}”第 {template['version']} 版"

def publish(ws: Workspace, template_id: str, on: dt.date | None = None) -> list[str]:
    """草稿 -> 已发布 (on `on`, default today). Returns the ids it retired (已停用): the
    version it supersedes and any older published version of the same name."""
    with ws.transaction():  # checked and written under one write lock
        template = get_template(ws, template_id)
        if template["status"] != DRAFT:
            raise ValidationError(f"{_label(template)}已是“{template['status']}”，不能再发布。")
        if not template_items(ws, template_id):
            raise ValidationError(f"{_label(template)}还没有检查项目，不能发布。")
        same = _same_name(ws, template["name"])
        newer = [t for t in same
                 if t["status"] == PUBLISHED and t["version"] > template["version"]]
        if newer:
            raise ValidationError(
                f"已发布了更新的{_label(newer[0])}，不能再发布较旧的第 {template['version']} 版。"
            )
        older = [t["id"] for t in same if t["status"] == PUBLISHED and t["id"] != template_id]
        supersedes = template["supersedes_id"]
        superseded = supersedes and records.get(ws, TEMPLATE, supersedes)
        if superseded and superseded["status"] == PUBLISHED and superseded["id"] not in older:
            older.append(superseded["id"])
        day = on or clock.today()
        records.put(
            ws, TEMPLATE, {"id": template_id, "status": PUBLISHED, "published_on": day.isoformat()}
        )
        for old in older:
            records.put(ws, TEMPLATE, {"id": old, "status": RETIRED})
        return older

_publish = publish  # for the functions whose `publish` flag hides it

def new_version(ws: Workspace, template_id: str) -> str:
    """Copy a published (or retired) template as a 草稿 of the next version number of
    its name, superseding it; the original stays as it is until the copy is published."""
    with ws.transaction():  # checked and written under one write lock
        source = get_template(ws, template_id)
        if source["status"] == DRAFT:
            raise ValidationError(f"{_label(source)}还是草稿，可以直接修改，不需要另存为新版本。")
        keys = ("name", "template_kind", "default_deadline_days", "note")
        tpl = {key: source[key] for key in keys}
        items = [{key: item[key] for key in ITEM_KEYS} for item in template_items(ws, template_id)]
        return _create(
            ws, tpl, items, version=_next_version(ws, source["name"]), supersedes_id=template_id
        )


def retire(ws: Workspace, template_id: str) -> None:
    """已发布 -> 已停用: no new visit can use it (visits that used it keep it)."""
    with ws.transaction():  # checked and written under one write lock
        template = get_template(ws, template_id)
        if template["status"] == RETIRED:
            return
        if template["status"] == DRAFT:
            raise ValidationError(f"{_label(template)}是草稿，还没有发布，不需要停用。")
        records.put(ws, TEMPLATE, {"id": template_id, "status": RETIRED})

def _create_next(
    ws: Workspace, tpl: dict[str, Any], items: list[dict[str, Any]], *, publish: bool
) -> str:
    with ws.transaction():  # checked and written under one write lock
        same = _same_name(ws, tpl["name"])
        released = [t for t in same if t["status"] != DRAFT]
        supersedes = max(released, key=lambda t: t["version"])["id"] if released else None
        template_id = _create(
            ws, tpl, items, version=_next_version(ws, tpl["name"]), supersedes_id=supersedes
        )
        if publish:
            _publish(ws, template_id)
    return template_id

def _create(
    ws: Workspace,
    tpl: Mapping[str, Any],
    items: list[dict[str, Any]],
    *,
    version: int,
    supersedes_id: str | None = None,
    template_id: str | None = None,
    item_id: Callable[[int], str] | None = None,
) -> str:
    """Validate the template and every item against the domain rules, then write the
    draft and its items in one transaction. Items must have passed `_item_problems`."""
    with ws.transaction():  # checked and written under one write lock
        template_id = template_id or str(uuid.uuid4())
        record = {
            "id": template_id,
            "name": tpl["name"],
            "template_kind": tpl["template_kind"],
            "version": version,
            "status": DRAFT,
            "published_on": None,
            "supersedes_id": supersedes_id,
            "default_deadline_days": tpl.get("default_deadline_days"),
            "note": tpl.get("note"),
        }
        lookup = records.lookup_for(ws)
        problems, rows = [], []
        try:
            entities.validate_record(TEMPLATE, record, lookup)
        except entities.RecordInvalid as exc:
            problems += [e.message for e in exc.errors]

        def pending(kind: str, record_id: str) -> Mapping[str, Any] | None:
            if kind == TEMPLATE and record_id == template_id:
                return record
            return lookup(kind, record_id)

        lines = []
        for position, item in enumerate(items, start=1):
            line = {
                "id": item_id(position) if item_id else str(uuid.uuid4()),
                **{key: item.get(key) for key in ITEM_KEYS},
                "template_id": template_id,
                "position": position,
            }
            try:
                entities.validate_record(ITEM, line, pending)
            except entities.RecordInvalid as exc:
                where = item.get("_row", position)
                unit = item.get("_unit", "项")
                problems += [f"第 {where} {unit}：{e.message}" for e in exc.errors]
                rows.append(where)
            lines.append(line)
        if problems:
            raise TemplateInvalid(problems, rows)
        records.put_many(ws, TEMPLATE, [record])
        records.put_many(ws, ITEM, lines)
    return template_id
