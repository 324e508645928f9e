"""Blocks of a `Document` as reportlab flowables on a GB/T 9704-2012 page.

The page geometry (margins, sizes, line pitch), the text styles, and `_Builder`, which
turns each block (headings, paragraphs, key-value grids, tables that run over pages,
signature blocks) into flowables. `check_glyphs` refuses text the fonts cannot print.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    TableStyle,
)
from reportlab.platypus import PageBreak as RLPageBreak
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Spacer as RLSpacer
from reportlab.platypus import Table as RLTable
from reportlab.platypus.flowables import TopPadder

from wushan_desk.reports import (
    fonts,
    linebreak,  # noqa: F401 (its rules apply on import)
)
from wushan_desk.reports.document import (
    SIZE_2HAO,
    SIZE_3HAO,
    SIZE_4HAO,
    SIZE_5HAO,
    SIZE_XIAO4,
    Cell,
    Closing,
    Distribution,
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
    iter_texts,
)
from wushan_desk.reports.fonts import (
    BOLD,
    REGULAR,
    SERIF,
    SERIF_BOLD,
    MissingGlyphs,
    ReportError,
    fallback_markup,
)

# --- page geometry (GB/T 9704-2012) ----------------------------------------------------

MARGIN_TOP = 37 * mm
MARGIN_BOTTOM = 35 * mm
MARGIN_LEFT = 28 * mm
MARGIN_RIGHT = 26 * mm
#: Landscape pages (rosters): not covered by GB/T 9704; narrower top, same footer room.
LANDSCAPE_MARGINS = (20 * mm, 30 * mm, 20 * mm, 20 * mm)  # top, bottom, left, right

FOOTER_GAP = 7 * mm  # GB/T 9704: page number 7 mm below the text block
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

SIGNATURE_H = 15 * mm  # height of a signature image
HAND_SIGN_H = 11 * mm  # room above the line to sign by hand
BLANK_DATE = "____年__月__日"


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
    serif: bool = False,
    **extra: Any,
) -> ParagraphStyle:
    """A paragraph style: WushanSans (tables, forms) or, with `serif`, WushanSerif (a
    document's title and running text)."""
    font = (SERIF_BOLD if bold else SERIF) if serif else (BOLD if bold else REGULAR)
    return ParagraphStyle(
        name=f"s{size}{bold}{align}{serif}",
        fontName=font,
        fontSize=size,
        leading=leading if leading is not None else round(size * 1.35, 2),
        alignment=_ALIGN[align],
        firstLineIndent=indent,
        textColor=color,
        wordWrap="CJK",
        **extra,
    )


def _para(text: str, style: ParagraphStyle) -> RLParagraph:
    return RLParagraph(fallback_markup(_markup(text), style.fontName), style)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut with an ellipsis if it is wider than `width`."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def text_width(text: str, font: str, size: float) -> float:
    """The width of `text` drawn by `draw_text` (each character in a face that has it)."""
    return sum(stringWidth(part, face, size) for part, face in fonts.runs(text, font))


def draw_text(canvas: Any, x: float, y: float, text: str, font: str, size: float,
              anchor: str = "left") -> None:
    """Text straight on the canvas (headers, the 落款, stamps), each character in a face
    that has it: a rare character of a name never prints blank."""
    x -= {"left": 0.0, "centre": 0.5, "right": 1.0}[anchor] * text_width(text, font, size)
    for part, face in fonts.runs(text, font):
        canvas.setFont(face, size)
        canvas.drawString(x, y, part)
        x += stringWidth(part, face, size)


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
        for n, line in enumerate(doc.letterhead):  # 发文机关标志: red 小标宋, centred
            size = 26.0 if n == 0 else 18.0
            fit = self.width / max(stringWidth(line, SERIF_BOLD, 1), 1)
            size = min(size, fit * 0.98)
            out.append(_para(line, _style(size, bold=True, align="center", color=colour,
                                          leading=size * 1.3, serif=True)))
        if doc.doc_number:  # 发文字号: 3号, centred, above the red rule
            out.append(RLSpacer(1, 3 * mm))
            out.append(_para(doc.doc_number, _style(SIZE_3HAO, align="center", serif=True)))
        out.append(HRFlowable(width="100%", thickness=1.2, color=colour,
                              spaceBefore=3 * mm, spaceAfter=5 * mm))
        # 标题: 2号 小标宋, centred
        out.append(_para(doc.title, _style(SIZE_2HAO, bold=True, align="center", serif=True,
                                           leading=SIZE_2HAO * 1.5, spaceAfter=5 * mm)))
        return out

    def block(self, block: object) -> list[Flowable]:
        if isinstance(block, Heading):
            # GB/T 9704 7.3.3: 一、 in 黑体 (the sans), （一） in 楷体 (here the serif, bold)
            size = SIZE_3HAO if block.level == 1 else 14.0
            # Not keepWithNext: with a long table after it, reportlab would move the whole
            # table to the next page. A conditional break keeps the heading off the foot of
            # a page instead (it needs room for itself and a few lines or table rows).
            return [CondPageBreak(size * LINE_FACTOR + KEEP_ROOM),
                    _para(block.text, _style(size, bold=True, leading=size * 1.6,
                                             serif=block.level > 1, spaceBefore=1.5 * mm))]
        if isinstance(block, Paragraph):  # 正文: 3号 (仿宋's place), 22 lines a page
            style = _style(block.size, bold=block.bold, align=block.align, serif=True,
                           leading=block.size * LINE_FACTOR, indent=block.indent * block.size)
            return [_para(block.text, style)]
        if isinstance(block, Closing):
            return [self.closing(block)]
        if isinstance(block, Distribution):
            return [TopPadder(self.distribution(block))]
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
        widths = self.column_widths(block)
        header_style = _style(size, bold=True, align="center")
        styles: dict[tuple[bool, str], ParagraphStyle] = {}

        def cell(c: Cell, column_align: str, bold: bool = False) -> RLParagraph:
            key = (bold or c.bold, c.align or column_align)
            if key not in styles:
                styles[key] = _style(size, bold=key[0], align=key[1], leading=size * 1.25)
            return _para(c.text, styles[key])

        data: list[list[Any]] = [[_para(c.title, header_style) for c in block.columns]]
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), size * 0.2),  # 2.1 and 3.2 pt at 五号
            ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.3),
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

    def column_widths(self, block: Table) -> list[float]:
        """Widths in proportion to the columns' weights, except that a `nowrap` column
        (dates, amounts) is widened to its longest cell, taking the room from the
        others in proportion: 2026年12月29日 never breaks after 12月."""
        total = sum(c.width for c in block.columns)
        widths = [self.width * c.width / total for c in block.columns]
        rows = [row for row in block.body if not isinstance(row, SectionRow)]
        rows += [block.total_cells] if block.total_cells else []
        grown = 0.0
        for n, column in enumerate(block.columns):
            if not column.nowrap or not rows:
                continue
            need = max(stringWidth(line, BOLD if row[n].bold else REGULAR, block.size)
                       for row in rows for line in row[n].text.split("\n")) + 7
            if need > widths[n]:
                grown += need - widths[n]
                widths[n] = need
        flexible = [n for n, c in enumerate(block.columns) if not c.nowrap]
        room = sum(widths[n] for n in flexible)
        if grown and room > grown:
            for n in flexible:
                widths[n] -= grown * widths[n] / room
        return widths

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

    # Closing and Distribution -----------------------------------------------------------

    def closing(self, block: Closing) -> Flowable:
        return KeepTogether([RLSpacer(1, 4 * mm), _ClosingMark(block, self.width)])

    def distribution(self, block: Distribution) -> RLTable:
        """版记: 4号, indented a character at both ends, between a heavy rule above and
        below and a thin one between its lines (GB/T 9704 7.4)."""
        size = SIZE_4HAO
        style = _style(size, serif=True, leading=size * 1.5)
        right = _style(size, serif=True, leading=size * 1.5, align="right")
        rows: list[list[Any]] = []
        if block.copy_to:
            rows.append([_para(f"抄送：{block.copy_to}。", style), ""])
        rows.append([_para(block.printer, style), _para(f"{block.printed_text}印发", right)])
        commands: list[tuple[Any, ...]] = [
            ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
            ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
            ("LEFTPADDING", (0, 0), (-1, -1), size),
            ("RIGHTPADDING", (0, 0), (-1, -1), size),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if block.copy_to:
            commands += [("SPAN", (0, 0), (-1, 0)),
                         ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]
        return RLTable(rows, colWidths=[self.width * 0.55, self.width * 0.45],
                       style=TableStyle(commands), hAlign="CENTER")

    # SignatureBlock ---------------------------------------------------------------------

    def signatures(self, block: SignatureBlock) -> Flowable:
        n = block.columns
        if n is None:
            n = 2 if len(block.signers) == 4 else min(len(block.signers), 3)
        closing_w = self.width * 0.4 if block.closing else 0.0
        cell_w = (self.width - closing_w) / n
        cells: list[Any] = [self.signer(s, cell_w - 6) for s in block.signers]
        rows = [cells[i : i + n] for i in range(0, len(cells), n)]
        rows[-1] += [""] * (n - len(rows[-1]))
        widths = [cell_w] * n
        if block.closing:
            rows[-1].append(_ClosingMark(block.closing, closing_w - 6, beside=True))
            for row in rows[:-1]:
                row.append("")
            widths.append(closing_w)
        outer = RLTable(rows, colWidths=widths, hAlign="CENTER", style=TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("VALIGN", (n, 0), (n, -1), "BOTTOM"),
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return KeepTogether([RLSpacer(1, 2 * mm), outer])

    def signer(self, signer: Signer, width: float) -> RLTable:
        size = SIZE_5HAO
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
        # room to sign by hand is a little lower than a captured signature's picture
        sign_h = SIGNATURE_H + 3 if signer.image is not None else HAND_SIGN_H
        heights = [None, sign_h] + [None] * (len(rows) - 2)
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




class _ClosingMark(Flowable):
    """落款 with the seal's place (GB/T 9704 7.3.5.1): the date four characters in from
    the right, the issuer centred over it, both in the lower half of a 42 mm circle
    where the office's seal is stamped (dashed and light: the red ink covers it).
    `beside` signatures it is centred in its narrower column, in a size that fits."""

    SEAL_D = 42 * mm

    def __init__(self, block: Closing, width: float, beside: bool = False) -> None:
        super().__init__()
        self.block, self.avail, self.beside = block, width, beside
        widest = max(stringWidth(t, SERIF, 1) for t in (block.issuer, block.date_text))
        self.size = min(SIZE_3HAO, width * 0.95 / widest) if beside else SIZE_3HAO
        self.pitch = self.size * (1.5 if beside else LINE_FACTOR)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = self.pitch * 2
        height = max(lines, self.SEAL_D * 0.75) if self.block.seal else lines
        return self.avail, height

    def draw(self) -> None:
        c, size, block = self.canv, self.size, self.block
        date_w = stringWidth(block.date_text, SERIF, size)
        centre = self.avail / 2 if self.beside else self.avail - 4 * size - date_w / 2
        date_y, issuer_y = size * 0.3, size * 0.3 + self.pitch
        if block.seal:
            c.saveState()
            c.setStrokeColor(colors.HexColor("#BBBBBB"))
            c.setDash(3, 2)
            c.setLineWidth(0.6)
            c.circle(centre, issuer_y - self.SEAL_D * 0.12 + size / 2, self.SEAL_D / 2)
            c.restoreState()
        c.setFillColor(colors.black)
        issuer = _fit(block.issuer, SERIF, size, min(self.avail, 2 * centre))
        draw_text(c, centre, issuer_y, issuer, SERIF, size, "centre")
        draw_text(c, centre, date_y, block.date_text, SERIF, size, "centre")
