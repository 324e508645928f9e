"""The checklist exchange formats' shared vocabulary: field names, limits, the
rejection error, and the readers of one cell or value (points, days, choices).

No workspace here: a value is read the same from JSON and from a spreadsheet cell.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import IO, Any

from wushan_desk import files
from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError

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
