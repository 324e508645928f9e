"""The data-entry check of the print fonts' characters (services/glyphs.py) says what
the report engine would refuse, from a table that must match the fonts."""

from __future__ import annotations

from wushan_desk import reports as r
from wushan_desk.reports import fonts
from wushan_desk.services import glyphs


def test_the_coverage_table_is_what_the_fonts_draw() -> None:
    fonts.register_fonts()
    starts, ends = glyphs._ranges()
    table = {code for a, b in zip(starts, ends, strict=True) for code in range(a, b + 1)}
    assert table == set(fonts._coverage or ())  # scripts/make_fonts.py writes both


def test_entry_check_agrees_with_the_report_engine() -> None:
    for text in ("巫山县𠮷祥乡䶮村小学 向堃", "谭𪚥", "≒한가", "谭\U00030000同学", "葛\U000E0100"):
        assert glyphs.unprintable(text) == r.check_coverage(text), text
    assert glyphs.warning("谭𪚥") is None
    message = glyphs.warning("谭\U00030000")
    assert message and "打印字体缺少此字" in message and "U+30000" in message
