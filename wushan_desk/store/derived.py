"""Columns computed from others on every write, local to each workspace (never synced).

`sort_key` holds the pinyin of a name so that lists sort the way Chinese users expect
(王 after 李), which plain code-point order does not do.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

SORTED_BY_NAME = ("students", "schools")


@cache
def _pinyin():
    from pypinyin import Style, lazy_pinyin

    return lambda text: " ".join(lazy_pinyin(text, style=Style.TONE3, errors="default"))


@lru_cache(maxsize=65536)  # names repeat (common given names): skip pypinyin's segmenter
def pinyin_key(name: str | None) -> str:
    """Sortable pinyin of `name`, e.g. 王芳 -> 'wang2 fang1'; rare characters kept as-is."""
    return _pinyin()(name) if name else ""


def derived_columns(table: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Extra column values to store for a row of `table` given its other columns."""
    if table in SORTED_BY_NAME and "name" in columns:
        return {"sort_key": pinyin_key(columns["name"])}
    return {}
