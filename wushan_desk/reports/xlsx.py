"""Spreadsheets from anywhere, read safely; spreadsheets we write, free of live formulas.

Reading (`read_sheets`): an .xlsx is a ZIP of XML. A 1.6 MB file can inflate to
gigabytes (a "zip bomb"), a device such as /dev/zero never ends, XML entities can expand
without bound, and a small file can declare thousands of sheets padded to thousands of
rows (a review built one of 0.6 MB with 1,990 sheets of 5,000 x 60 cells: 5.3 GB). So:

1. The file must be a regular file of bounded size (`max_file_bytes`).
2. `_screen`, before openpyxl parses anything: the ZIP directory declares a bounded number
   of members, bounded sizes and plausible compression ratios (zipfile never inflates a
   member past its declared size, so these bounds hold). Then the XML tags of every
   member are counted while inflating it in chunks, against three budgets: the parts
   openpyxl parses whole into objects (content types, workbook, styles, properties,
   theme, relationships: 200,000 bare cell formats took it 3.5 s and 130 MB), the
   shared strings (every text kept in memory) and the rest, which openpyxl streams
   (worksheets, media; it still keeps a small object per tag outside the rows). The
   workbook may list at most `max_sheets` sheets (the ZIP may hold one sheet listed
   20,000 times).
3. openpyxl then streams the sheets (read-only mode, no external links) in order. The
   declared dimension of a sheet is not trusted: at most `max_rows` rows of
   `max_columns` columns are read, and every row kept costs one cell plus its filled
   width against `max_cells` for the whole file. Given `accept`, reading stops at the
   first sheet it accepts (an importer reads only what it needs).

defusedxml (a dependency) makes openpyxl refuse entity tricks. Every refusal is a
ValidationError in plain Chinese saying what is wrong and what to do; nothing is written.

Budgets per purpose (`CHECKLIST` is the default; a checklist has at most 500 items, a
roster at most about 100,000 rows x 30 columns; `ROSTER` is for the roster importers):

    ==================  =========  =========  =====================================
    Limit               CHECKLIST  ROSTER     bounds
    ==================  =========  =========  =====================================
    max_file_bytes      20 MB      64 MB      the file read into memory
    max_members         500        2,000      ZIP members
    max_inflated_bytes  32 MB      512 MB     all members inflated (declared)
    max_ratio           100        100        inflated / compressed, members > 1 MB
    max_part_bytes      4 MB       4 MB       parts openpyxl parses whole, together
    max_part_tags       300,000    300,000    their tags (64,000 Excel formats fit)
    max_string_tags     100,000    3,000,000  tags of the shared strings
    max_sheet_tags      1,000,000  15,000,000 tags of worksheets and the other members
    max_sheets          50         300        sheets the workbook may list
    max_rows            5,000      110,000    rows read per sheet (one more is looked at)
    max_columns         60         40         columns read per row
    max_cells           200,000    4,000,000  cells kept, all sheets read together
    ==================  =========  =========  =====================================

Measured with `wushan-desk template import` on the review's files: 1,990 sheets refused
in 0.15 s at 36 MB peak (it was 39 s and 5.3 GB); 45 sheets, within the sheet count,
refused by the cell budget in 0.8 s at 55 MB. A real roster of 100,000 x 30 cells
passes `ROSTER` (screening 0.4 s; openpyxl itself takes most of a minute).

Writing (`plain_text`): text a user typed that starts with = + - @, a tab or a carriage
return would become a formula (=HYPERLINK(...), =cmd|...) the moment the county opens
the export in Excel or WPS. Such cells are stored as text with Excel's quote prefix.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain.errors import ValidationError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and other OLE files
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Parts openpyxl parses whole into objects, by fixed name (besides every *.rels and the
#: workbook part the content types name).
_WHOLE_PARTS = frozenset(
    {
        "[Content_Types].xml",
        "xl/styles.xml",
        "xl/theme/theme1.xml",
        "docProps/core.xml",
        "docProps/custom.xml",
    }
)
_CONTENT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet[\s/>]")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a spreadsheet we read may hold; the defaults are a checklist's (see above).

    `what` names the expected content in messages ("不像是一份检查表").
    """

    what: str = "检查表"
    max_file_bytes: int = 20 << 20
    max_members: int = 500
    max_inflated_bytes: int = 32 << 20
    max_ratio: int = 100
    max_part_bytes: int = 4 << 20
    max_part_tags: int = 300_000
    max_string_tags: int = 100_000
    max_sheet_tags: int = 1_000_000
    max_sheets: int = 50
    max_rows: int = 5_000
    max_columns: int = 60
    max_cells: int = 200_000


