"""发文字号: 机关代字〔年份〕序号号, e.g. 巫督高唐〔2026〕12号 (GB/T 9704 7.2.4).

Numbers are given out offline, on laptops that see each other only through the county
hub, so two of them must never be able to give out the same number. Each issuing
computer has a code of its own: the county office's is 巫督, a centre's adds the short
name of the centre (巫督高唐), and a centre's second and later laptops add their order
(巫督高唐二). Within one code the next number is one more than the largest in use, under
the write lock: no two documents get the same number, whatever the order in which
packages travel. (A laptop put back to an old backup could give a number again until
its next sync brings its own numbers back; `duplicates` finds such pairs at the hub.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

COUNTY_CODE = "巫督"
ORDINALS = "一二三四五六七八九十"
_SUFFIXES = ("片区教育督导中心", "教育督导中心", "督导中心", "片区", "中心")
_NUMBER = re.compile(r"^(?P<code>.+)〔(?P<year>\d{4})〕(?P<n>\d+)号$")


def issuer_code(centre_name: str | None, ordinal: int = 1) -> str:
    """The code of an issuing computer: 巫督 for the county office (no centre), else
    巫督 + the centre's short name, + 二, 三 ... for its second and later laptops."""
    if not centre_name:
        return COUNTY_CODE
    short = centre_name
    for suffix in _SUFFIXES:
        if short.endswith(suffix) and len(short) > len(suffix):
            short = short[: -len(suffix)]
            break
    code = COUNTY_CODE + short
    if ordinal > 1:
        code += ORDINALS[ordinal - 1] if ordinal <= len(ORDINALS) else str(ordinal)
    return code


def format_number(code: str, year: int, n: int) -> str:
    return f"{code}〔{year}〕{n}号"


def parse(text: str | None) -> tuple[str, int, int] | None:
    """(code, year, number) of a 发文字号 this module wrote; None for anything else."""
    found = _NUMBER.match(text or "")
    if not found:
        return None
    return found["code"], int(found["year"]), int(found["n"])


def next_numbers(in_use: Iterable[str | None], code: str, year: int, count: int) -> list[str]:
    """`count` new numbers of `code` in `year`, after the largest in use."""
    top = max((n for c, y, n in filter(None, map(parse, in_use)) if c == code and y == year),
              default=0)
    return [format_number(code, year, top + k) for k in range(1, count + 1)]


def duplicates(in_use: Iterable[str | None]) -> list[str]:
    """Numbers given to more than one document (each once)."""
    counted = Counter(n for n in in_use if n)
    return sorted(n for n, times in counted.items() if times > 1)
