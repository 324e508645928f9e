"""名册缺失: a child on last term's roster, on none this term, with no enrolment event."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import support
from support import add_school, new_workspace, student_record
from test_dropout import a_student

from wushan_desk import cli
from wushan_desk.domain import term_rosters as terms
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import dropout, records, term_rosters

D = dt.date
AUTUMN = D(2026, 11, 30)  # in 2026-2027-1


@pytest.fixture
def ws(tmp_path: Path):
    ws = new_workspace(tmp_path / "w.wsdb")
    yield ws
    ws.close()


def test_terms() -> None:
    assert terms.term_of(D(2026, 9, 1)) == "2026-2027-1" == terms.term_of(D(2027, 1, 20))
    assert terms.term_of(D(2027, 3, 1)) == "2026-2027-2" == terms.term_of(D(2027, 7, 31))
    assert terms.term_label("2026-2027-2") == "2026-2027学年第二学期"
    for bad in ("2026-2028-1", "2026-2027-3", "2026", ""):
        with pytest.raises(ValidationError, match="学期应写成"):
            terms.check_term(bad)


def students_of_one_school(ws, *names: str) -> list[str]:
    """Students of one school (a_student makes a school each)."""
    from wushan_desk.domain import ids

    school = add_school(ws)
    made = []
    for name in names:
        first17 = f"50023720150301{next(_SEQ):03d}"
        made.append(records.put(ws, "student", student_record(
            school, name=name, birth_date="2015-03-01", sex="女",
            resident_id=first17 + ids.resident_id_check_char(first17))).id)
    return made


_SEQ = iter(range(600, 998, 2))  # even: 女


def keep_this_term(ws, school: str, students: list[str]) -> None:
    """This term's roster of a school as the 学籍系统 has it."""
    records.put(ws, "term_roster", {"school_id": school, "term": "2026-2027-1",
                                    "date": "2026-09-05", "source": "学籍系统导入",
                                    "student_ids": students})


def test_missing_from_the_roster_on_a_hand_made_roster(ws) -> None:
    stays, vanished, left_properly, on_leave, deleted = students_of_one_school(
        ws, "留下的", "不见了", "已转出", "休学的", "删掉的")
    school = records.get(ws, "student", stays)["school_id"]
    result = term_rosters.archive(ws, D(2026, 3, 2), "2025-2026-2")  # last spring
    assert (result.schools, result.students) == (1, 5)
    dropout.record_enrolment_change(ws, left_properly, "转出", D(2026, 7, 1),
                                    other_school="重庆某校")
    dropout.record_enrolment_change(ws, on_leave, "休学", D(2026, 6, 1), until="2027-06-01")
    records.delete(ws, "student", deleted)  # entered by mistake: nobody to find
    assert not [c for c in dropout.candidates(ws, AUTUMN) if c.rule == "名册缺失"]  # not kept
    keep_this_term(ws, school, [stays, deleted])  # history may name a deleted child
    found = {c.name: c for c in dropout.candidates(ws, AUTUMN)
             if c.rule == terms.MISSING_FROM_ROSTER}
    assert set(found) == {"不见了"}  # the others have an event, or are not on the roster
    assert "2025-2026学年第二学期" in found["不见了"].text
    assert stays not in {c.student_id for c in dropout.candidates(ws, AUTUMN)}
    case = dropout.confirm(ws, found["不见了"], "疑似辍学", AUTUMN)  # confirmable
    assert records.get(ws, "dropout_case", case)["student_id"] == vanished


def test_a_child_gone_to_a_school_without_a_roster_yet_is_not_flagged(ws) -> None:
    kept_on, moved = students_of_one_school(ws, "在册", "转到别校")
    school = records.get(ws, "student", kept_on)["school_id"]
    term_rosters.archive(ws, D(2026, 3, 2), "2025-2026-2")
    other = add_school(ws, name="巫山县骡坪镇初级中学", type_="九年一贯制")
    records.put(ws, "student", {"id": moved, "school_id": other, "grade": "七年级"})
    keep_this_term(ws, school, [kept_on])
    assert not [c for c in dropout.candidates(ws, AUTUMN) if c.rule == "名册缺失"]
    keep_this_term(ws, other, [])  # the other school's roster comes in without the child
    found = [c for c in dropout.candidates(ws, AUTUMN) if c.rule == "名册缺失"]
    assert [c.student_id for c in found] == [moved]
    dropout.dismiss(ws, found[0], "已随父母到广东就读，电话核实", AUTUMN)
    assert not [c for c in dropout.candidates(ws, AUTUMN) if c.rule == "名册缺失"]