#: A checklist template: at most 500 items on one sheet, a few sheets in the workbook.
CHECKLIST = Limits()
#: A roster (students, aid records): at most about 100,000 rows x 30 columns.
ROSTER = Limits(
    what="名单",
    max_file_bytes=64 << 20,
    max_members=2_000,
    max_inflated_bytes=512 << 20,
    max_string_tags=3_000_000,
    max_sheet_tags=15_000_000,
    max_sheets=300,
    max_rows=110_000,
    max_columns=40,
    max_cells=4_000_000,
)

Rows = list[list[Any]]


def read_sheets(
    path: Path, limits: Limits = CHECKLIST, accept: Callable[[Rows], bool] | None = None
) -> list[Rows]:
    """The cell values of the sheets in order: rows of values, trailing blanks dropped.

    With `accept`, reading stops after the first sheet whose rows it accepts (that sheet
    is the last one returned). Raises ValidationError, naming the file and what to do,
    for anything that is not a sound .xlsx within `limits`.
    """
    data = _read_file(path, limits)
    _screen(path, data, limits)
    import openpyxl  # loaded on first use: not needed to start the app

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                sheets: list[Rows] = []
                spent = [0]  # cells kept so far, all sheets together
                for number, sheet in enumerate(book.worksheets[: limits.max_sheets], start=1):
                    sheets.append(_rows(path, number, sheet, limits, spent))
                    if accept is not None and accept(sheets[-1]):
                        break
                return sheets
            finally:
                book.close()
    except ValidationError:
        raise
    except Exception as exc:  # zip, XML and openpyxl errors alike mean a damaged file
        raise _damaged(path) from exc


def _damaged(path: Path) -> ValidationError:
    return ValidationError(
        f"{path.name} 已损坏或不是有效的 .xlsx 文件，无法读取。"
        "请在 Excel 或 WPS 中打开检查后重新保存。"
    )


