"""The report engine: a realistic 督导意见书 rendered to PDF and checked from the outside.

pypdf checks always run; poppler (pdffonts, pdftotext, pdftoppm) and zbarimg checks run
when the tools are installed (Debian: poppler-utils, zbar-tools).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess

import pypdf
import pytest
from report_sample import (
    INSPECTOR,
    LONG_REQUIREMENT,
    REPORT_ID,
    SCHOOL,
    SECOND_INSPECTOR,
    build_sample,
    signature_png,
)

from wushan_desk import reports as r
from wushan_desk.reports import fonts, pdf, qr

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM


def squeeze(text: str) -> str:
    return "".join(text.split())


def need(*names: str) -> None:
    """The README's system packages are required, not optional: a missing one fails the
    test with what to install (a skip would hide it)."""
    missing = [n for n in names if shutil.which(n) is None]
    assert not missing, f"{missing} missing: install poppler-utils and zbar-tools (README)"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("report") / "督导意见书.pdf"
    result = r.render_pdf(build_sample(), path)
    return path, result


@pytest.fixture(scope="module")
def reader(sample):
    return pypdf.PdfReader(sample[0])


@pytest.fixture(scope="module")
def page_texts(reader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def small_doc(*blocks, **kw) -> r.Document:
    base = {"title": "测试报告", "issuer": "巫山县人民政府教育督导室", "report_id": "t-1",
            "kind": "test", "blocks": list(blocks) or [r.Paragraph("正文。")]}
    return r.Document(**{**base, **kw})


# --- text ------------------------------------------------------------------------------


def test_text_is_extractable_and_correct(page_texts):
    text = squeeze("".join(page_texts))
    for expected in [
        "巫山县人民政府教育督导室", "骡坪镇教育督导中心", "巫督〔2026〕12号", "督导意见书",
        SCHOOL, INSPECTOR, SECOND_INSPECTOR, "一、学校管理与制度建设", "八、校园文化建设",
        "课程“三开”", "合计（满分86分）", "75.5", "签名：", "日期：____年__月__日",
        "2026年3月12日",
    ]:
        assert squeeze(expected) in text, expected
    # the rare characters, including 𠮷 beyond the BMP (needs the ToUnicode fix)
    for ch in "𠮷䶮堃燚":
        assert ch in text, ch
    assert "\ufffd" not in text


def test_tounicode_cmap_uses_surrogate_pairs(reader):
    streams = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if "/ToUnicode" in font:
                streams.append(font["/ToUnicode"].get_object().get_data().decode("ascii"))
    cmaps = "\n".join(streams)
    assert "<D842DFB7>" in cmaps  # 𠮷 U+20BB7 as UTF-16BE
    assert "<20BB7>" not in cmaps
    # at most 100 entries per bfchar block (PDF reference)
    assert all(int(n) <= 100 for n in re.findall(r"(\d+) beginbfchar", cmaps))


def test_tounicode_patch_is_the_reportlab_function():
    from reportlab.pdfbase import ttfonts

    fonts.register_fonts()
    broken_upstream = fonts.tounicode_is_broken(fonts._original_make_to_unicode_cmap)
    if broken_upstream:
        assert ttfonts.makeToUnicodeCMap is fonts._make_to_unicode_cmap
    assert not fonts.tounicode_is_broken()
    # BMP entries are written exactly as reportlab writes them
    subset = [0, 0x41, 0x5DEB, 0x20BB7]
    ours = fonts._make_to_unicode_cmap("F", subset)
    theirs = fonts._original_make_to_unicode_cmap("F", subset)
    assert ours.replace("<03> <D842DFB7>", "") == theirs.replace("<03> <20BB7>", "")


def test_pdftotext_extracts_rare_characters(sample):
    need("pdftotext")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(sample[0]), "-"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    text = squeeze(out)
    assert SCHOOL in text and INSPECTOR in text
    assert "𠮷" in text


# --- fonts -----------------------------------------------------------------------------


def all_fonts(reader):
    """Every font dictionary reachable from the pages, including form XObjects."""
    seen = {}

    def walk(resources):
        if not resources:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            seen[id(font)] = font
        for ref in (resources.get("/XObject") or {}).values():
            xobj = ref.get_object()
            if xobj.get("/Subtype") == "/Form":
                walk(xobj.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return list(seen.values())


def test_every_font_is_embedded(reader):
    found = all_fonts(reader)
    assert found
    for font in found:
        name = str(font["/BaseFont"])
        assert "/FontDescriptor" in font, f"{name} is not embedded"
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{name} has no FontFile2"
        tag, base = name.lstrip("/").split("+", 1)
        assert len(tag) == 6 and tag.isupper()
        assert base in ("WushanSans-Regular", "WushanSans-Bold", "WushanSerif-Regular",
                        "WushanSerif-Bold")
    # the sans in tables, the serif in the title and text (GB/T 9704's 小标宋 and 仿宋)
    assert {str(f["/BaseFont"]).split("+")[1] for f in found} == {
        "WushanSans-Regular", "WushanSans-Bold", "WushanSerif-Regular", "WushanSerif-Bold"}


def test_pdffonts_shows_all_embedded(sample):
    need("pdffonts")
    out = subprocess.run(["pdffonts", str(sample[0])], capture_output=True, text=True,
                         check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert "WushanSans" in row or "WushanSerif" in row, row
        emb = row.split()[-5]
        assert emb == "yes", row
    assert "Helvetica" not in out


# --- pages -----------------------------------------------------------------------------


def test_page_count_and_numbering(sample, reader, page_texts):
    """GB/T 9704 7.5: "— 1 —" 7 mm under the text block, odd pages one character in
    from the right margin, even pages one character in from the left."""
    _, result = sample
    n = len(reader.pages)
    assert n == result.pages >= 3
    lines = text_lines(reader)
    for i in range(1, n + 1):
        (number,) = [line for line in lines if line[0] == i - 1 and line[3] == f"— {i} —"]
        _, x, y, _ = number
        assert 35 * MM - 7 * MM - 14 <= y <= 35 * MM - 7 * MM  # the baseline under the gap
        if i % 2:
            width = pdf_string_width(f"— {i} —", fonts.SERIF, 14)
            assert x + width == pytest.approx(PAGE_W - 26 * MM - 14, abs=1)
        else:
            assert x == pytest.approx(28 * MM + 14, abs=1)
    for page in reader.pages:
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]  # A4 portrait


def pdf_string_width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    fonts.register_fonts()
    return stringWidth(text, font, size)


def test_text_block_and_line_pitch_follow_gb_t_9704(reader):
    """The text block is 156 x 225 mm (margins 37 top, 35 bottom, 28 left, 26 right) and
    running text is 3号 at 28.8 pt a line: 22 lines a page."""
    header = "督导意见书巫督〔2026〕12号"  # the running header, above the block on later pages
    margins = ("—", "报告编号", "校验码")  # page numbers and the QR's lines, below it
    body = [(x, y) for _, x, y, text in text_lines(reader)
            if not text.startswith(margins) and text != header]
    assert min(x for x, _ in body) >= 28 * MM - 0.5
    assert min(y for _, y in body) >= 35 * MM - 0.5
    assert max(y for _, y in body) <= PAGE_H - 37 * MM + 0.5
    paragraph_ys = sorted({y for page, x, y, text in text_lines(reader)
                           if page == 0 and text.startswith(("根据", "法》"))}, reverse=True)
    assert len(paragraph_ys) >= 2
    assert paragraph_ys[0] - paragraph_ys[1] == pytest.approx(16 * 1.8, abs=0.2)
    assert int((PAGE_H - 37 * MM - 35 * MM) // (16 * 1.8)) == 22


def test_running_header_on_later_pages(page_texts):
    assert squeeze("督导意见书 巫督〔2026〕12号") in squeeze(page_texts[1])


def text_lines(reader):
    """(page, x, y, text) for each line of text, from pypdf's positions."""
    lines: dict[tuple[int, float, float], str] = {}
    for number, page in enumerate(reader.pages):
        def visit(text, cm, tm, font_dict, font_size, number=number):
            if text.strip():
                key = (number, round(cm[4] + tm[4], 1), round(cm[5] + tm[5], 1))
                lines[key] = lines.get(key, "") + text.strip()
        page.extract_text(visitor_text=visit)
    return sorted(((p, x, y, t) for (p, x, y), t in lines.items()),
                  key=lambda item: (item[0], -item[2], item[1]))


