"""从表格导入… on the 发放花名册 tab: picked, checked off the GUI thread, previewed, then
imported all or nothing; a bad file is explained and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import support
from PySide6.QtWidgets import QApplication, QFileDialog
from test_aid_roster_import import BAD, CARD, GOOD, Prepared, bomb, prepared, write_xlsx
from test_aid_rosters import TERM, seeded

from wushan_desk.gui.aid.rosters import RostersTab
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import aid_roster

__all__ = ["prepared", "seeded"]  # the import tests' workspace: drafts and a reported roster


class Told:
    """What the tab showed the user instead of blocking message boxes, and its answer
    to the confirmation (`agree`)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.informed: list[str] = []
        self.errors: list[str] = []
        self.agree = True


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> Told:
    seen = Told()

    def confirm(_parent: object, _title: str, text: str, _action: str) -> bool:
        seen.asked.append(text)
        return seen.agree

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "inform", lambda _p, _t, text: seen.informed.append(text))
    monkeypatch.setattr(dialogs, "show_error",
                        lambda _p, exc, _w, **_k: seen.errors.append(str(exc)))
    return seen


@pytest.fixture
def tab(styled_app: QApplication, qtbot, prepared: Prepared, tmp_path: Path):
    path = tmp_path / "w.wsdb"
    support.copy_workspace(prepared.path, path)
    ws = support.open_workspace(path, create=False)
    tab = RostersTab(ws)
    qtbot.addWidget(tab)
    tab.term.setCurrentIndex(tab.term.findData(TERM))
    yield tab
    ws.close()


def _select(tab: RostersTab, roster_id: str) -> None:
    tab.table.selectRow([r["id"] for r in tab.rosters].index(roster_id))


def test_a_draft_roster_imports_after_its_preview(tab: RostersTab, qtbot, told: Told,
                                                  prepared: Prepared, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The button is offered on drafts only; the file comes from the file dialog; the
    preview says how many, how much and what is ignored; 导入 writes, cards masked."""
    _select(tab, prepared.rosters["reported"])
    assert not tab.buttons["import"].isEnabled()
    assert not tab.act("import", tmp_path / "none.xlsx")
    meals = prepared.rosters["meals"]
    _select(tab, meals)
    assert tab.buttons["import"].isEnabled()
    source = write_xlsx(tmp_path / "f.xlsx", GOOD)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *_a, **_k: (str(source), "Excel 文件 (*.xlsx)"))
    assert tab.act("import")
    qtbot.waitUntil(lambda: bool(told.informed), timeout=20_000)
    assert told.asked == ["将列入 2 人，合计 850.00 元。\n忽略的列：序号、备注\n"
                          "点“导入”写入花名册。"]
    assert told.informed == ["已列入 2 人，合计 850.00 元。"] and told.errors == []
    assert tab.selected()["id"] == meals and tab.lines.rowCount() == 2
    cells = [tab.lines.item(r, c).text() for r in range(2) for c in range(tab.lines.columnCount())]
    assert "**** 5556" in cells and CARD not in cells
    assert "850.00 元" in tab.note.text()


def test_a_bad_file_is_explained_and_nothing_is_written(tab: RostersTab, qtbot, told: Told,
                                                        prepared: Prepared,
                                                        tmp_path: Path) -> None:
    meals = prepared.rosters["meals"]
    _select(tab, meals)
    rows = [*GOOD, BAD["other school"][0], BAD["amount without reason"][0]]
    assert tab.act("import", write_xlsx(tmp_path / "bad.xlsx", rows))
    qtbot.waitUntil(lambda: bool(told.informed), timeout=20_000)
    text = told.informed[0]
    assert text.startswith("2 行有错误，不能导入") and told.asked == []  # no 导入 offered
    assert "第 5 行（刘洋）：是“巫山县骡坪镇初级中学”的学生" in text and "第 6 行（陈芳）" in text
    assert aid_roster.view(tab.ws, meals).lines == []
    assert tab.act("import", bomb(tmp_path / "bomb.xlsx"))
    qtbot.waitUntil(lambda: bool(told.errors), timeout=20_000)
    assert "内容异常" in told.errors[0] and aid_roster.view(tab.ws, meals).lines == []


def test_declining_the_preview_writes_nothing(tab: RostersTab, qtbot, told: Told,
                                              prepared: Prepared, tmp_path: Path) -> None:
    meals = prepared.rosters["meals"]
    _select(tab, meals)
    told.agree = False
    assert tab.act("import", write_xlsx(tmp_path / "f.xlsx", GOOD))
    qtbot.waitUntil(lambda: bool(told.asked), timeout=20_000)
    qtbot.wait(200)  # nothing else follows: no import task was started
    assert told.informed == [] and aid_roster.view(tab.ws, meals).lines == []
