"""发放花名册导入: a school's spreadsheet into a draft roster, by the rules of a payment
typed by hand, all rows or none, cards never printed in full, hostile files refused."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from test_aid_rosters import CARD, LIVING, MEALS, TERM, _ids, seeded
from test_bombs import sheet_bomb

from wushan_desk import cli
from wushan_desk.domain import ids
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid_report, aid_roster, records
from wushan_desk.services import aid_roster_import as importer

__all__ = ["seeded"]  # the aid roster tests' county: standards, a school, 王超 recognised

WANG_ID = "11010519491231002X"  # 王超's, in the seeded workspace
HEADER = ["序号", "学生姓名", "身份证号", "学籍号", "在校天数", "发放金额", "原因", "持卡人",
          "银行卡号", "备注"]


def pupil_id(birth: str, seq: int) -> str:
    """A valid Wushan ID number for a birth date (odd `seq`: a boy)."""
    first17 = "500237" + birth.replace("-", "") + f"{seq:03d}"
    return first17 + ids.resident_id_check_char(first17)


ZHANG, CHEN, LIU = pupil_id("2017-03-01", 11), pupil_id("2015-05-02", 12), \
    pupil_id("2013-07-03", 13)


@dataclass(frozen=True)
class Prepared:
    """A workspace file with rosters of 中心小学 (meals, living: drafts) and one of 初级中学
    already reported; 张明 (学籍号) and 陈芳 at 中心小学, 刘洋 at 初级中学."""

    path: Path
    rosters: dict[str, str]


@pytest.fixture(scope="module")
def prepared(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    path = tmp_path_factory.mktemp("import") / "w.wsdb"
    support.copy_workspace(seeded, path)
    ws = support.open_workspace(path, create=False)
    _, schools, programmes = _ids(ws)
    primary, junior = schools["巫山县骡坪镇中心小学"], schools["巫山县骡坪镇初级中学"]
    for name, rid, school, grade, sex in (("张明", ZHANG, primary, "三年级", "男"),
                                          ("陈芳", CHEN, primary, "五年级", "女"),
                                          ("刘洋", LIU, junior, "七年级", "男")):
        records.put(ws, "student", support.student_record(
            school, name=name, resident_id=rid, birth_date=ids.parse_resident_id(rid)
            .birth_date.isoformat(), sex=sex, grade=grade,
            student_number="G" + rid if name == "张明" else None))
    rosters = {key: aid_roster.new_roster(ws, school, programmes[programme], TERM)
               for key, school, programme in (("meals", primary, MEALS),
                                              ("living", primary, LIVING),
                                              ("reported", junior, LIVING))}
    aid_roster.report(ws, rosters["reported"], dt.date(2026, 10, 8))
    ws.close()
    return Prepared(path, rosters)


@pytest.fixture
def copy(prepared: Prepared, tmp_path: Path) -> Path:
    """This test's own copy of the prepared workspace file."""
    path = tmp_path / "c.wsdb"
    support.copy_workspace(prepared.path, path)
    return path


