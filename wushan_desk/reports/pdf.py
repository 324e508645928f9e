"""Render a `Document` to PDF with reportlab, after GB/T 9704-2012 (党政机关公文格式).

Page: A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the text
block is 156 x 225 mm as in GB/T 9704. First page: the letterhead (发文机关标志, red or
black), the document number (发文字号), a rule as wide as the text block, then the title
in 2号 (22 pt) bold, centred. Running text in 3号 (16 pt) with the GB/T pitch of about 22
lines a page; tables in 五号 or 小四 (10.5/12 pt) so that a scored checklist fits.

Every page: "第 X 页 共 Y 页" centred 7 mm below the text block (the canvas keeps each
page until the end, when the total is known: one layout pass, no second build). Pages 2+
carry a small running header (title and document number) above the text block, in case
pages get separated.

QR code: bottom right of the LAST page, in the bottom margin, beside the text block
(never over the content, never forcing an extra page), 22 mm square (level M), with the
report id and the first 16 hex digits of the content hash printed small to its left. It
carries compact ASCII JSON: {"app":"wushan-desk","kind":...,"id":...,"sha256":...},
where sha256 is `content_hash(doc)` (of the document model, not of the PDF bytes).

Metadata: Title (the title), Author (the issuer), Subject ("<title> <kind>"), Keywords
("wushan-desk report_id=... kind=... sha256=..."), Creator, and custom Info entries
/WushanApp, /WushanReportId, /WushanReportKind, /WushanContentHash; `read_metadata` reads
them back with the standard library only.

Fonts: only WushanSans (regular and bold), embedded as subsets; the canvas starts in
WushanSans so that no unembedded Helvetica reference appears. Text is checked against
the font first: a character the font lacks raises `MissingGlyphs` instead of vanishing.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    KeepTogether,
    PageTemplate,
    TableStyle,
)
from reportlab.platypus import PageBreak as RLPageBreak
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Spacer as RLSpacer
from reportlab.platypus import Table as RLTable

from wushan_desk import __version__, files
from wushan_desk.paths import APP_NAME
from wushan_desk.reports import fonts
from wushan_desk.reports.document import (
    SIZE_2HAO,
    SIZE_3HAO,
    SIZE_XIAO4,
    Cell,
    Document,
    Heading,
    KeyValueTable,
    PageBreak,
    Paragraph,
    SectionRow,
    SignatureBlock,
    Signer,
    Spacer,
    Table,
    content_hash,
    iter_texts,
)
from wushan_desk.reports.fonts import BOLD, REGULAR, MissingGlyphs, ReportError

# --- page geometry (GB/T 9704-2012) ----------------------------------------------------

MARGIN_TOP = 37 * mm
MARGIN_BOTTOM = 35 * mm
MARGIN_LEFT = 28 * mm
MARGIN_RIGHT = 26 * mm
#: Landscape pages (rosters): not covered by GB/T 9704; narrower top, same footer room.
LANDSCAPE_MARGINS = (20 * mm, 30 * mm, 20 * mm, 20 * mm)  # top, bottom, left, right

FOOTER_GAP = 7 * mm  # GB/T 9704: page number 7 mm below the text block
FOOTER_SIZE = SIZE_XIAO4
QR_SIZE = 22 * mm
QR_FORM = "WushanQR"
KEEP_ROOM = 25 * mm  # a heading or caption needs this much below it, or it starts a page
LINE_FACTOR = 1.8  # 16 pt x 1.8 = 28.8 pt: 22 lines in the 225 mm text block

RED = colors.HexColor("#C8102E")
HEADER_BG = colors.HexColor("#E4E4E4")
SECTION_BG = colors.HexColor("#F0F0F0")
ZEBRA_BG = colors.HexColor("#F4F4F4")
LABEL_BG = colors.HexColor("#F0F0F0")
MUTED = colors.HexColor("#555555")

_ALIGN = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}

SIGNATURE_H = 15 * mm  # height of a signature image, and of the room for a blank one
BLANK_DATE = "____年__月__日"


@dataclass(frozen=True)
class RenderResult:
    """What `render_pdf` produced: page count, PDF size in bytes, the content hash."""

    pages: int
    bytes: int
    content_hash: str
    seconds: float = 0.0


# --- text helpers ----------------------------------------------------------------------


def _markup(text: str) -> str:
    """Plain text as reportlab Paragraph markup: escaped, newlines kept."""
    return "<br/>".join(escape(line) for line in text.split("\n"))


def _style(
    size: float,
    *,
    bold: bool = False,
    align: str = "left",
    leading: float | None = None,
    indent: float = 0.0,
    color: colors.Color = colors.black,
    **extra: Any,
) -> ParagraphStyle:
    return ParagraphStyle(
        name=f"s{size}{bold}{align}",
        fontName=BOLD if bold else REGULAR,
        fontSize=size,
        leading=leading if leading is not None else round(size * 1.35, 2),
        alignment=_ALIGN[align],
        firstLineIndent=indent,
        textColor=color,
        wordWrap="CJK",
        **extra,
    )


def _para(text: str, style: ParagraphStyle) -> RLParagraph:
    return RLParagraph(_markup(text), style)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut with an ellipsis if it is wider than `width`."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def check_glyphs(doc: Document) -> None:
    """Raise `MissingGlyphs` if any printed text has a character WushanSans lacks."""
    places: dict[str, list[str]] = {}
    for where, text in iter_texts(doc):
        for ch in fonts.check_coverage(text):
            places.setdefault(ch, []).append(where)
    if places:
        raise MissingGlyphs(list(places), places)


# --- blocks to flowables -----------------------------------------------------------------


class _Builder:
    def __init__(self, doc: Document, width: float, height: float) -> None:
        self.doc = doc
        self.width = width
        self.height = height

    def flowables(self) -> list[Flowable]:
        out: list[Flowable] = self.letterhead()
        for block in self.doc.blocks:
            out += self.block(block)
        return out

    def letterhead(self) -> list[Flowable]:
        doc = self.doc
        colour = RED if doc.red_letterhead else colors.black
        out: list[Flowable] = []
        for n, line in enumerate(doc.letterhead):
            size = 26.0 if n == 0 else 18.0
            fit = self.width / max(stringWidth(line, BOLD, 1), 1)
            size = min(size, fit * 0.98)
            out.append(_para(line, _style(size, bold=True, align="center", color=colour,
                                          leading=size * 1.3)))
        if doc.doc_number:
            out.append(RLSpacer(1, 3 * mm))
            out.append(_para(doc.doc_number, _style(SIZE_3HAO, align="center")))
        out.append(HRFlowable(width="100%", thickness=1.2, color=colour,
                              spaceBefore=3 * mm, spaceAfter=7 * mm))
        out.append(_para(doc.title, _style(SIZE_2HAO, bold=True, align="center",
                                           leading=SIZE_2HAO * 1.5, spaceAfter=6 * mm)))
        return out

    def block(self, block: object) -> list[Flowable]:
        if isinstance(block, Heading):
            size = SIZE_3HAO if block.level == 1 else 14.0
            # Not keepWithNext: with a long table after it, reportlab would move the whole
            # table to the next page. A conditional break keeps the heading off the foot of
            # a page instead (it needs room for itself and a few lines or table rows).
            return [CondPageBreak(size * LINE_FACTOR + KEEP_ROOM),
                    _para(block.text, _style(size, bold=True, leading=size * LINE_FACTOR,
                                             spaceBefore=2 * mm))]
        if isinstance(block, Paragraph):
            style = _style(block.size, bold=block.bold, align=block.align,
                           leading=block.size * LINE_FACTOR, indent=block.indent * block.size)
            return [_para(block.text, style)]
        if isinstance(block, KeyValueTable):
            return [self.key_values(block), RLSpacer(1, 3 * mm)]
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, SignatureBlock):
            return [self.signatures(block)]
        if isinstance(block, Spacer):
            return [RLSpacer(1, block.height_mm * mm)]
        if isinstance(block, PageBreak):
            return [RLPageBreak()]
        raise TypeError(f"not a report block: {block!r}")

    # KeyValueTable --------------------------------------------------------------------

    def key_values(self, block: KeyValueTable) -> RLTable:
        size = block.size
        label_style = _style(size, align="center")
        value_style = _style(size)
        n = block.columns
        pad = 4
        longest = max((stringWidth(k, REGULAR, size) for k, _ in block.items), default=0)
        label_w = min(max(longest, 4 * size) + 2 * pad + 2, self.width / n * 0.45)
        value_w = self.width / n - label_w
        data: list[list[Any]] = []
        pairs = list(block.pairs)
        for start in range(0, len(pairs), n):
            row: list[Any] = []
            for key, value in pairs[start : start + n]:
                row += [_para(key, label_style), _para(value, value_style)]
            row += ["", ""] * (n - len(pairs[start : start + n]))
            data.append(row)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BOX", (0, 0), (-1, -1), 1.0, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        for c in range(0, 2 * n, 2):
            style.append(("BACKGROUND", (c, 0), (c, -1), LABEL_BG))
        table = RLTable(data, colWidths=[label_w, value_w] * n, style=TableStyle(style),
                        hAlign="CENTER")
        table.wrap(self.width, self.height)
        if max(table._rowHeights, default=0) > self.height - KEEP_ROOM:
            table = RLTable(data, colWidths=[label_w, value_w] * n, style=TableStyle(style),
                            splitInRow=1, hAlign="CENTER")
        return table

    # Table ------------------------------------------------------------------------------

    def table(self, block: Table) -> list[Flowable]:
        size = block.size
        total = sum(c.width for c in block.columns)
        widths = [self.width * c.width / total for c in block.columns]
        header_style = _style(size, bold=True, align="center")
        styles: dict[tuple[bool, str], ParagraphStyle] = {}

        def cell(c: Cell, column_align: str, bold: bool = False) -> RLParagraph:
            key = (bold or c.bold, c.align or column_align)
            if key not in styles:
                styles[key] = _style(size, bold=key[0], align=key[1])
            return _para(c.text, styles[key])

        data: list[list[Any]] = [[_para(c.title, header_style) for c in block.columns]]
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ]
        body_rows: list[int] = []
        section_rows: list[int] = []
        for row in block.body:
            r = len(data)
            if isinstance(row, SectionRow):
                data.append([_para(row.text, _style(size, bold=True))] + [""] * (len(widths) - 1))
                commands.append(("SPAN", (0, r), (-1, r)))
                section_rows.append(r)
            else:
                data.append([cell(c, col.align) for c, col in zip(row, block.columns, strict=True)])
                body_rows.append(r)
        totals_row = None
        totals = block.total_cells
        if totals is not None:
            totals_row = len(data)
            data.append([cell(c, col.align, bold=True)
                         for c, col in zip(totals, block.columns, strict=True)])

        if block.style == "grid":
            commands += [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BOX", (0, 0), (-1, -1), 1.0, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ]
        else:  # zebra: horizontal rules only, every other body row shaded
            commands += [
                ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ]
            for i, r in enumerate(body_rows):
                if i % 2:
                    commands.append(("BACKGROUND", (0, r), (-1, r), ZEBRA_BG))
        for r in section_rows:
            commands.append(("BACKGROUND", (0, r), (-1, r), SECTION_BG))
            if r + 1 < len(data):  # a section title never ends a page on its own
                commands.append(("NOSPLIT", (0, r), (-1, r + 1)))
        if totals_row is not None:
            commands += [
                ("NOSPLIT", (0, max(totals_row - 1, 1)), (-1, totals_row)),
                ("LINEABOVE", (0, totals_row), (-1, totals_row), 1.0, colors.black),
                ("BACKGROUND", (0, totals_row), (-1, totals_row), HEADER_BG),
            ]
        table = self.splittable(data, widths, commands)
        out: list[Flowable] = [CondPageBreak(KEEP_ROOM)]
        if block.caption:
            out.append(_para(block.caption, _style(SIZE_XIAO4, bold=True, align="center",
                                                   spaceAfter=2 * mm)))
        return [*out, table, RLSpacer(1, 3 * mm)]

    def splittable(self, data: list[list[Any]], widths: list[float],
                   commands: list[tuple[Any, ...]]) -> RLTable:
        """A table split between rows, or inside rows if a row is taller than a page.

        reportlab's splitInRow is only turned on when needed: with it, a split near the
        foot of a page can leave a repeated header row and an empty row fragment there.
        """
        table = RLTable(data, colWidths=widths, repeatRows=1, style=TableStyle(commands),
                        hAlign="CENTER")
        table.wrap(self.width, self.height)
        header = table._rowHeights[0]
        if max(table._rowHeights[1:], default=0) > self.height - header - KEEP_ROOM:
            table = RLTable(data, colWidths=widths, repeatRows=1, splitInRow=1,
                            style=TableStyle(commands), hAlign="CENTER")
        return table

    # SignatureBlock ---------------------------------------------------------------------

    def signatures(self, block: SignatureBlock) -> Flowable:
        n = block.columns
        if n is None:
            n = 2 if len(block.signers) == 4 else min(len(block.signers), 3)
        cell_w = self.width / n
        cells = [self.signer(s, cell_w - 6) for s in block.signers]
        rows = [cells[i : i + n] for i in range(0, len(cells), n)]
        rows[-1] += [""] * (n - len(rows[-1]))
        outer = RLTable(rows, colWidths=[cell_w] * n, hAlign="CENTER", style=TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ]))
        return KeepTogether([RLSpacer(1, 6 * mm), outer])

    def signer(self, signer: Signer, width: float) -> RLTable:
        size = SIZE_XIAO4
        text = _style(size, leading=size * 1.5)
        label_w = stringWidth("签名：", REGULAR, size) + 4
        value_w = width - label_w
        rows: list[list[Any]] = [[_para(signer.role, _style(size, bold=True)), ""]]
        if signer.image is not None:
            sig: Any = self.signature_image(signer, value_w - 4)
        else:  # room to sign by hand above the line
            underscores = int((value_w - 4) // stringWidth("_", REGULAR, size))
            sig = _para("_" * max(4, min(underscores, 16)), text)
        rows.append([_para("签名：", text), sig])
        if signer.name:
            rows.append([_para("姓名：", text), _para(signer.name, text)])
        rows.append([_para("日期：", text), _para(signer.date_text or BLANK_DATE, text)])
        heights = [None, SIGNATURE_H + 3] + [None] * (len(rows) - 2)
        return RLTable(rows, colWidths=[label_w, value_w], rowHeights=heights,
                       style=TableStyle([
                           ("SPAN", (0, 0), (-1, 0)),
                           ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                           ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                           ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                           ("TOPPADDING", (0, 0), (-1, -1), 1),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                       ]), hAlign="LEFT")

    @staticmethod
    def signature_image(signer: Signer, max_w: float) -> Image:
        assert signer.image is not None
        try:
            w, h = ImageReader(io.BytesIO(signer.image)).getSize()
        except Exception as exc:
            raise ReportError(f"“{signer.role}”的签名图片无法读取，请重新签名。") from exc
        max_h = SIGNATURE_H
        scale = min(max_w / w, max_h / h)
        img = Image(io.BytesIO(signer.image), width=w * scale, height=h * scale, mask="auto")
        img.hAlign = "LEFT"
        return img


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


# --- rendering -----------------------------------------------------------------------------


def render_pdf(doc: Document, target: str | os.PathLike[str] | IO[bytes]) -> RenderResult:
    """Render `doc` to a PDF file (written atomically: temp file + rename) or file object.

    Raises `MissingGlyphs` before writing anything if a character cannot be printed.
    `RenderResult.bytes` is the size of the PDF in bytes.
    """
    started = time.perf_counter()
    fonts.register_fonts()
    check_glyphs(doc)
    digest = content_hash(doc)

    if doc.landscape:
        pagesize = landscape(A4)
        top, bottom, left, right = LANDSCAPE_MARGINS
    else:
        pagesize = A4
        top, bottom, left, right = MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT
    width = pagesize[0] - left - right
    height = pagesize[1] - top - bottom

    extras = {
        "WushanApp": APP_NAME,
        "WushanReportId": doc.report_id,
        "WushanReportKind": doc.kind,
        "WushanContentHash": digest,
    }
    decor = _PageDecor(doc.title, doc.doc_number, doc.report_id, digest,
                       qr_payload(doc, digest), extras, (top, bottom, left, right), pagesize)
    buf = io.BytesIO()
    template = BaseDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=left, rightMargin=right, topMargin=top, bottomMargin=bottom,
        title=doc.title,
        author=doc.issuer,
        subject=f"{doc.title} {doc.kind}",
        keywords=f"{APP_NAME} report_id={doc.report_id} kind={doc.kind} sha256={digest}",
        creator=f"{APP_NAME} {__version__}",
        initialFontName=REGULAR,
        initialFontSize=SIZE_3HAO,
        lang="zh-CN",
    )
    frame = Frame(left, bottom, width, height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    canvas_class = _canvas_class(decor)
    made: list[Canvas] = []

    def maker(*args: Any, **kwargs: Any) -> Canvas:
        made.append(canvas_class(*args, **kwargs))
        return made[-1]

    template.build(_Builder(doc, width, height).flowables(), canvasmaker=maker)
    data = buf.getvalue()
    pages = made[-1].page_count

    if isinstance(target, str | os.PathLike):
        _write_atomically(Path(target), data)
    else:
        target.write(data)
    return RenderResult(pages, len(data), digest, time.perf_counter() - started)


def pdf_bytes(doc: Document) -> bytes:
    """The PDF of `doc` in memory (for previews)."""
    buf = io.BytesIO()
    render_pdf(doc, buf)
    return buf.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        files.write_atomic(path, lambda fh: fh.write(data))
    except PermissionError as exc:
        raise ReportError(
            f"无法写入 {path}：文件可能正被其他程序（例如 PDF 阅读器）打开，请关闭后再试。"
        ) from exc


# --- reading the metadata back (standard library only) ------------------------------------

_INFO_KEYS = {
    "WushanApp": "app",
    "WushanReportId": "report_id",
    "WushanReportKind": "kind",
    "WushanContentHash": "content_hash",
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
}


def read_metadata(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """Report id, kind, content hash, title and author from a PDF this module wrote.

    Returns keys `report_id`, `kind`, `content_hash`, `app`, `title`, `author`, `subject`,
    `keywords`, `creator` (those present). Reads the last Info dictionary of the file, so
    an incremental update (a digital signature appended later) is handled. Raises
    `ReportError` if the file has no report metadata.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    refs = re.findall(rb"/Info\s+(\d+)\s+(\d+)\s+R", data)
    if not refs:
        raise ReportError("这个 PDF 没有文档信息，不是本程序生成的报告。")
    num, gen = refs[-1]
    objs = list(re.finditer(rb"(?<![0-9])" + num + rb"\s+" + gen + rb"\s+obj\b", data))
    if not objs:
        raise ReportError("这个 PDF 的文档信息无法读取（可能经过压缩或加密）。")
    start = objs[-1].end()
    end = data.find(b"endobj", start)
    info = _parse_dict(data[start : end if end != -1 else len(data)])
    out = {_INFO_KEYS[k]: v for k, v in info.items() if k in _INFO_KEYS}
    if "report_id" not in out:
        raise ReportError("这个 PDF 不是本程序生成的报告（没有报告编号）。")
    return out


