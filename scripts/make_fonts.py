#!/usr/bin/env python3
"""Build the vendored fonts in resources/fonts/ (reproducible; not run at app runtime).

What it makes
-------------
* ``WushanSans-Regular.ttf`` and ``WushanSans-Bold.ttf``: family "WushanSans", the UI face
  and the PDF face of tables, forms and first-level headings. Derived from the Simplified
  Chinese face ("Noto Sans CJK SC", not the JP/KR/TC/HK faces that come first in the
  collection, not "Mono") of ``/usr/share/fonts/opentype/noto/NotoSansCJK-{Regular,
  Bold}.ttc`` from the Debian package **fonts-noto-cjk** (Debian 12: 1:20220127+repack1-1,
  font version 2.004).
* ``WushanSerif-Regular.ttf`` and ``WushanSerif-Bold.ttf``: family "WushanSerif", the
  print faces of documents (the bold for titles where GB/T 9704 sets 小标宋, the regular
  for running text where it sets 仿宋: no free 仿宋 face is packaged in Debian), from
  "Noto Serif CJK SC" of ``NotoSerifCJK-{Regular,Bold}.ttc`` in the same package, made
  the same way. They lack 64 rare characters WushanSans has; the report engine draws
  those from WushanSans. The UI does not load them.
* ``LXGWWenKai-Regular.ttf``: an unmodified copy from the Debian package
  **fonts-lxgw-wenkai** (``/usr/share/fonts/truetype/lxgw-wenkai/``), a Kai document face.
  It is copied only when it covers the rare test characters and the total stays within
  the size budget (``--max-total-mb``, default 50 decimal MB). With fonts-lxgw-wenkai
  1.250 it does not fit (49.2 MB of WushanSans and WushanSerif + 15.7 MB), so by default
  it is NOT copied.
* ``OFL.txt`` is written by hand (the SIL OFL 1.1 text with both copyright lines);
  ``README.md`` lists files, sizes and coverage (re-check the numbers after a rebuild).

Why TrueType outlines
---------------------
reportlab (5.1) embeds only TrueType-outline ('glyf') fonts; Noto CJK ships CFF outlines
(.otf/.ttc) and reportlab refuses them ("postscript outlines are not supported"). The CFF
cubic curves are converted to quadratic TrueType curves with fontTools' cu2qu
(max error 1 font unit at 1000 units/em: invisible), in the manner of fontTools'
Snippets/otf2ttf.py. Hinting is dropped (CFF hints do not carry over; an unhinted TrueType
font gets a 'gasp' table asking for grey-scale smoothing at all sizes).

Rename
------
Noto CJK is under the SIL OFL 1.1 with Reserved Font Name 'Source' ("Noto" is a Google
trademark). A converted subset is a Modified Version, so it must not be called Noto or
Source: the family becomes "WushanSans" (English name records only, so every platform
and locale reports the same family name). Copyright and licence records are kept.
LXGW WenKai (Reserved Font Names "霞鹜" and "LXGW") is shipped unmodified, so it keeps
its own name.

Coverage (subset)
-----------------
ASCII, Latin-1, Latin Extended-A and the pinyin letters (ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ ɑ ɡ), spacing
modifiers (ˇ ˉ), Greek, Cyrillic, general punctuation, currency, letterlike symbols (℃ №),
number forms (Ⅰ Ⅱ), arrows, maths, enclosed alphanumerics (① ⑴), box drawing, shapes,
misc symbols (★), CJK radicals, Kangxi radicals, CJK strokes, CJK symbols & punctuation,
enclosed CJK (㈠), CJK compatibility (㎡), CJK Unified Ideographs (U+4E00-9FFF), Ext-A,
compatibility ideographs, vertical/compat/small forms, full-width forms, and every
supplementary-plane ideograph (Ext-B..G, e.g. 𠮷 U+20BB7 and the non-BMP characters of
the 2013 通用规范汉字表) that Noto Sans CJK SC maps. Kana, Bopomofo and Hangul are left
out. The script checks that every GBK character outside those scripts is covered
(GBK has one character, U+2252, that Noto lacks). Layout features kept: kern, vert,
vrt2, vkrn (vertical text and kerning); everything else is dropped.

Cost
----
Measured (2 cores, fontTools 4.68): ~40-45 s per sans weight and ~60 s per serif weight,
two in parallel by default, so ~2 minutes wall clock; peak ~0.4 GB RAM per worker; output
~10.4 MB per sans and ~14.3 MB per serif weight.
The output is byte-for-byte reproducible (head.modified is kept from the source).

Usage::

    apt-get install -y fonts-noto-cjk fonts-lxgw-wenkai
    python scripts/make_fonts.py                 # writes resources/fonts/
    python scripts/make_fonts.py --weights Regular --out /tmp/fonts
    python scripts/make_fonts.py --families WushanSerif --out /tmp/fonts

Needs only the standard library and fontTools (>= 4.40).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import shutil
import sys
import time
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "resources" / "fonts"

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
#: Vendored family -> (the Simplified Chinese face inside the Noto .ttc, its file stem).
FACES = {
    "WushanSans": ("Noto Sans CJK SC", "NotoSansCJK"),  # the UI, tables and headings
    "WushanSerif": ("Noto Serif CJK SC", "NotoSerifCJK"),  # documents: title and body
}
LXGW_SRC = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf")
#: Extension B fallback: HanaMinB (Hanazono Font License or OFL; Debian fonts-hanazono)
HANAZONO_SRC = Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")
EXTB_FAMILY = "WushanExtB"
EXT_B = (0x20000, 0x2A6DF)

WEIGHTS = ("Regular", "Bold")

MAX_ERR = 1.0  # cu2qu tolerance, in font units (1000/em)
MAX_TOTAL_MB = 50.0  # budget (decimal MB) for all .ttf files vendored in resources/fonts
RARE = "堃燚犇昇曌䶮𠮷"

# Inclusive code point ranges kept from Noto (those it does not map are simply absent).
RANGES: list[tuple[int, int]] = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A (ā ē ī ō ū ...)
    (0x01CD, 0x01DC),  # pinyin: ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
    (0x0251, 0x0251),  # ɑ (GB2312 pinyin)
    (0x0261, 0x0261),  # ɡ (GB2312 pinyin)
    (0x02C6, 0x02DD),  # spacing modifiers (ˇ ˉ ˊ ˋ ˙)
    (0x0391, 0x03C9),  # Greek
    (0x0401, 0x0451),  # Cyrillic (in GB2312)
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # Currency Symbols
    (0x2100, 0x214F),  # Letterlike Symbols (℃ № ™)
    (0x2150, 0x218F),  # Number Forms (Ⅰ Ⅱ ⅰ)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators
    (0x2300, 0x23FF),  # Miscellaneous Technical
    (0x2460, 0x24FF),  # Enclosed Alphanumerics (① ⑴ ⒈)
    (0x2500, 0x257F),  # Box Drawing
    (0x2580, 0x259F),  # Block Elements
    (0x25A0, 0x25FF),  # Geometric Shapes (■ □ ▲ ○ ●)
    (0x2600, 0x26FF),  # Miscellaneous Symbols (★ ☆)
    (0x2700, 0x27BF),  # Dingbats (✓ ✕)
    (0x2E80, 0x2EFF),  # CJK Radicals Supplement
    (0x2F00, 0x2FDF),  # Kangxi Radicals
    (0x2FF0, 0x2FFF),  # Ideographic Description Characters
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x31C0, 0x31EF),  # CJK Strokes
    (0x3200, 0x32FF),  # Enclosed CJK Letters and Months (㈠ ㊣)
    (0x3300, 0x33FF),  # CJK Compatibility (㎡ ㎏)
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFE10, 0xFE1F),  # Vertical Forms
    (0xFE30, 0xFE4F),  # CJK Compatibility Forms
    (0xFE50, 0xFE6F),  # Small Form Variants
    (0xFF01, 0xFF60),  # Fullwidth ASCII variants and brackets
    (0xFFE0, 0xFFEE),  # Fullwidth signs (￥ ￡)
    (0xFFFD, 0xFFFD),  # replacement character
    (0x20000, 0x3FFFF),  # supplementary planes 2-3: Ext-B..G, compatibility supplement
]

# Scripts deliberately left out, also when GBK contains them.
EXCLUDED: list[tuple[int, int]] = [
    (0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF), (0xFFA0, 0xFFDC),  # Hangul
    (0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF65, 0xFF9F),  # Kana
    (0x3100, 0x312F), (0x31A0, 0x31BF),  # Bopomofo
]

KEEP_FEATURES = ["kern", "vert", "vrt2", "vkrn"]


def _in(ranges: list[tuple[int, int]], cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def wanted_codepoints(cmap: dict[int, str]) -> set[int]:
    return {cp for cp in cmap if _in(RANGES, cp) and not _in(EXCLUDED, cp)}


def gbk_codepoints() -> set[int]:
    out = set()
    for b1 in range(0x81, 0xFF):
        for b2 in range(0x40, 0xFF):
            try:
                out.add(ord(bytes((b1, b2)).decode("gbk")))
            except (UnicodeDecodeError, TypeError):
                pass
    return out


def open_sc_face(path: Path, face: str) -> TTFont:
    coll = TTCollection(str(path))
    for font in coll.fonts:
        if font["name"].getDebugName(1) == face:
            return font
    names = [f["name"].getDebugName(1) for f in coll.fonts]
    raise SystemExit(f"{path}: no face named {face!r} (found {names})")


def cff_to_glyf(font: TTFont) -> None:
    """Replace the CFF table by quadratic TrueType outlines (cf. fontTools Snippets/otf2ttf.py)."""
    assert font.sfntVersion == "OTTO" and "CFF " in font
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    quads = {}
    for name in order:
        tt_pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(tt_pen, MAX_ERR, reverse_direction=True))
        quads[name] = tt_pen.glyph()

    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = quads
    del font["CFF "]
    glyf.compile(font)  # computes bounding boxes

    hmtx = font["hmtx"]
    for name, g in glyf.glyphs.items():
        if hasattr(g, "xMin"):
            hmtx[name] = (hmtx[name][0], g.xMin)

    # Vertical metrics: CFF fonts carry the vertical origin in VORG, which TrueType fonts
    # may not have; a TrueType glyph's vertical origin is yMax + topSideBearing.
    if "VORG" in font:
        vorg = font["VORG"]
        if "vmtx" in font:
            vmtx = font["vmtx"]
            for name, g in glyf.glyphs.items():
                if hasattr(g, "yMax"):
                    origin = vorg.VOriginRecords.get(name, vorg.defaultVertOriginY)
                    vmtx[name] = (vmtx[name][0], origin - g.yMax)
        del font["VORG"]

    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = 0
    maxp.maxStorage = 0
    maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = 0
    maxp.maxStackElements = 0
    maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0
    maxp.maxComponentDepth = 0
    maxp.compile(font)

    post = font["post"]
    post.formatType = 3.0  # no glyph names: CID names are meaningless and cost ~0.3 MB
    post.extraNames = []
    post.mapping = {}

    gasp = font["gasp"] = newTable("gasp")
    gasp.version = 1
    gasp.gaspRange = {0xFFFF: 0x000A}  # grey-scale + symmetric smoothing, no grid-fitting
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, family: str, weight: str, source_version: str) -> None:
    face = FACES[family][0]
    name = font["name"]
    keep = {0, 8, 9, 10, 11, 12, 13, 14}  # copyright, vendor, designer, description, urls, licence
    name.names = [r for r in name.names if r.nameID in keep and r.platformID == 3
                  and r.langID == 0x409]
    ps = f"{family}-{weight}"
    records = {
        1: family,
        2: weight,
        3: f"{source_version};{ps}",
        4: f"{family} {weight}",
        5: f"Version {source_version}; {family} (TrueType outlines, subset for Simplified"
           f" Chinese) built from {face} by wushan-desk scripts/make_fonts.py",
        6: ps,
        10: f"Modified Version of {face} {source_version} (SIL OFL 1.1): CFF outlines"
            " converted to TrueType, subset to Simplified Chinese, renamed (Reserved Font"
            " Name 'Source'; Noto is a trademark of Google).",
    }
    for nid, text in records.items():
        name.setName(text, nid, 3, 1, 0x409)
    if "OS/2" in font:
        os2 = font["OS/2"]
        os2.usWeightClass = 700 if weight == "Bold" else 400
        os2.fsSelection = (os2.fsSelection & ~0x61) | (0x20 if weight == "Bold" else 0x40)
        os2.fsType = 0  # installable embedding (as in the source)
    font["head"].macStyle = 1 if weight == "Bold" else 0


def build_weight(family: str, weight: str, out_dir: Path
                 ) -> tuple[str, Path, float, int, int]:
    t0 = time.monotonic()
    face, stem = FACES[family]
    src = NOTO_DIR / f"{stem}-{weight}.ttc"
    font = open_sc_face(src, face)
    version = f"{font['head'].fontRevision:.3f}"
    cmap = font.getBestCmap()
    unicodes = wanted_codepoints(cmap)

    opts = subset.Options()
    opts.layout_features = KEEP_FEATURES
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = False
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.drop_tables += ["BASE", "DSIG"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)

    cff_to_glyf(font)
    rename(font, family, weight, version)

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{family}-{weight}.ttf"
    font.recalcTimestamp = False  # keep the source's head.modified: reproducible output
    font.save(str(out))
    n_glyphs = len(font.getGlyphOrder())
    return weight, out, time.monotonic() - t0, len(unicodes), n_glyphs


def check(path: Path) -> list[str]:
    """Return problems found in a built or copied font (empty list = fine)."""
    problems = []
    f = TTFont(str(path), lazy=True)
    if "glyf" not in f:
        problems.append("no TrueType outlines")
    cmap = f.getBestCmap()
    miss = [c for c in RARE + "0123456789ABCxyz（）：，。“”、" if ord(c) not in cmap]
    if miss:
        problems.append(f"missing {''.join(miss)}")
    if path.name.startswith(tuple(FACES)):
        gbk_miss = [cp for cp in gbk_codepoints() - {0x2252}
                    if not _in(EXCLUDED, cp) and cp not in cmap]
        if gbk_miss:
            problems.append(f"{len(gbk_miss)} GBK characters missing, e.g. "
                            + " ".join(f"U+{cp:04X}" for cp in gbk_miss[:10]))
    return problems


def build_ext_b(out_dir: Path, src: Path = HANAZONO_SRC) -> tuple[Path, int]:
    """WushanExtB.ttf: the CJK Extension B characters WushanSans lacks (names such as
    𪚥), from HanaMinB, already TrueType; renamed (a modified version). The report
    engine draws such a character from it instead of refusing the document."""
    sans = TTFont(str(out_dir / "WushanSans-Regular.ttf"), lazy=True).getBestCmap()
    font = TTFont(str(src))
    wanted = [cp for cp in font.getBestCmap() if EXT_B[0] <= cp <= EXT_B[1] and cp not in sans]
    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.glyph_names = False
    opts.notdef_outline = True
    opts.name_IDs = ["*"]
    opts.drop_tables += ["FFTM"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=wanted)
    sub.subset(font)
    name = font["name"]
    name.names = [r for r in name.names if r.nameID in {0} and r.platformID == 3]
    records = {1: EXTB_FAMILY, 2: "Regular", 3: f"{EXTB_FAMILY}-Regular", 4: EXTB_FAMILY,
               5: "Version 1.0; subset of HanaMinB (GlyphWiki Project) by wushan-desk",
               6: f"{EXTB_FAMILY}-Regular",
               13: "Hanazono Font License (see Hanazono-LICENSE.txt): free to use, copy and"
                   " distribute, with or without modification."}
    for nid, text in records.items():
        name.setName(text, nid, 3, 1, 0x409)
    font["OS/2"].fsType = 0
    out = out_dir / f"{EXTB_FAMILY}.ttf"
    font.recalcTimestamp = False
    font.save(str(out))
    return out, len(wanted)


def write_coverage(out_dir: Path) -> Path:
    """coverage.txt: the code points the print fonts can draw (both WushanSans weights,
    or WushanExtB), as hex ranges, for the check at data entry (services/glyphs.py)."""
    sans = [set(TTFont(str(out_dir / f"WushanSans-{w}.ttf"), lazy=True).getBestCmap())
            for w in WEIGHTS]
    covered = set.intersection(*sans)
    ext_b = out_dir / f"{EXTB_FAMILY}.ttf"
    if ext_b.exists():
        covered |= set(TTFont(str(ext_b), lazy=True).getBestCmap())
    ranges: list[list[int]] = []
    for code in sorted(covered):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    out = out_dir / "coverage.txt"
    out.write_text("".join(f"{a:X}-{b:X}\n" if a != b else f"{a:X}\n" for a, b in ranges),
                   encoding="ascii")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--weights", nargs="+", default=list(WEIGHTS), choices=WEIGHTS)
    ap.add_argument("--families", nargs="+", default=list(FACES), choices=list(FACES))
    ap.add_argument("--jobs", type=int, default=2, help="weights built in parallel")
    ap.add_argument("--no-lxgw", action="store_true", help="do not copy LXGW WenKai")
    ap.add_argument("--max-total-mb", type=float, default=MAX_TOTAL_MB,
                    help="copy LXGW WenKai only if all .ttf files then total at most this")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(build_weight, f, w, args.out)
                for f in args.families for w in args.weights]
        for job in concurrent.futures.as_completed(jobs):
            _weight, out, secs, n_cp, n_gl = job.result()
            print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB, {n_cp} code points,"
                  f" {n_gl} glyphs, {secs:.0f} s")

    if HANAZONO_SRC.exists() and (args.out / "WushanSans-Regular.ttf").exists():
        out, count = build_ext_b(args.out)
        print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB, {count} code points")

    write_coverage(args.out)

    ok = True
    if not args.no_lxgw and LXGW_SRC.exists():
        lxgw_problems = check(LXGW_SRC)
        others = sum(p.stat().st_size for p in args.out.glob("*.ttf")
                     if p.name != LXGW_SRC.name)
        total = others + LXGW_SRC.stat().st_size
        if lxgw_problems:
            print(f"{LXGW_SRC.name} not copied: {'; '.join(lxgw_problems)}")
        elif total > args.max_total_mb * 1e6:
            print(f"{LXGW_SRC.name} not copied: total would be {total / 1e6:.1f} MB"
                  f" > {args.max_total_mb} MB (--max-total-mb)")
        else:
            shutil.copyfile(LXGW_SRC, args.out / LXGW_SRC.name)
            print(f"{LXGW_SRC.name}: copied, {LXGW_SRC.stat().st_size / 1e6:.1f} MB")

    for p in sorted(args.out.glob("*.ttf")):
        problems = check(p)
        ok &= not problems
        print(f"check {p.name}: {'ok' if not problems else '; '.join(problems)}")
    total = sum(p.stat().st_size for p in args.out.glob("*.ttf"))
    print(f"total {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB), {time.monotonic() - t0:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
