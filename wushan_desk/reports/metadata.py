"""Reading a report's metadata back from its PDF (report id, kind, content hash, QR text).

The PDF is parsed by pypdf, a maintained reader: cross-reference streams, object
streams, incremental updates (a digital signature appended later: the newest Info
dictionary wins) and text strings in any PDF encoding are its business, not ours. A file
that is not a PDF, is damaged or cut short, is encrypted, or was not made by this program
raises `ReportError` with a plain Chinese message; pypdf's own exception goes to the log
as the cause, never to the user.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports.fonts import ReportError

log = logging.getLogger(__name__)

#: A report is a few hundred kilobytes; a file this big was chosen by mistake.
MAX_PDF_BYTES = 200 * 1024 * 1024

_INFO_KEYS = {
    "/WushanApp": "app",
    "/WushanReportId": "report_id",
    "/WushanReportKind": "kind",
    "/WushanContentHash": "content_hash",
    "/WushanQRText": "qr",
    "/Title": "title",
    "/Author": "author",
    "/Subject": "subject",
    "/Keywords": "keywords",
    "/Creator": "creator",
}

_DAMAGED = "这个 PDF 文件已损坏或不完整（可能没有复制完），无法读取。请重新复制或导出后再试。"


@dataclass(frozen=True)
class PdfReport:
    """What `read_report` found: the report's metadata (keys as in `read_metadata`), how
    many digital signatures (PAdES and the like: signed /Sig fields) the file has, and
    the file's bytes as read (within the size limit), for checking those signatures."""

    metadata: dict[str, str]
    signatures: int
    data: bytes


def read_metadata(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """Report id, kind, content hash, QR text, title and author from a PDF this program wrote.

    Returns keys `report_id`, `kind`, `content_hash`, `qr`, `app`, `title`, `author`,
    `subject`, `keywords`, `creator` (those present). Raises `ReportError` if the file
    cannot be read or has no report metadata.
    """
    return read_report(source).metadata


def read_report(source: str | os.PathLike[str] | bytes) -> PdfReport:
    """The metadata of a report PDF and the count of its digital signatures."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            data = files.read_limited(path, MAX_PDF_BYTES,
                                      f"{path.name} 太大，不是本程序生成的报告。")
        except ValidationError as exc:  # missing, a folder, unreadable: one kind of error
            raise ReportError(exc.message) from exc
    if b"%PDF-" not in data[:1024]:  # where the standard allows the header
        raise ReportError("这个文件不是 PDF 文件。请选择本程序导出或打印的报告 PDF。")
    reader = _open(data)
    try:
        info = reader.metadata
        found = {_INFO_KEYS[k]: str(v) for k, v in (info or {}).items() if k in _INFO_KEYS}
        signatures = _signature_count(reader)
    except Exception as exc:  # pypdf raises many kinds on a damaged file; the user needs one
        log.info("PDF metadata unreadable: %r", exc)
        raise ReportError(_DAMAGED) from exc
    if "report_id" not in found:
        raise ReportError("这个 PDF 不是本程序生成的报告（没有报告编号）。")
    return PdfReport(found, signatures, data)


def _open(data: bytes) -> Any:
    """A pypdf reader over `data` (imported here: only verification reads PDFs)."""
    try:
        import pypdf
    except ImportError as exc:  # an installation without it: say so, not a traceback
        log.error("pypdf is missing: %r", exc)
        raise ReportError("本程序缺少读取 PDF 的组件（pypdf），不能读取 PDF 文件；可以改用扫描"
                          "二维码核验。请联系县教委技术人员重新安装本程序。") from exc

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # PdfReadError, PdfStreamError, ValueError, ...
        log.info("PDF unreadable: %r", exc)
        raise ReportError(_DAMAGED) from exc
    if encrypted:
        raise ReportError("这个 PDF 文件设了密码（已加密），无法读取报告信息。请使用未加密的原件。")
    return reader


def _signature_count(reader: Any) -> int:
    """Signed signature fields (/FT /Sig with a value) in the document's form."""
    root = reader.trailer["/Root"].get_object()
    form = root.get("/AcroForm")
    if form is None:
        return 0
    count = 0
    for ref in form.get_object().get("/Fields") or []:
        field = ref.get_object()
        if field.get("/FT") == "/Sig" and field.get("/V") is not None:
            count += 1
    return count


__all__ = ["MAX_PDF_BYTES", "PdfReport", "read_metadata", "read_report"]
