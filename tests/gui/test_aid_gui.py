"""The 学生资助 page: standards and the calendar, editable at the hub, read-only elsewhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import support
from PySide6.QtWidgets import QApplication

from wushan_desk.gui.aid.page import AidPage
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.small import qdate
from wushan_desk.services import aid

YEAR = "2026-2027"


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the page told the user (instead of a blocking message box)."""
    messages: list[str] = []
    monkeypatch.setattr(dialogs, "inform", lambda _p, _t, text: messages.append(text))
    monkeypatch.setattr(dialogs, "show_error",
                        lambda _p, exc, _w, **_k: messages.append(str(exc)))
    return messages


def test_the_county_loads_and_corrects_standards(styled_app: QApplication, qtbot,
                                                 tmp_path: Path, told: list[str]) -> None:
    ws = support.new_workspace(tmp_path / "w.wsdb")
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(YEAR))
    assert page.standards_table.rowCount() == 0 and "载入默认标准" in page.standards_note.text()
    assert page.load_defaults() and "请逐条核对金额" in told[-1]
    assert page.standards_table.rowCount() == len(aid.standards(ws, YEAR)) > 10
    assert page.standards_table.item(0, 7).text() == "1,250"  # 小学住校 per year
    assert page.standards_table.item(0, 8).text() == "625"  # each term's payment
    page.standards_table.selectRow(0)
    assert not page.edit_amount("一千")  # refused in plain words, nothing changed
    assert "金额应为数字" in told[-1] and aid.standards(ws, YEAR)[0].amount == 1250
    assert page.edit_amount("1300")
    assert aid.standards(ws, YEAR)[0].amount == 1300
    assert page.standards_table.item(0, 8).text() == "650"
    ws.close()


def test_the_calendar_tab_counts_working_days(styled_app: QApplication, qtbot,
                                              tmp_path: Path, told: list[str]) -> None:
    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.seed_calendar(ws)
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.cal_year.setValue(2026)
    dates = [page.days_table.item(r, 0).text() for r in range(page.days_table.rowCount())]
    assert "2026-10-01" in dates and "2026-10-10" in dates  # a holiday, a working Saturday
    page.count_from.setDate(qdate(dt.date(2026, 9, 28)))
    page.count_to.setDate(qdate(dt.date(2026, 10, 9)))
    count = aid.count_working_days(ws, dt.date(2026, 9, 28), dt.date(2026, 10, 9)).count
    assert f"共 {count} 个工作日" in page.count.text()
    assert page.enter_day(dt.date(2027, 2, 8), "放假", "春节")
    assert page.cal_year.value() == 2027 and page.days_table.item(0, 3).text() == "春节"
    page.days_table.selectRow(0)
    assert page.undo_day() and page.days_table.rowCount() == 0
    assert not page.enter_day(dt.date(2027, 2, 10), "调休上班")  # a Wednesday
    assert "不需要登记为调休上班" in told[-1]
    ws.close()


def test_a_centre_laptop_sees_the_standards_read_only(styled_app: QApplication, qtbot,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "w.wsdb"
    ws = support.new_workspace(path)
    aid.load_defaults(ws, YEAR)
    ws.set_state("role", "centre")  # as a device that received them from the hub
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(YEAR))
    assert page.standards_table.rowCount() > 10
    assert "本机只读" in page.standards_note.text()
    assert page.defaults.isHidden() and page.edit.isHidden() and page.add_day.isHidden()
    digest_before = aid.standards(ws, YEAR)
    page.standards_table.selectRow(0)
    assert not page.edit_amount("1")
    assert aid.standards(ws, YEAR) == digest_before
    ws.close()


def _accepting(dialog, action) -> None:
    """The dialog's exec runs `action` (what the user types and clicks) instead of
    blocking, and returns what the dialog ended with."""
    dialog.exec = lambda: (action(), dialog.result())[1]


