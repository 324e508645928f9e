"""GB/T 9704 details of the report engine: faces, 落款, 版记, unbroken dates, Chinese
line breaking, drafts, and characters the serif face lacks."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest

from wushan_desk import reports as r
from wushan_desk.reports import fonts

MM = 72 / 25.4
PAGE_W = 210 * MM


def doc(*blocks: object, **kw: object) -> r.Document:
    fields = {"title": "督导整改通知书", "issuer": "巫山县人民政府教育督导室",
              "report_id": "layout-test", "kind": "test"} | kw
    return r.Document(blocks=list(blocks), **fields)  # type: ignore[arg-type]


def render(document: r.Document) -> pypdf.PdfReader:
    buf = io.BytesIO()
    r.render_pdf(document, buf)
    return pypdf.PdfReader(io.BytesIO(buf.getvalue()))


def lines_of(reader: pypdf.PdfReader) -> list[tuple[int, float, float, str, str]]:
    """(page, x, y, text, font) of each run of text."""
    out: list[tuple[int, float, float, str, str]] = []
    for number, page in enumerate(reader.pages):
        def visit(text, cm, tm, font_dict, size, number=number):
            if text.strip():
                font = str((font_dict or {}).get("/BaseFont", "")).split("+")[-1]
                out.append((number, cm[4] + tm[4], cm[5] + tm[5], text.strip(), font))
        page.extract_text(visitor_text=visit)
    return out


def test_title_and_text_in_the_serif_tables_in_the_sans() -> None:
    reader = render(doc(r.Heading("一、存在问题"), r.Paragraph("食堂陪餐记录不全。"),
                        r.Table([r.Column("序号"), r.Column("问题")], [[1, "台账缺失"]])))
    found = {text: font for _, _, _, text, font in lines_of(reader)}
    assert found["督导整改通知书"] == "WushanSerif-Bold"  # 小标宋's place
    assert found["食堂陪餐记录不全。"] == "WushanSerif-Regular"  # 仿宋's place
    assert found["一、存在问题"] == "WushanSans-Bold"  # 黑体 for a first-level heading
    assert found["台账缺失"] == "WushanSans-Regular"


def test_a_date_column_never_breaks_inside_a_date() -> None:
    rows = [[n, "整改要求" * 12, "2026年12月29日"] for n in range(1, 4)]
    table = r.Table([r.Column("序号", 0.5), r.Column("整改要求", 7),
                     r.Column("整改期限", 0.8, nowrap=True)], rows)
    texts = [text for *_, text, _ in lines_of(render(doc(table)))]
    assert texts.count("2026年12月29日") == 3
    assert not [t for t in texts if t in ("2026年12月", "29日", "2026年12月29")]


def test_dates_and_document_numbers_in_running_text_never_break() -> None:
    """Wherever a line happens to end, 2026年12月29日, 〔2026〕12号, 2026-12-29 and 14:30
    stay on one line (reportlab alone broke them after 年, 月 or 〔2026〕)."""
    sentence = "请于2026年12月29日前按巫督高唐〔2026〕12号完成整改，2026-12-29 14:30复查。"
    paragraphs = [r.Paragraph("督" * shift + sentence, indent=0) for shift in range(28)]
    texts = [text for *_, text, _ in lines_of(render(doc(*paragraphs)))]
    for whole in ("2026年12月29日", "〔2026〕12号", "2026-12-29", "14:30"):
        assert sum(t.count(whole) for t in texts) == 28, (whole, texts)


def test_every_date_of_a_long_paragraph_stays_whole_and_no_character_is_lost() -> None:
    dates = [f"2026年{m % 12 + 1}月{d % 28 + 1}日" for m, d in zip(range(30), range(7, 397, 13),
                                                                 strict=True)]
    text = "、".join(f"第{n}次复查于{date}" for n, date in enumerate(dates, 1)) + "。"
    table = r.Table([r.Column("序号", 1), r.Column("记录", 3)], [[1, text]])
    texts = [t for *_, t, _ in lines_of(render(doc(table)))]
    assert "".join(texts[texts.index("记录") + 2:texts.index("— 1 —")]) == text
    whole = re.compile(r"2026年\d{1,2}月\d{1,2}日")
    assert sum(len(whole.findall(t)) for t in texts) == len(dates)


def test_a_column_narrower_than_a_date_is_broken_as_before() -> None:
    """Where a date cannot fit on one line at all, moving it would only add a line."""
    table = r.Table([r.Column("序号", 8), r.Column("期限", 1)], [[1, "于2026年12月29日前"]])
    texts = [t for *_, t, _ in lines_of(render(doc(table)))]
    cell = texts[texts.index("期限") + 2:texts.index("— 1 —")]
    assert "".join(cell) == "于2026年12月29日前"
    assert len(cell) == 3 and cell[0] != "于"  # reportlab's three lines, not a fourth


def test_no_line_starts_with_a_closing_punctuation_mark() -> None:
    """Chinese line breaking: ，；：？！… never start a line; they hang at the end of the
    line before."""
    width_chars = 27  # 156 mm of 3号 characters: the line holds 27 and a bit
    for mark in "，；：？！":
        text = "督" * (width_chars * 2) + mark + "导" * 20
        lines = [t for _, _, _, t, _ in lines_of(render(doc(r.Paragraph(text, indent=0))))]
        body = [t for t in lines if t[0] in "督导" or t[0] in "，；：？！"]
        assert body and not [t for t in body if t[0] in "，；：？！"], (mark, body)


def test_closing_sets_the_issuer_over_the_date_at_the_right_with_the_seal() -> None:
    reader = render(doc(r.Paragraph("特此通知。"),
                        r.Closing("高唐片区教育督导中心", "2026年12月6日")))
    found = {text: (x, y) for _, x, y, text, _ in lines_of(reader)}
    issuer_x, issuer_y = found["高唐片区教育督导中心"]
    date_x, date_y = found["2026年12月6日"]
    date_w = fonts_width("2026年12月6日", 16)
    # 成文日期 four characters in from the right edge of the text block
    assert date_x + date_w == pytest.approx(PAGE_W - 26 * MM - 4 * 16, abs=1)
    # the issuer centred over the date, one line (28.8 pt) above it
    assert issuer_x + fonts_width("高唐片区教育督导中心", 16) / 2 == pytest.approx(
        date_x + date_w / 2, abs=1)
    assert issuer_y - date_y == pytest.approx(16 * 1.8, abs=0.5)


def test_distribution_sits_at_the_foot_of_the_last_page() -> None:
    reader = render(doc(r.Paragraph("特此通知。"),
                        r.Distribution("高唐片区教育督导中心", "2026年12月6日",
                                       "巫山县人民政府教育督导室")))
    found = {text: y for _, _, y, text, _ in lines_of(reader)}
    assert "抄送：巫山县人民政府教育督导室。" in found
    assert found["2026年12月6日印发"] < 35 * MM + 20 * MM  # at the bottom of the block
    assert found["特此通知。"] > found["抄送：巫山县人民政府教育督导室。"] + 100


def test_a_character_the_serif_lacks_is_drawn_from_the_sans(tmp_path: Path) -> None:
    fonts.register_fonts()
    lacking = "𠀤"  # in WushanSans, not in WushanSerif
    assert r.check_coverage(lacking) == []
    reader = render(doc(r.Paragraph(f"学生谭{lacking}同学"), title=f"关于谭{lacking}的通知"))
    runs = [(text, font) for *_, text, font in lines_of(reader)]
    assert (lacking, "WushanSans-Regular") in runs or any(
        lacking in t and f.startswith("WushanSans") for t, f in runs)
    text = "".join(page.extract_text() for page in reader.pages)
    assert re.sub(r"\s", "", text).count(f"谭{lacking}") == 2


def fonts_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    fonts.register_fonts()
    return stringWidth(text, fonts.SERIF, size)


def test_an_extension_b_name_prints_from_the_fallback_face() -> None:
    """𪚥 (U+2A6A5) is in neither WushanSans nor WushanSerif: the report draws it from
    WushanExtB instead of refusing the document, in running text and in a table."""
    name = "谭𪚥"
    assert r.check_coverage(name) == []
    reader = render(doc(r.Paragraph(f"学生{name}同学已返校。"),
                        r.Table([r.Column("姓名"), r.Column("年级")], [[name, "七年级"]])))
    runs = [(text, font) for *_, text, font in lines_of(reader)]
    assert sum(1 for t, f in runs if "𪚥" in t and f == "WushanExtB-Regular") == 2, runs
    text = re.sub(r"\s", "", "".join(page.extract_text() for page in reader.pages))
    assert text.count(name) == 2  # and it copies and searches as itself


def test_a_character_no_face_has_is_still_refused_by_name() -> None:
    with pytest.raises(r.MissingGlyphs) as refused:
        render(doc(r.Paragraph("学生谭\U00030000同学")))  # Extension G
    assert "\U00030000" in refused.value.chars


def test_text_drawn_on_the_page_falls_back_too() -> None:
    """The 落款 and the running header are drawn straight on the canvas: a rare
    character in them is drawn from a face that has it, not left blank."""
    reader = render(doc(r.Paragraph("正文。" * 300),
                        r.Closing("𪚥山片区教育督导中心", "2026年12月6日"),
                        title="关于𪚥山小学的通知"))
    assert len(reader.pages) >= 2
    runs = [(page, text, font) for page, _, _, text, font in lines_of(reader)]
    assert any(f == "WushanExtB-Regular" and "𪚥" in t for p, t, f in runs if p == 1), runs
    last = len(reader.pages) - 1
    assert any(f == "WushanExtB-Regular" and "𪚥" in t for p, t, f in runs if p == last)
