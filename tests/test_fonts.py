"""The vendored fonts in resources/fonts render Chinese in PDFs (reportlab) and in Qt.

Built by scripts/make_fonts.py; see resources/fonts/README.md.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

FONTS_DIR = Path(__file__).resolve().parents[1] / "resources" / "fonts"
FONT_FILES = sorted(FONTS_DIR.glob("*.ttf"))
EXT_B_FILE = FONTS_DIR / "WushanExtB.ttf"  # a fallback for rare names, not a whole face
FACE_FILES = [p for p in FONT_FILES if p != EXT_B_FILE]

SAMPLE = ("巫山县教育督导中心 红椿土家族乡 邓家土家族乡 骡坪镇 堃燚犇昇曌䶮𠮷"
          " 0123456789 ABCxyz （）：，。“”、")
# Pinyin with tone marks, numbering and units as they appear in reports.
EXTRA = "wū shān xiàn lǜ ǚ ①②③ ⑴ Ⅰ Ⅱ Ⅻ 12℃ 100㎡ № ★ ≤ ≥ × ÷ ￥ 《》【】——……·"

ids = [p.name for p in FACE_FILES]


def test_fonts_are_vendored():
    names = {p.name for p in FONT_FILES}
    assert {"WushanSans-Regular.ttf", "WushanSans-Bold.ttf", "WushanSerif-Regular.ttf",
            "WushanSerif-Bold.ttf"} <= names
    assert (FONTS_DIR / "OFL.txt").is_file()
    assert (FONTS_DIR / "README.md").is_file()
    total = sum(p.stat().st_size for p in FONT_FILES)
    assert total <= 75_000_000, f"vendored fonts grew to {total / 1e6:.1f} MB"
    assert (FONTS_DIR / "Hanazono-LICENSE.txt").is_file()  # WushanExtB's licence


@pytest.mark.parametrize("path", FACE_FILES, ids=ids)
def test_truetype_outlines_and_cmap_coverage(path: Path):
    font = TTFont(path, lazy=True)
    # reportlab embeds only TrueType ('glyf') outlines, not CFF.
    assert "glyf" in font and "CFF " not in font
    assert font["OS/2"].fsType & 0x000E == 0, "embedding restricted"
    cmap = font.getBestCmap()
    missing = sorted({c for c in SAMPLE + EXTRA if not c.isspace() and ord(c) not in cmap})
    assert not missing, f"{path.name} lacks {''.join(missing)}"


@pytest.mark.parametrize("path", [p for p in FACE_FILES if p.name.startswith("Wushan")],
                         ids=lambda p: p.name)
def test_wushan_faces_are_renamed(path: Path):
    # OFL: a Modified Version may not use the Reserved Font Name 'Source' (nor "Noto").
    names = TTFont(path, lazy=True)["name"]
    for nid in (1, 4, 6, 16, 17, 21, 22):
        for rec in names.names:
            if rec.nameID == nid:
                text = rec.toUnicode()
                assert "Noto" not in text and "Source" not in text, (nid, text)
    assert names.getDebugName(1) == path.stem.split("-")[0]  # WushanSans, WushanSerif
    assert names.getDebugName(2) == path.stem.split("-")[1]


def test_the_extension_b_fallback_covers_what_the_faces_lack() -> None:
    """WushanExtB maps the Extension B characters WushanSans lacks (𪚥 U+2A6A5), in
    TrueType outlines reportlab can embed, renamed from HanaMinB."""
    font = TTFont(EXT_B_FILE, lazy=True)
    assert "glyf" in font and font["OS/2"].fsType & 0x000E == 0
    cmap = font.getBestCmap()
    sans = TTFont(FONTS_DIR / "WushanSans-Regular.ttf", lazy=True).getBestCmap()
    assert 0x2A6A5 in cmap and all(0x20000 <= cp <= 0x2A6DF for cp in cmap)
    assert not set(cmap) & set(sans)
    assert len(set(cmap) | {cp for cp in sans if 0x20000 <= cp <= 0x2A6DF}) >= 42_700
    assert font["name"].getDebugName(1) == "WushanExtB"
    assert "Hana" not in font["name"].getDebugName(4)


@pytest.mark.parametrize("path", FACE_FILES, ids=ids)
def test_reportlab_embeds_font(path: Path):
    import pypdf
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as RLTTFont
    from reportlab.pdfgen import canvas

    name = f"test-{path.stem}"
    pdfmetrics.registerFont(RLTTFont(name, str(path)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(name, 14)
    c.drawString(40, 780, SAMPLE)
    c.drawString(40, 750, EXTRA)
    c.save()

    page = pypdf.PdfReader(io.BytesIO(buf.getvalue())).pages[0]
    embedded = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        if "/FontDescriptor" in font:
            desc = font["/FontDescriptor"].get_object()
            embedded.append((str(font["/BaseFont"]), "/FontFile2" in desc))
    assert embedded, "no embedded font in the PDF"
    for base_font, has_file in embedded:
        assert has_file, f"{base_font} is not embedded"
        # A subset tag "ABCDEF+" and the font's PostScript name.
        assert base_font.split("+", 1)[1] == path.stem
    # Text extraction works for the Basic Multilingual Plane with plain reportlab. Beyond
    # it (𠮷) plain reportlab 5.1 writes a broken ToUnicode entry; wushan_desk.reports
    # patches that (tests/reports check it), and once loaded in this process it applies
    # here too, so compare only the BMP part of what was extracted.
    text = "".join(c for c in "".join(page.extract_text().split()) if ord(c) <= 0xFFFF)
    bmp = "".join(c for c in SAMPLE if ord(c) <= 0xFFFF and not c.isspace())
    assert bmp in text


def test_qt_loads_family(qapp):
    from PySide6.QtGui import QFont, QFontDatabase, QFontInfo

    families = set()
    for path in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(path))
        assert font_id != -1, path
        families.update(QFontDatabase.applicationFontFamilies(font_id))
    assert "WushanSans" in families
    bold = QFont("WushanSans", 12)
    bold.setBold(True)
    info = QFontInfo(bold)
    assert info.family() == "WushanSans" and info.bold()