def test_a_second_roster_of_a_term_is_skipped_and_bad_terms_refused(ws) -> None:
    a_student(ws)
    assert term_rosters.archive(ws, AUTUMN).term == "2026-2027-1"
    again = term_rosters.archive(ws, AUTUMN)
    assert again.schools == 0 and again.skipped_schools == ["巫山县骡坪镇中心小学"]
    with pytest.raises(ValidationError, match="学期应写成"):
        term_rosters.archive(ws, AUTUMN, "2026年秋季")


def _roster_xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["巫山县学籍系统 学生名册"])
    sheet.append(["学校", "姓名", "全国学籍号", "身份证号"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_import_from_the_student_registration_system(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        one, two = students_of_one_school(ws, "甲生", "乙生")
        rid = records.get(ws, "student", two)["resident_id"]
        term_rosters.archive(ws, D(2026, 3, 2), "2025-2026-2")
    finally:
        ws.close()
    school = "巫山县骡坪镇中心小学"
    bad = _roster_xlsx(tmp_path / "bad.xlsx", [[school, "乙生", "", rid],
                                              ["火星小学", "丙生", "G1", ""]])
    before = support.file_digest(db)
    assert cli.main(["dropout", "roster", str(bad), "--term", "2026-2027-1",
                     "--db", str(db)]) == 3
    assert "第 4 行：没有名为“火星小学”的学校" in capsys.readouterr().err
    assert support.file_digest(db) == before  # nothing written
    good = _roster_xlsx(tmp_path / "good.xlsx", [[school, "乙生", "", rid.lower()],
                                                [school, "外县来的", "G500000000000000001", ""]])
    assert cli.main(["dropout", "roster", str(good), "--term", "2026-2027-1", "--dry-run",
                     "--db", str(db)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["schools"], shown["students"], shown["dry_run"]) == (1, 1, True)
    assert shown["unmatched"] == [f"第 4 行 外县来的（{school}）"]
    assert support.file_digest(db) == before
    assert cli.main(["dropout", "roster", str(good), "--term", "2026-2027-1",
                     "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["dropout", "candidates", "--as-of", "2026-11-30", "--json",
                     "--db", str(db)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(c["student_id"], c["rule"]) for c in found] == [(one, "名册缺失")]
    garbage = tmp_path / "not.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really")
    assert cli.main(["dropout", "roster", str(garbage), "--db", str(db)]) == 3
    assert capsys.readouterr().err.strip()


def test_a_version_6_workspace_upgrades_with_its_dismissals_and_purges(
        tmp_path: Path) -> None:
    """db/0007 rebuilds dropout_dismissals and db/0008 rewrites purged log entries: a
    workspace made before them opens with its data, and purging works afterwards."""
    from wushan_desk.store import migrations, purge

    db = tmp_path / "v6.wsdb"
    ws = support.old_workspace(db, 6)
    try:
        student = a_student(ws, name="旧版本")
        moved = dropout.record_enrolment_change(ws, student, "转出", D(2026, 9, 1))
        flagged = dropout.Candidate(student, "旧版本", "", "", "转出未接收", moved, "")
        dismissal = dropout.dismiss(ws, flagged, "已核实在县外就读", AUTUMN)
        leaving = a_student(ws, name="移出责任区")
        with ws.transaction():  # a purge as version 6 made it
            ws.conn.execute("UPDATE change_log SET data = '{}', base = '{}', purged = 1 "
                            "WHERE tbl = 'enrolment_changes'")
    finally:
        ws.close()
    ws = support.open_workspace(db)
    try:
        assert ws.schema_version == migrations.latest_version()
        assert records.get(ws, "dropout_dismissal", dismissal)["reason"] == "已核实在县外就读"
        assert not [c for c in dropout.candidates(ws, AUTUMN) if c.student_id == student]
        assert ws.conn.execute("SELECT count(*) FROM change_log WHERE purged = 1 "
                               "AND row_id NOT LIKE 'purged:%'").fetchone()[0] == 0
        assert term_rosters.archive(ws, AUTUMN).students == 2  # the new table is there
        assert purge.purge_rows(ws, [("students", leaving)]) == 1  # the new guard accepts
        assert ws.conn.execute("SELECT count(*) FROM change_log WHERE row_id = ?",
                               (leaving,)).fetchone()[0] == 0
    finally:
        ws.close()