def test_a_supervisor_recognises_a_student_step_by_step(styled_app: QApplication, qtbot,
                                                        tmp_path: Path) -> None:
    """Apply from the roster with a household member, review, post a notice (its
    working days shown as the dates are picked), decide: the list and the history
    follow each step, and a step the status does not allow is not offered."""
    from wushan_desk.gui.aid.recognition_dialogs import ApplyDialog, StepDialog
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import records

    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    records.put(ws, "student", support.student_record(school, name="王小超"))
    page = AidPage(ws)
    qtbot.addWidget(page)
    tab = page.recognitions
    tab.year.setCurrentIndex(tab.year.findData(YEAR))
    assert page.tabs.currentWidget() is tab and tab.table.rowCount() == 0

    apply = ApplyDialog(ws, YEAR, tab)
    qtbot.addWidget(apply)

    def fill_application() -> None:
        apply.search.setText("小超")
        assert apply.find_students() == 1
        apply.applied.setDate(qdate(dt.date(2026, 11, 2)))
        apply.editors["household_size"].set_value("3")
        apply.editors["household_income"].set_value("9000")
        apply.add_member({"name": "王大山", "relation": "父亲", "age": 45, "income": 9000.0})
        apply.save()

    _accepting(apply, fill_application)
    rec = tab.new_application(apply)
    assert rec, apply.error.text()
    assert tab.table.item(0, 2).text() == "王小超"
    assert tab.table.item(0, 5).text() == "申请"
    assert "王大山（父亲，45岁，年收入9,000元）" in tab.details.text()
    assert not tab.step_buttons["notice"].isEnabled() and tab.step_buttons["review"].isEnabled()

    def step(name: str, fill) -> None:
        dialog = StepDialog(ws, name, tab.selected(), tab)
        qtbot.addWidget(dialog)
        _accepting(dialog, lambda: (fill(dialog), dialog.run()))
        assert tab.take_step(name, dialog), dialog.error.text()

    def review(d: StepDialog) -> None:
        d.day.setDate(qdate(dt.date(2026, 11, 5)))
        d.level.setCurrentText("特别困难")
        d.text.setPlainText("经民主评议，家庭困难属实")

    step("review", review)

    def notice(d: StepDialog) -> None:
        d.day.setDate(qdate(dt.date(2026, 11, 9)))  # Monday: the end follows to Friday
        assert d.end.date() == qdate(dt.date(2026, 11, 13))
        d.end.setDate(qdate(dt.date(2026, 11, 12)))
        assert "▲ 公示 4 个工作日" in d.count.text()
        d.end.setDate(qdate(dt.date(2026, 11, 13)))
        assert d.count.text().startswith("公示 5 个工作日")
        d.place.setText("校务公开栏")

    step("notice", notice)
    assert tab.table.item(0, 5).text() == "公示中" and tab.table.item(0, 7).text() == "2026-11-13"

    def decide(d: StepDialog) -> None:
        d.day.setDate(qdate(dt.date(2026, 11, 16)))

    step("decide", decide)
    assert tab.table.item(0, 5).text() == "已认定"
    assert "2026-11-16 已认定" in tab.details.text()
    assert tab.step_buttons["recheck"].isEnabled() and not tab.step_buttons["decide"].isEnabled()
    assert recognition.level_of(ws, recognition.get(ws, rec)["student_id"], YEAR) == "特别困难"
    ws.close()


def test_a_refused_step_explains_and_changes_nothing(styled_app: QApplication, qtbot,
                                                     tmp_path: Path) -> None:
    from wushan_desk.gui.aid.recognition_dialogs import StepDialog
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import records

    ws = support.new_workspace(tmp_path / "w.wsdb")
    school = support.add_school(ws)
    student = records.put(ws, "student", support.student_record(school)).id
    rec = recognition.apply(ws, student, YEAR, dt.date(2026, 11, 2))
    page = AidPage(ws)
    qtbot.addWidget(page)
    tab = page.recognitions
    tab.year.setCurrentIndex(tab.year.findData(YEAR))
    tab.table.selectRow(0)
    dialog = StepDialog(ws, "review", tab.selected(), tab)
    qtbot.addWidget(dialog)
    dialog.day.setDate(qdate(dt.date(2026, 11, 5)))
    dialog.run()  # no opinion written
    assert not dialog.error.isHidden() and "请填写评议意见" in dialog.error.text()
    assert recognition.get(ws, rec)["status"] == "申请"
    ws.close()


def test_the_public_notice_prints_for_the_chosen_school(styled_app: QApplication, qtbot,
                                                        tmp_path: Path, told: list[str],
                                                        monkeypatch) -> None:
    """Made off the GUI thread into the private viewing folder; without a school chosen
    the tab says why instead."""
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import records

    monkeypatch.setenv("WUSHAN_DESK_HOME", str(tmp_path))
    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    student = records.put(ws, "student", support.student_record(school, name="王小超")).id
    rec = recognition.apply(ws, student, YEAR, dt.date(2026, 11, 2))
    recognition.review(ws, rec, dt.date(2026, 11, 5), "属实", "困难")
    recognition.post_notice(ws, rec, dt.date(2026, 11, 9))
    tab = AidPage(ws).recognitions
    qtbot.addWidget(tab)
    assert not tab.print_notice() and "请先在“学校”中选择" in told[-1]
    tab.school.setCurrentIndex(tab.school.findData(school))
    printed: list[Path] = []
    assert tab.print_notice(then=printed.append)
    qtbot.waitUntil(lambda: bool(printed), timeout=20_000)
    assert printed[0].suffix == ".pdf" and printed[0].stat().st_size > 1000
    ws.close()


