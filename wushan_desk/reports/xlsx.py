"""Spreadsheets from anywhere, read safely; spreadsheets we write, free of live formulas.

Reading (`read_sheets`): an .xlsx is a ZIP of XML. A 1.6 MB file can inflate to
gigabytes (a "zip bomb"), a device such as /dev/zero never ends, and XML entities can
expand without bound. So before openpyxl parses anything the file must be a regular
file of bounded size whose ZIP directory declares a bounded number of members, bounded
sizes and a plausible compression ratio; openpyxl then streams it (read-only mode) and
stops after `max_rows`. defusedxml, when installed (it is a dependency), makes openpyxl
refuse entity tricks. Every failure is a ValidationError saying what to do.

Writing (`plain_text`): text a user typed that starts with = + - @, a tab or a carriage
return would become a formula (=HYPERLINK(...), =cmd|...) the moment the county opens
the export in Excel or WPS. Such cells are stored as text with Excel's quote prefix.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain.errors import ValidationError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and other OLE files
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Limits:
    """What a spreadsheet we read may hold (a county roster is far below all of these)."""

    max_file_bytes: int = 20 << 20
    max_members: int = 2_000
    max_total_bytes: int = 200 << 20  # all members inflated
    max_ratio: int = 100  # inflated / compressed, for members above 1 MB
    max_rows: int = 200_000
    max_columns: int = 100


def read_sheets(path: Path, limits: Limits = Limits()) -> list[list[list[Any]]]:
    """The cell values of every sheet (rows of values, at most `limits` of them).

    Raises ValidationError, naming the file and what to do, for anything that is not
    a sound, bounded .xlsx.
    """
    data = _read_file(path, limits)
    _check_zip(path, data, limits)
    import openpyxl  # loaded on first use: not needed to start the app

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [_rows(sheet, limits) for sheet in book.worksheets]
            finally:
                book.close()
    except ValidationError:
        raise
    except Exception as exc:  # zip, XML and openpyxl errors alike mean a damaged file
        raise ValidationError(
            f"{path.name} 已损坏或不是有效的 .xlsx 文件，无法读取。"
            "请在 Excel 或 WPS 中打开检查后重新保存。"
        ) from exc


def _read_file(path: Path, limits: Limits) -> bytes:
    data = files.read_limited(
        path,
        limits.max_file_bytes,
        f"{path.name} 超过 {limits.max_file_bytes >> 20} MB，不像是一份名单或检查表。"
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


def _check_zip(path: Path, data: bytes, limits: Limits) -> None:
    """Declared member count, sizes and compression ratios, before anything is inflated."""
    refused = ValidationError(
        f"{path.name} 的内容异常（解压后过大或文件过多，可能是恶意构造的文件），已拒绝导入。"
        "请向发来文件的人核实，或在 Excel 或 WPS 中重新保存后再试。"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ValidationError(
            f"{path.name} 已损坏或不是有效的 .xlsx 文件，无法读取。"
            "请在 Excel 或 WPS 中打开检查后重新保存。"
        ) from exc
    if len(infos) > limits.max_members:
        raise refused
    total = 0
    for info in infos:
        total += info.file_size
        big = info.file_size > 1 << 20
        if big and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise refused
    if total > limits.max_total_bytes:
        raise refused


def _rows(sheet: Any, limits: Limits) -> list[list[Any]]:
    """A sheet's values, at most `max_rows` x `max_columns`, trailing blank rows dropped."""
    rows: list[list[Any]] = []
    for row in sheet.iter_rows(
        min_row=1, max_row=limits.max_rows, max_col=limits.max_columns, values_only=True
    ):
        rows.append(list(row))
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


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
