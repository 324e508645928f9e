"""The document model: what a printed report says, independent of how it is drawn.

A `Document` is a title, an issuing body and a sequence of blocks (`Heading`,
`Paragraph`, `KeyValueTable`, `Table`, `SignatureBlock`, `Closing`, `Distribution`,
`Spacer`, `PageBreak`). Every
value is immutable and plain (strings, numbers turned into strings, image bytes), so
that `content_hash(doc)` can hash a canonical serialisation of the model: the same
content always gives the same hash, whatever the renderer, the date of printing or the
reportlab version. Every field of every block is part of the content (layout options
included), and so is the report id: a QR code copied from one report onto another fails
the check.

Builders of concrete reports (inspection reports, rectification notices, rosters) put
these blocks together; nothing here knows about inspections.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, cast

#: Type sizes in points, by their Chinese names (GB/T 9704 uses 2号 for titles, 3号 for text).
SIZE_2HAO = 22.0
SIZE_3HAO = 16.0
SIZE_4HAO = 14.0
SIZE_XIAO4 = 12.0
SIZE_5HAO = 10.5

#: Bumped when the canonical serialisation changes (hashes then change too).
CANONICAL_FORMAT = "wushan-desk/report-v2"  # v2: drafts, 落款 and 版记

Align = Literal["left", "center", "right", "justify"]


def _text(value: object) -> str:
    """A cell or field value as printed text: numbers without spurious decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.10g}" if value != int(value) else str(int(value))
    if isinstance(value, _dt.datetime):
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, _dt.date):
        return chinese_date(value)
    return str(value)


def chinese_date(value: _dt.date) -> str:
    """2026-03-05 -> '2026年3月5日' (the form GB/T 9704 uses for dates)."""
    return f"{value.year}年{value.month}月{value.day}日"


def _freeze(obj: object, name: str, value: Sequence[Any]) -> None:
    object.__setattr__(obj, name, tuple(value))


