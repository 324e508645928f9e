"""Render a `Document` to PDF with reportlab, after GB/T 9704-2012 (党政机关公文格式).

Page: A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the text
block is 156 x 225 mm as in GB/T 9704. First page: the letterhead (发文机关标志, red or
black, 小标宋's place: WushanSerif Bold), the document number (发文字号), a rule as wide
as the text block, then the title in 2号 (22 pt) WushanSerif Bold, centred. Running text
in 3号 (16 pt) WushanSerif at 28.8 pt a line (22 lines a page); first-level headings in
the sans bold (黑体's place); tables, forms and signatures in WushanSans, 五号 or smaller
so that a scored checklist fits. A `Closing` is the 落款 (issuer over the date, four
characters in from the right, with the seal's place); a `Distribution` the 版记 at the
foot of the last page. A draft (`doc.draft`) says 草稿 across every page.

Every page: "— X —" in 4号 7 mm below the text block, odd pages at the right and even
pages at the left, a character in (GB/T 9704 7.5; the canvas keeps each page until the
end, so one layout pass knows the count). Pages 2+ carry a small running header (title
and document number) above the text block, in case pages get separated.

QR code: at the foot of the LAST page, in the bottom margin on the side away from the
page number (never over the content, never forcing an extra page), 22 mm square (level
M), with the report id and the first 16 hex digits of the content hash printed small
beside it. It carries short signed ASCII text (reports/qr.py), over `content_hash(doc)`
(of the document model, not of the PDF bytes). A final document printed by a device
with a certificate from the county is also signed whole (PAdES; its stamp printed
beside the QR): see `render_pdf`.

Metadata: Title (the title), Author (the issuer), Subject ("<title> <kind>"), Keywords
("wushan-desk report_id=... kind=... sha256=..."), Creator, and custom Info entries
/WushanApp, /WushanReportId, /WushanReportKind, /WushanContentHash, /WushanQRText;
`read_metadata` (reports/metadata.py, pypdf) reads them back.

Fonts: WushanSans and WushanSerif, embedded as subsets; the canvas starts in WushanSans
so that no unembedded Helvetica reference appears. Text is checked against the fonts
first: a character they lack raises `MissingGlyphs` instead of vanishing.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageTemplate,
)

from wushan_desk import __version__, files
from wushan_desk.paths import APP_NAME
from wushan_desk.reports import fonts, qr
from wushan_desk.reports.canvas import (
    _canvas_class,
    _PageDecor,
    qr_payload,
)
from wushan_desk.reports.document import (
    SIZE_3HAO,
    Document,
    content_hash,
)
from wushan_desk.reports.fonts import REGULAR, ReportError
from wushan_desk.reports.layout import (
    LANDSCAPE_MARGINS,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    _Builder,
    check_glyphs,
)
from wushan_desk.reports.metadata import read_metadata


@dataclass(frozen=True)
class RenderResult:
    """What `render_pdf` produced: page count, PDF size in bytes, the content hash."""

    pages: int
    bytes: int
    content_hash: str
    seconds: float = 0.0




# --- rendering -----------------------------------------------------------------------------


def render_pdf(doc: Document, target: str | os.PathLike[str] | IO[bytes], *,
               signer: qr.ReportSigner | None = None) -> RenderResult:
    """Render `doc` to a PDF file (written atomically: temp file + rename) or file object.

    With `signer` (the printing device's id and Ed25519 signing function, from the
    services: reports/ knows no keys), the QR code carries that device's signature over
    the report id, kind, content hash and date (format in reports/qr.py); without, the
    payload is unsigned and verification says 未签名. The QR text is also kept in the
    Info dictionary as /WushanQRText, so the file can be verified without a scanner.

    A final document (not `doc.draft`) whose signer has a `seal` is also signed whole
    (PAdES) and shows the signature's stamp beside the QR on its last page.

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

    # a final document whose signer holds a certificate is also signed whole (PAdES)
    seal = signer.seal if signer is not None and not doc.draft else None
    payload = qr_payload(doc, digest, signer=signer, sealed=seal is not None)
    extras = {
        "WushanApp": APP_NAME,
        "WushanReportId": doc.report_id,
        "WushanReportKind": doc.kind,
        "WushanContentHash": digest,
        "WushanQRText": payload,
    }
    decor = _PageDecor(doc.title, doc.doc_number, doc.report_id, digest, payload, extras,
                       (top, bottom, left, right), pagesize, doc.draft,
                       signer.stamp if signer is not None and seal is not None else ())
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
    if seal is not None:  # signed last: any later change to the file breaks the signature
        data = seal(data)

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
