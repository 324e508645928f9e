"""Small files that would take gigabytes: spreadsheets of thousands of padded sheets or
millions of tags, JSON lines of one huge or deeply nested line. Each is refused at once,
in plain Chinese, with the workspace byte for byte unchanged."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import support

from wushan_desk import cli
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services import records

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>类别</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>内容及分值</t></is></c></row>'
)
FAR_CELL = '<row r="5000"><c r="BH5000" t="inlineStr"><is><t>x</t></is></c></row>'


def sheet_bomb(path: Path, sheets: int, first: str = FAR_CELL, targets: int = 0) -> Path:
    """A workbook of `sheets` tiny sheets, each declared 5000 x 60 and holding one cell at
    BH5000 (the review's bomb), the first holding `first`. With `targets`, that many
    members back the sheets (the workbook lists the same member again and again)."""
    members = targets or sheets
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(1, members + 1)
    )
    listed = "".join(
        f'<sheet name="S{i}" sheetId="{i}" r:id="rId{min(i, members)}"/>'
        for i in range(1, sheets + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml" Type="{DOC_RELS}/worksheet"/>'
        for i in range(1, members + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>{types}</Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>{listed}</sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">{rels}</Relationships>'
        )
        for i in range(1, members + 1):
            rows = first if i == 1 else FAR_CELL
            z.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'<worksheet xmlns="{MAIN}"><dimension ref="A1:BH5000"/>'
                f"<sheetData>{rows}</sheetData></worksheet>",
            )
    return path


def with_member(path: Path, name: str, data: bytes) -> Path:
    """A real one-sheet checklist workbook whose member `name` is `data`."""
    book = openpyxl.Workbook()
    book.active.append(["类别", "内容及分值"])
    plain = io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        dst.writestr(name, data)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.wsdb"
    support.new_workspace(path).close()
    return path


@pytest.fixture
def cheap() -> Iterator[None]:
    """Fails the test if it took more than 10 s (traced) or 50 MB of Python memory."""
    tracemalloc.start()
    started = time.perf_counter()
    yield
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 50 << 20, f"{peak >> 20} MB"


def refused_import(path: Path, db: Path, capsys: pytest.CaptureFixture[str], *words: str) -> None:
    before = support.file_digest(db)
    code = cli.main(["template", "import", str(path), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 3 and "[unexpected]" not in err, err
    assert all(word in err for word in words), err
    assert support.file_digest(db) == before


# -- spreadsheets ------------------------------------------------------------------------


def test_the_reviews_sheet_bomb_is_refused_by_its_sheet_count(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], cheap: None
) -> None:
    """200 sheets of 5000 x 60 declared cells: 60 million cells before the fix."""
    bomb = sheet_bomb(tmp_path / "检查表.xlsx", 200)
    assert bomb.stat().st_size < 100_000
    refused_import(bomb, db, capsys, "200 个工作表", "复制到一个新的工作簿")


def test_a_workbook_listing_one_sheet_thousands_of_times_is_refused(
    tmp_path: Path, cheap: None
) -> None:
    bomb = sheet_bomb(tmp_path / "检查表.xlsx", 20_000, targets=1)
    with pytest.raises(ValidationError, match="20000 个工作表"):
        xlsx.read_sheets(bomb)


def test_padded_sheets_are_refused_by_the_cell_budget(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], cheap: None
) -> None:
    """45 sheets pass the sheet count; the blank rows before each far cell do not count
    as nothing: 45 x 5,060 cells is over the checklist's 200,000."""
    bomb = sheet_bomb(tmp_path / "检查表.xlsx", 45)
    refused_import(bomb, db, capsys, "表格内容过多", "200,000 个单元格")


def test_an_importer_reads_only_up_to_the_sheet_it_wants(tmp_path: Path, cheap: None) -> None:
    bomb = sheet_bomb(tmp_path / "检查表.xlsx", 45, first=HEADER_ROW)
    sheets = xlsx.read_sheets(bomb, accept=lambda rows: rows[:1] == [["类别", "内容及分值"]])
    assert sheets == [[["类别", "内容及分值"]]]


@pytest.mark.parametrize(
    ("member", "data"),
    [
        # 300,001 cell formats: openpyxl builds an object for each (0.9 GB for 1.6 million)
        (
            "xl/styles.xml",
            f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode()
            + b"<xf/>" * 300_001
            + b"</cellXfs></styleSheet>",
        ),
        # tags after the rows, which openpyxl keeps while it streams (0.7 GB for 8 million)
        (
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData/>'.encode()
            + b"<a/>" * 1_000_001
            + b"</worksheet>",
        ),
    ],
)
def test_too_many_xml_tags_are_refused_before_openpyxl_parses_them(
    tmp_path: Path, member: str, data: bytes, cheap: None
) -> None:
    bomb = with_member(tmp_path / "检查表.xlsx", member, data)
    assert bomb.stat().st_size < 100_000
    # the ratio check would catch these repetitive ones first; the tag count must too
    with pytest.raises(ValidationError, match="内容异常"):
        xlsx.read_sheets(bomb, replace(xlsx.CHECKLIST, max_ratio=10**9))


def test_rows_beyond_the_limit_are_refused_not_dropped(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in range(1, 6_002):
        sheet.append([row, "向堃", "骡坪镇"])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    with pytest.raises(ValidationError, match="第 1 个工作表超过 5,000 行"):
        xlsx.read_sheets(path)
    (rows,) = xlsx.read_sheets(path, xlsx.ROSTER)
    assert len(rows) == 6_001 and rows[-1] == [6_001, "向堃", "骡坪镇"]


# -- JSON lines --------------------------------------------------------------------------


def put_refused(path: Path, db: Path, capsys: pytest.CaptureFixture[str], *words: str) -> None:
    before = support.file_digest(db)
    started = time.perf_counter()
    code = cli.main(["records", "put", "student", str(path), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 3 and "[unexpected]" not in err, err
    assert all(word in err for word in words), err
    assert time.perf_counter() - started < 5
    assert support.file_digest(db) == before


def test_a_2_mb_line_is_refused_before_it_is_parsed(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("json.loads saw the long line")

    path = tmp_path / "学生.jsonl"
    line = json.dumps({"name": "向堃", "note": "长" * (700 << 10)}, ensure_ascii=False)
    path.write_text("\n" + line + "\n", encoding="utf-8")
    assert path.stat().st_size > 2 << 20
    monkeypatch.setattr(records.json, "loads", no_parsing)
    put_refused(path, db, capsys, "第 2 行", "超过 1 MB")


def test_a_line_of_100000_brackets_is_refused_without_parsing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("json.loads saw the deep line")

    path = tmp_path / "学生.jsonl"
    path.write_text("\n\n" + "[" * 100_000 + "\n")
    monkeypatch.setattr(records.json, "loads", no_parsing)
    put_refused(path, db, capsys, "第 3 行", "嵌套层次过深")


def test_every_bad_line_is_still_reported(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "学生.jsonl"
    path.write_text('{"a": ' * 21 + "1" + "}" * 21 + "\n" + "x" * (1 << 20) + "y\n[]\n")
    put_refused(
        path,
        db,
        capsys,
        "3 行有错误",
        "第 1 行：JSON 嵌套",
        "第 2 行：这一行超过",
        "第 3 行：应为一个 JSON 对象",
    )


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    path = tmp_path / "学生.jsonl"
    note = "[{" * 100 + '\\"[' * 50
    path.write_text('{"note": "' + note + '", "tags": [[["a"]]]}\n')
    assert records.read_jsonl(path) == [{"note": json.loads(f'"{note}"'), "tags": [[["a"]]]}]


def test_a_file_over_the_cap_is_refused_without_reading_it_all(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "学生.jsonl"
    with path.open("wb") as fh:
        fh.truncate(records.MAX_JSONL_BYTES + 1)  # sparse: nothing written to the disk
    put_refused(path, db, capsys, "超过 64 MB", "分成几个文件")


def test_a_file_of_too_many_lines_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "学生.jsonl"
    path.write_bytes(b"{}\n" * (records.MAX_JSONL_LINES + 1))
    put_refused(path, db, capsys, "200,001 行", "分成几个文件")


def test_a_file_of_millions_of_tiny_values_is_refused_before_parsing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'[],' is 3 bytes on disk and a 56-byte list once parsed: 64 MB of them took 1.6 GB."""
    path = tmp_path / "学生.jsonl"
    line = b'{"a": [' + b"[]," * 300_000 + b"[]]}\n"  # 0.9 MB, two levels deep
    path.write_bytes(line * 15)
    put_refused(path, db, capsys, "内容过多", "4,000,000", "分成几个文件")
