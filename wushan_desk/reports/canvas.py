"""The canvas every page is drawn on: page numbers, the running header, the QR code and
the document's metadata (Info dictionary).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from wushan_desk.reports import qr
from wushan_desk.reports.document import (
    Document,
    content_hash,
)
from wushan_desk.reports.fonts import BOLD, REGULAR, SERIF, SERIF_BOLD
from wushan_desk.reports.layout import (
    FOOTER_GAP,
    MUTED,
    QR_FORM,
    QR_SIZE,
    _fit,
    draw_text,
)

# --- the canvas: page numbers, running header, QR, metadata ---------------------------------

PAGE_NUMBER_SIZE = 14.0  # 4号
DRAFT_RED = colors.HexColor("#C8102E")


class _Info(pdfdoc.PDFInfo):
    """reportlab's document Info dictionary plus custom entries (/WushanReportId ...)."""

    extras: dict[str, str]

    def format(self, document: Any) -> bytes:
        d: dict[str, Any] = {
            "Title": pdfdoc.PDFString(self.title),
            "Author": pdfdoc.PDFString(self.author),
            "Producer": pdfdoc.PDFString(self.producer),
            "Creator": pdfdoc.PDFString(self.creator),
            "Subject": pdfdoc.PDFString(self.subject),
            "Keywords": pdfdoc.PDFString(self.keywords),
            "Trapped": pdfdoc.PDFName(self.trapped),
        }
        d["ModDate"] = d["CreationDate"] = pdfdoc.PDFDate(
            ts=document._timeStamp, dateFormatter=self._dateFormatter
        )
        for key, value in self.extras.items():
            d[key] = pdfdoc.PDFString(value)
        return pdfdoc.PDFDictionary(d).format(document)


@dataclass
class _PageDecor:
    title: str
    doc_number: str | None
    report_id: str
    digest: str
    qr_payload: str
    info_extras: dict[str, str]
    margins: tuple[float, float, float, float]
    pagesize: tuple[float, float]
    draft: bool = False
    stamp: tuple[str, ...] = ()  # the digital signature's stamp, on the last page