def test_long_finding_wraps_inside_its_cell(reader):
    lines = text_lines(reader)
    start = next(line for line in lines if line[3].startswith(LONG_REQUIREMENT[:6]))
    page, x0 = start[0], start[1]
    column = [line for line in lines if line[0] >= page and abs(line[1] - x0) < 0.5]
    column = column[column.index(start):]
    got, used = "", []
    for line in column:
        if len(got) >= len(LONG_REQUIREMENT):
            break
        got += line[3]
        used.append(line)
    assert got == LONG_REQUIREMENT  # all of it, in order
    assert len(used) >= 5  # wrapped over several lines
    fonts.register_fonts()
    from reportlab.pdfbase.pdfmetrics import stringWidth

    ends = [x + stringWidth(text, fonts.REGULAR, r.SIZE_XIAO4) for _, x, _, text in used]
    # The column "整改要求" is 4.2 of 8.4 shares of the 156 mm text block.
    column_right = 28 * MM + 156 * MM * (0.6 + 1.6 + 4.2) / 8.4
    assert max(ends) <= column_right + 0.5, "text ran past its cell"
    for _, x, y, _ in used:  # inside the text block: no overflow off the page
        assert x >= 28 * MM and 35 * MM <= y <= PAGE_H - 37 * MM


def test_table_taller_than_a_page_splits_inside_the_row(tmp_path):
    huge = "整改要求很长。" * 600  # one cell of 4,200 characters: several pages on its own
    table = r.Table([r.Column("序号", 1, "center"), r.Column("整改要求", 6)],
                    rows=[[1, huge], [2, "短"]])
    result = r.render_pdf(small_doc(r.Heading("问题"), table), tmp_path / "huge.pdf")
    assert result.pages >= 4
    text = squeeze("".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "huge.pdf").pages))
    assert text.count("整改要求很长。") == 600