# --- blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section heading, kept on the page with what follows it.

    Level 1: 3号 (16 pt) bold; level 2: 4号 (14 pt) bold.
    """

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _text(self.text))
        if self.level not in (1, 2):
            raise ValueError("Heading level must be 1 or 2")


@dataclass(frozen=True)
class Paragraph:
    """Running text, wrapped the Chinese way (a line may break between any two characters).

    Plain text, not markup: `<`, `&` print as themselves; a newline starts a new line.
    `indent` is the first-line indent in characters (GB/T 9704: two). `size` defaults to
    3号 (16 pt) with the GB/T line pitch of 22 lines per page.
    """

    text: str
    align: Align = "justify"
    indent: float = 2
    size: float = SIZE_3HAO
    bold: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _text(self.text))
        if self.align not in ("left", "center", "right", "justify"):
            raise ValueError(f"unknown alignment {self.align!r}")


@dataclass(frozen=True)
class KeyValueTable:
    """Facts of the report in a grid of label | value cells (学校, 督导日期, 督学 ...).

    `columns` pairs per row (1 or 2); `size` defaults to 小四 (12 pt).
    """

    items: Sequence[tuple[str, object]]
    columns: int = 2
    size: float = SIZE_XIAO4

    def __post_init__(self) -> None:
        if self.columns not in (1, 2, 3):
            raise ValueError("KeyValueTable columns must be 1, 2 or 3")
        _freeze(self, "items", [(str(k), _text(v)) for k, v in self.items])
        if not self.items:
            raise ValueError("a KeyValueTable needs at least one item")

    @property
    def pairs(self) -> Sequence[tuple[str, str]]:
        """The items as stored: every value already text."""
        return cast("Sequence[tuple[str, str]]", self.items)


@dataclass(frozen=True)
class Column:
    """A table column: its title, its width as a proportion of the others, its alignment."""

    title: str
    width: float = 1.0
    align: Literal["left", "center", "right"] = "left"
    #: never wrapped (dates, amounts): widened to its longest cell, taken from the others
    nowrap: bool = False

    def __post_init__(self) -> None:
        if not self.width > 0:
            raise ValueError("Column width must be positive")


@dataclass(frozen=True)
class Cell:
    """A table cell with its own emphasis or alignment (a plain value is enough otherwise)."""

    text: str
    bold: bool = False
    align: Literal["left", "center", "right"] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _text(self.text))


@dataclass(frozen=True)
class SectionRow:
    """A row spanning the whole table: a section title inside a checklist (一、办学行为)."""

    text: str


Row = tuple[Cell, ...] | SectionRow


@dataclass(frozen=True)
class Table:
    """A table that may run over several pages.

    The header row repeats on every page; text wraps inside its cell (a row taller than a
    page is split); `style` "grid" rules every cell, "zebra" shades every other row;
    `totals` is a bold last row. `size` defaults to 五号 (10.5 pt); 小四 (12 pt) also suits.
    """

    columns: Sequence[Column]
    rows: Sequence[Sequence[object] | SectionRow]
    totals: Sequence[object] | None = None
    style: Literal["grid", "zebra"] = "grid"
    size: float = SIZE_5HAO
    caption: str | None = None

    def __post_init__(self) -> None:
        cols = tuple(c if isinstance(c, Column) else Column(str(c)) for c in self.columns)
        if not cols:
            raise ValueError("a Table needs at least one column")
        object.__setattr__(self, "columns", cols)
        rows: list[Row] = []
        for n, row in enumerate(self.rows, 1):
            if isinstance(row, SectionRow):
                rows.append(row)
                continue
            rows.append(self._cells(row, len(cols), f"row {n}"))
        _freeze(self, "rows", rows)
        if self.totals is not None:
            object.__setattr__(self, "totals", self._cells(self.totals, len(cols), "totals"))
        if self.style not in ("grid", "zebra"):
            raise ValueError(f"unknown table style {self.style!r}")

    @property
    def body(self) -> Sequence[Row]:
        """The rows as stored: cells, or section rows."""
        return cast("Sequence[Row]", self.rows)

    @property
    def total_cells(self) -> tuple[Cell, ...] | None:
        return cast("tuple[Cell, ...] | None", self.totals)

    @staticmethod
    def _cells(row: Sequence[object], width: int, where: str) -> tuple[Cell, ...]:
        if isinstance(row, str | bytes):
            raise TypeError(f"Table {where}: a row is a sequence of cells, not a string")
        cells = tuple(v if isinstance(v, Cell) else Cell(_text(v)) for v in row)
        if len(cells) != width:
            raise ValueError(f"Table {where} has {len(cells)} cells for {width} columns")
        return cells


@dataclass(frozen=True)
class Closing:
    """落款: the issuing body over the date the document was made (成文日期), set to the
    right as GB/T 9704 does, with the place for the seal (a dashed circle the stamp
    covers) when `seal`."""

    issuer: str
    date: _dt.date | str
    seal: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _text(self.date))

    @property
    def date_text(self) -> str:
        return cast("str", self.date)


@dataclass(frozen=True)
class Signer:
    """One signature: a captured image (PNG or JPEG bytes) or, without one, a blank line.

    `role` is who signs (督学, 学校负责人); `name` prints beside a captured signature;
    `date` is a date or its text ('2026年3月12日'); a blank line prints 日期：____年__月__日.
    """

    role: str
    name: str | None = None
    image: bytes | None = None
    date: _dt.date | str | None = None

    def __post_init__(self) -> None:
        if self.date is not None:
            object.__setattr__(self, "date", _text(self.date))
        if self.image is not None:
            object.__setattr__(self, "image", bytes(self.image))

    @property
    def date_text(self) -> str | None:
        """The date as stored: text."""
        return cast("str | None", self.date)


@dataclass(frozen=True)
class SignatureBlock:
    """Signers side by side, `columns` per row (default: all in one row, up to three;
    four as two rows of two), kept together on one page; with a `closing`, the
    issuing body's 落款 and seal stand to their right (a document signed on site)."""

    signers: Sequence[Signer]
    columns: int | None = None
    closing: Closing | None = None

    def __post_init__(self) -> None:
        _freeze(self, "signers", self.signers)
        if not self.signers:
            raise ValueError("a SignatureBlock needs at least one signer")
        if self.columns not in (None, 1, 2, 3):
            raise ValueError("SignatureBlock columns must be 1, 2 or 3")


@dataclass(frozen=True)
class Distribution:
    """版记 at the foot of the last page: who gets a copy (抄送) and who printed it on
    which day (印发), between rules."""

    printer: str
    printed: _dt.date | str
    copy_to: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "printed", _text(self.printed))

    @property
    def printed_text(self) -> str:
        return cast("str", self.printed)


@dataclass(frozen=True)
class Spacer:
    """Vertical space, in millimetres."""

    height_mm: float = 5.0


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


Block = (Heading | Paragraph | KeyValueTable | Table | SignatureBlock | Closing | Distribution
         | Spacer | PageBreak)
BLOCK_TYPES = (Heading, Paragraph, KeyValueTable, Table, SignatureBlock, Closing, Distribution,
               Spacer, PageBreak)


