"""控辍保学 page: confirm a candidate, record a visit by keyboard, move the case to 已复学,
and see the ledger and the board change."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from typing_helpers import enter_text

from wushan_desk.domain import clock
from wushan_desk.gui.dropout.dialogs import CaseDialog, StatusDialog, VisitDialog
from wushan_desk.gui.dropout.page import DropoutPage
from wushan_desk.services import dropout, records
from wushan_desk.services.session import Workspace


def test_a_candidate_becomes_a_case_and_is_placed(qtbot, styled_app, demo_ws: Workspace,
                                                  monkeypatch) -> None:
    today = clock.today()
    with_case = {c["student_id"] for c in records.iter_records(demo_ws, "dropout_case")}
    student = next(s for s in records.iter_records(demo_ws, "student")
                   if s["id"] not in with_case)
    dropout.record_enrolment_change(demo_ws, student["id"], "转出",
                                    today - dt.timedelta(days=45))
    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    page.show()
    row = next(r for r in range(page.candidates_table.rowCount())
               if page.candidates_table.item(r, 0).text() == student["name"])
    page.candidates_table.selectRow(row)
    case_id = page.confirm_candidate("疑似辍学")
    assert case_id is not None
    township = records.get(demo_ws, "dropout_case", case_id)["township_id"]
    before = {t.township_id: t for t in dropout.board(demo_ws, today)}[township]
    assert before.open >= 1 and not before.dynamic_zero
    assert student["name"] not in [page.candidates_table.item(r, 0).text()
                                   for r in range(page.candidates_table.rowCount())]

    case = CaseDialog(demo_ws, case_id, page)
    qtbot.addWidget(case)
    visit = VisitDialog(demo_ws, case_id, case)
    qtbot.addWidget(visit)
    visit.show()
    visit.activateWindow()
    qtbot.waitUntil(visit.isActiveWindow)
    enter_text(qtbot, visit.participants, "班主任谭老师、村主任")  # as an input method types
    qtbot.keyClick(visit.participants, Qt.Key.Key_Tab)  # to 情况
    assert visit.outcome.hasFocus()
    enter_text(qtbot, visit.outcome, "家长同意下周一送回学校")
    qtbot.keyClick(visit.outcome, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert visit.result() == visit.DialogCode.Accepted
    case.refresh()
    assert any("家长同意下周一送回学校" in case.timeline.item(r, 2).text()
               for r in range(case.timeline.rowCount()))

    status = StatusDialog(demo_ws, case_id, case)
    qtbot.addWidget(status)
    status.status.setCurrentText("已复学")
    status.save()  # no placement: refused in the form
    assert "安置方式" in status.error.text() and status.result() != status.DialogCode.Accepted
    status.placement.setCurrentIndex(status.placement.findData("插班"))
    status.save()
    assert status.result() == status.DialogCode.Accepted
    page.refresh()
    shown = {page.cases.item(r, 0).text(): page.cases.item(r, 3).text()
             for r in range(page.cases.rowCount())}
    assert shown[student["name"]] == "已复学"
    after = {t.township_id: t for t in dropout.board(demo_ws, today)}[township]
    assert after.open == before.open - 1 and after.placed == before.placed + 1
    assert page.board_table.rowCount() == 26


def test_home_is_the_work_queue(qtbot, window) -> None:
    """首页's 待办: the same counts as the rules, one click to the page that does the work."""
    from PySide6.QtWidgets import QPushButton

    from wushan_desk.gui.pages import HomePage
    from wushan_desk.services import work_queue

    home = window.pages["首页"]
    assert isinstance(home, HomePage)
    qtbot.waitUntil(lambda: home.todo_box.isVisible(), timeout=10_000)
    expected = work_queue.work_queue(window.ws, clock.today())
    assert [(w.what, w.count) for w in home.work] == [(w.what, w.count) for w in expected]
    assert any(w.count for w in expected)  # the demo has work to do
    cases = next(w for w in expected if w.page == "控辍保学")
    go = [b for b in home.todo_box.findChildren(QPushButton) if b.text() == "去控辍保学"]
    if cases.count:
        go[0].click()
        assert window.current_page() == "控辍保学"
    notices = next(w for w in expected if w.page == "学生资助")
    assert notices.count > 0  # the demo's notices running at its "today" end by now
    next(b for b in home.todo_box.findChildren(QPushButton) if b.text() == "去学生资助").click()
    assert window.current_page() == "学生资助"