def test_landscape_document(tmp_path):
    doc = small_doc(r.Table([r.Column(f"列{i}") for i in range(12)],
                            rows=[[f"{i}-{j}" for j in range(12)] for i in range(80)],
                            style="zebra"), landscape=True)
    result = r.render_pdf(doc, tmp_path / "wide.pdf")
    page = pypdf.PdfReader(tmp_path / "wide.pdf").pages[0]
    assert [round(float(v)) for v in page.mediabox] == [0, 0, 842, 595]
    assert result.pages >= 2
    assert "79-11" in pypdf.PdfReader(tmp_path / "wide.pdf").pages[-1].extract_text()


# --- glyph coverage ------------------------------------------------------------------------


def test_check_coverage():
    assert r.check_coverage("巫山县𠮷祥乡䶮村小学 向堃 ①℃㎡《》\n") == []
    assert r.check_coverage("≒한가≒") == ["≒", "한", "가"]
    assert r.check_coverage("葛\U000E0100") == []  # a variation selector prints as nothing


def test_missing_glyphs_refused_before_writing(tmp_path):
    target = tmp_path / "out.pdf"
    doc = small_doc(r.Paragraph("约≒三成"),
                    r.Table([r.Column("学生")], rows=[["김민준"]]))
    with pytest.raises(r.MissingGlyphs) as info:
        r.render_pdf(doc, target)
    err = info.value
    assert err.chars == ["≒", "김", "민", "준"]
    assert "U+2252" in err.message and "打印" in err.message
    assert "表格第1行第1列" in err.message
    assert isinstance(err, r.ReportError)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_fixed_texts_of_the_layout_are_covered():
    assert r.check_coverage("第 1 页 共 9 页 签名：姓名：日期：____年__月__日 报告编号：校验码："
                            "巫督〔2026〕12号") == []


