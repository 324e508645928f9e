"""What text may be stored: no control characters, no bidi tricks, no broken Unicode.

Text reaches the workspace typed, pasted from WeChat or web pages, from spreadsheets
and from other laptops' packages. Some characters must never be stored:

- control characters (NUL, BEL, ESC ...): invisible, they break printing, file names,
  spreadsheets and terminals; a line break is allowed only in multi-line fields;
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, and the marks
  U+200E, U+200F, U+061C): they make "学生.exe" display as "学生exe." or reorder a
  number on screen while the stored text says something else;
- lone surrogates: not text at all; they cannot be written to a file or sent.

Zero-width spaces and the byte-order mark, which copy and paste brings along without
anyone seeing them, are removed rather than refused.
"""

from __future__ import annotations

import re
import unicodedata

from wushan_desk.domain.errors import ValidationError

#: Invisible characters that copy and paste brings along: dropped silently.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
#: Characters that change the display order of the text around them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
#: Characters that print as nothing by design (line breaks, zero-width characters,
#: variation selectors), so a print font need not have them (reports/fonts.py, and the
#: check while typing in services/glyphs.py).
PRINTS_AS_NOTHING = frozenset("\n\r\t\u200b\u200c\u200d\u2060\ufeff") | frozenset(
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)
#: Fields longer than this take several lines (opinions, notes); shorter ones are one line.
MULTILINE_FROM = 200


def normalize(text: str) -> str:
    """Windows line ends as "\\n", invisible copy-and-paste characters removed."""
    return text.replace("\r\n", "\n").translate(_INVISIBLE)


def problem(text: str, *, multiline: bool) -> str | None:
    """Why `text` may not be stored (in Chinese), or None if it may."""
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(text)
    if found is None:  # one scan in C: this runs for every field of every synced row
        return None
    char = found.group()
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        what = "控制字符" if category == "Cc" and char not in "\r\n" else "换行"
        return f"含有不能保存的{what}（U+{ord(char):04X}），请删除后重新输入"
    if char in BIDI_CONTROLS:
        return f"含有会改变文字显示顺序的隐藏字符（U+{ord(char):04X}），请删除后重新输入"
    return "含有无效的字符编码（孤立的代理项），请重新输入这段文字"


#: Control characters (Unicode Cc), line and paragraph separators (Zl, Zp), bidi controls
#: and lone surrogates (Cs); a multi-line field allows "\n" and "\t".
_OTHERS = "\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff" + "".join(sorted(BIDI_CONTROLS))
_FORBIDDEN = re.compile(f"[\\x00-\\x1f{_OTHERS}]")
_FORBIDDEN_MULTILINE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f{_OTHERS}]")


def clean(text: str, *, multiline: bool) -> str:
    """`text` normalised; ValidationError (field-less) if it holds a forbidden character."""
    text = normalize(text)
    found = problem(text, multiline=multiline)
    if found:
        raise ValidationError(found)
    return text