def test_the_notice_prints_from_the_case(qtbot, styled_app, demo_ws: Workspace,
                                         tmp_path, monkeypatch) -> None:
    from wushan_desk.gui.dropout.dialogs import NoticeDialog
    from wushan_desk.services import dropout_report

    monkeypatch.setenv("WUSHAN_DESK_HOME", str(tmp_path))
    case = next(c for c in records.iter_records(demo_ws, "dropout_case")
                if c["status"] in ("疑似辍学", "辍学", "劝返中"))
    opened: list = []
    draft = NoticeDialog(demo_ws, case["id"])
    qtbot.addWidget(draft)
    draft.print_notice(then=opened.append)
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)  # rendered off the GUI thread
    assert opened[0].exists() and dropout_report.issued(demo_ws, case["id"]) is None
    issued = NoticeDialog(demo_ws, case["id"])
    qtbot.addWidget(issued)
    issued.issue.setChecked(True)
    issued.print_notice(then=opened.append)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    assert opened[1].exists()
    assert dropout_report.issued(demo_ws, case["id"]) is not None
    shown = NoticeDialog(demo_ws, case["id"])  # from the case: the app's print preview
    qtbot.addWidget(shown)
    shown.print_notice()
    qtbot.waitUntil(lambda: shown.preview is not None, timeout=10_000)
    qtbot.waitUntil(lambda: shown.preview.page_count() == 1, timeout=5000)
    assert shown.preview.failure is None and "限期返校通知书" in shown.preview.pdf.name
    assert not (tmp_path / "打印").exists()  # nothing left in a user folder
    shown.preview.close()


def test_the_board_exports_a_townships_ledger(qtbot, styled_app, demo_ws: Workspace,
                                              tmp_path) -> None:
    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    page.board_table.selectRow(0)  # the township with the most open cases comes first
    out = page.export_ledger(tmp_path / "台账.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    assert sheet["B1"].value == "姓名" and sheet.max_row >= 2


def test_a_read_only_account_cannot_export_the_ledger(qtbot, styled_app, demo_ws: Workspace,
                                                      tmp_path, monkeypatch) -> None:
    from wushan_desk.gui.widgets import dialogs
    from wushan_desk.services import accounts

    reader = next(a for a in accounts.list_accounts(demo_ws) if a.role == "read_only")
    accounts.attach(demo_ws, reader)
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, exc, _t: shown.append(exc.message))
    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    page.board_table.selectRow(0)
    assert page.export_ledger(tmp_path / "x.xlsx") is None and "无权" in shown[0]
    assert not (tmp_path / "x.xlsx").exists()


def test_the_monthly_tab_shows_the_services_figures_and_exports(qtbot, styled_app,
                                                               demo_ws: Workspace,
                                                               tmp_path) -> None:
    from openpyxl import load_workbook

    from wushan_desk.services.dropout_monthly import HEADER, Month, monthly

    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    assert page.month.currentData() == Month.of(clock.today()).previous()  # the one due
    expected = {t.township: t.figures for t in monthly(demo_ws, page.month.currentData())}
    shown = {page.monthly_table.item(r, 0).text():
             [page.monthly_table.item(r, c).text() for c in range(len(HEADER))]
             for r in range(page.monthly_table.rowCount())}
    assert shown == {k: [str(v) for v in row] for k, row in expected.items()}
    assert any(row[6] != "0" for row in shown.values())  # the demo has open cases
    page.month.setCurrentIndex(2)
    earlier = {t.township: t for t in monthly(demo_ws, page.month.currentData())}
    first = page.monthly_table.item(0, 0).text()
    assert page.monthly_table.item(0, 6).text() == str(earlier[first].open_end)
    out = page.export_monthly(tmp_path / "月报.xlsx")
    assert out is not None and load_workbook(out).active.max_row == 28  # header, 26, 合计


