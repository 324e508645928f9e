"""打印申请表 on the 困难认定 tab: the selected recognition's form, made off the GUI thread
into the private viewing folder, shown in the print preview, its copy gone on closing."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
import support
from PySide6.QtWidgets import QApplication
from test_aid_gui import YEAR, told

from wushan_desk.gui import printing
from wushan_desk.gui.aid.page import AidPage
from wushan_desk.gui.aid.recognitions import RecognitionsTab
from wushan_desk.services import accounts, aid, audit, records
from wushan_desk.services import aid_recognition as recognition

__all__ = ["told"]  # what the tab told the user (the aid GUI tests' fixture)

WANG_ID = "11010519491231002X"  # support.student_record's ID number


@pytest.fixture
def tab(styled_app: QApplication, qtbot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> RecognitionsTab:
    """The 困难认定 tab on a county with one reviewed application (王𠮷堃, two members)."""
    monkeypatch.setenv("WUSHAN_DESK_HOME", str(tmp_path))
    ws = support.new_workspace(tmp_path / "w.wsdb")
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    student = records.put(ws, "student", support.student_record(school, name="王𠮷堃")).id
    rec = recognition.apply(ws, student, YEAR, dt.date(2026, 11, 2), members=[
        {"name": "王大山", "relation": "父亲", "age": 45, "income": 9000},
        {"name": "李堃", "relation": "母亲", "age": 41}])
    recognition.review(ws, rec, dt.date(2026, 11, 5), "经民主评议，家庭困难属实", "困难")
    page = AidPage(ws)
    qtbot.addWidget(page)
    page.recognitions.year.setCurrentIndex(page.recognitions.year.findData(YEAR))
    yield page.recognitions
    ws.close()


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return "".join(out.split())


def test_the_form_prints_for_the_selected_recognition(tab: RecognitionsTab, qtbot,
                                                      told: list[str]) -> None:
    tab.table.clearSelection()
    assert not tab.application_button.isEnabled()
    assert not tab.print_application() and "请先在列表中选中一条困难认定" in told[-1]
    tab.table.selectRow(0)
    assert tab.application_button.isEnabled()
    printed: list[Path] = []
    assert tab.print_application(then=printed.append)
    qtbot.waitUntil(lambda: bool(printed), timeout=20_000)
    pdf = printed[0]
    assert pdf.parent == printing.viewing_folder() and "王𠮷堃" in pdf.name
    text = _text(pdf)
    for fact in ("王𠮷堃", WANG_ID, "王大山", "李堃", "经民主评议，家庭困难属实", "学校（公章）"):
        assert fact in text, fact
    entry = audit.entries(tab.ws, action="print")[0]
    assert (entry.kind, entry.record_id) == ("aid_recognition", tab.rows[0].id)
    accounts.attach(tab.ws, accounts.Actor("x", "chakan", "查看", "read_only", None))
    tab.show_selected()
    assert not tab.application_button.isEnabled()  # it shows the full ID number


def test_the_preview_shows_the_form_and_its_copy_goes_on_closing(tab: RecognitionsTab,
                                                                 qtbot) -> None:
    tab.table.selectRow(0)
    assert tab.print_application()
    qtbot.waitUntil(lambda: getattr(tab, "preview", None) is not None, timeout=20_000)
    preview = tab.preview
    assert isinstance(preview, printing.PdfPrintPreview)
    qtbot.waitUntil(lambda: preview.page_count() >= 1, timeout=10_000)
    assert preview.failure is None and preview.pdf.exists()
    assert preview.pdf.parent == printing.viewing_folder()
    preview.close()
    qtbot.waitUntil(lambda: not preview.pdf.exists(), timeout=5000)