@pytest.fixture
def ws(copy: Path):
    ws = support.open_workspace(copy, create=False)
    yield ws
    ws.close()


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER,
               title: str | None = "2026-2027学年第一学期营养改善计划发放花名册") -> Path:
    """A school's spreadsheet: an optional title line, the header, the rows (IDs and
    cards as text, as a school sets those columns)."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


#: Rows of the meals roster that pass: 张明 found by 学籍号, 王超 by ID number with a
#: card, an amount other than the standard with its reason.
GOOD = [[1, "张明", "", "G" + ZHANG, 90, "", "", "", "", "三年级"],
        [2, "王超", WANG_ID, "", 92, 400, "9月病假 12 天", "王大山", CARD, ""]]
#: One wrong row each, and what its error says.
BAD: dict[str, tuple[list[Any], str]] = {
    "check digit": ([9, "陈芳", CHEN[:-1] + ("0" if CHEN[-1] != "0" else "1"), "", 90, "", "",
                     "", "", ""], "校验位"),
    "other school": ([9, "刘洋", LIU, "", 90, "", "", "", "", ""],
                     "不能列入“巫山县骡坪镇中心小学”"),
    "amount without reason": ([9, "陈芳", CHEN, "", 90, 300, "", "", "", ""], "与标准 450 不符"),
    "duplicate child": ([9, "张明", ZHANG, "", 90, "", "", "", "", ""], "已在这份花名册上"),
    "name differs": ([9, "陈方", CHEN, "", 90, "", "", "", "", ""], "姓名与学籍名单不一致"),
    "unknown child": ([9, "赵六", pupil_id("2016-01-09", 15), "", 90, "", "", "", "", ""],
                      "学籍名单上找不到身份证号"),
    "masked card": ([9, "陈芳", CHEN, "", 90, "", "", "", "**** 5556", ""], "遮挡过的"),
    "bad card": ([9, "陈芳", CHEN, "", 90, "", "", "", "6222021001115555555", ""], "校验位不对"),
    "no days": ([9, "陈芳", CHEN, "", "", "", "", "", "", ""], "须填写在校天数"),
}


def test_a_good_file_imports_by_the_rules_of_a_typed_payment(ws, tmp_path: Path) -> None:
    """Header found below a title by its synonyms; 学籍号 or ID finds the child; the
    amount is the standard (5 yuan a school day) unless another is given with a reason;
    unknown columns are reported; the card is masked everywhere."""
    roster = _rosters(ws)["meals"]
    result = importer.import_payments(ws, write_xlsx(tmp_path / "f.xlsx", GOOD), roster)
    assert (result.added, result.total, result.errors) == (2, 850, [])
    assert result.ignored == ["序号", "备注"]
    assert result.columns["姓名"] == "学生姓名" and result.columns["金额"] == "发放金额"
    assert [r["row"] for r in result.rows] == [3, 4]  # Excel's row numbers (a title above)
    shown = aid_roster.view(ws, roster)
    assert sorted((x.name, x.amount, x.override_reason, x.card) for x in shown.lines) == [
        ("张明", 450, "", "****"), ("王超", 400, "9月病假 12 天", "**** 5556")]
    assert CARD not in json.dumps(result.as_dict(), ensure_ascii=False)


def test_a_boarding_dependent_standard_needs_the_boarding_column(ws, tmp_path: Path) -> None:
    roster = _rosters(ws)["living"]
    header = ["姓名", "身份证号", "是否住校"]
    with pytest.raises(importer.RowsInvalid) as refused:
        importer.import_payments(ws, write_xlsx(tmp_path / "a.xlsx", [["王超", WANG_ID, ""]],
                                                header, None), roster)
    assert [str(e) for e in refused.value.result.errors] == [
        "第 2 行（王超）：缺少“住校”：这个项目的标准分住校和走读，请填写“住校”或“走读”"]
    result = importer.import_payments(
        ws, write_xlsx(tmp_path / "b.xlsx", [["王超", WANG_ID, "是"]], header, None), roster)
    assert (result.added, result.total) == (1, 625)  # 住校, as typed by hand


@pytest.mark.parametrize("kind", sorted(BAD))
def test_one_bad_row_refuses_the_whole_file(ws, tmp_path: Path, kind: str) -> None:
    row, expected = BAD[kind]
    path = write_xlsx(tmp_path / "f.xlsx", [*GOOD, row])
    roster = _rosters(ws)["meals"]
    with pytest.raises(importer.RowsInvalid) as refused:
        importer.import_payments(ws, path, roster)
    errors = refused.value.result.errors
    assert [e.row for e in errors] == [5] and expected in errors[0].message, errors
    assert "第 5 行" in refused.value.message and "没有列入任何学生" in refused.value.message
    assert aid_roster.view(ws, roster).lines == []  # the good rows were rolled back too
    preview = importer.preview(ws, path, roster)  # the dry run reports the same error
    assert [e.row for e in preview.errors] == [5] and preview.added == 2
    assert aid_roster.view(ws, roster).lines == []  # and writes nothing either


@pytest.mark.parametrize("kind", ["other school", "amount without reason", "duplicate child"])
def test_the_cli_refuses_a_bad_file_and_leaves_the_workspace_byte_identical(
        prepared: Prepared, copy: Path, tmp_path: Path, kind: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [*GOOD, BAD[kind][0]])
    before = support.file_digest(copy)
    for extra in ([], ["--dry-run"], ["--json"]):
        assert cli.main(["aid", "import-roster", str(path), "--roster",
                         prepared.rosters["meals"], "--db", str(copy), *extra]) == 3
        out, err = capsys.readouterr()
        assert "第 5 行" in err and BAD[kind][1] in err and "[invalid-rows]" in err
        assert CARD not in out + err
        assert support.file_digest(copy) == before
    assert json.loads(out)["errors"][0]["row"] == 5  # --json: every error for scripts


def test_the_cli_imports_and_its_dry_run_changes_nothing(
        prepared: Prepared, copy: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", GOOD)
    db = ["--roster", prepared.rosters["meals"], "--db", str(copy)]
    before = support.file_digest(copy)
    assert cli.main(["aid", "import-roster", str(path), "--dry-run", *db]) == 0
    out = capsys.readouterr().out
    assert "将列入 2 人，合计 850.00 元（只检查，未写入）" in out and "忽略的列：序号、备注" in out
    assert support.file_digest(copy) == before
    assert cli.main(["aid", "import-roster", str(path), "--json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["added"], shown["total"], shown["dry_run"]) == (2, 850, False)
    assert CARD not in json.dumps(shown) and "**** 5556" in json.dumps(shown, ensure_ascii=False)
    assert support.file_digest(copy) != before
    assert cli.main(["aid", "roster", prepared.rosters["meals"], "--db", str(copy)]) == 0
    assert "合计 850.00 元" in capsys.readouterr().out


def test_only_a_draft_roster_takes_an_import(prepared: Prepared, copy: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [[1, "刘洋", LIU, "", 90, "", "", "", "", ""]])
    before = support.file_digest(copy)
    for extra in ([], ["--dry-run"]):
        assert cli.main(["aid", "import-roster", str(path), "--roster",
                         prepared.rosters["reported"], "--db", str(copy), *extra]) == 3
        err = capsys.readouterr().err
        assert "这份花名册已报送，只有草稿状态的花名册可以从表格导入" in err
        assert "县教委退回为草稿" in err
    assert support.file_digest(copy) == before


def bomb(path: Path) -> Path:
    """An .xlsx whose one member inflates a thousand times (8 MB of zeros)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    return path


