"""The 资助核查 tab: findings listed off the GUI thread, explained, opened, exported."""

from __future__ import annotations

from pathlib import Path

import pytest
import support
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog
from test_aid_check import seeded  # noqa: F401 (the hand-checked county, as a fixture)

from wushan_desk.domain import aid_check as rules
from wushan_desk.gui.aid.page import AidPage
from wushan_desk.gui.widgets import dialogs


@pytest.fixture
def page(styled_app: QApplication, qtbot, seeded: Path, tmp_path: Path,  # noqa: F811
         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dialogs, "inform", lambda *_a: None)
    ws = support.open_copy(seeded, tmp_path)
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.tabs.setCurrentWidget(page.checks)
    page.show()  # the first showing runs the checks
    qtbot.waitUntil(lambda: bool(page.checks.found), timeout=20_000)
    yield page
    ws.close()


def _show(page: AidPage, check: str) -> None:
    tab = page.checks
    tab.check.setCurrentIndex(tab.check.findData(check))
    tab.table.selectRow(0)


def test_findings_are_listed_explained_and_filtered(page: AidPage, monkeypatch) -> None:
    tab = page.checks
    assert {f.check for f in tab.found} == set(rules.CHECKS) - {rules.TWO_SCHOOLS}
    assert "营养餐天数超过在校日 1条待说明" in tab.summary.text()
    _show(page, rules.TOO_MANY_DAYS)
    assert tab.table.rowCount() == 1 and tab.table.item(0, 2).text() == "李娜"
    assert "超过该学期的在校日" in tab.meaning.text()
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("录入错误，已改", True))
    assert tab.act("explain")
    assert tab.table.item(0, 5).text() == "已说明：录入错误，已改"
    tab.open_only.setChecked(True)
    assert tab.table.rowCount() == 0  # only those still open


def test_a_finding_opens_its_recognition_or_roster(page: AidPage) -> None:
    _show(page, rules.SHORT_NOTICE)
    finding = page.checks.selected()
    assert finding is not None and page.checks.act("open")
    assert page.tabs.currentWidget() is page.recognitions
    assert page.recognitions.selected().id == finding.records[0][1]
    _show(page, rules.NOT_AT_SCHOOL)
    assert page.checks.act("open")
    assert page.tabs.currentWidget() is page.rosters
    assert page.rosters.selected()["programme"] == "农村义务教育学生营养改善计划"


def test_the_findings_are_exported(page: AidPage, qtbot, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "核查.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(out), ""))
    assert page.checks.act("export")
    qtbot.waitUntil(out.exists, timeout=20_000)
    from openpyxl import load_workbook

    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(page.checks.found)


def test_the_payment_list_pages_searches_and_opens_the_roster(page: AidPage, qtbot) -> None:
    """发放明细: every payment, paged, searched by the child's name; Enter opens the
    payment's roster on the 发放花名册 tab."""
    page.tabs.setCurrentWidget(page.payments)
    payments = page.payments
    qtbot.waitUntil(lambda: payments.counted and payments.model.rowCount() > 0, timeout=10_000)
    assert payments.count_label.text() == "共 6 条"  # 2 of 两免一补, 4 of the nutrition
    assert not payments.act_new.isVisible() and not payments.act_delete.isVisible()
    payments.search.setText("李娜")
    payments.refresh()
    assert payments.model.rowCount() == 1
    row = payments.model.row(0)
    assert (row.name, row.amount, row.card) == ("李娜", 600.0, "")
    payments.open_row(0)
    assert page.tabs.currentWidget() is page.rosters
    assert page.rosters.selected()["id"] == row.roster_id