# --- the document ----------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A printable report.

    - `report_id`: a stable id (for example the visit's UUID plus the document kind), in
      the QR code and the PDF metadata.
    - `kind`: a short machine name ("inspection", "rectification", "dropout-notice").
    - `issuer`: the issuing body (发文机关), the PDF author and the first letterhead line.
    - `letterhead`: the lines at the top of the first page; defaults to `(issuer,)`. Use
      two lines for a centre under the county office.
    - `doc_number`: 发文字号 such as 巫督〔2026〕12号, under the letterhead.
    - `red_letterhead`: print the letterhead and its rule in red (红头) or in black.
    - `landscape`: A4 landscape, for wide rosters (GB/T 9704 documents are portrait).
    - `draft`: not final (unsigned, not issued): 草稿 is marked across every page.
    """

    title: str
    issuer: str
    report_id: str
    kind: str
    blocks: Sequence[Block] = ()
    letterhead: Sequence[str] = ()
    doc_number: str | None = None
    red_letterhead: bool = True
    landscape: bool = False
    draft: bool = False

    def __post_init__(self) -> None:
        _freeze(self, "blocks", self.blocks)
        for n, block in enumerate(self.blocks, 1):
            if not isinstance(block, BLOCK_TYPES):
                raise TypeError(f"block {n} is a {type(block).__name__}, not a report block")
        _freeze(self, "letterhead", [str(x) for x in self.letterhead] or [self.issuer])
        if not self.report_id or not self.kind:
            raise ValueError("a Document needs a report_id and a kind")


# --- canonical form and hash -------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        out: dict[str, Any] = {"type": type(value).__name__}
        for f in fields(value):
            out[f.name] = _canonical(getattr(value, f.name))
        return out
    if isinstance(value, float) and value == int(value):
        return int(value)  # 16.0 and 16 are the same size
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__} in a report")


def canonical_json(doc: Document) -> str:
    """The document as canonical JSON: sorted keys, no spaces, UTF-8 text, images by hash."""
    payload = {"format": CANONICAL_FORMAT, "document": _canonical(doc)}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(doc: Document) -> str:
    """sha256 (hex) of `canonical_json(doc)`: equal for equal content, across renders."""
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()


def iter_texts(doc: Document) -> Iterator[tuple[str, str]]:
    """Every printed string with a Chinese description of where it is (for glyph checks)."""
    yield "标题", doc.title
    yield "发文机关", doc.issuer
    yield "报告编号", doc.report_id
    for line in doc.letterhead:
        yield "版头", line
    if doc.doc_number:
        yield "发文字号", doc.doc_number
    for n, block in enumerate(doc.blocks, 1):
        where = f"第{n}段"
        if isinstance(block, Heading | Paragraph):
            yield where, block.text
        elif isinstance(block, KeyValueTable):
            for key, value in block.pairs:
                yield f"{where}（{key}）", key
                yield f"{where}（{key}）", value
        elif isinstance(block, Table):
            if block.caption:
                yield f"{where}表题", block.caption
            for col in block.columns:
                yield f"{where}表头", col.title
            totals = block.total_cells
            rows = list(block.body) + ([totals] if totals else [])
            for r, row in enumerate(rows, 1):
                if isinstance(row, SectionRow):
                    yield f"{where}表格第{r}行", row.text
                else:
                    for c, cell in enumerate(row, 1):
                        yield f"{where}表格第{r}行第{c}列", cell.text
        elif isinstance(block, Closing):
            yield f"{where}落款", block.issuer
            yield f"{where}落款", block.date_text
        elif isinstance(block, Distribution):
            for said in (block.copy_to, block.printer, block.printed_text):
                if said:
                    yield f"{where}版记", said
        elif isinstance(block, SignatureBlock):
            if block.closing:
                yield f"{where}落款", block.closing.issuer
                yield f"{where}落款", block.closing.date_text
            for signer in block.signers:
                yield f"{where}签名（{signer.role}）", signer.role
                for said in (signer.name, signer.date_text):
                    if said:
                        yield f"{where}签名（{signer.role}）", said


__all__ = [
    "BLOCK_TYPES",
    "CANONICAL_FORMAT",
    "SIZE_2HAO",
    "SIZE_3HAO",
    "SIZE_4HAO",
    "SIZE_5HAO",
    "SIZE_XIAO4",
    "Block",
    "Cell",
    "Closing",
    "Column",
    "Distribution",
    "Document",
    "Heading",
    "KeyValueTable",
    "PageBreak",
    "Paragraph",
    "SectionRow",
    "SignatureBlock",
    "Signer",
    "Spacer",
    "Table",
    "canonical_json",
    "chinese_date",
    "content_hash",
    "iter_texts",
]
