"""Can the print fonts draw this text? Asked while a name is typed, long before printing.

A character no vendored print face has (an Extension C-G ideograph, a Korean syllable)
would make every document about the record refuse to print (reports/fonts.py
`MissingGlyphs`), on site, in front of the school. The record form warns as soon as the
field is left: the user can check the character or write a note, and the record is
saved either way (it is a real child's real name).

The covered code points are kept in resources/fonts/coverage.txt (ranges in hex, written
by scripts/make_fonts.py; a test compares it with the fonts), so the check needs neither
reportlab nor the 70 MB of fonts: it runs on the GUI thread in microseconds.
"""

from __future__ import annotations

import bisect
import functools

from wushan_desk import paths
from wushan_desk.domain.text import PRINTS_AS_NOTHING


@functools.cache
def _ranges() -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    text = (paths.fonts_dir() / "coverage.txt").read_text(encoding="ascii")
    for line in text.split():
        first, _, last = line.partition("-")
        starts.append(int(first, 16))
        ends.append(int(last or first, 16))
    return starts, ends


def printable(ch: str) -> bool:
    if ch in PRINTS_AS_NOTHING:
        return True
    code = ord(ch)
    starts, ends = _ranges()
    at = bisect.bisect_right(starts, code) - 1
    return at >= 0 and code <= ends[at]


def unprintable(text: str | None) -> list[str]:
    """The characters of `text` no print face has, each once, in order."""
    return list(dict.fromkeys(ch for ch in text or "" if not printable(ch)))


def warning(text: str | None) -> str | None:
    """The form's warning for `text`, or None when every character prints."""
    missing = unprintable(text)
    if not missing:
        return None
    chars = "、".join(f"{ch}（U+{ord(ch):04X}）" for ch in missing)
    return (f"打印字体缺少此字：{chars}。可以保存，但含有它的文书打印不出来；请核对是否"
            "输入有误，确是此字的，可改用规范字并在备注中写明。")
