"""The report engine: a small document model and a PDF renderer (GB/T 9704 layout).

Build a `Document` from blocks, then `render_pdf(doc, path)`:

    from wushan_desk import reports as r
    doc = r.Document(
        title="督导意见书", issuer="巫山县人民政府教育督导室", report_id=visit_id,
        kind="inspection", doc_number="巫督〔2026〕12号",
        blocks=[r.KeyValueTable([("学校", school), ("督导日期", day)]),
                r.Table([r.Column("项目", 3), r.Column("得分", 1, "center")], rows),
                r.SignatureBlock([r.Signer("督学", "向堃", png, day), r.Signer("学校负责人")])],
    )
    result = r.render_pdf(doc, "骡坪镇中心小学-督导意见书-2026-03-12.pdf")

Concrete reports (inspection, rectification, dropout notices, aid rosters) are built on
top of these blocks elsewhere; nothing here knows about them. Importing this package is
cheap: reportlab loads when a name below is first used.
"""

from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it. Loaded on first use (PEP 562): reportlab
#: takes a fifth of a second to import, and most screens never print.
_EXPORTS = {
    "wushan_desk.reports.document": (
        "SIZE_2HAO", "SIZE_3HAO", "SIZE_4HAO", "SIZE_5HAO", "SIZE_XIAO4", "Cell", "Closing",
        "Column", "Distribution", "Document", "Heading", "KeyValueTable", "PageBreak",
        "Paragraph", "SectionRow",
        "SignatureBlock", "Signer", "Spacer", "Table", "canonical_json", "chinese_date",
        "content_hash",
    ),
    "wushan_desk.reports.fonts": ("MissingGlyphs", "ReportError", "check_coverage",
                                  "register_fonts"),
    "wushan_desk.reports.pdf": ("RenderResult", "check_glyphs", "pdf_bytes", "qr_payload",
                                "read_metadata", "render_pdf"),
    "wushan_desk.reports.metadata": ("PdfReport", "read_report"),
    "wushan_desk.reports.qr": ("Payload", "PayloadError", "ReportSigner"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # the names for type checkers and editors
    from wushan_desk.reports.document import (  # noqa: F401
        SIZE_2HAO,
        SIZE_3HAO,
        SIZE_4HAO,
        SIZE_5HAO,
        SIZE_XIAO4,
        Cell,
        Closing,
        Column,
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
        canonical_json,
        chinese_date,
        content_hash,
    )
    from wushan_desk.reports.fonts import (  # noqa: F401
        MissingGlyphs,
        ReportError,
        check_coverage,
        register_fonts,
    )
    from wushan_desk.reports.metadata import PdfReport, read_report  # noqa: F401
    from wushan_desk.reports.pdf import (  # noqa: F401
        RenderResult,
        check_glyphs,
        pdf_bytes,
        qr_payload,
        read_metadata,
        render_pdf,
    )
    from wushan_desk.reports.qr import Payload, PayloadError, ReportSigner  # noqa: F401
