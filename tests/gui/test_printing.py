"""Printing inside the app (gui/printing.py): the preview, the printer, a copy, no viewer."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QToolBar

from wushan_desk import reports as r
from wushan_desk.gui import printing
from wushan_desk.gui.widgets import dialogs
from wushan_desk.reports import raster


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("print") / "巫峡镇中心小学-督导意见书-2026-03-12.pdf"
    blocks = []
    for number in (1, 2, 3):
        blocks += [r.Heading(f"第{number}部分"), r.Paragraph(f"第{number}页的正文。" * 40)]
        if number < 3:
            blocks.append(r.PageBreak())
    r.render_pdf(r.Document(title="督导意见书", issuer="巫山县人民政府教育督导室",
                            report_id="p-1", kind="test", blocks=blocks), path)
    assert len(pypdf.PdfReader(path).pages) == 3
    return path


def pdf_printer(out: Path) -> QPrinter:
    printer = printing.a4_printer("督导意见书")
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    return printer


def grey_thumbnail(path: Path, index: int) -> list[float]:
    """Page `index` at 20 dpi as 8x8-pixel block averages: what the page looks like."""
    with raster.opened(path) as document:
        page = document.render(index, 20)
    blocks = []
    for by in range(0, page.height - 8, 8):
        for bx in range(0, page.width - 8, 8):
            total = sum(page.pixels[(by + y) * page.stride + (bx + x) * 3]
                        for y in range(8) for x in range(8))
            blocks.append(total / 64)
    return blocks


def test_the_preview_shows_every_page(qtbot, styled_app, three_pages: Path) -> None:
    dialog = printing.PdfPrintPreview(three_pages, "督导意见书")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.page_count() == 3, timeout=5000)
    assert dialog.pages_drawn == 3 and dialog.failure is None
    assert dialog.windowTitle() == "打印预览 — 督导意见书"
    toolbar = dialog.findChild(QToolBar)
    assert {"另存为 PDF…", "用阅读器打开"} <= {action.text() for action in toolbar.actions()}


def test_printed_pages_are_the_documents_pages(tmp_path, styled_app, three_pages: Path) -> None:
    out = tmp_path / "打印.pdf"
    assert printing.paint_pdf(three_pages, pdf_printer(out)) == 3
    printed = pypdf.PdfReader(out)
    assert len(printed.pages) == 3
    box = printed.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842  # A4
    for index in range(3):  # each printed page looks like the same page of the document
        source, paper = grey_thumbnail(three_pages, index), grey_thumbnail(out, index)
        assert len(source) == len(paper)
        difference = sum(abs(a - b) for a, b in zip(source, paper, strict=True)) / len(source)
        assert difference < 3, (index, difference)
    other = grey_thumbnail(three_pages, 1)  # and unlike another page
    assert sum(abs(a - b) for a, b in zip(grey_thumbnail(out, 0), other, strict=True)) \
        / len(other) > 3


def test_the_print_dialogs_page_range_is_honoured(tmp_path, styled_app, three_pages) -> None:
    out = tmp_path / "第2到3页.pdf"
    printer = pdf_printer(out)
    printer.setFromTo(2, 3)
    assert printing.paint_pdf(three_pages, printer) == 2
    assert len(pypdf.PdfReader(out).pages) == 2
    assert grey_thumbnail(out, 0) == pytest.approx(grey_thumbnail(three_pages, 1), abs=40)


def test_save_as_pdf_copies_the_document(qtbot, styled_app, three_pages, tmp_path) -> None:
    dialog = printing.PdfPrintPreview(three_pages, "督导意见书")
    qtbot.addWidget(dialog)
    target = tmp_path / "U盘" / "副本.pdf"
    target.parent.mkdir()
    assert dialog.save_copy(target) == target
    assert target.read_bytes() == three_pages.read_bytes()


def test_no_pdf_viewer_is_said_plainly(monkeypatch, styled_app, three_pages) -> None:
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(printing.QDesktopServices, "openUrl", lambda _url: False)
    monkeypatch.setattr(dialogs, "inform", lambda _parent, title, text: told.append((title, text)))
    assert printing.open_file(three_pages) is False
    assert told == [("没有 PDF 阅读器", printing.NO_VIEWER)]
    monkeypatch.setattr(printing.QDesktopServices, "openUrl", lambda _url: True)
    assert printing.open_file(three_pages) is True and len(told) == 1


def test_a_broken_pdf_is_explained_not_printed(qtbot, monkeypatch, styled_app,
                                               tmp_path) -> None:
    broken = tmp_path / "坏.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    shown: list[BaseException] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, exc, _what: shown.append(exc))
    dialog = printing.PdfPrintPreview(broken, "督导意见书")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.failure is not None, timeout=5000)
    assert dialog.pages_drawn == 0 and "重新生成" in dialog.failure.message
    assert shown == [dialog.failure]
