"""The report fonts: WushanSans and WushanSerif (vendored TrueType, see
resources/fonts/README.md).

`register_fonts()` registers both families with reportlab (once per process,
thread-safe) and installs the ToUnicode fix below. `check_coverage` lists the characters
WushanSans lacks: reportlab prints such a character as nothing, with no error, so the
renderer refuses a document that contains one (`MissingGlyphs`). WushanSerif lacks 64
rare characters WushanSans has; `fallback_markup` draws those from WushanSans.

The ToUnicode fix
-----------------
reportlab 5.1 embeds TrueType fonts as 256-character simple-font subsets, each with a
ToUnicode CMap that maps a one-byte code to the Unicode text it stands for. Its
`reportlab.pdfbase.ttfonts.makeToUnicodeCMap(fontname, subset)` writes the destination
as `<%04X>` of the code point, which for a character outside the Basic Multilingual
Plane gives five hex digits (`<20BB7>` for 𠮷 U+20BB7). The PDF reference requires the
destination to be UTF-16BE, i.e. the surrogate pair `<D842DFB7>`; readers
(pypdf, poppler, Acrobat) otherwise extract, copy and search the wrong character.

`install_tounicode_fix()` replaces that one module-level function (which
`TTFont.addObjects` looks up at call time) with `_make_to_unicode_cmap`, identical
except that destinations are UTF-16BE and the entries come in blocks of at most 100 (the
limit the PDF reference sets per `beginbfchar`). It patches only when the installed
function really writes the broken form, so a reportlab that fixes the bug upstream is
left alone. The glyphs themselves were always right; only copy/search/extract changes.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable

from reportlab.pdfbase import pdfmetrics, ttfonts

from wushan_desk import paths
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.text import PRINTS_AS_NOTHING

FAMILY = "WushanSans"
REGULAR = "WushanSans"  # tables, forms, footers (a sans face reads best small)
BOLD = "WushanSans-Bold"  # headings of the first level (GB/T 9704: 黑体)
SERIF_FAMILY = "WushanSerif"
SERIF = "WushanSerif"  # body text of documents (where GB/T 9704 sets 仿宋)
SERIF_BOLD = "WushanSerif-Bold"  # titles (小标宋) and headings of the second level
EXT_B = "WushanExtB"  # CJK Extension B that WushanSans lacks (𪚥), from HanaMinB
_FILES = {REGULAR: "WushanSans-Regular.ttf", BOLD: "WushanSans-Bold.ttf",
          SERIF: "WushanSerif-Regular.ttf", SERIF_BOLD: "WushanSerif-Bold.ttf",
          EXT_B: "WushanExtB.ttf"}


_lock = threading.Lock()
_coverage: frozenset[int] | None = None
#: The characters each face maps (a serif face lacks 64 rare ones WushanSans has).
_face_chars: dict[str, frozenset[int]] = {}


class ReportError(ValidationError):
    """A report cannot be produced; `message` is plain Chinese for the user."""


class MissingGlyphs(ReportError):
    """The document contains characters the report font cannot print.

    `chars` lists them (each once, in order of appearance); `places` maps each character
    to where it occurs (标题, 表格第3行第2列 ...).
    """

    def __init__(self, chars: Iterable[str], places: dict[str, list[str]] | None = None):
        self.chars = list(dict.fromkeys(chars))
        self.places = places or {}
        parts = []
        for ch in self.chars:
            where = "、".join(dict.fromkeys(self.places.get(ch, [])))
            found = f"，见{where}" if where else ""
            parts.append(f"“{ch}”（U+{ord(ch):04X}{_char_name(ch)}）{found}")
        message = (
            "报告中有字体无法打印的字符，打印出来会是空白，因此没有生成报告："
            + "；".join(parts)
            + "。请改用规范汉字或其他写法后再试。"
        )
        super().__init__(message)


def _char_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f" {name}" if name else ""


# --- the ToUnicode fix -------------------------------------------------------------------

_original_make_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _utf16be_hex(code_point: int) -> str:
    if code_point > 0xFFFF:
        v = code_point - 0x10000
        return f"{0xD800 + (v >> 10):04X}{0xDC00 + (v & 0x3FF):04X}"
    return f"{code_point:04X}"


def _make_to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's makeToUnicodeCMap with UTF-16BE destinations (surrogate pairs)."""
    entries = [f"<{code:02X}> <{_utf16be_hex(cp)}>" for code, cp in enumerate(subset)]
    blocks: list[str] = []
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        blocks += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    cmap = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        *blocks,
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(cmap)


