"""督导检查表 (checklist templates): the shipped ones, JSON and XLSX exchange, versions.

The county writes and versions its checklists at the hub. A template is a
`checklist_template` record with `checklist_item` records in `position` order; a published
version never changes (domain/inspection.py enforces it), so editing one means
`new_version` (a 草稿 copy, version + 1, `supersedes_id` pointing back), and `publish`
of that draft retires the version it replaces. Visits keep the version they used.

Two real templates ship in resources/templates/ (routine.json: 经常性督导, the eight
routine items of the responsible inspector with 双减, 五项管理, 课程“三开”, food safety and
陪餐; term_start.json: 开学专项督导). `ensure_builtin_templates` creates them published,
with ids from `workspace.reference_id`, so every workspace holds identical rows.

The package by purpose: `model` (field names, limits, reading one value), `lifecycle`
(what a workspace holds, 草稿 -> 已发布 -> 已停用), `builtin` (the shipped checklists),
`json_format` and `xlsx_format` (the exchange formats), `exchange` (files by type).
Core code: no Qt, no SQL; every write goes through records.put_many.
"""

from wushan_desk.services.templates.builtin import (
    builtin_files,
    builtin_template_ids,
    ensure_builtin_templates,
)
from wushan_desk.services.templates.exchange import export_file, import_file
from wushan_desk.services.templates.json_format import (
    parse_template_json,
    template_from_json,
    template_to_json,
)
from wushan_desk.services.templates.lifecycle import (
    current_templates,
    get_template,
    list_templates,
    new_version,
    publish,
    retire,
    template_items,
    total_points,
)
from wushan_desk.services.templates.model import (
    DRAFT,
    HEADERS,
    ITEM,
    ITEM_KEYS,
    MAX_ITEMS,
    PHOTO_MARK,
    PUBLISHED,
    RETIRED,
    TEMPLATE,
    TEMPLATE_KEYS,
    TemplateInvalid,
)
from wushan_desk.services.templates.xlsx_format import template_from_xlsx, template_to_xlsx

__all__ = [
    "DRAFT",
    "HEADERS",
    "ITEM",
    "ITEM_KEYS",
    "MAX_ITEMS",
    "PHOTO_MARK",
    "PUBLISHED",
    "RETIRED",
    "TEMPLATE",
    "TEMPLATE_KEYS",
    "TemplateInvalid",
    "builtin_files",
    "builtin_template_ids",
    "current_templates",
    "ensure_builtin_templates",
    "export_file",
    "get_template",
    "import_file",
    "list_templates",
    "new_version",
    "parse_template_json",
    "publish",
    "retire",
    "template_from_json",
    "template_from_xlsx",
    "template_items",
    "template_to_json",
    "template_to_xlsx",
    "total_points",
]
