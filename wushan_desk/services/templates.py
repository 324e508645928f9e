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

XLSX layout (`template_to_xlsx` writes it, `template_from_xlsx` reads it): a title row
“名称（第 N 版）”, a row “类别：…　默认整改期限：N 天　满分：N 分”, an optional “说明：…”
row and a row to fill in on paper, then the header row 类别 / 序号 / 内容及分值 / 分值 /
扣分标准 / 检查方法 / 题型 / 可选项 / 整改期限（天）/ 自评分 / 督导评分, one item per row.
A blank 类别 continues the section above (merged cells); a 题型 of “评分（须拍照）” marks
an item that needs a photo. Imports find the header by its labels anywhere in the first
rows of any sheet, and reject a bad sheet as a whole, naming every bad row.

Core module: no Qt, no SQL; every write goes through records.put/put_many.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from wushan_desk import files, paths
from wushan_desk.domain import clock, entities
from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services import records, workspace
from wushan_desk.store import inspection_queries
from wushan_desk.store.workspace import Workspace

TEMPLATE, ITEM = "checklist_template", "checklist_item"
DRAFT, PUBLISHED, RETIRED = insp.TEMPLATE_STATUSES
ITEM_KEYS = (
    "section",
    "code",
    "content",
    "item_kind",
    "max_score",
    "deduction_rule",
    "method",
    "choices",
    "deadline_days",
    "photo_required",
)
TEMPLATE_KEYS = (
    "name",
    "template_kind",
    "version",
    "published_on",
    "status",
    "default_deadline_days",
    "note",
    "items",
)
HEADERS = (
    "类别",
    "序号",
    "内容及分值",
    "分值",
    "扣分标准",
    "检查方法",
    "题型",
    "可选项",
    "整改期限（天）",
    "自评分",
    "督导评分",
)
MAX_POINTS = 100
MAX_DEADLINE_DAYS = 365
MAX_ITEMS = 500
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 5_000, 60  # a stray formatted cell far away costs nothing
PHOTO_MARK = "（须拍照）"


class TemplateInvalid(ValidationError):
    """A template file or JSON was rejected; `problems` has one line per bad row or item,
    `rows` the row (XLSX) or item (JSON) numbers named. Nothing was written."""

    def __init__(self, problems: list[str], rows: Iterable[int] = ()) -> None:
        super().__init__(f"检查表有 {len(problems)} 处错误，未导入任何内容：" + "；".join(problems))
        self.problems = problems
        self.rows = sorted(set(rows))


# --- reading the workspace -------------------------------------------------------------


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


# --- lifecycle -------------------------------------------------------------------------


def publish(ws: Workspace, template_id: str, on: dt.date | None = None) -> list[str]:
    """草稿 -> 已发布 (on `on`, default today). Returns the ids it retired (已停用): the
    version it supersedes and any older published version of the same name."""
    template = get_template(ws, template_id)
    if template["status"] != DRAFT:
        raise ValidationError(f"{_label(template)}已是“{template['status']}”，不能再发布。")
    if not template_items(ws, template_id):
        raise ValidationError(f"{_label(template)}还没有检查项目，不能发布。")
    same = _same_name(ws, template["name"])
    newer = [t for t in same if t["status"] == PUBLISHED and t["version"] > template["version"]]
    if newer:
        raise ValidationError(
            f"已发布了更新的{_label(newer[0])}，不能再发布较旧的第 {template['version']} 版。"
        )
    older = [t["id"] for t in same if t["status"] == PUBLISHED and t["id"] != template_id]
    superseded = template["supersedes_id"] and records.get(ws, TEMPLATE, template["supersedes_id"])
    if superseded and superseded["status"] == PUBLISHED and superseded["id"] not in older:
        older.append(superseded["id"])
    day = on or clock.today()
    with ws.transaction():
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
    source = get_template(ws, template_id)
    if source["status"] == DRAFT:
        raise ValidationError(f"{_label(source)}还是草稿，可以直接修改，不需要另存为新版本。")
    data = template_to_json(ws, template_id)
    tpl, items = _parse_json(data)
    return _create(
        ws, tpl, items, version=_next_version(ws, source["name"]), supersedes_id=template_id
    )


