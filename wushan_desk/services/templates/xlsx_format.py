"""Checklists as spreadsheets, as the county office keeps and prints them.

XLSX layout (`template_to_xlsx` writes it, `template_from_xlsx` reads it): a title row
“名称（第 N 版）”, a row “类别：…　默认整改期限：N 天　满分：N 分”, an optional “说明：…”
row and a row to fill in on paper, then the header row 类别 / 序号 / 内容及分值 / 分值 /
扣分标准 / 检查方法 / 题型 / 可选项 / 整改期限（天）/ 自评分 / 督导评分, one item per row.
A blank 类别 continues the section above (merged cells); a 题型 of “评分（须拍照）” marks
an item that needs a photo. Imports find the header by its labels anywhere in the first
rows of any sheet, and reject a bad sheet as a whole, naming every bad row.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services.templates.lifecycle import (
    _create_next,
    _same_name,
    get_template,
    template_items,
    total_points,
)
from wushan_desk.services.templates.model import (
    DRAFT,
    HEADERS,
    MAX_FILE_BYTES,
    MAX_ITEMS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    PHOTO_MARK,
    TemplateInvalid,
    _Bad,
    _cell_text,
    _item_problems,
    _plain_number,
    _split_choices,
    _to_days,
    _to_points,
    _write_atomic,
)
from wushan_desk.store.workspace import Workspace

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
    sheets = xlsx.read_sheets(  # stops at the sheet with the header: none read beyond
        path, xlsx.Limits(max_file_bytes=MAX_FILE_BYTES, max_rows=MAX_SHEET_ROWS,
                          max_columns=MAX_SHEET_COLUMNS),
        accept=lambda rows: _find_header(rows) is not None,
    )
    if sheets and _find_header(sheets[-1]) is not None:
        return sheets[-1]
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
