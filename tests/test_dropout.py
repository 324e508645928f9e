"""控辍保学: transitions, status on a past date, duplicates, locks, the board, the CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
import support
from support import add_school, new_workspace, student_record, township

from wushan_desk import cli
from wushan_desk.domain import dropout as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import dropout, records

D = dt.date


@pytest.fixture
def ws(tmp_path: Path):
    ws = new_workspace(tmp_path / "w.wsdb")
    yield ws
    ws.close()


_SEQ = iter(range(2, 998, 2))


def a_student(ws, **extra) -> str:
    """A student of its own (a distinct ID number each), at a school of 骡坪镇."""
    from wushan_desk.domain import ids

    first17 = f"50023720150301{next(_SEQ):03d}"
    rid = first17 + ids.resident_id_check_char(first17)
    return records.put(ws, "student", student_record(
        add_school(ws), birth_date="2015-03-01", resident_id=rid, sex="女", **extra)).id


def test_allowed_and_refused_transitions() -> None:
    assert rules.allowed("疑似辍学", "辍学") and rules.allowed("劝返中", "已复学")
    assert rules.allowed("已复学", "已销号") and rules.allowed("已复学", "疑似辍学")
    assert not rules.allowed("辍学", "已销号")  # closed only once placed
    assert not rules.allowed("失学", "疑似辍学")
    assert "已销号" in rules.transition_problem("已销号", "劝返中", None)
    assert "安置方式" in rules.transition_problem("劝返中", "已复学", None)
    assert rules.transition_problem("劝返中", "已复学", "插班") is None
    for status, targets in rules.TRANSITIONS.items():
        assert status in rules.STATUSES and set(targets) <= set(rules.STATUSES)


def test_status_on_a_past_date_comes_from_the_events(ws) -> None:
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "疑似辍学",
                                  "opened_on": "2026-09-10"})
    dropout.change_status(ws, case, "辍学", D(2026, 10, 12), note="一个月未返校")
    dropout.change_status(ws, case, "劝返中", D(2026, 10, 20))
    dropout.change_status(ws, case, "已复学", D(2026, 11, 5), placement="插班")
    assert dropout.status(ws, case, D(2026, 9, 1)).status is None  # not yet a case
    assert dropout.status(ws, case, D(2026, 9, 30)).status == "疑似辍学"
    on_oct = dropout.status(ws, case, D(2026, 10, 31))
    assert (on_oct.status, on_oct.since) == ("劝返中", "2026-10-20")
    assert dropout.status(ws, case, D(2026, 11, 30)).status == "已复学"
    assert records.get(ws, "dropout_case", case)["status"] == "已复学"


def test_a_refused_transition_changes_nothing(ws) -> None:
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "辍学",
                                  "opened_on": "2026-10-01"})
    before = ws.conn.execute("SELECT max(seq) FROM change_log").fetchone()[0]
    with pytest.raises(ValidationError, match="不能从“辍学”改为“已销号”"):
        dropout.change_status(ws, case, "已销号", D(2026, 10, 5))
    with pytest.raises(ValidationError, match="不能早于"):
        dropout.change_status(ws, case, "劝返中", D(2026, 9, 5))
    assert ws.conn.execute("SELECT max(seq) FROM change_log").fetchone()[0] == before
    # nor can the status be typed into the case directly
    with pytest.raises(ValidationError, match="变更状态"):
        records.put(ws, "dropout_case", records.get(ws, "dropout_case", case)
                    | {"status": "已复学", "placement": "插班"})


def test_a_closed_case_is_locked(ws) -> None:
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "劝返中",
                                  "opened_on": "2026-10-01"})
    dropout.change_status(ws, case, "送教上门", D(2026, 10, 8))
    dropout.change_status(ws, case, "已销号", D(2026, 11, 1))
    with pytest.raises(ValidationError, match="已销号"):
        records.put(ws, "dropout_case", records.get(ws, "dropout_case", case) | {"plan": "改"})
    with pytest.raises(ValidationError, match="已销号"):
        dropout.add_visit(ws, case, D(2026, 11, 2), "家访", "谭老师", "补记")
    with pytest.raises(ValidationError, match="已销号"):
        dropout.change_status(ws, case, "疑似辍学", D(2026, 11, 20))


def test_a_second_open_case_for_one_child_is_refused(ws) -> None:
    student = a_student(ws)
    dropout.open_case(ws, {"student_id": student, "status": "疑似辍学",
                           "opened_on": "2026-10-01"})
    with pytest.raises(dropout.DuplicateCase, match="已有未销号的案件"):
        dropout.open_case(ws, {"student_id": student, "status": "辍学",
                               "opened_on": "2026-10-02"})
    stored = records.get(ws, "student", student)
    with pytest.raises(dropout.DuplicateCase):  # same ID number, typed in by hand
        dropout.open_case(ws, {"name": stored["name"], "sex": stored["sex"],
                               "birth_date": stored["birth_date"],
                               "resident_id": stored["resident_id"],
                               "township_id": township(), "status": "失学",
                               "opened_on": "2026-10-03"})


def test_a_child_not_on_the_roster_needs_a_valid_id(ws, valid_id) -> None:
    base = {"name": "冉小花", "sex": "女", "birth_date": "2016-05-04", "township_id": township(),
            "status": "失学", "opened_on": "2026-10-01"}
    with pytest.raises(ValidationError, match="身份证号"):
        dropout.open_case(ws, base)
    with pytest.raises(ValidationError):
        dropout.open_case(ws, base | {"resident_id": "500237201605040001"})
    case = dropout.open_case(ws, base | {"resident_id": valid_id("2016-05-04", 2)})
    assert records.get(ws, "dropout_case", case)["status"] == "失学"


def test_overdue_detection() -> None:
    day = D(2026, 11, 30)
    assert rules.is_overdue("2026-11-29", "2026-11-20", day)  # next step past due
    assert not rules.is_overdue("2026-11-30", "2026-11-20", day)
    assert rules.is_overdue(None, "2026-11-01", day)  # no visit for 29 days
    assert not rules.is_overdue(None, "2026-11-20", day)


def test_board_on_a_hand_checked_data_set(ws) -> None:
    place = lambda n: a_student(ws, name=f"学生{n}")  # noqa: E731
    a = dropout.open_case(ws, {"student_id": place(1), "status": "疑似辍学",
                               "opened_on": "2026-09-01"})
    b = dropout.open_case(ws, {"student_id": place(2), "status": "辍学",
                               "opened_on": "2026-09-15"})
    c = dropout.open_case(ws, {"student_id": place(3), "status": "劝返中",
                               "opened_on": "2026-10-01"})
    dropout.change_status(ws, a, "已复学", D(2026, 10, 10), placement="插班")
    dropout.change_status(ws, a, "已销号", D(2026, 11, 1))
    dropout.change_status(ws, b, "特殊教育学校", D(2026, 11, 10))
    dropout.add_visit(ws, c, D(2026, 11, 25), "家访", "谭老师", "家长答应下周送回",
                      next_due=D(2026, 12, 1))
    line = {t.township: t for t in dropout.board(ws, D(2026, 9, 30))}["骡坪镇"]
    assert (line.open, line.placed, line.closed, line.oldest_open) == (2, 0, 0, "2026-09-01")
    assert not line.dynamic_zero and line.overdue == 2  # no visit for a month
    line = {t.township: t for t in dropout.board(ws, D(2026, 11, 30))}["骡坪镇"]
    assert (line.open, line.placed, line.closed) == (1, 1, 1)
    assert line.oldest_open == "2026-10-01" and line.overdue == 0
    dropout.change_status(ws, c, "已复学", D(2026, 11, 29), placement="单独编班")
    line = {t.township: t for t in dropout.board(ws, D(2026, 12, 1))}["骡坪镇"]
    assert line.dynamic_zero and line.open == 0
    others = [t for t in dropout.board(ws, D(2026, 12, 1)) if t.township != "骡坪镇"]
    assert len(others) == 25 and all(t.dynamic_zero for t in others)


def test_enrolment_changes_give_the_status_on_a_date(ws) -> None:
    student = a_student(ws)
    dropout.record_enrolment_change(ws, student, "休学", D(2026, 3, 1), until="2026-09-01")
    dropout.record_enrolment_change(ws, student, "复学", D(2026, 9, 1))
    found = [r for r in records.iter_records(ws, "enrolment_change")]
    assert rules.enrolment_status_on(found, D(2026, 5, 1)) == "休学"
    assert rules.enrolment_status_on(found, D(2026, 10, 1)) == "在读"
    with pytest.raises(ValidationError, match="截止日期"):
        dropout.record_enrolment_change(ws, student, "休学", D(2026, 10, 1))


def test_cli_status_and_board(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "辍学",
                                      "opened_on": "2026-10-01"})
        dropout.change_status(ws, case, "劝返中", D(2026, 10, 9))
    finally:
        ws.close()
    assert cli.main(["dropout", "status", case, "--as-of", "2026-10-05", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "case_id": case, "as_of": "2026-10-05", "status": "辍学", "since": "2026-10-01"}
    assert cli.main(["dropout", "board", "--as-of", "2026-10-10", "--json",
                     "--db", str(db)]) == 0
    rows = {r["township"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["骡坪镇"]["open"] == 1 and not rows["骡坪镇"]["dynamic_zero"]
    code = cli.main(["dropout", "status", "no-such-case", "--db", str(db)])
    assert code == 3 and "找不到" in capsys.readouterr().err
    # a status event typed into `records put`, or a refused transition: exit 3, nothing
    # written
    line = tmp_path / "s.jsonl"
    line.write_text(json.dumps({"case_id": case, "date": "2026-10-20", "from_status": "劝返中",
                                "status": "已销号"}, ensure_ascii=False) + "\n")
    before = support.file_digest(db)
    assert cli.main(["records", "put", "dropout_status", str(line), "--db", str(db)]) == 3
    assert "dropout change" in capsys.readouterr().err  # only the use case writes events
    assert cli.main(["dropout", "change", case, "--status", "已销号", "--date", "2026-10-20",
                     "--db", str(db)]) == 3
    assert "不能从“劝返中”改为“已销号”" in capsys.readouterr().err
    assert support.file_digest(db) == before
    assert cli.main(["dropout", "change", case, "--status", "已复学", "--placement", "插班",
                     "--date", "2026-10-20", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "已复学"


def test_candidate_rules_on_a_hand_made_roster(ws) -> None:
    gone = a_student(ws, name="去向不明")
    moved_ok = a_student(ws, name="已转入")
    on_leave = a_student(ws, name="休学逾期")
    recent = a_student(ws, name="刚转出")
    dropout.record_enrolment_change(ws, gone, "转出", D(2026, 9, 1), other_school="广州某校")
    dropout.record_enrolment_change(ws, moved_ok, "转出", D(2026, 9, 1))
    dropout.record_enrolment_change(ws, moved_ok, "转入", D(2026, 9, 10),
                                    other_school="县内另一所学校")
    dropout.record_enrolment_change(ws, on_leave, "休学", D(2026, 3, 1), until="2026-09-01")
    dropout.record_enrolment_change(ws, recent, "转出", D(2026, 11, 20))
    found = {c.name: c for c in dropout.candidates(ws, D(2026, 11, 30))}
    assert set(found) == {"去向不明", "休学逾期"}
    assert found["去向不明"].rule == "转出未接收" and "90 天" in found["去向不明"].text
    assert found["休学逾期"].rule == "休学逾期" and "2026-09-01" in found["休学逾期"].text
    assert {c.name for c in dropout.candidates(ws, D(2026, 12, 25))} == {
        "去向不明", "休学逾期", "刚转出"}  # 35 days on


def test_dismissed_candidates_stay_away_until_something_new_happens(ws) -> None:
    student = a_student(ws, name="外出就读")
    dropout.record_enrolment_change(ws, student, "转出", D(2026, 9, 1))
    (flag,) = dropout.candidates(ws, D(2026, 11, 30))
    with pytest.raises(ValidationError, match="理由"):
        dropout.dismiss(ws, flag, " ", D(2026, 11, 30))
    dropout.dismiss(ws, flag, "电话核实：已在重庆市区就读", D(2026, 11, 30))
    assert dropout.candidates(ws, D(2026, 11, 30)) == []
    # back, then out again: a new event, a new flag
    dropout.record_enrolment_change(ws, student, "转入", D(2026, 12, 1), other_school="市区学校")
    dropout.record_enrolment_change(ws, student, "转出", D(2026, 12, 2))
    (again,) = dropout.candidates(ws, D(2027, 1, 15))
    assert again.event_id != flag.event_id


def test_a_confirmed_candidate_becomes_a_case_and_leaves_the_list(ws, tmp_path: Path,
                                                                   capsys) -> None:
    student = a_student(ws, name="确认对象")
    dropout.record_enrolment_change(ws, student, "休学", D(2026, 3, 1), until="2026-06-30")
    (flag,) = dropout.candidates(ws, D(2026, 11, 30))
    case = dropout.confirm(ws, flag, "疑似辍学", D(2026, 11, 30), reasons=["学习困难/厌学"])
    assert records.get(ws, "dropout_case", case)["student_id"] == student
    assert dropout.candidates(ws, D(2026, 11, 30)) == []


def test_cli_candidates(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        student = a_student(ws, name="命令行对象")
        dropout.record_enrolment_change(ws, student, "转出", D(2026, 9, 1))
    finally:
        ws.close()
    assert cli.main(["dropout", "candidates", "--as-of", "2026-11-30", "--json",
                     "--db", str(db)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["student_id"] == student and row["rule"] == "转出未接收"
    assert row["township"] == "骡坪镇"


def test_the_demo_ledger_follows_the_rules(demo_ws) -> None:
    """Demo cases are written in bulk like inspection history: their events must still
    be a lawful path ending in the case's status, and each record valid on its own."""
    from wushan_desk.domain import entities
    from wushan_desk.store import dropout_queries as q

    cases = list(records.iter_records(demo_ws, "dropout_case"))
    assert len(cases) >= 4 and {c["status"] for c in cases} & set(rules.OPEN_STATUSES)
    for case in cases:
        events = q.status_events(demo_ws, case["id"])
        path = [e["status"] for e in events]
        assert events[0]["from_status"] is None and path[-1] == case["status"]
        assert all(rules.allowed(a, b) for a, b in itertools.pairwise(path))
        entities.validate_record("dropout_case", case, records.lookup_for(demo_ws))
    assert dropout.candidates(demo_ws, D(2026, 11, 28))
    board = dropout.board(demo_ws, D(2026, 11, 28))
    assert any(not t.dynamic_zero for t in board) and any(t.overdue for t in board)


