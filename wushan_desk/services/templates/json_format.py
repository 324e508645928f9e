"""Checklists as JSON: the exchange format the shipped files use too.

JSON format (one template; `template_to_json` writes it, `template_from_json` reads it;
the shipped files use it too)::

    {
      "name": "经常性督导检查表",           required
      "template_kind": "经常性督导",         required: 经常性督导 | 开学专项督导 | 专项督导
      "version": 1,                         shipped files: their version; on import the
                                            workspace numbers versions (ignored)
      "published_on": "2026-09-01",         shipped files: their publication date;
                                            written by export, ignored on import
      "status": "已发布",                    written by export, ignored on import
      "default_deadline_days": 30,          整改期限 (days) for items without their own
      "note": "…",                          说明, or null
      "items": [                            checklist order; positions 1..n
        {"section": "行政管理与制度建设",    类别, required
         "code": "1.1",                     序号, or null
         "content": "…",                    内容, required
         "item_kind": "评分",                题型: 符合/不符合 评分 评级 数值 文本 选项 照片;
                                            default 评分 when max_score is given, else 符合/不符合
         "max_score": 4,                    分值 (0-100): required for 评分, optional for
                                            符合/不符合 and 评级, null for the unscored kinds
         "deduction_rule": "未开设一门扣2分", 扣分标准, or null
         "method": "查阅资料",               查阅资料 听课 访谈 实地查看 问卷, or null
         "choices": [],                     可选项: only for 选项 (two or more)
         "deadline_days": 30,               1-365, or null for the template's default
         "photo_required": false}           须拍照 (always true for 照片)
      ]
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services.templates.lifecycle import _create_next, get_template, template_items
from wushan_desk.services.templates.model import (
    DRAFT,
    ITEM_KEYS,
    MAX_FILE_BYTES,
    MAX_ITEMS,
    TEMPLATE_KEYS,
    TemplateInvalid,
    _Bad,
    _cell_text,
    _item_problems,
    _plain_number,
    _split_choices,
    _to_days,
    _to_points,
)
from wushan_desk.store.workspace import Workspace


def template_to_json(ws: Workspace, template_id: str) -> dict[str, Any]:
    """The template in the JSON format of this module's docstring."""
    t = get_template(ws, template_id)
    return {
        "name": t["name"],
        "template_kind": t["template_kind"],
        "version": t["version"],
        "published_on": t["published_on"],
        "status": t["status"],
        "default_deadline_days": t["default_deadline_days"],
        "note": t["note"],
        "items": [
            {key: _plain_number(i[key]) if key == "max_score" else i[key] for key in ITEM_KEYS}
            for i in template_items(ws, template_id)
        ],
    }

def template_from_json(ws: Workspace, data: Any, *, publish: bool = False) -> str:
    """Create a 草稿 (version = 1 + the highest of its name) from JSON data, with its
    items, in one transaction; with `publish`, publish it today. Raises TemplateInvalid
    (numbering the bad items) and writes nothing if anything is wrong."""
    tpl, items = parse_template_json(data)
    return _create_next(ws, tpl, items, publish=publish)

def _read_json_file(path: Path) -> Any:
    data = files.read_limited(
        path, MAX_FILE_BYTES, f"{path.name} 超过 {MAX_FILE_BYTES >> 20} MB，不是检查表文件。"
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"无法读取 {path.name}（应为 UTF-8 编码的 JSON 文件）。") from exc
    try:
        return json.loads(text)
    except RecursionError:
        raise ValidationError(f"{path.name} 的 JSON 嵌套层次过深，不是检查表文件。") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path.name} 不是有效的 JSON 文件（第 {exc.lineno} 行：{exc.msg}）。"
        ) from exc

def parse_template_json(data: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check JSON data; returns (template fields, items) or raises TemplateInvalid."""
    if not isinstance(data, Mapping):
        raise TemplateInvalid(["应为一个 JSON 对象（检查表）"])
    problems: list[str] = []
    rows: list[int] = []
    unknown = sorted(set(data) - set(TEMPLATE_KEYS))
    problems += [f"未知字段“{k}”" for k in unknown]
    tpl: dict[str, Any] = {"status": DRAFT}
    for key, label in (("name", "名称"), ("template_kind", "类别"), ("note", "说明")):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{label}应为文字")
            value = None
        tpl[key] = value.strip() if isinstance(value, str) else None
    if not tpl["name"]:
        problems.append("名称不能为空")
    if tpl["template_kind"] not in insp.TEMPLATE_KINDS:
        problems.append(f"类别应为{'、'.join(insp.TEMPLATE_KINDS)}之一")
    try:
        tpl["default_deadline_days"] = _to_days(data.get("default_deadline_days"))
    except _Bad as exc:
        problems.append(f"默认{exc}")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append("没有检查项目（items 应为非空列表）")
        raw_items = []
    if len(raw_items) > MAX_ITEMS:
        raise TemplateInvalid([f"检查项目不能超过 {MAX_ITEMS} 项"])
    items = []
    for number, raw in enumerate(raw_items, start=1):
        item, errors = _json_item(raw)
        problems += [f"第 {number} 项：{e}" for e in errors]
        rows += [number] * bool(errors)
        items.append(item)
    if problems:
        raise TemplateInvalid(problems, rows)
    return tpl, items

def _json_item(raw: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(raw, Mapping):
        return {}, ["应为一个 JSON 对象"]
    errors = [f"未知字段“{k}”" for k in sorted(set(raw) - set(ITEM_KEYS))]
    item: dict[str, Any] = {}
    labels = {"section": "类别", "code": "序号", "content": "内容", "item_kind": "题型"}
    labels |= {"deduction_rule": "扣分标准", "method": "检查方法"}
    for key, label in labels.items():
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and key == "code":
            value = _cell_text(value)
        if value is not None and not isinstance(value, str):
            errors.append(f"{label}应为文字")
            value = None
        item[key] = value.strip() if isinstance(value, str) else None
    bad: set[str] = set()
    for key, parse in (("max_score", _to_points), ("deadline_days", _to_days)):
        try:
            item[key] = parse(raw.get(key))
        except _Bad as exc:
            errors.append(str(exc))
            item[key] = None
            bad.add(key)
    choices = raw.get("choices")
    if isinstance(choices, str):
        choices = _split_choices(choices)
    if choices is None:
        choices = []
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        errors.append("可选项应为文字列表")
        choices = []
    item["choices"] = [c.strip() for c in choices if c.strip()]
    photo = raw.get("photo_required")
    if photo not in (None, True, False, 0, 1):
        errors.append("须拍照应为 true 或 false")
        photo = False
    item["photo_required"] = bool(photo)
    return item, errors + _item_problems(item, bad)