def _read_file(path: Path, limits: Limits) -> bytes:
    data = files.read_limited(
        path,
        limits.max_file_bytes,
        f"{path.name} 超过 {limits.max_file_bytes >> 20} MB，不像是一份{limits.what}。"
        "请删去无关的工作表和图片后再导入。",
    )
    if data.startswith(OLE_MAGIC):
        raise ValidationError(
            f"{path.name} 是旧版 Excel（.xls）文件，本程序只能读取 .xlsx。"
            "请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。"
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ValidationError(f"{path.name} 不是 Excel 工作簿（.xlsx）文件，可能选错了文件。")
    return data


def _screen(path: Path, data: bytes, limits: Limits) -> None:
    """The ZIP directory, then every member's XML tags, before openpyxl sees the file."""
    refused = ValidationError(
        f"{path.name} 的内容异常（解压后过大或文件过多，可能是恶意构造的文件），已拒绝导入。"
        "请向发来文件的人核实，或在 Excel 或 WPS 中重新保存后再试。"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_members:
                raise refused
            total = 0
            for info in infos:
                total += info.file_size
                big = info.file_size > 1 << 20
                if big and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                    raise refused
            if total > limits.max_inflated_bytes:
                raise refused
            _screen_parts(path, zf, limits, refused)
    except ValidationError:
        raise
    except Exception as exc:  # a bad directory, member, compression or XML: a damaged file
        raise _damaged(path) from exc


def _screen_parts(
    path: Path, zf: zipfile.ZipFile, limits: Limits, refused: ValidationError
) -> None:
    """Tags per budget (see the module's text) and the number of sheets listed."""
    from openpyxl.xml.constants import SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX
    from openpyxl.xml.functions import fromstring  # defusedxml's (a dependency): no entities

    spent = {"part": 0, "strings": 0, "sheet": 0}
    budget = {
        "part": limits.max_part_tags,
        "strings": limits.max_string_tags,
        "sheet": limits.max_sheet_tags,
    }

    def count(info: zipfile.ZipInfo, role: str, keep: bool = False) -> bytes:
        kept = []
        with zf.open(info) as member:
            while block := member.read(_CHUNK):
                spent[role] += block.count(b"<") - block.count(b"</")
                if spent[role] > budget[role]:
                    raise refused
                if keep:
                    kept.append(block)
        return b"".join(kept)

    types = zf.getinfo("[Content_Types].xml")
    if types.file_size > limits.max_part_bytes:
        raise refused
    workbooks: set[str] = set()  # every part typed as a workbook: openpyxl takes one of them
    strings: set[str] = set()
    for element in fromstring(count(types, "part", keep=True)):
        if element.tag == _CONTENT_NS + "Override":
            name, kind = (element.get("PartName") or "")[1:], element.get("ContentType")
            if kind in (XLTM, XLTX, XLSM, XLSX):
                workbooks.add(name)
            elif kind == SHARED_STRINGS:
                strings.add(name)
    workbooks = workbooks or {"xl/workbook.xml"}  # as openpyxl, from the default types
    whole = [i for i in zf.infolist() if _whole(i.filename, workbooks)]
    if sum(i.file_size for i in whole) > limits.max_part_bytes:
        raise refused
    for info in zf.infolist():
        if info.filename == "[Content_Types].xml":
            continue
        if info.filename in workbooks:
            listed = len(_SHEET_TAG.findall(count(info, "part", keep=True)))
            if listed > limits.max_sheets:
                raise ValidationError(
                    f"{path.name} 有 {listed} 个工作表，超过了 {limits.max_sheets} 个，"
                    f"不像是一份{limits.what}。请把要导入的表复制到一个新的工作簿"
                    "（只留这一个工作表）后再导入。"
                )
        elif _whole(info.filename, workbooks):
            count(info, "part")
        else:
            count(info, "strings" if info.filename in strings else "sheet")


def _whole(name: str, workbooks: set[str]) -> bool:
    """Is this a part openpyxl parses whole into objects?"""
    return name in _WHOLE_PARTS or name in workbooks or name.endswith(".rels")


def _rows(path: Path, number: int, sheet: Any, limits: Limits, spent: list[int]) -> Rows:
    """One sheet's values, at most `max_rows` x `max_columns`, trailing blanks dropped.

    The declared dimension is not used: openpyxl pads every row to `max_columns` and
    fills in missing rows, so rows are trimmed as they come and blank ones kept only
    when a filled row follows. Each row kept costs one cell plus its width in `spent`.
    """
    rows: Rows = []
    blank = 0  # blank rows seen since the last filled one
    for index, row in enumerate(
        sheet.iter_rows(
            min_row=1, max_row=limits.max_rows + 1, max_col=limits.max_columns, values_only=True
        ),
        start=1,
    ):
        values = list(row)
        while values and values[-1] in (None, ""):
            values.pop()
        if not values:
            blank += 1
            continue
        if index > limits.max_rows:
            raise ValidationError(
                f"{path.name} 的第 {number} 个工作表超过 {limits.max_rows:,} 行，"
                f"不像是一份{limits.what}。请删去多余的行，或分成几个文件导入。"
            )
        spent[0] += blank + 1 + len(values)
        if spent[0] > limits.max_cells:
            raise ValidationError(
                f"{path.name} 的表格内容过多（超过 {limits.max_cells:,} 个单元格），"
                f"不像是一份{limits.what}。请删去无关的工作表和空白的行列，或把要导入的表"
                "复制到一个新的工作簿后再导入。"
            )
        rows.extend([] for _ in range(blank))
        blank = 0
        rows.append(values)
    return rows


def column_positions(row: list[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Which cell of a header row holds each field, by the spellings each field may have
    (the first cell that matches; fields with none are left out)."""
    names = [str(v).strip() if v is not None else "" for v in row]
    out: dict[str, int] = {}
    for field_name, spellings in columns.items():
        found = next((i for i, name in enumerate(names) if name in spellings), None)
        if found is not None:
            out[field_name] = found
    return out


def find_header(rows: Rows, columns: dict[str, tuple[str, ...]],
                enough: Callable[[set[str]], bool]) -> tuple[int, dict[str, int]] | None:
    """The header row among the first 20 (a title or notes may come first): the first
    whose recognised fields are `enough`, with the positions of those fields."""
    for index, row in enumerate(rows[:20]):
        found = column_positions(row, columns)
        if enough(set(found)):
            return index, found
    return None


def cell_text(value: Any, what: str) -> str:
    """A cell read as text ("" when blank): dates as YYYY-MM-DD, whole numbers without
    ".0". Long numbers are refused: Excel keeps 15 significant digits, so an ID or card
    number typed into a number cell may already have lost its last digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float) and len(str(value).replace(".", "")) > 15:
        raise ValidationError(f"{what}在表格里是数字格式，Excel 只保留 15 位有效数字，末几位"
                              f"可能已被改动：请把“{what}”一列设为文本格式，重新填写后再导入",
                              "file")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def plain_text(cell: Any) -> Any:
    """Keep a text cell as text in Excel and WPS: never a formula, never a hyperlink.

    Call after setting `cell.value`; returns the cell.
    """
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def plain_row(sheet: Any, row: int) -> None:
    """`plain_text` for every cell of one row (after `sheet.append`)."""
    for cell in sheet[row]:
        plain_text(cell)


def write_table(path: Path, title: str, header: list[str], rows: list[list[Any]]) -> None:
    """One sheet of plain text cells (never formulas), written atomically to `path`."""
    from openpyxl import Workbook

    from wushan_desk import files

    wb = Workbook()
    sheet = wb.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        plain_row(sheet, sheet.max_row)
    sheet.freeze_panes = "A2"
    files.write_atomic(path, wb.save)