def pdf_text(path: Path) -> str:
    import re

    from pypdf import PdfReader

    # text wraps inside narrow table cells: compare without any whitespace
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(path).pages))


def test_return_notice_is_a_draft_until_issued(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        student = a_student(ws, name="冉小军", guardian_name="冉大山")
        case = dropout.open_case(ws, {"student_id": student, "status": "辍学",
                                      "opened_on": "2026-10-08"})
    finally:
        ws.close()
    draft = tmp_path / "draft.pdf"
    assert cli.main(["report", "return-notice", case, "--out", str(draft), "--db", str(db)]) == 0
    text = pdf_text(draft)
    assert "限期返校通知书（草稿）" in text and "冉小军" in text and "冉大山" in text
    assert "____年__月__日" in text
    code = cli.main(["report", "return-notice", case, "--issue", "--out",
                     str(tmp_path / "x.pdf"), "--db", str(db)])
    assert code == 3 and "返校期限" in capsys.readouterr().err  # no deadline given
    from wushan_desk.domain import clock

    deadline = clock.today() + dt.timedelta(days=10)
    issued = tmp_path / "issued.pdf"
    assert cli.main(["report", "return-notice", case, "--issue", "--deadline",
                     deadline.isoformat(), "--out", str(issued), "--db", str(db)]) == 0
    text = pdf_text(issued)
    assert "草稿" not in text and f"{deadline.year}年{deadline.month}月{deadline.day}日" in text
    again = tmp_path / "again.pdf"  # a later print is the issued notice, same deadline
    assert cli.main(["report", "return-notice", case, "--out", str(again), "--db", str(db)]) == 0
    assert "草稿" not in pdf_text(again)
    ws = support.open_workspace(db)
    try:
        (line,) = [e for e in dropout.timeline(ws, case) if e.what == "劝返"]
        assert "送达限期返校通知书" in line.text
        from wushan_desk.services.inspection_report import letterhead_of

        issuer, _ = letterhead_of(ws)
    finally:
        ws.close()
    assert issuer.replace(" ", "") in text  # the issuing office heads the notice


def test_the_ledger_as_of_a_date_as_xlsx_and_pdf(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        case = dropout.open_case(ws, {"student_id": a_student(ws, name="台账对象"),
                                      "status": "辍学", "opened_on": "2026-09-01"})
        dropout.change_status(ws, case, "劝返中", D(2026, 10, 1))
        dropout.add_duty(ws, case, "班主任", "谭老师")
        rid = records.get(ws, "dropout_case", case)["resident_id"]
    finally:
        ws.close()
    xlsx = tmp_path / "台账.xlsx"
    assert cli.main(["report", "dropout-ledger", "--township", "骡坪镇", "--as-of", "2026-09-15",
                     "--out", str(xlsx), "--db", str(db)]) == 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["姓名"] == "台账对象" and row["状态"] == "辍学"  # its status on 9-15, not today's
    assert row["身份证号"] != rid and "*" in row["身份证号"]  # masked unless asked
    assert row["包保责任人"] == "班主任：谭老师"
    ws = support.open_workspace(db)
    try:  # placed later: the ledger of an earlier date shows no placement beside 辍学
        dropout.change_status(ws, case, "已复学", D(2026, 10, 20), placement="插班")
    finally:
        ws.close()
    assert cli.main(["report", "dropout-ledger", "--township", "骡坪镇", "--as-of", "2026-09-15",
                     "--out", str(xlsx), "--db", str(db)]) == 0
    row = dict(zip(header, [c.value for c in load_workbook(xlsx).active[2]], strict=True))
    assert row["状态"] == "辍学" and not row["安置方式"]
    assert cli.main(["report", "dropout-ledger", "--township", "骡坪镇", "--as-of", "2026-08-01",
                     "--out", str(xlsx), "--db", str(db)]) == 0
    assert load_workbook(xlsx).active.max_row == 1  # before the case existed
    pdf = tmp_path / "台账.pdf"
    assert cli.main(["report", "dropout-ledger", "--township", "骡坪镇", "--full", "--purpose",
                     "县教委核对", "--out", str(pdf), "--db", str(db)]) == 0
    text = pdf_text(pdf)
    assert "骡坪镇控辍保学台账" in text and "已复学插班" in text and rid in text
    code = cli.main(["report", "dropout-ledger", "--township", "火星乡", "--out", str(pdf),
                     "--db", str(db)])
    assert code == 3 and "火星乡" in capsys.readouterr().err


def test_ledger_xlsx_round_trip_and_a_broken_file_changes_nothing(tmp_path: Path,
                                                                   capsys) -> None:
    source = tmp_path / "a.wsdb"
    ws = new_workspace(source)
    try:
        for n, status in enumerate(("辍学", "劝返中")):
            case = dropout.open_case(ws, {"student_id": a_student(ws, name=f"导出{n}"),
                                          "status": status, "opened_on": "2026-09-01",
                                          "reasons": ["外出务工"]})
        dropout.change_status(ws, case, "已复学", D(2026, 10, 1), placement="插班")
    finally:
        ws.close()
    sheet = tmp_path / "台账.xlsx"
    assert cli.main(["report", "dropout-ledger", "--township", "骡坪镇", "--full", "--purpose",
                     "移交", "--out", str(sheet), "--db", str(source)]) == 0
    target = tmp_path / "b.wsdb"
    ws = new_workspace(target)
    add_school(ws)  # the county's school list is the same on both sides
    ws.close()
    before = support.file_digest(target)
    capsys.readouterr()
    assert cli.main(["dropout", "import", str(sheet), "--dry-run", "--db", str(target)]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["cases"] == 2 and support.file_digest(target) == before
    assert cli.main(["dropout", "import", str(sheet), "--db", str(target)]) == 0
    ws = support.open_workspace(target)
    try:
        got = {c["name"]: c for c in records.iter_records(ws, "dropout_case")}
        assert set(got) == {"导出0", "导出1"}
        assert got["导出1"]["status"] == "已复学" and got["导出1"]["placement"] == "插班"
        assert got["导出0"]["reasons"] == ["外出务工"]
    finally:
        ws.close()
    # the same file again: every row is a duplicate, nothing written
    before = support.file_digest(target)
    assert cli.main(["dropout", "import", str(sheet), "--db", str(target)]) == 3
    err = capsys.readouterr().err
    assert "第 2 行" in err and "已有未销号的案件" in err and "未导入任何案件" in err
    assert support.file_digest(target) == before
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(sheet.read_bytes()[:500])
    assert cli.main(["dropout", "import", str(broken), "--db", str(target)]) == 3
    assert "损坏" in capsys.readouterr().err and support.file_digest(target) == before
    # an ID number typed into a number cell (Excel has kept 15 digits of 18): refused
    from openpyxl import load_workbook

    book = load_workbook(sheet)
    rows = book.active
    header = next(r for r in rows.iter_rows() if any(c.value == "身份证号" for c in r))
    column = next(c.column for c in header if c.value == "身份证号")
    rows.cell(header[0].row + 1, column).value = 500237201612270000
    numeric = tmp_path / "数字.xlsx"
    book.save(numeric)
    assert cli.main(["dropout", "import", str(numeric), "--db", str(target)]) == 3
    assert "数字格式" in capsys.readouterr().err and support.file_digest(target) == before


def test_a_school_moving_township_takes_its_cases_along(ws) -> None:
    student = a_student(ws)
    case = dropout.open_case(ws, {"student_id": student, "status": "辍学",
                                  "opened_on": "2026-10-01"})
    school = records.get(ws, "student", student)["school_id"]
    records.put(ws, "school", records.get(ws, "school", school)
                | {"township_id": township("大昌镇")})
    dropout.change_status(ws, case, "劝返中", D(2026, 10, 5))  # not refused
    lines = {t.township: t for t in dropout.board(ws, D(2026, 10, 6))}
    assert lines["大昌镇"].open == 1 and lines["骡坪镇"].open == 0


def test_a_closed_case_does_not_bring_its_candidate_back(ws) -> None:
    student = a_student(ws, name="已处理")
    dropout.record_enrolment_change(ws, student, "转出", D(2026, 6, 1))
    (flag,) = dropout.candidates(ws, D(2026, 9, 1))
    case = dropout.confirm(ws, flag, "疑似辍学", D(2026, 9, 1))
    dropout.change_status(ws, case, "已复学", D(2026, 9, 10), placement="插班")
    dropout.change_status(ws, case, "已销号", D(2026, 10, 10))
    assert dropout.candidates(ws, D(2026, 11, 1)) == []


def test_the_board_of_a_past_date_ignores_later_visits(ws) -> None:
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "辍学",
                                  "opened_on": "2026-01-05"})
    dropout.add_visit(ws, case, D(2026, 1, 6), "电话", "班主任", "未接通")
    past = {t.township: t for t in dropout.board(ws, D(2026, 2, 1))}["骡坪镇"]
    dropout.add_visit(ws, case, D(2026, 6, 1), "家访", "班主任", "家长答应")
    again = {t.township: t for t in dropout.board(ws, D(2026, 2, 1))}["骡坪镇"]
    assert past.overdue == again.overdue == 1


def test_dates_in_the_future_are_refused(ws) -> None:
    from wushan_desk.domain import clock

    later = clock.today() + dt.timedelta(days=3)
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "辍学",
                                  "opened_on": clock.today().isoformat()})
    for call in (lambda: dropout.change_status(ws, case, "劝返中", later),
                 lambda: dropout.add_visit(ws, case, later, "家访", "谭老师", "未见到"),
                 lambda: dropout.add_visit(ws, case, clock.today(), "家访", "谭老师", "x",
                                           next_due=clock.today() - dt.timedelta(days=1))):
        with pytest.raises(ValidationError):
            call()


