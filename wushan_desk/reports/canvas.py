"""The canvas every page is drawn on: page numbers, the running header, the QR code and
the document's metadata (Info dictionary).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from wushan_desk.paths import APP_NAME
from wushan_desk.reports.document import (
    Document,
    content_hash,
)
from wushan_desk.reports.fonts import REGULAR
from wushan_desk.reports.layout import (
    FOOTER_GAP,
    FOOTER_SIZE,
    MUTED,
    QR_FORM,
    QR_SIZE,
    _fit,
)

# --- the canvas: page numbers, running header, QR, metadata ---------------------------------


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


def _canvas_class(decor: _PageDecor) -> Callable[..., Canvas]:
    class NumberedCanvas(Canvas):
        """Keeps every page until save(), then draws "第 X 页 共 Y 页" knowing Y."""

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
            top, bottom, left, right = decor.margins
            page_w, page_h = decor.pagesize
            self.saveState()
            self.setFillColor(colors.black)
            self.setFont(REGULAR, FOOTER_SIZE)
            self.drawCentredString(
                (left + page_w - right) / 2, bottom - FOOTER_GAP - FOOTER_SIZE,
                f"第 {number} 页 共 {total} 页",
            )
            if number > 1:
                self.setFont(REGULAR, 9)
                self.setFillColor(MUTED)
                head = decor.title + (f"　{decor.doc_number}" if decor.doc_number else "")
                self.drawString(left, page_h - top + 6 * mm,
                                _fit(head, REGULAR, 9, page_w - left - right))
                self.setStrokeColor(MUTED)
                self.setLineWidth(0.4)
                self.line(left, page_h - top + 4.5 * mm, page_w - right, page_h - top + 4.5 * mm)
            if number == total:
                self._draw_qr()
            self.restoreState()

        def _draw_qr(self) -> None:
            _, bottom, _, right = decor.margins
            page_w, _ = decor.pagesize
            size = min(QR_SIZE, bottom - 8 * mm)
            x = page_w - right - size
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
            text_right = x - 1.5 * mm
            room = text_right - decor.margins[2]
            self.drawRightString(text_right, y + 9.5,
                                 _fit(f"报告编号：{decor.report_id}", REGULAR, 7, room))
            self.drawRightString(text_right, y + 1.5, f"校验码：{decor.digest[:16]}")

    return NumberedCanvas


def qr_payload(doc: Document, digest: str | None = None) -> str:
    """The QR text: compact ASCII JSON with app, kind, report id and content hash."""
    data = {"app": APP_NAME, "kind": doc.kind, "id": doc.report_id,
            "sha256": digest or content_hash(doc)}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True)