def test_a_roster_is_built_confirmed_and_exported(styled_app: QApplication, qtbot,
                                                  tmp_path: Path, told: list[str]) -> None:
    """After the recognition: a roster of the living subsidy, the child listed at the
    standard, an unrecognised child refused in plain words, reported, confirmed (locked:
    only adjustments), exported with the card masked."""
    from openpyxl import load_workbook

    from wushan_desk.gui.aid.rosters import NewRosterDialog, PaymentDialog
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import records

    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.load_defaults(ws, YEAR)
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    poor = records.put(ws, "student", support.student_record(school, name="王小超")).id
    records.put(ws, "student", support.student_record(school, name="李小娜", resident_id=None))
    rec = recognition.apply(ws, poor, YEAR, dt.date(2026, 9, 1))
    recognition.review(ws, rec, dt.date(2026, 9, 10), "属实", "困难")
    recognition.post_notice(ws, rec, dt.date(2026, 9, 14))
    recognition.decide(ws, rec, dt.date(2026, 9, 21), True)
    page = AidPage(ws)
    qtbot.addWidget(page)
    tab = page.rosters
    tab.term.setCurrentIndex(tab.term.findData("2026-2027-1"))

    new = NewRosterDialog(ws, "2026-2027-1", tab)
    qtbot.addWidget(new)
    new.programme.setCurrentIndex(new.programme.findText("家庭经济困难学生生活补助（两免一补）"))
    _accepting(new, new.save)
    assert tab.act("new", new) and tab.table.rowCount() == 1
    assert tab.buttons["add"].isEnabled() and not tab.buttons["adjust"].isEnabled()

    def pay(name: str, card: str = "") -> PaymentDialog:
        dialog = PaymentDialog(ws, tab.selected()["id"], tab)
        qtbot.addWidget(dialog)

        def fill() -> None:
            dialog.search.setText(name)
            dialog.find_students()
            dialog.boarding.setCurrentText("住校")
            dialog.card.setText(card)
            dialog.save()

        _accepting(dialog, fill)
        return dialog

    refused = pay("李小娜")
    assert not tab.act("add", refused) and "只发给认定的家庭经济困难学生" in refused.error.text()
    assert tab.act("add", pay("王小超", "6222021001115555556"))
    assert tab.lines.item(0, 4).text() == "625" and tab.lines.item(0, 7).text() == "**** 5556"
    assert tab.act("report") and tab.act("confirm")
    assert tab.selected()["status"] == "已确认" and tab.buttons["adjust"].isEnabled()
    assert not tab.buttons["add"].isEnabled()
    tab.lines.selectRow(0)
    assert tab.act("adjust", ("退回", "银行退回：卡已注销", None))
    assert tab.lines.item(0, 5).text() == "退回" and "合计 0.00 元" in tab.note.text()
    out = tmp_path / "花名册.xlsx"
    assert tab.act("export", out)  # written off the GUI thread
    qtbot.waitUntil(lambda: bool(told) and "银行卡号已遮挡" in told[-1], timeout=20_000)
    cells = [str(c.value) for row in load_workbook(out).active.iter_rows() for c in row]
    assert "王小超" in cells and "6222021001115555556" not in cells
    ws.close()


def test_the_county_edits_a_programme_and_its_standards(styled_app: QApplication, qtbot,
                                                        tmp_path: Path, told: list[str]) -> None:
    """项目设置 (eligibility: groups), 新增标准 and 删除标准 at the hub, in the record form."""
    from wushan_desk.services import records

    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.load_defaults(ws, YEAR)
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(YEAR))
    page.standards_table.selectRow(0)
    programme = page.rows[0].programme_id
    form = page.edit_programme()
    form.editors["school_year"].set_value("2027-2028")
    assert not form.save()  # its rosters and recognitions use it by year
    form.editors["school_year"].set_value(YEAR)
    form.editors["groups"].set_value(["孤儿", "残疾"])
    assert form.save()
    assert records.get(ws, "aid_programme", programme)["groups"] == ["孤儿", "残疾"]
    before = page.standards_table.rowCount()
    form = page.add_standard()
    assert form.editors["programme_id"].value() == programme
    form.editors["amount"].set_value(100.0)
    form.editors["section"].set_value("初中")
    assert form.save()
    assert page.standards_table.rowCount() == before + 1
    new = next(i for i, r in enumerate(page.rows) if r.amount == 100.0)
    page.standards_table.selectRow(new)
    assert page.delete_standard(confirmed=True)
    assert page.standards_table.rowCount() == before
    ws.close()


def test_the_page_fits_a_1366_pixel_screen_beside_the_navigation(
        styled_app: QApplication, qtbot, tmp_path: Path) -> None:
    """Every tab of the page, with the county's standards loaded (a long note beside six
    buttons once pushed the window to 1,404 px)."""
    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.load_defaults(ws, YEAR)
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(YEAR))
    widths = {page.tabs.tabText(i): page.tabs.widget(i).minimumSizeHint().width()
              for i in range(page.tabs.count())}
    assert page.minimumSizeHint().width() <= 1366 - 160, widths
    ws.close()