_NAME = re.compile(rb"/([^\s/<>\[\]()%]*)")


def _skip_nested(raw: bytes, pos: int) -> int:
    depth = 0
    while pos < len(raw):
        if raw.startswith((b"<<", b"["), pos):
            depth += 1
            pos += 2 if raw[pos] == 0x3C else 1
        elif raw.startswith((b">>", b"]"), pos):
            depth -= 1
            pos += 2 if raw[pos] == 0x3E else 1
            if depth == 0:
                return pos
        elif raw.startswith(b"(", pos):
            pos = _literal_string(raw, pos)[1]
        else:
            pos += 1
    return pos


def _parse_dict(raw: bytes) -> dict[str, str]:
    """The string-valued entries of the first PDF dictionary in `raw`."""
    pos = raw.find(b"<<")
    if pos == -1:
        return {}
    pos += 2
    out: dict[str, str] = {}
    n = len(raw)
    while pos < n:
        while pos < n and raw[pos : pos + 1].isspace():
            pos += 1
        if raw.startswith(b">>", pos) or pos >= n:
            break
        m = _NAME.match(raw, pos)
        if not m:
            break
        key = m.group(1).decode("latin-1")
        pos = m.end()
        while pos < n and raw[pos : pos + 1].isspace():
            pos += 1
        if raw.startswith(b"(", pos):
            value, pos = _literal_string(raw, pos)
            out[key] = _decode_text(value)
        elif raw.startswith(b"<", pos) and not raw.startswith(b"<<", pos):
            end = raw.index(b">", pos)
            hexdigits = re.sub(rb"\s", b"", raw[pos + 1 : end])
            if len(hexdigits) % 2:
                hexdigits += b"0"
            out[key] = _decode_text(bytes.fromhex(hexdigits.decode("ascii")))
            pos = end + 1
        elif raw.startswith(b"/", pos):  # a name value (/Trapped /False)
            m = _NAME.match(raw, pos)
            pos = m.end() if m else pos + 1
        elif raw.startswith((b"<<", b"["), pos):  # nested: skip, balanced
            pos = _skip_nested(raw, pos)
        else:  # a number, boolean or reference
            m = re.compile(rb"[^/<>\[\]()]*").match(raw, pos)
            pos = m.end() if m and m.end() > pos else pos + 1
    return out


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12,
            ord("("): 40, ord(")"): 41, ord("\\"): 92}