def tounicode_is_broken(func=None) -> bool:
    """Whether `func` (default: reportlab's current one) writes `<20BB7>` for 𠮷."""
    func = func or ttfonts.makeToUnicodeCMap
    return "<20BB7>" in func("TEST", [0, 0x20BB7])


def install_tounicode_fix() -> bool:
    """Patch reportlab's ToUnicode CMap writer if it is broken; True if patched now/before."""
    if ttfonts.makeToUnicodeCMap is _make_to_unicode_cmap:
        return True
    if not tounicode_is_broken(ttfonts.makeToUnicodeCMap):
        return False  # fixed upstream: nothing to do
    ttfonts.makeToUnicodeCMap = _make_to_unicode_cmap
    return True


# --- registration and coverage -------------------------------------------------------------


def register_fonts() -> None:
    """Register WushanSans (regular + bold family) with reportlab, once per process."""
    global _coverage
    if _coverage is not None:
        return
    with _lock:
        if _coverage is not None:
            return
        install_tounicode_fix()
        registered = set(pdfmetrics.getRegisteredFontNames())
        faces = []
        for name, filename in _FILES.items():
            if name not in registered:
                path = paths.fonts_dir() / filename
                if not path.is_file():
                    raise ReportError(f"找不到报告字体文件 {path}，请重新安装本程序。")
                pdfmetrics.registerFont(ttfonts.TTFont(name, str(path)))
            faces.append(pdfmetrics.getFont(name).face)
        pdfmetrics.registerFontFamily(
            FAMILY, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
        )
        pdfmetrics.registerFontFamily(
            SERIF_FAMILY, normal=SERIF, bold=SERIF_BOLD, italic=SERIF, boldItalic=SERIF_BOLD
        )
        for name, face in zip(_FILES, faces, strict=True):
            _face_chars[name] = frozenset(face.charToGlyph)
        # Printable: both weights of the sans have it, or the Extension B face does (a
        # face lacking a character draws it from one of those: `fallback_markup`).
        _coverage = (_face_chars[REGULAR] & _face_chars[BOLD]) | _face_chars[EXT_B]


def fallback_markup(markup: str, font: str) -> str:
    """Paragraph markup in which each character that `font` lacks is drawn from a face
    that has it (`runs`: WushanSans of the same weight for the 64 the serif lacks,
    WushanExtB for a rare Extension B character of a name such as 𪚥). ASCII, and so
    the markup itself (<br/>, &amp;), stays in `font`."""
    return "".join(part if face == font else f'<font face="{face}">{part}</font>'
                   for part, face in runs(markup, font))


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """`text` cut into (segment, face) runs: `font` where it has the character (and for
    ASCII), else the face that has it; a character no face has stays in `font`
    (check_coverage refuses such a document before it is drawn)."""
    register_fonts()
    chars = _face_chars.get(font, frozenset())
    sans = BOLD if font in (BOLD, SERIF_BOLD) else REGULAR
    out: list[tuple[str, str]] = []
    for ch in text:
        code = ord(ch)
        face = font if code in chars or code < 0x80 else (
            sans if code in _face_chars[sans] else EXT_B if code in _face_chars[EXT_B] else font)
        if out and out[-1][1] == face:
            out[-1] = (out[-1][0] + ch, face)
        else:
            out.append((ch, face))
    return out


def check_coverage(text: str) -> list[str]:
    """The characters of `text` that WushanSans lacks, each once, in order of appearance."""
    register_fonts()
    assert _coverage is not None
    missing: dict[str, None] = {}
    for ch in text:
        if ord(ch) not in _coverage and ch not in PRINTS_AS_NOTHING:
            missing[ch] = None
    return list(missing)


__all__ = [
    "BOLD",
    "FAMILY",
    "REGULAR",
    "SERIF",
    "SERIF_BOLD",
    "MissingGlyphs",
    "ReportError",
    "check_coverage",
    "fallback_markup",
    "install_tounicode_fix",
    "register_fonts",
    "runs",
    "tounicode_is_broken",
]