def _canvas_class(decor: _PageDecor) -> Callable[..., Canvas]:
    class NumberedCanvas(Canvas):
        """Keeps every page until save(), then draws on each what needs the page count:
        the page number, the running header, the draft mark, and the QR on the last."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            info = _Info()
            info.__dict__.update(self._doc.info.__dict__)
            info.extras = decor.info_extras
            self._doc.info = info

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._decorate(number, total)
                Canvas.showPage(self)
            self.page_count = total
            Canvas.save(self)

        def _decorate(self, number: int, total: int) -> None:
            top, _, left, right = decor.margins
            page_w, page_h = decor.pagesize
            self.saveState()
            if decor.draft:
                self._draw_draft_mark()
            self.setFillColor(colors.black)
            self._draw_page_number(number)
            if number > 1:
                self.setFont(REGULAR, 9)
                self.setFillColor(MUTED)
                head = decor.title + (f"　{decor.doc_number}" if decor.doc_number else "")
                draw_text(self, left, page_h - top + 6 * mm,
                          _fit(head, REGULAR, 9, page_w - left - right), REGULAR, 9)
                self.setStrokeColor(MUTED)
                self.setLineWidth(0.4)
                self.line(left, page_h - top + 4.5 * mm, page_w - right, page_h - top + 4.5 * mm)
            if number == total:
                self._draw_qr(at_left=number % 2 == 1)
            self.restoreState()

        def _draw_page_number(self, number: int) -> None:
            """GB/T 9704 7.5: "— 1 —" in 4号 half-width digits, 7 mm below the text
            block; odd pages one character in from the right, even pages from the left
            (the outer edge of a double-sided print)."""
            _, bottom, left, right = decor.margins
            page_w, _ = decor.pagesize
            text = f"— {number} —"
            y = bottom - FOOTER_GAP - PAGE_NUMBER_SIZE * 0.8
            self.setFont(SERIF, PAGE_NUMBER_SIZE)
            if number % 2:
                self.drawRightString(page_w - right - PAGE_NUMBER_SIZE, y, text)
            else:
                self.drawString(left + PAGE_NUMBER_SIZE, y, text)

        def _draw_draft_mark(self) -> None:
            """草稿 across the page, light enough to read the text under it: an unsigned
            document can never pass for a final one, whichever page is shown."""
            page_w, page_h = decor.pagesize
            self.saveState()
            self.setFillColor(colors.Color(0.55, 0.55, 0.55, alpha=0.38))
            self.setFont(SERIF_BOLD, 110)
            self.translate(page_w / 2, page_h / 2)
            self.rotate(40)
            self.drawCentredString(0, -40, "草　稿")
            self.restoreState()
            self.setFont(BOLD, 12)
            self.setFillColor(DRAFT_RED)
            self.drawRightString(page_w - decor.margins[3], page_h - 14 * mm, "草稿 · 未定稿")

        def _draw_qr(self, at_left: bool) -> None:
            """The QR at the foot of the last page, on the side the page number is not
            (odd pages number at the right), with the report number and check code."""
            _, bottom, left, right = decor.margins
            page_w, _ = decor.pagesize
            size = min(QR_SIZE, bottom - 8 * mm)
            x = left if at_left else page_w - right - size
            y = bottom - 3 * mm - size
            # The modules are drawn as rectangles in a form XObject named "WushanQR" (tests
            # find it there). Not via renderPDF: its default graphics state selects
            # Helvetica, which would add an unembedded font to the PDF.
            widget = QrCodeWidget(decor.qr_payload, barLevel="M")
            widget.qr.make()
            modules = widget.qr.modules
            count = len(modules)
            border = 2
            box = size / (count + 2 * border)
            self.beginForm(QR_FORM)
            self.setFillColor(colors.white)
            self.rect(0, 0, size, size, stroke=0, fill=1)
            self.setFillColor(colors.black)
            for r, row in enumerate(modules):
                c = 0
                for dark, run in itertools.groupby(bool(m) for m in row):
                    n = len(list(run))
                    if dark:
                        self.rect((c + border) * box, size - (r + border + 1) * box,
                                  n * box, box, stroke=0, fill=1)
                    c += n
            self.endForm()
            self.saveState()
            self.translate(x, y)
            self.doForm(QR_FORM)
            self.restoreState()
            self.setFont(REGULAR, 7)
            self.setFillColor(MUTED)
            lines = ((y + 9.5, f"报告编号：{decor.report_id}"),
                     (y + 1.5, f"校验码：{decor.digest[:16]}"),
                     *((y + 17.5 + 8 * n, text) for n, text in enumerate(reversed(decor.stamp))))
            if at_left:
                text_left = x + size + 1.5 * mm
                room = page_w - decor.margins[3] - 30 * mm - text_left  # clear of "— 1 —"
                for line_y, text in lines:
                    draw_text(self, text_left, line_y, _fit(text, REGULAR, 7, room), REGULAR, 7)
            else:
                text_right = x - 1.5 * mm
                room = text_right - decor.margins[2] - 30 * mm
                for line_y, text in lines:
                    draw_text(self, text_right, line_y, _fit(text, REGULAR, 7, room), REGULAR, 7,
                              "right")

    return NumberedCanvas


def qr_payload(doc: Document, digest: str | None = None, *,
               signer: qr.ReportSigner | None = None, sealed: bool = False) -> str:
    """The QR text, plain ASCII (format in reports/qr.py): ``WSR1``, kind, report id, the
    content hash's first 16 hex digits, today's date and, with `signer`, the signing
    device and its Ed25519 signature over them; flagged a draft, and `sealed` (the file
    will be signed whole)."""
    from wushan_desk.domain import clock

    return qr.build(doc.report_id, doc.kind, digest or content_hash(doc), clock.today(), signer,
                    draft=doc.draft, sealed=sealed)