# --- hash, metadata, QR ----------------------------------------------------------------------


def test_content_hash_is_stable_and_content_sensitive(tmp_path, sample):
    _, first = sample
    again = r.render_pdf(build_sample(), tmp_path / "again.pdf")
    assert again.content_hash == first.content_hash == r.content_hash(build_sample())
    assert re.fullmatch(r"[0-9a-f]{64}", first.content_hash)

    changed = build_sample(requirement=LONG_REQUIREMENT.replace("11天", "12天"))
    assert r.content_hash(changed) != first.content_hash
    other_school = build_sample(school="巫山县骡坪镇中心小学")
    assert r.content_hash(other_school) != first.content_hash
    doc = build_sample()
    new_sig = dataclasses.replace(doc.blocks[-3], signers=[
        r.Signer("责任督学", INSPECTOR, signature_png(2), "2026年3月12日")])
    blocks = list(doc.blocks)
    blocks[-3] = new_sig
    assert r.content_hash(dataclasses.replace(doc, blocks=blocks)) != first.content_hash
    # numbers and their text print the same, and hash the same
    assert r.content_hash(small_doc(r.Table(["分"], [[4.0]]))) == r.content_hash(
        small_doc(r.Table(["分"], [["4"]])))


def test_canonical_json_is_readable_and_references_images_by_hash():
    canon = json.loads(r.canonical_json(build_sample()))
    assert canon["format"] == "wushan-desk/report-v2"
    assert canon["document"]["report_id"] == REPORT_ID
    signers = canon["document"]["blocks"][-3]["signers"]
    assert set(signers[0]["image"]) == {"sha256", "size"}
    assert signers[2]["image"] is None


def test_metadata_round_trip(sample, reader):
    path, result = sample
    meta = r.read_metadata(path)
    assert meta["report_id"] == REPORT_ID
    assert meta["kind"] == "inspection"
    assert meta["content_hash"] == result.content_hash
    assert meta["app"] == "wushan-desk"
    assert meta["title"] == "督导意见书"
    assert meta["author"] == "巫山县人民政府教育督导室"
    assert r.read_metadata(path.read_bytes()) == meta
    info = reader.metadata
    assert info.title == "督导意见书" and info.author == "巫山县人民政府教育督导室"
    assert info["/WushanReportId"] == REPORT_ID
    assert info["/WushanContentHash"] == result.content_hash
    assert f"sha256={result.content_hash}" in info["/Keywords"]


def test_read_metadata_after_an_incremental_update(sample, tmp_path):
    writer = pypdf.PdfWriter(sample[0], incremental=True)
    writer.add_metadata({"/Producer": "pyHanko-like signer (测试)"})
    out = tmp_path / "signed.pdf"
    with out.open("wb") as fh:
        writer.write(fh)
    assert out.read_bytes().startswith(sample[0].read_bytes())  # appended, not rewritten
    meta = r.read_metadata(out)
    assert meta["report_id"] == REPORT_ID and meta["content_hash"] == sample[1].content_hash


