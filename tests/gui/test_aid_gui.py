"""The 学生资助 page: standards and the calendar, editable at the hub, read-only elsewhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import support
from PySide6.QtWidgets import QApplication

from wushan_desk.gui.aid_page import AidPage
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
