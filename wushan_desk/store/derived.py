"""Columns computed from others on every write, local to each workspace (never synced).

`sort_key` holds the pinyin of a name so that lists sort the way Chinese users expect
(王 after 李), which plain code-point order does not do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from itertools import chain
from typing import Any

SORTED_BY_NAME = ("students", "schools")


@cache
def _pinyin() -> Callable[[str], str]:
    """`lazy_pinyin(text, style=TONE3)` joined by spaces, the words of a text converted
    once each: pypinyin splits a name into words (王 | 小明) and reads each word as a
    whole, so the result is the same, five times faster on a county's names (which
    share their surnames and given-name words)."""
    from pypinyin import Style
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin

    # lazy_pinyin's own defaults; a list of words is read word by word, as it reads the
    # words it found itself
    reader = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False,
                                      tone_sandhi=False))

    @lru_cache(maxsize=65536)
    def word(text: str) -> tuple[str, ...]:
        return tuple(reader.lazy_pinyin([text], style=Style.TONE3, errors="default"))

    return lambda text: " ".join(chain.from_iterable(word(w) for w in reader.seg(text)))


@lru_cache(maxsize=65536)  # names repeat (common given names): skip pypinyin's segmenter
def pinyin_key(name: str | None) -> str:
    """Sortable pinyin of `name`, e.g. 王芳 -> 'wang2 fang1'; rare characters kept as-is."""
    return _pinyin()(name) if name else ""


def derived_columns(table: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Extra column values to store for a row of `table` given its other columns."""
    if table in SORTED_BY_NAME and "name" in columns:
        return {"sort_key": pinyin_key(columns["name"])}
    return {}