def test_a_failed_print_records_no_delivery(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "辍学",
                                      "opened_on": "2026-10-08"})
    finally:
        ws.close()
    nowhere = tmp_path / "文件.txt"
    nowhere.write_text("不是文件夹")
    code = cli.main(["report", "return-notice", case, "--issue", "--deadline", "2026-12-25",
                     "--out", str(nowhere / "x.pdf"), "--db", str(db)])
    assert code != 0
    ws = support.open_workspace(db)
    try:
        from wushan_desk.services import dropout_report

        assert dropout_report.issued(ws, case) is None
    finally:
        ws.close()


def test_a_child_typed_in_by_id_who_is_on_the_roster_is_linked(ws) -> None:
    student = records.get(ws, "student", a_student(ws, name="名单上的"))
    found = dropout.possible_duplicates(ws, resident_id=student["resident_id"].lower())
    assert [s["id"] for s in found.students] == [student["id"]] and found.cases == []
    by_name = dropout.possible_duplicates(ws, name=" 名单上的 ", birth_date="2015-03-01")
    assert [s["id"] for s in by_name.students] == [student["id"]]
    assert dropout.possible_duplicates(ws, name="名单上的") == dropout.Matches([], [])
    case = dropout.open_case(ws, {"name": "名单上的", "sex": "女", "birth_date": "2015-03-01",
                                  "resident_id": student["resident_id"],
                                  "township_id": township("庙宇镇"), "status": "失学",
                                  "opened_on": "2026-10-03"})
    stored = records.get(ws, "dropout_case", case)
    assert stored["student_id"] == student["id"]  # follows the child's school from now on
    assert stored["school_id"] == student["school_id"]
    assert [c["id"] for c in dropout.possible_duplicates(
        ws, resident_id=student["resident_id"]).cases] == [case]


