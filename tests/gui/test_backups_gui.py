"""设置 → 备份与恢复: list, back up now, restore (off the GUI thread, then a fresh window)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from wushan_desk.gui import app as gui_app
from wushan_desk.gui.backups import BackupsBox
from wushan_desk.gui.pages import SettingsPage
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import records

SCHOOL_FIELD = "head"


def a_school(path: Path) -> str:
    from wushan_desk.services.session import open_workspace

    ws = open_workspace(path, create=False)
    try:
        return next(records.iter_records(ws, "school"))["id"]
    finally:
        ws.close()


def test_back_up_now_then_restore_it_in_a_fresh_window(qtbot, styled_app: QApplication,
                                                       demo_copy: Path, monkeypatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(dialogs, "inform", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    school = a_school(demo_copy)
    session = gui_app.Session()
    try:
        assert session.open(demo_copy) == 0
        window = session.window
        assert window is not None and session.ws is not None
        records.put(session.ws, "school", {"id": school, SCHOOL_FIELD: "备份时的校长"})
        window.go_to("设置")
        page = window.pages["设置"]
        assert isinstance(page, SettingsPage)
        box: BackupsBox = page.backups
        qtbot.waitUntil(lambda: box.table.empty.isVisible() or box.table.rowCount() > 0)
        before = box.table.rowCount()
        box.now_button.click()
        qtbot.waitUntil(lambda: box.table.rowCount() == before + 1, timeout=10_000)
        assert box.table.item(0, 5).text() == "手动备份"
        records.put(session.ws, "school", {"id": school, SCHOOL_FIELD: "后来改的校长"})
        box.table.selectRow(0)
        assert box.restore_button.isEnabled()
        box.restore_button.click()
        qtbot.waitUntil(lambda: session.window is not window, timeout=20_000)
        assert told and "已恢复到" in told[0] and "before-restore" in told[0]
        assert records.get(session.ws, "school", school)[SCHOOL_FIELD] == "备份时的校长"
    finally:
        session.close()