def test_a_new_case_shows_duplicates_at_once_and_takes_the_roster_child(
        qtbot, styled_app, demo_ws: Workspace) -> None:
    from wushan_desk.gui.dropout.new_case import NewCaseDialog

    with_case = {c["student_id"] for c in records.iter_records(demo_ws, "dropout_case")}
    student = next(s for s in records.iter_records(demo_ws, "student")
                   if s["id"] not in with_case and s.get("resident_id"))
    dialog = NewCaseDialog(demo_ws)
    qtbot.addWidget(dialog)
    dialog.show()
    enter_text(qtbot, dialog.editors["name"].focus, student["name"])
    enter_text(qtbot, dialog.editors["birth_date"].focus, student["birth_date"])
    qtbot.waitUntil(dialog.matches.isVisible, timeout=2000)  # shown while typing
    assert "学籍名单上有" in dialog.matches.text() and dialog.use_roster.isVisible()
    dialog.use_roster.click()
    assert dialog.editors["resident_id"].value() == student["resident_id"]
    assert not dialog.editors["school_id"].widget.isEnabled()
    dialog.editors["reasons"].set_value(["外出务工"])
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.case_id
    case = records.get(demo_ws, "dropout_case", dialog.case_id)
    assert case["student_id"] == student["id"] and case["reasons"] == ["外出务工"]
    again = NewCaseDialog(demo_ws)  # the same child a second time: refused, said why
    qtbot.addWidget(again)
    again.editors["resident_id"].set_value(student["resident_id"])
    assert "已有案件" in (again.check_duplicates() and again.matches.text())
    again.take_roster_child()
    again.save()
    assert again.result() != again.DialogCode.Accepted
    assert "已有未销号的案件" in again.error.text()


def test_a_child_never_enrolled_is_typed_in_with_field_errors(qtbot, styled_app,
                                                             demo_ws: Workspace,
                                                             valid_id) -> None:
    from wushan_desk.gui.dropout.new_case import NewCaseDialog
    from wushan_desk.services import browse

    dialog = NewCaseDialog(demo_ws)
    qtbot.addWidget(dialog)
    dialog.show()
    for name, value in (("name", "冉未入学"), ("sex", "男"), ("birth_date", "2017-03-09"),
                        ("resident_id", "500237201703090001"), ("status", "失学")):
        dialog.editors[name].set_value(value)
    dialog.editors["township_id"].set_value(browse.townships(demo_ws)[0].id)
    dialog.save()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.editors["resident_id"].error.isVisible()  # the wrong check digit, there
    dialog.editors["resident_id"].set_value(valid_id("2017-03-09", 1))
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    case = records.get(demo_ws, "dropout_case", dialog.case_id)
    assert case["student_id"] is None and case["status"] == "失学"


def test_duties_and_evidence_from_the_case(qtbot, styled_app, demo_ws: Workspace,
                                           tmp_path, monkeypatch) -> None:
    from wushan_desk.gui.dropout.dialogs import DutyDialog

    monkeypatch.setenv("WUSHAN_DESK_HOME", str(tmp_path))
    case_id = next(c["id"] for c in records.iter_records(demo_ws, "dropout_case")
                   if c["status"] in ("疑似辍学", "辍学", "劝返中"))
    case = CaseDialog(demo_ws, case_id)
    qtbot.addWidget(case)
    duty = DutyDialog(demo_ws, case_id, case)
    qtbot.addWidget(duty)
    duty.role.setCurrentText("村(社区)")
    enter_text(qtbot, duty.name, "村主任冉某")
    enter_text(qtbot, duty.phone, "abc")
    duty.save()
    assert "电话" in duty.error.text() and duty.result() != duty.DialogCode.Accepted
    duty.phone.setText("13800000000")
    duty.save()
    assert duty.result() == duty.DialogCode.Accepted
    case.refresh()
    assert "村(社区) 村主任冉某" in case.duties.text()
    photo = tmp_path / "家访照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo")
    visit = VisitDialog(demo_ws, case_id, case)
    qtbot.addWidget(visit)
    visit.add_files([str(photo)])
    assert "家访照片.jpg" in visit.attached.text()
    enter_text(qtbot, visit.participants, "谭老师")
    enter_text(qtbot, visit.outcome, "带照片的家访")
    visit.save()
    assert visit.result() == visit.DialogCode.Accepted
    case.refresh()
    row = next(r for r in range(case.timeline.rowCount())
               if "带照片的家访" in case.timeline.item(r, 2).text())
    opened: list = []
    copies = case.open_evidence(row, then=opened.append)
    assert opened == copies and copies[0].suffix == ".jpg"
    assert copies[0].read_bytes() == photo.read_bytes()