def _literal_string(raw: bytes, pos: int) -> tuple[bytes, int]:
    """A PDF literal string starting at raw[pos] == '(' -> (bytes, position after it)."""
    out = bytearray()
    depth = 0
    i = pos
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            i += 1
            e = raw[i]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 1
            elif 0x30 <= e <= 0x37:
                digits = raw[i : i + 3]
                m = re.match(rb"[0-7]{1,3}", digits)
                assert m is not None
                out.append(int(m.group(0), 8) & 0xFF)
                i += len(m.group(0))
            elif e in (10, 13):  # line continuation
                i += 2 if raw[i : i + 2] == b"\r\n" else 1
            else:
                out.append(e)
                i += 1
            continue
        if c == 0x28:
            depth += 1
            if depth > 1:
                out.append(c)
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
            out.append(c)
        else:
            out.append(c)
        i += 1
    raise ReportError("PDF 文档信息格式错误。")


def _decode_text(value: bytes) -> str:
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", errors="replace")
    if value.startswith(b"\xef\xbb\xbf"):
        return value[3:].decode("utf-8", errors="replace")
    return value.decode("latin-1")  # PDFDocEncoding agrees with Latin-1 for what we write


__all__ = [
    "MARGIN_BOTTOM",
    "MARGIN_LEFT",
    "MARGIN_RIGHT",
    "MARGIN_TOP",
    "RenderResult",
    "check_glyphs",
    "pdf_bytes",
    "qr_payload",
    "read_metadata",
    "render_pdf",
]