def test_a_visit_keeps_its_evidence_and_a_refused_one_keeps_none(ws, tmp_path: Path) -> None:
    from wushan_desk.services import attachments

    photo = tmp_path / "家访.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo")
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "劝返中",
                                  "opened_on": "2026-10-01"})
    visit = dropout.add_visit(ws, case, D(2026, 10, 5), "家访", "谭老师", "见到家长",
                              files=[photo])
    [attachment] = records.get(ws, "dropout_visit", visit)["attachment_ids"]
    assert attachments.read(ws, attachment) == photo.read_bytes()
    entry = next(e for e in dropout.timeline(ws, case) if e.what == "劝返")
    assert entry.attachment_ids == (attachment,) and "佐证 1 个" in entry.text
    dropout.add_duty(ws, case, "班主任", "谭老师", "13800000000")
    dropout.change_status(ws, case, "送教上门", D(2026, 10, 8))
    dropout.change_status(ws, case, "已销号", D(2026, 11, 1))
    count = len(list(records.iter_records(ws, "attachment")))
    blobs = sorted(p for p in ws.files_dir.rglob("*") if p.is_file())
    other = tmp_path / "另一张.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0 another photo")
    with pytest.raises(ValidationError, match="已销号"):
        dropout.add_visit(ws, case, D(2026, 11, 2), "家访", "谭老师", "补记", files=[other])
    assert sorted(p for p in ws.files_dir.rglob("*") if p.is_file()) == blobs  # no file
    with pytest.raises(ValidationError, match="已销号"):
        dropout.add_duty(ws, case, "家长", "冉某")
    assert len(list(records.iter_records(ws, "attachment"))) == count  # rolled back


def test_the_visit_interval_is_a_setting_of_the_workspace(ws) -> None:
    case = dropout.open_case(ws, {"student_id": a_student(ws), "status": "劝返中",
                                  "opened_on": "2026-10-01"})
    dropout.add_visit(ws, case, D(2026, 10, 20), "家访", "谭老师", "家长不在家")
    day = D(2026, 11, 10)  # 21 days after the visit
    line = lambda: {t.township: t for t in dropout.board(ws, day)}["骡坪镇"]  # noqa: E731
    assert dropout.visit_every_days(ws) == 14 and line().overdue == 1
    assert dropout.set_visit_every_days(ws, 30) == 30
    assert line().overdue == 0 and not dropout.ledger(ws, day)[0].overdue
    assert dropout.set_visit_every_days(ws, 500) == 90  # kept within 1..90
