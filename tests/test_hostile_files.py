"""Files that cannot hurt: spreadsheet bombs, devices, live formulas, invisible characters.

Every refusal is exit 3 with a Chinese message and the workspace byte-for-byte as before.
"""

from __future__ import annotations

import json
import resource
import time
import zipfile
from pathlib import Path

import pytest
import support
from hypothesis import given
from hypothesis import strategies as st

from wushan_desk import cli
from wushan_desk.domain import text as domain_text
from wushan_desk.domain.errors import ValidationError
from wushan_desk.reports import xlsx
from wushan_desk.services import records, templates
from wushan_desk.store.workspace import Workspace


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.wsdb"
    ws = support.new_workspace(path)
    support.make_template(ws)
    ws.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def zip_bomb(path: Path, inflated: int = 1 << 30) -> Path:
    """A real workbook whose first sheet holds one cell of `inflated` bytes of text: a few
    MB on disk; openpyxl would build the whole text in memory before looking at a row."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["类别", "内容及分值"])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    chunk = b"0" * (1 << 20)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open(info.filename, "w", force_zip64=True) as out:
                out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                          b'2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
                for _ in range(inflated // len(chunk)):
                    out.write(chunk)
                out.write(b"</t></is></c></row></sheetData></worksheet>")
    plain.unlink()
    return path


def test_a_spreadsheet_bomb_is_refused_before_it_is_inflated(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = zip_bomb(tmp_path / "检查表.xlsx")
    assert bomb.stat().st_size < 20 << 20
    before = support.file_digest(db)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    code, _, err = run(capsys, "template", "import", str(bomb), "--db", str(db))
    assert code == 3 and "异常" in err and "[invalid]" in err
    assert time.perf_counter() - started < 5
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert grown_mb < 200
    assert support.file_digest(db) == before


@pytest.mark.parametrize(
    "argv",
    [
        ("template", "import", "/dev/zero"),
        ("records", "put", "student", "/dev/zero"),
        ("sync", "import", "/dev/zero"),
    ],
)
def test_devices_as_input_are_refused_at_once(
    db: Path, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    before = support.file_digest(db)
    started = time.perf_counter()
    code, _, err = run(capsys, *argv, "--db", str(db))
    assert code == 3 and "[unexpected]" not in err, err
    assert time.perf_counter() - started < 5
    assert support.file_digest(db) == before


def test_exported_checklists_carry_no_live_formulas(tmp_path: Path) -> None:
    ws = support.new_workspace(tmp_path / "w.wsdb")
    try:
        template = records.put(ws, "checklist_template", {
            "name": "=HYPERLINK(\"http://example.com\",\"点此\")", "template_kind": "专项督导",
            "version": 1, "status": "草稿"}).id
        hostile = ["=cmd|'/C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1"]
        for position, content in enumerate(hostile, start=1):
            records.put(ws, "checklist_item", {
                "template_id": template, "position": position, "section": "-恶意",
                "content": content, "item_kind": "文本"})
        out = templates.export_file(ws, template, tmp_path / "t.xlsx")
        with zipfile.ZipFile(out) as zf:
            sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
        import openpyxl

        book = openpyxl.load_workbook(out)
        cells = [c for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
        risky = [c for c in cells if c.value.startswith(xlsx.FORMULA_STARTS)]
        assert len(risky) >= len(hostile) + 1
        assert all(c.data_type == "s" and c.quotePrefix for c in risky)
        # and the text comes back unchanged on import
        again = templates.import_file(ws, out, name="导回")
        contents = [i["content"] for i in templates.template_items(ws, again)]
        assert contents == [c.strip() for c in hostile]
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("name", "why"),
    [("王\x00芳", "控制字符"), ("王\x07芳", "控制字符"), ("王\u202e芳", "显示顺序"),
     ("王\n芳", "换行")],
)
def test_names_with_control_or_bidi_characters_are_refused(
    db: Path, tmp_path: Path, name: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "s.jsonl"
    good = {"name": "好学校", "type": "小学", "township_id": support.township()}
    bad = good | {"name": name}
    lines.write_text(
        "\n".join(json.dumps(r, ensure_ascii=True) for r in (good, bad)) + "\n", encoding="utf-8"
    )
    before = support.file_digest(db)
    code, _, err = run(capsys, "records", "put", "school", str(lines), "--db", str(db))
    assert code == 3 and "第 2 行" in err and why in err
    assert support.file_digest(db) == before


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('{"name": "\\ud800", "type": "小学"}', "无效的字符编码"),
        ("[" * 100_000 + "]" * 100_000, "嵌套"),
        ('{"name": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", "嵌套"),
        ("\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_json_is_exit_3_with_its_line_number(
    db: Path, tmp_path: Path, line: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "s.jsonl"
    good = json.dumps({"name": "好学校", "type": "小学", "township_id": support.township()})
    data = (good + "\n").encode() + line.encode("utf-8", "surrogateescape") + b"\n"
    if line == "\xff\xfe":
        data = (good + "\n").encode() + b"\xff\xfe{}\n"
    lines.write_bytes(data)
    before = support.file_digest(db)
    code, _, err = run(capsys, "records", "put", "school", str(lines), "--db", str(db))
    assert code == 3 and "第 2 行" in err and why in err, err
    assert "[unexpected]" not in err
    assert support.file_digest(db) == before


@given(st.text(max_size=30))
def test_stored_text_never_holds_controls_or_bidi_marks(value: str) -> None:
    """Whatever is typed, what the validator lets through is clean."""
    try:
        cleaned = domain_text.clean(value, multiline=False)
    except ValidationError:
        return
    import unicodedata

    assert not any(c in domain_text.BIDI_CONTROLS for c in cleaned)
    # unassigned code points stay allowed: names use CJK characters newer than Python's
    # Unicode database
    assert not {unicodedata.category(c) for c in cleaned} & {"Cc", "Cs", "Zl", "Zp"}


def test_a_package_with_a_control_character_is_refused(fresh_ws: Workspace) -> None:
    from wushan_desk.store import changes
    from wushan_desk.sync import payload

    good = {"t": "c", "tbl": "schools", "row": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            "hlc": "1764000000000-00000-" + fresh_ws.device_id, "dev": fresh_ws.device_id,
            "op": "upsert", "base": {},
            "data": {"name": "学校", "type": "小学", "township_id": support.township()}}
    from wushan_desk.sync.judge import Judge

    tables = frozenset(changes.synced_tables(fresh_ws))
    judge = Judge(fresh_ws, fresh_ws.device_id, from_device=False)  # the receiver's screen
    judge.screen(payload.parse_entry(json.dumps(good), tables))
    bad = good | {"data": good["data"] | {"name": "学\u202e校"}}
    with pytest.raises(ValueError, match="显示顺序"):
        judge.screen(payload.parse_entry(json.dumps(bad), tables))


def test_a_value_screened_once_is_still_judged_in_each_field(fresh_ws: Workspace) -> None:
    """The judge remembers values it found clean (a county's students share schools and
    grades), per table and field: a value fine in one field is refused in another."""
    from wushan_desk.store import changes
    from wushan_desk.sync import payload
    from wushan_desk.sync.judge import Judge

    township = support.township()
    good = {"t": "c", "tbl": "schools", "row": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            "hlc": "1764000000000-00000-" + fresh_ws.device_id, "dev": fresh_ws.device_id,
            "op": "upsert", "base": {},
            "data": {"name": "学校", "type": "小学", "township_id": township}}
    tables = frozenset(changes.synced_tables(fresh_ws))
    judge = Judge(fresh_ws, fresh_ws.device_id, from_device=False)
    judge.screen(payload.parse_entry(json.dumps(good), tables))
    judge.screen(payload.parse_entry(json.dumps(good), tables))  # remembered: passes again
    bad = good | {"data": good["data"] | {"type": township}}
    with pytest.raises(ValueError, match="不是可选项"):
        judge.screen(payload.parse_entry(json.dumps(bad), tables))