def test_term_rosters_from_the_candidates_tab(qtbot, styled_app, demo_ws: Workspace,
                                              tmp_path) -> None:
    from openpyxl import Workbook

    from wushan_desk.domain import term_rosters as terms
    from wushan_desk.services import term_rosters

    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    assert page.archive_roster(confirmed=False) is None and not term_rosters.kept(demo_ws)
    result = page.archive_roster(confirmed=True)
    assert result.term == terms.term_of(clock.today()) and result.students > 0
    assert len(term_rosters.kept(demo_ws, result.term)) == result.schools
    student = next(records.iter_records(demo_ws, "student"))
    school = records.get(demo_ws, "school", student["school_id"])["name"]
    book = Workbook()
    book.active.append(["学校", "姓名", "身份证号"])
    book.active.append([school, student["name"], student["resident_id"]])
    book.save(tmp_path / "名册.xlsx")
    page.import_roster(tmp_path / "名册.xlsx", confirmed=True)  # read off the GUI thread
    qtbot.waitUntil(lambda: "已导入" in page.roster_note.text(), timeout=10_000)
    assert "已导入 0 所学校" in page.roster_note.text()  # each school's roster once a term


def test_a_ledger_is_previewed_then_imported(qtbot, styled_app, demo_ws: Workspace, tmp_path,
                                             valid_id) -> None:
    from openpyxl import Workbook

    from wushan_desk.services import browse

    township = browse.townships(demo_ws)[0].name
    book = Workbook()
    sheet = book.active
    sheet.append(["某乡镇控辍保学台账"])
    sheet.append(["学生姓名", "性别", "出生年月日", "公民身份号码", "所在乡镇", "当前状态",
                  "发现日期"])
    sheet.append(["冉导入", "男", "2016-04-02", valid_id("2016-04-02", 1), township, "失学",
                  "2026-10-08"])
    good = tmp_path / "台账.xlsx"
    book.save(good)
    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    before = len(list(records.iter_records(demo_ws, "dropout_case")))
    dialog = page.import_ledger(good)
    qtbot.waitUntil(dialog.go.isEnabled, timeout=10_000)  # checked off the GUI thread
    assert "姓名 ← “学生姓名”" in dialog.columns.text() and dialog.rows.rowCount() == 1
    assert len(list(records.iter_records(demo_ws, "dropout_case"))) == before  # preview only
    dialog.go.click()
    qtbot.waitUntil(lambda: dialog.imported is not None, timeout=10_000)
    assert len(list(records.iter_records(demo_ws, "dropout_case"))) == before + 1
    again = page.import_ledger(good)  # the same child again: refused, every row said
    qtbot.waitUntil(again.error.isVisible, timeout=10_000)
    assert "第 3 行" in again.error.text() and not again.go.isEnabled()
    again.reject()


def test_the_visit_interval_is_set_on_the_page(qtbot, styled_app, demo_ws: Workspace) -> None:
    page = DropoutPage(demo_ws)
    qtbot.addWidget(page)
    late_before = sum(r.overdue for r in page.rows)
    page.every.setValue(90)
    assert dropout.visit_every_days(demo_ws) == 90
    assert sum(r.overdue for r in page.rows) <= late_before
    assert f"逾期 {sum(r.overdue for r in page.rows)} 件" in page.count.text()
