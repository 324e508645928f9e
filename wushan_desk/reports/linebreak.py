"""Chinese line breaking in reportlab: punctuation that never starts a line, and dates
and document numbers that are never broken.

reportlab breaks CJK text between any two characters, and before a run of digits it
looks back to the last CJK character: "2026年12月" at the end of one line and "29日" at
the start of the next, in a deadline a school must read at a glance. GB/T 9704 running
text keeps such a date whole. reportlab has no way to say so, so its CJK line breaker
runs as before, and where it would split a date (or 〔2026〕12号, or a time) the
paragraph is broken again with a forced line break before that date. The frags are
changed only for that call: a paragraph may be wrapped at several widths (a table cell
is measured before it is laid out).

Importing this module applies both rules; reports/layout.py does.
"""

from __future__ import annotations

import re
from typing import Any

from reportlab.lib import textsplit as _rl_textsplit
from reportlab.platypus import paragraph as _rl_paragraph

# reportlab keeps its Japanese list of characters that may not start a line (。、）」 ...),
# which lacks the full-width ，；：？！, the ellipsis and the closing quotes and book-title
# marks; one of them at the start of a line is a mistake in a Chinese document. reportlab
# reads these module-level strings at wrap time (one for a paragraph of one style, one
# for a paragraph with markup).
CANNOT_START = "，；：？！…”’》〉％"
for _module in (_rl_paragraph, _rl_textsplit):
    if CANNOT_START not in _module.ALL_CANNOT_START:
        _module.ALL_CANNOT_START += CANNOT_START

#: Text a line never breaks inside: 2026年12月29日 (and 2026年12月, 12月29日),
#: 2026-12-29, 〔2026〕12号, 14:30.
UNBROKEN = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}"
    r"|〔\d{4}〕\d+号|\d{1,2}:\d{2}"
)
_break_lines_cjk = _rl_paragraph.Paragraph.breakLinesCJK


def _break_lines_keeping_dates(self: Any, maxWidths: Any) -> Any:
    """reportlab's CJK line breaking, again with a forced break before each date it split
    (one date at a time, in order; a date that would still be split on a line of its own,
    in a column narrower than the date, is left as reportlab broke it)."""
    def widths() -> Any:  # a fresh list each time: reportlab narrows it for a bullet
        return list(maxWidths) if isinstance(maxWidths, list | tuple) else maxWidths

    result = _break_lines_cjk(self, widths())
    frags = self.frags
    if getattr(self, "_splitpara", 0) or any(hasattr(f, "cbDefn") for f in frags):
        return result  # the rest of a paragraph split across pages: its lines are set
    text = "".join(getattr(f, "text", "") for f in frags)
    spans = [m.span() for m in UNBROKEN.finditer(text)]
    breaks: set[int] = set()
    after = 0  # spans before this position are settled
    while spans:
        cut = _split_span(_line_starts(_line_texts(result), text), spans, after)
        if cut is None:
            break
        after = cut + 1
        self.frags = _with_breaks(frags, breaks | {cut})
        try:
            tried = _break_lines_cjk(self, widths())
        finally:
            self.frags = frags
        span = next(sp for sp in spans if sp[0] == cut)
        if _split_span(_line_starts(_line_texts(tried), text), [span], 0) is None:
            breaks.add(cut)
            result = tried
    return result


def _line_texts(result: Any) -> list[str] | None:
    """The text of each line reportlab made (None: a shape not known here)."""
    lines = getattr(result, "lines", None)
    if lines is None:
        return None
    if getattr(result, "kind", 0) == 0:  # one frag: [(extra space, [text]), ...]
        return ["".join(line[1]) for line in lines]
    return ["".join(getattr(w, "text", "") for w in line.words) for line in lines]


def _line_starts(lines: list[str] | None, text: str) -> list[int] | None:
    """Where in `text` each line but the first starts; None when the lines are not the
    text (a blank reportlab dropped where it broke the line is allowed for)."""
    if lines is None:
        return None
    starts, at = [], 0
    for line in lines:
        while text[at:at + len(line)] != line and at < len(text) and text[at].isspace():
            at += 1
        if text[at:at + len(line)] != line:
            return None
        starts.append(at)
        at += len(line)
    return starts[1:]


def _split_span(starts: list[int] | None, spans: list[tuple[int, int]],
                after: int) -> int | None:
    """Where the first span from `after` on that a line break falls inside begins (None:
    none does, or the lines could not be placed in the text, when nothing here can be
    trusted)."""
    for start in starts or ():
        for first, last in spans:
            if first >= after and first < start < last:
                return first
    return None


def _with_breaks(frags: list[Any], breaks: set[int]) -> list[Any]:
    """The frags with a line break (as <br/> makes) before each position in `breaks`."""
    out: list[Any] = []
    position = 0
    for frag in frags:
        text = getattr(frag, "text", "")
        cuts = sorted(b - position for b in breaks if position <= b < position + len(text))
        last = 0
        for cut in cuts:
            if cut > last:
                out.append(frag.clone(text=text[last:cut]))
            out.append(frag.clone(text="", lineBreak=True))
            last = cut
        out.append(frag.clone(text=text[last:]) if cuts else frag)
        position += len(text)
    return out


_rl_paragraph.Paragraph.breakLinesCJK = _break_lines_keeping_dates