@pytest.mark.parametrize(("make", "message"), [
    (bomb, "内容异常（解压后过大或文件过多"),
    (lambda p: sheet_bomb(p, 1_990, targets=1), "有 1990 个工作表"),
    (lambda p: (p.write_text("姓名,身份证号\n王超,1\n"), p)[1], "不是 Excel 工作簿"),
    (lambda p: (p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512), p)[1],
     "旧版 Excel（.xls）"),
    (lambda p: write_xlsx(p, [["王超"]], ["姓名", "年级"]), "没有“身份证号”或“学籍号”列"),
    (lambda p: write_xlsx(p, [["x"]], ["项目"]), "没有找到发放名单的表头"),
])
def test_a_hostile_or_wrong_file_is_refused_in_plain_words(
        prepared: Prepared, copy: Path, tmp_path: Path, make: Any, message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path / "f.xlsx")
    before = support.file_digest(copy)
    assert cli.main(["aid", "import-roster", str(path), "--roster", prepared.rosters["meals"],
                     "--db", str(copy)]) == 3
    assert message in capsys.readouterr().err
    assert support.file_digest(copy) == before


def test_an_exported_roster_needs_an_id_column_and_full_cards_to_come_back(
        ws, tmp_path: Path) -> None:
    """The export (the school's template) has no ID column and masks cards: imported as
    is it is refused, saying what to add; with the ID column added and the cards
    exported in full, it fills the emptied roster with the same payments again."""
    roster = _rosters(ws)["meals"]
    importer.import_payments(ws, write_xlsx(tmp_path / "f.xlsx", GOOD), roster)
    before = sorted((x.name, x.amount, x.override_reason, x.card)
                    for x in aid_roster.view(ws, roster).lines)
    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    aid_report.roster_export(ws, roster, masked)
    aid_report.roster_export(ws, roster, full, full=True)
    for line in aid_roster.view(ws, roster).lines:
        aid_roster.remove_payment(ws, line.id)
    with pytest.raises(ValidationError, match="没有“身份证号”或“学籍号”列"):
        importer.preview(ws, masked, roster)
    days = {"张明": (ZHANG, 90), "王超": (WANG_ID, 92)}
    for path in (masked, full):
        _add_columns(path, days)
    preview = importer.preview(ws, masked, roster)
    assert [(e.name, e.message[:9]) for e in preview.errors] == [("王超", "银行卡号是遮挡过的")]
    result = importer.import_payments(ws, full, roster)
    assert result.added == 2 and "标准（元）" in result.ignored
    assert sorted((x.name, x.amount, x.override_reason, x.card)
                  for x in aid_roster.view(ws, roster).lines) == before


def _add_columns(path: Path, days: dict[str, tuple[str, int]]) -> None:
    """What a school adds to an exported roster: the ID number and the school days."""
    book = load_workbook(path)
    sheet = book.active
    sheet.cell(1, 11, "身份证号")
    sheet.cell(1, 12, "在校天数")
    for row in range(2, sheet.max_row + 1):
        found = days.get(sheet.cell(row, 2).value)
        if found:
            sheet.cell(row, 11, found[0])
            sheet.cell(row, 12, found[1])
    book.save(path)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(st.sampled_from(sorted(BAD)), min_size=1, max_size=4, unique=True),
       data=st.data())
def test_any_bad_rows_write_nothing_and_are_all_reported(ws, tmp_path: Path, bad: list[str],
                                                         data: st.DataObject) -> None:
    """Good and bad rows in any order (a duplicate after its first): every bad row is
    reported with its own row number and nothing at all is written."""
    rest = data.draw(st.permutations([GOOD[1][:], *(BAD[k][0] for k in bad)]))
    rows = [GOOD[0], *rest]
    kinds = {id(BAD[k][0]): k for k in bad}
    expected = {n: BAD[kinds[id(r)]][1] for n, r in enumerate(rows, start=3) if id(r) in kinds}
    roster = _rosters(ws)["meals"]
    with pytest.raises(importer.RowsInvalid) as refused:
        importer.import_payments(ws, write_xlsx(tmp_path / "p.xlsx", rows), roster)
    errors = refused.value.result.errors
    assert {e.row for e in errors} == set(expected)
    assert all(expected[e.row] in e.message for e in errors), errors
    assert aid_roster.view(ws, roster).lines == []


def _rosters(ws) -> dict[str, str]:
    """The prepared rosters by key (the fixture's ids hold for every copy)."""
    found = {(r["school"], r["programme"]): r["id"] for r in aid_roster.rosters(ws)}
    return {"meals": found[("巫山县骡坪镇中心小学", MEALS)],
            "living": found[("巫山县骡坪镇中心小学", LIVING)],
            "reported": found[("巫山县骡坪镇初级中学", LIVING)]}