def test_read_metadata_rejects_a_foreign_pdf(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(100, 100, "hello")
    canvas.save()
    with pytest.raises(r.ReportError):
        r.read_metadata(buf.getvalue())
    with pytest.raises(r.ReportError):
        r.read_metadata(b"not a pdf")


def test_read_metadata_of_a_damaged_pdf_is_a_plain_report_error(sample, tmp_path):
    data = sample[0].read_bytes()
    for cut in (len(data) - 10, len(data) // 2, 200):
        with pytest.raises(r.ReportError) as caught:
            r.read_metadata(data[:cut])
        assert "损坏或不完整" in caught.value.message  # plain Chinese, not pypdf's words
    truncated = tmp_path / "半个.pdf"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(r.ReportError):
        r.read_metadata(truncated)
    with pytest.raises(r.ReportError, match="找不到文件"):
        r.read_metadata(tmp_path / "没有这个文件.pdf")


def test_qr_code_on_the_last_page(reader, sample):
    def xobjects(page):
        res = page["/Resources"].get("/XObject") or {}
        return {str(k) for k in res}

    assert any("WushanQR" in name for name in xobjects(reader.pages[-1]))
    for page in reader.pages[:-1]:
        assert not any("WushanQR" in name for name in xobjects(page))
    text = pdf.qr_payload(build_sample())
    assert text.startswith("WSR1 ") and text.isascii() and "{" not in text
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric
    payload = qr.parse(text)
    assert (payload.report_id, payload.kind, payload.digest) == (
        REPORT_ID, "inspection", sample[1].content_hash[:16])
    assert not payload.signed  # render_pdf was given no signer
    assert r.read_metadata(sample[0])["qr"] == text  # the file keeps the same text
    last = squeeze(reader.pages[-1].extract_text())
    assert f"校验码：{sample[1].content_hash[:16]}" in last


def test_qr_code_decodes(sample, tmp_path):
    need("pdftoppm", "zbarimg")
    path, result = sample
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(result.pages),
                    "-l", str(result.pages), str(path), str(tmp_path / "last")], check=True)
    png = next(tmp_path.glob("last*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == pdf.qr_payload(build_sample()) == r.read_metadata(path)["qr"]


# --- writing ----------------------------------------------------------------------------------


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    result = r.render_pdf(small_doc(), target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) == result.bytes
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    # a refused document leaves the old file alone
    with pytest.raises(r.MissingGlyphs):
        r.render_pdf(small_doc(r.Paragraph("≒")), target)
    assert target.read_bytes() == data


def test_file_object_and_bytes_targets():
    buf = io.BytesIO()
    result = r.render_pdf(small_doc(), buf)
    assert buf.getvalue().startswith(b"%PDF-") and len(buf.getvalue()) == result.bytes
    assert r.pdf_bytes(small_doc()).startswith(b"%PDF-")


def test_sample_builds_a_multi_page_report(tmp_path):
    """How fast is measured by `wushan-desk bench` (report_render), not asserted here."""
    result = r.render_pdf(build_sample(), tmp_path / "sample.pdf")
    assert result.pages >= 3 and result.bytes == (tmp_path / "sample.pdf").stat().st_size


# --- blocks ------------------------------------------------------------------------------------


def test_plain_text_is_not_markup(tmp_path):
    doc = small_doc(r.Paragraph("分数 < 60 & 未达标 <b>不加粗</b>\n第二行"),
                    r.Table(["说明"], [["a<b>c & d"]]))
    pages = pypdf.PdfReader(io.BytesIO(r.pdf_bytes(doc))).pages
    text = squeeze("".join(p.extract_text() for p in pages))
    assert squeeze("分数 < 60 & 未达标 <b>不加粗</b>") in text
    assert "a<b>c&d" in text


def test_unreadable_signature_image_is_refused():
    doc = small_doc(r.SignatureBlock([r.Signer("督学", "向堃", b"\x89PNG garbage")]))
    with pytest.raises(r.ReportError, match="签名图片"):
        r.pdf_bytes(doc)


def test_block_validation():
    with pytest.raises(ValueError):
        r.Table([r.Column("a"), r.Column("b")], rows=[["only one"]])
    with pytest.raises(TypeError):
        r.Table(["a"], rows=["not a row"])
    with pytest.raises(TypeError):
        small_doc("not a block")
    with pytest.raises(ValueError):
        r.Heading("x", level=3)
    with pytest.raises(ValueError):
        r.SignatureBlock([])
    doc = small_doc(letterhead=())
    assert doc.letterhead == ("巫山县人民政府教育督导室",)