def retire(ws: Workspace, template_id: str) -> None:
    """已发布 -> 已停用: no new visit can use it (visits that used it keep it)."""
    template = get_template(ws, template_id)
    if template["status"] == RETIRED:
        return
    if template["status"] == DRAFT:
        raise ValidationError(f"{_label(template)}是草稿，还没有发布，不需要停用。")
    records.put(ws, TEMPLATE, {"id": template_id, "status": RETIRED})


# --- shipped templates -----------------------------------------------------------------


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
            tpl, items = _parse_json(data)
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


# --- JSON ------------------------------------------------------------------------------


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
    tpl, items = _parse_json(data)
    return _create_next(ws, tpl, items, publish=publish)


def _create_next(
    ws: Workspace, tpl: dict[str, Any], items: list[dict[str, Any]], *, publish: bool
) -> str:
    same = _same_name(ws, tpl["name"])
    released = [t for t in same if t["status"] != DRAFT]
    supersedes = max(released, key=lambda t: t["version"])["id"] if released else None
    with ws.transaction():
        template_id = _create(
            ws, tpl, items, version=_next_version(ws, tpl["name"]), supersedes_id=supersedes
        )
        if publish:
            _publish(ws, template_id)
    return template_id


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


def _parse_json(data: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


# --- checking and writing --------------------------------------------------------------


class _Bad(ValueError):
    """A cell or value that cannot be read; str() is the Chinese problem."""


_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def _to_number(value: Any, unit: str, problem: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Bad(problem)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise _Bad(problem)
        return float(value)
    if not isinstance(value, str):
        raise _Bad(problem)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    text = text.removesuffix(unit)
    if not text:
        return None
    if not _NUMBER_RE.fullmatch(text):
        raise _Bad(problem)
    return float(text)


def _to_points(value: Any) -> float | None:
    points = _to_number(value, "分", "分值应为数字")
    if points is None:
        return None
    if not 0 <= points <= MAX_POINTS:
        raise _Bad(f"分值应在 0 到 {MAX_POINTS} 之间")
    return round(points, 2) + 0.0  # never -0.0


def _to_days(value: Any) -> int | None:
    problem = f"整改期限应为 1 到 {MAX_DEADLINE_DAYS} 之间的整数（天）"
    days = _to_number(value, "天", problem)
    if days is None:
        return None
    if not days.is_integer() or not 1 <= days <= MAX_DEADLINE_DAYS:
        raise _Bad(problem)
    return int(days)


def _item_problems(item: dict[str, Any], bad: Collection[str] = ()) -> list[str]:
    """The domain's item rules (domain.inspection.item_problems), after filling in what
    a sheet may leave out: 题型 (评分 when points are given, else 符合/不符合) and 须拍照
    for a 照片 item. Fields already reported as unreadable (`bad`) are not judged again."""
    points = item.get("max_score")
    item["item_kind"] = item.get("item_kind") or (
        insp.SCORE if points is not None or "max_score" in bad else insp.YES_NO
    )
    if item["item_kind"] == insp.PHOTO:
        item["photo_required"] = True
    return [message for field, message in insp.item_problems(item) if field not in bad]


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
        return record if kind == TEMPLATE and record_id == template_id else lookup(kind, record_id)

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
            problems += [f"第 {where} {item.get('_unit', '项')}：{e.message}" for e in exc.errors]
            rows.append(where)
        lines.append(line)
    if problems:
        raise TemplateInvalid(problems, rows)
    with ws.transaction():
        records.put_many(ws, TEMPLATE, [record])
        records.put_many(ws, ITEM, lines)
    return template_id


# --- XLSX ------------------------------------------------------------------------------

_HEADER_ALIASES = {
    "section": ("类别", "项目", "检查项目", "督导项目"),
    "code": ("序号", "编号"),
    "content": ("内容及分值", "内容", "检查内容", "督导内容", "内容及要求"),
    "points": ("分值", "标准分", "分数"),
    "deduction": ("扣分标准", "评分标准", "扣分细则"),
    "method": ("检查方法", "方法", "督导方法"),
    "kind": ("题型",),
    "choices": ("可选项", "选项"),
    "deadline": ("整改期限（天）", "整改期限"),
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


_LABELS = {_norm(label): key for key, labels in _HEADER_ALIASES.items() for label in labels}
_KINDS = {_norm(k): k for k in insp.ITEM_KINDS} | {"符合不符合": insp.YES_NO, "是否": insp.YES_NO}
_METHODS = {_norm(m): m for m in insp.METHODS}
_POINTS_IN_CONTENT = re.compile(r"[（(]\s*([0-9０-９.．]+)\s*分\s*[)）]\s*$")


def template_to_xlsx(ws: Workspace, template_id: str, path: str | Path) -> Path:
    """Write the template as an A4-landscape XLSX sheet (layout in the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    template = get_template(ws, template_id)
    items = template_items(ws, template_id)
    path = Path(path)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "检查表"
    last = get_column_letter(len(HEADERS))
    body = Font(name="宋体", size=10.5)
    bold = Font(name="黑体", size=10.5)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centred = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = (12, 6, 46, 6, 32, 9, 10, 10, 8, 7, 7)

    def banner(text: str, font: Font, height: float, align: Alignment = wrap) -> None:
        sheet.append([text])
        row = sheet.max_row
        xlsx.plain_row(sheet, row)
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = sheet.cell(row, 1)
        cell.font, cell.alignment = font, align
        sheet.row_dimensions[row].height = height

    banner(
        f"{template['name']}（第 {template['version']} 版）",
        Font(name="黑体", size=16),
        30,
        Alignment(horizontal="center", vertical="center"),
    )
    days = template["default_deadline_days"]
    meta = f"类别：{template['template_kind']}　　"
    meta += f"默认整改期限：{days} 天　　" if days else ""
    meta += f"满分：{_plain_number(total_points(items))} 分　　状态：{template['status']}"
    banner(meta, body, 18)
    if template["note"]:
        banner(f"说明：{template['note']}", body, _row_height([(template["note"], 150)]))
    blank = "　" * 10
    banner(
        f"学校（盖章）：{blank}督导日期：　　　年　　月　　日{blank}"
        f"责任督学（签名）：{blank}校长（签名）：",
        body,
        24,
    )
    sheet.append(list(HEADERS))
    header = sheet.max_row
    for col in range(1, len(HEADERS) + 1):
        cell = sheet.cell(header, col)
        cell.font, cell.alignment, cell.border = bold, centred, box
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    sheet.row_dimensions[header].height = 30
    runs: list[tuple[int, int]] = []
    for item in items:
        kind = item["item_kind"]
        if item["photo_required"] and kind != insp.PHOTO:
            kind += PHOTO_MARK
        sheet.append(
            [
                item["section"],
                item["code"],
                item["content"],
                _plain_number(item["max_score"]),
                item["deduction_rule"],
                item["method"],
                kind,
                "、".join(item["choices"]),
                item["deadline_days"],
                None,
                None,
            ]
        )
        row = sheet.max_row
        xlsx.plain_row(sheet, row)  # typed text never becomes a live formula
        if runs and sheet.cell(runs[-1][0], 1).value == item["section"]:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
        for col in range(1, len(HEADERS) + 1):
            cell = sheet.cell(row, col)
            cell.font, cell.border = body, box
            cell.alignment = wrap if col in (3, 5) else centred
        sheet.row_dimensions[row].height = _row_height(
            [(item["content"], widths[2]), (item["deduction_rule"] or "", widths[4])]
        )
    for first, end in runs:
        if end > first:
            sheet.merge_cells(f"A{first}:A{end}")
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    first_data, last_data = header + 1, header + max(len(items), 1) + 200
    for column, options in (("F", insp.METHODS), ("G", insp.ITEM_KINDS)):
        check = DataValidation(type="list", formula1=f'"{",".join(options)}"', allow_blank=True)
        check.add(f"{column}{first_data}:{column}{last_data}")
        sheet.add_data_validation(check)
    sheet.freeze_panes = f"A{first_data}"
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    wb.properties.title = template["name"]
    _write_atomic(path, wb.save)
    return path


def _row_height(cells: list[tuple[str, float]]) -> float:
    """Points for a row whose wrapped cells hold these (text, column width) pairs: Excel
    does not grow rows for wrapped text by itself. A CJK character is two width units."""
    lines = 1
    for text, width in cells:
        needed = 0
        for part in text.split("\n"):
            units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
            needed += max(1, math.ceil(units / max(width - 1, 1)))
        lines = max(lines, needed)
    return round(max(lines * 14.5 + 6, 22), 1)


def template_from_xlsx(
    ws: Workspace, path: str | Path, *, name: str | None = None, publish: bool = False
) -> str:
    """Import an XLSX checklist as a 草稿 (next version of its name) and return its id.

    The name is `name`, else the title row's, else the file name. Raises TemplateInvalid
    naming every bad row ("第 7 行：分值应为数字"), or ValidationError for a file that is
    not a readable .xlsx; nothing is written then.
    """
    path = Path(path)
    rows = _sheet_rows(path)
    found = _find_header(rows)
    if found is None:
        raise ValidationError(
            f"{path.name} 中找不到表头行：应有“类别”“内容及分值”等列名"
            "（可先导出一份检查表作为样板）。"
        )
    header_index, columns = found
    problems: list[str] = []
    bad_rows: list[int] = []
    meta = _read_meta(rows[:header_index], problems, bad_rows)
    items = []
    section = None
    for index in range(header_index + 1, len(rows)):
        number = index + 1
        cells = {key: rows[index][col] for key, col in columns.items() if col < len(rows[index])}
        text = {key: _cell_text(value) for key, value in cells.items()}
        if not any(text.values()):
            continue
        if text.get("section"):
            section = text["section"]
        data_keys = ("content", "points", "deduction", "method", "kind", "choices", "deadline")
        if not any(text.get(k) for k in data_keys):
            continue  # a section heading row, or a section cell alone
        item, errors = _xlsx_item(cells, text, section)
        item["_row"], item["_unit"] = number, "行"
        if errors:
            problems += [f"第 {number} 行：{e}" for e in errors]
            bad_rows.append(number)
        items.append(item)
        if len(items) > MAX_ITEMS:
            raise TemplateInvalid([f"检查项目超过 {MAX_ITEMS} 项，请检查文件"], bad_rows)
    if not items and not problems:
        problems.append("表中没有检查项目")
    if problems:
        raise TemplateInvalid(problems, bad_rows)
    tpl = _xlsx_template(ws, path, name, meta)
    return _create_next(ws, tpl, items, publish=publish)


def _sheet_rows(path: Path) -> list[list[Any]]:
    """The cell values of the first sheet that has a header row (else the first sheet)."""
    sheets = xlsx.read_sheets(
        path, xlsx.Limits(max_file_bytes=MAX_FILE_BYTES, max_rows=MAX_SHEET_ROWS,
                          max_columns=MAX_SHEET_COLUMNS)
    )
    for rows in sheets:
        if _find_header(rows) is not None:
            return rows
    return sheets[0] if sheets else []


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:30]):
        columns: dict[str, int] = {}
        for col, value in enumerate(row):
            key = _LABELS.get(_norm(value)) if isinstance(value, str) else None
            if key and key not in columns:
                columns[key] = col
        if "section" in columns and "content" in columns:
            return index, columns
    return None


def _read_meta(rows: list[list[Any]], problems: list[str], bad_rows: list[int]) -> dict[str, Any]:
    """Name, version, kind, default deadline and note from the rows above the header."""
    meta: dict[str, Any] = {}
    for number, row in enumerate(rows, start=1):
        text = next((t for t in map(_cell_text, row) if t), "")
        if not text:
            continue
        if re.match(r"说明\s*[:：]", text):
            meta["note"] = re.sub(r"^说明\s*[:：]\s*", "", text) or None
        elif m := re.search(r"类别\s*[:：]\s*(\S+)", text):
            kind = m.group(1)
            if kind in insp.TEMPLATE_KINDS:
                meta["template_kind"] = kind
            else:
                problems.append(
                    f"第 {number} 行：检查表类别“{kind}”不是可选项，"
                    f"应为{'、'.join(insp.TEMPLATE_KINDS)}之一"
                )
                bad_rows.append(number)
            days = re.search(r"默认整改期限\s*[:：]\s*(\S+?)\s*天", text)
            if days:
                try:
                    meta["default_deadline_days"] = _to_days(days.group(1))
                except _Bad as exc:
                    problems.append(f"第 {number} 行：默认{exc}")
                    bad_rows.append(number)
        elif "title" not in meta and not text.startswith("学校"):
            meta["title"] = text
    return meta


def _xlsx_template(
    ws: Workspace, path: Path, name: str | None, meta: Mapping[str, Any]
) -> dict[str, Any]:
    title = meta.get("title") or ""
    m = re.fullmatch(r"(.*?)\s*[（(]\s*第\s*\S+?\s*版\s*[)）]", title)
    name = (name or "").strip() or (m.group(1) if m else title).strip() or path.stem
    same = sorted(_same_name(ws, name), key=lambda t: t["version"])
    previous = same[-1] if same else {}
    kind = meta.get("template_kind") or previous.get("template_kind")
    if not kind:
        kind = (
            "开学专项督导" if "开学" in name else "经常性督导" if "经常性" in name else "专项督导"
        )
    return {
        "name": name,
        "template_kind": kind,
        "status": DRAFT,
        "default_deadline_days": meta.get(
            "default_deadline_days", previous.get("default_deadline_days", 30)
        ),
        "note": meta.get("note", previous.get("note")),
    }


def _xlsx_item(
    cells: Mapping[str, Any], text: Mapping[str, str], section: str | None
) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    bad: set[str] = set()
    item: dict[str, Any] = {
        "section": section,
        "code": text.get("code") or None,
        "content": text.get("content") or None,
        "deduction_rule": text.get("deduction") or None,
        "choices": _split_choices(text.get("choices") or ""),
        "photo_required": False,
    }
    try:
        item["max_score"] = _to_points(cells.get("points"))
    except _Bad as exc:
        errors.append(str(exc))
        item["max_score"] = None
        bad.add("max_score")
    if item["content"] and (m := _POINTS_IN_CONTENT.search(item["content"])):
        try:
            stated = _to_points(m.group(1))
        except _Bad:
            stated = None
        if stated is not None and "max_score" not in bad:
            if item["max_score"] is None:
                item["max_score"] = stated
            elif item["max_score"] != stated:
                errors.append(
                    f"内容中注明的分值（{m.group(1)}分）与“分值”列（"
                    f"{_plain_number(item['max_score'])}）不一致"
                )
            item["content"] = item["content"][: m.start()].rstrip() or None
    try:
        item["deadline_days"] = _to_days(cells.get("deadline"))
    except _Bad as exc:
        errors.append(str(exc))
        item["deadline_days"] = None
    kind = _norm(text.get("kind") or "")
    photo = kind.endswith(_norm(PHOTO_MARK))
    if photo:
        kind = kind[: -len(_norm(PHOTO_MARK))]
    item["item_kind"] = _KINDS.get(kind, text.get("kind")) if kind else None
    item["photo_required"] = photo
    method = text.get("method")
    item["method"] = _METHODS.get(_norm(method), method) if method else None
    return item, errors + _item_problems(item, bad)


def _split_choices(text: str) -> list[str]:
    parts = re.split(r"[、,，;；/|\n]+", text)
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _plain_number(value: Any) -> Any:
    """4.0 -> 4 so that exports read like the county's own sheets."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- files -----------------------------------------------------------------------------


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


def _write_atomic(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write through `path.partial` and rename: a crash never leaves half a file."""
    if not path.parent.is_dir():
        raise ValidationError(f"文件夹不存在：{path.parent}")
    try:
        files.write_atomic(path, write)
    except OSError as exc:
        raise ValidationError(
            f"无法写入 {path}（文件可能正在 Excel 或 WPS 中打开）：{exc.strerror or exc}"
        ) from exc
