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
cheap: fonts load on the first render or coverage check.
"""

from wushan_desk.reports.document import (
    SIZE_2HAO,
    SIZE_3HAO,
    SIZE_4HAO,
    SIZE_5HAO,
    SIZE_XIAO4,
    Cell,
    Column,
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
from wushan_desk.reports.fonts import (
    MissingGlyphs,
    ReportError,
    check_coverage,
    register_fonts,
)
from wushan_desk.reports.pdf import (
    RenderResult,
    check_glyphs,
    pdf_bytes,
    qr_payload,
    read_metadata,
    render_pdf,
)

__all__ = [
    "SIZE_2HAO",
    "SIZE_3HAO",
    "SIZE_4HAO",
    "SIZE_5HAO",
    "SIZE_XIAO4",
    "Cell",
    "Column",
    "Document",
    "Heading",
    "KeyValueTable",
    "MissingGlyphs",
    "PageBreak",
    "Paragraph",
    "RenderResult",
    "ReportError",
    "SectionRow",
    "SignatureBlock",
    "Signer",
    "Spacer",
    "Table",
    "canonical_json",
    "check_coverage",
    "check_glyphs",
    "chinese_date",
    "content_hash",
    "pdf_bytes",
    "qr_payload",
    "read_metadata",
    "register_fonts",
    "render_pdf",
]
