"""The 同步 page and the set-up dialogs, driven on a real hub and device in tmp_path.

A device exports to a folder, the hub previews and imports it, resolves the conflict it
brought, exports back, and the device sees the resolution; rejected packages are shown in
words; the shared folder, revocation, enrolment and joining, and the first-start wizard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QPushButton,
)
from typing_helpers import enter_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
from network import HUB, Network, build_network
from support import open_workspace

from wushan_desk.gui import first_start
from wushan_desk.gui.first_start import FirstStartDialog
from wushan_desk.gui.main_window import MainWindow
from wushan_desk.gui.sync import dialogs as sync_dialogs
from wushan_desk.gui.sync.dialogs import ExportDialog, ExportResultDialog, PackagesDialog
from wushan_desk.gui.sync.enrol_wizard import DeviceSetupDialog, EnrolDeviceDialog, HubSetupDialog
from wushan_desk.gui.sync.page import DemoBody, ExchangeBody, PendingBody, SyncPage
from wushan_desk.gui.sync.table import TONES
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import drives, records, sync

TASK_MS = 20_000


@pytest.fixture(scope="module")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("gui-network"), devices=1)


@pytest.fixture
def net(network_template: Network, tmp_path: Path) -> Network:
    return network_template.copy(tmp_path / "net")


@pytest.fixture
def open_window(qtbot, styled_app) -> Iterator[Callable[[Path], MainWindow]]:
    """Opens a workspace in a main window on its 同步 page; closes both afterwards."""
    opened: list[tuple[MainWindow, Any]] = []

    def open_(path: Path) -> MainWindow:
        ws = open_workspace(path, create=False)
        win = MainWindow(ws)
        qtbot.addWidget(win)
        win.resize(1366, 728)
        win.show()
        win.go_to("同步")
        opened.append((win, ws))
        return win

    yield open_
    for win, ws in opened:
        win.close()
        ws.close()


@pytest.fixture
def agree(monkeypatch) -> list[str]:
    """Every confirmation is answered yes; the questions asked are kept."""
    asked: list[str] = []

    def confirm(_parent, _title, text, action, informative=""):
        asked.append(f"{text} [{action}] {informative}")
        return True

    monkeypatch.setattr(dialogs, "confirm", confirm)
    return asked


def body_of(win: MainWindow) -> Any:
    page = win.pages["同步"]
    assert isinstance(page, SyncPage)
    return page.body


def wait_task(qtbot, owner: Any) -> None:
    qtbot.waitUntil(lambda: owner.task is not None and owner.task.done, timeout=TASK_MS)


def a_student(net: Network, party: str) -> str:
    with net.open(party) as ws:
        return sorted(r["id"] for r in records.iter_records(ws, "student"))[0]


def class_of(net: Network, party: str, sid: str) -> str:
    with net.open(party) as ws:
        return records.get(ws, "student", sid)["class_name"]


def export_from(qtbot, win: MainWindow, folder: Path, to: str | None = None) -> list[Path]:
    body = body_of(win)
    body.export(folder, to)
    wait_task(qtbot, body)
    assert isinstance(body.dialog, ExportResultDialog)
    files = [Path(folder) / body.dialog.table.item(r, 0).text()
             for r in range(body.dialog.table.rowCount())]
    body.dialog.accept()
    return files


def preview(qtbot, win: MainWindow, paths: list[Path]) -> PackagesDialog:
    body = body_of(win)
    body.preview(paths)
    wait_task(qtbot, body)
    assert isinstance(body.dialog, PackagesDialog)
    return body.dialog


def apply(qtbot, dialog: PackagesDialog) -> None:
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.windowTitle() == "导入结果", timeout=TASK_MS)


def cells(dialog: PackagesDialog, row: int = 0) -> list[str]:
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def test_export_preview_import_resolve_and_back(qtbot, open_window, net: Network, agree,
                                                tmp_path: Path) -> None:
    sid = a_student(net, "dev0")
    with net.open("dev0") as ws:
        records.put(ws, "student", {"id": sid, "class_name": "9班"})
    with net.open(HUB) as ws:
        records.put(ws, "student", {"id": sid, "class_name": "8班"})  # later: wins for now

    device = open_window(net.path("dev0"))
    (package,) = export_from(qtbot, device, tmp_path / "stick")
    assert package.exists() and package.suffix == ".wspkg"
    assert body_of(device).ledger.table.rowCount() >= 2  # the enrolment and this export

    hub = open_window(net.path(HUB))
    dialog = preview(qtbot, hub, [package])
    row = cells(dialog)
    assert row[0] == package.name and row[1] == "设备0"
    assert row[2] == "可导入，有冲突" and row[5] == "1"  # the edit lost: a conflict, no change
    assert "预览" in dialog.headline.text() and dialog.apply_button.isEnabled()
    assert class_of(net, HUB, sid) == "8班" and not sync.conflicts(hub.ws)  # nothing written

    apply(qtbot, dialog)
    assert "已导入 1 个同步包" in dialog.headline.text() and "已导入" in cells(dialog)[2]
    body = body_of(hub)
    assert body.tabs.tabText(1) == "冲突（1）"
    view = body.conflicts
    assert body.tabs.currentIndex() == 1 and view.isVisible()  # shown: the next thing to do
    assert view.table.rowCount() == 1
    assert [view.table.item(0, c).text() for c in (1, 2, 4, 6)] == ["班级", "8班", "9班", "本机"]
    assert "设备0" in view.table.item(0, 5).text()
    assert "9班" in view.detail["incoming"].text() and "（当前采用）" in view.detail["local"].text()

    view.keep_incoming.click()
    assert "9班" in agree[-1] and "同步" in agree[-1]  # asked first, saying it syncs back
    assert class_of(net, HUB, sid) == "9班"
    assert view.table.rowCount() == 0 and view.table.empty.isVisible()
    assert body.tabs.tabText(1) == "冲突"

    (back,) = export_from(qtbot, hub, tmp_path / "stick2", net.ids["dev0"])
    dialog = preview(qtbot, device, [back])
    assert cells(dialog)[1] == "巫山县教委督导室"
    apply(qtbot, dialog)
    assert class_of(net, "dev0", sid) == "9班"
    acked = body_of(device).status.acked_text()
    assert acked[:4].isdigit() and len(acked) == len("2026-11-28 14:30")


def test_rejected_packages_are_red_and_say_why(qtbot, open_window, net: Network,
                                               tmp_path: Path) -> None:
    junk = tmp_path / "照片.wspkg"
    junk.write_bytes(b"not a package at all")
    for_device = net.export(HUB, "dev0")[0]  # addressed to the device, not to the hub
    hub = open_window(net.path(HUB))
    dialog = preview(qtbot, hub, [junk, for_device])
    assert not dialog.apply_button.isEnabled()  # nothing to import
    for row in range(2):
        status, note = cells(dialog, row)[2], cells(dialog, row)[6]
        assert status == "✖ 拒绝" and note  # words, not colour alone
        assert dialog.table.item(row, 2).foreground().color().name() == TONES["bad"]
    assert "2 个被拒绝" in dialog.headline.text()
    dialog.table.selectRow(0)
    assert "拒绝" in dialog.detail.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_hub_imports_a_whole_stick_and_the_shared_folder(qtbot, open_window, net: Network,
                                                         tmp_path: Path) -> None:
    stick = tmp_path / "E"
    (stick / "巫山督导同步").mkdir(parents=True)
    device = open_window(net.path("dev0"))
    export_from(qtbot, device, stick / "巫山督导同步")
    net.export(HUB, "dev0")  # a package for the device lying on the same stick...
    for p in (tmp_path / "net" / "out").glob("*.wspkg"):
        p.rename(stick / p.name)
    hub = open_window(net.path(HUB))
    body = body_of(hub)
    body.preview_folder(stick)
    wait_task(qtbot, body)
    dialog = body.dialog
    assert dialog.table.rowCount() == 1 and "发给其他设备" in dialog.note.text()
    apply(qtbot, dialog)

    shared = tmp_path / "共享"
    shared.mkdir()
    body_of(device).choose_shared_folder(shared)
    assert device.ws.state("shared_folder") == str(shared)
    assert str(shared) in body_of(device).shared_label.text()
    body_of(device).sync_shared()
    wait_task(qtbot, body_of(device))
    assert "已导出 1 个同步包" in body_of(device).dialog.note.text()
    body.choose_shared_folder(shared)
    body.sync_shared()
    wait_task(qtbot, body)
    result = body.dialog
    assert result.windowTitle() == "共享文件夹同步结果" and result.table.rowCount() == 1
    assert "已导入" in cells(result)[2]
    body.sync_shared()  # again: nothing new for the hub, nothing imported twice
    wait_task(qtbot, body)
    assert body.dialog.table.rowCount() == 0


def test_revoking_a_device_names_it_and_asks_first(qtbot, open_window, net: Network,
                                                   agree) -> None:
    hub = open_window(net.path(HUB))
    body = body_of(hub)
    assert body.status.table.rowCount() == 1
    body.status.table.selectRow(0)
    body.act_revoke.trigger()
    assert "设备0" in agree[-1] and "[吊销]" in agree[-1]
    assert body.status.table.rowCount() == 0 and sync.enrolled_devices(hub.ws) == []


def fill_admin(setup) -> None:
    """The first administrator of the workspace the dialog makes (the tests' own)."""
    import os

    setup.admin_login.setText(os.environ["WUSHAN_DESK_USER"])
    setup.admin_password.setText(os.environ["WUSHAN_DESK_PASSWORD"])
    setup.admin_again.setText(os.environ["WUSHAN_DESK_PASSWORD"])


def test_enrol_and_join_through_the_dialogs(qtbot, open_window, net: Network, agree,
                                            tmp_path: Path, monkeypatch) -> None:
    start = FirstStartDialog()
    qtbot.addWidget(start)
    start.show()
    start.join_button.click()
    setup = start.setup
    assert isinstance(setup, DeviceSetupDialog)
    enter_text(qtbot, setup.name, "大昌片区督导中心-笔记本1")
    setup.where.edit.setText(str(tmp_path / "新设备.wsdb"))
    setup.out.set_folder(tmp_path / "申请")
    fill_admin(setup)
    setup.write_button.click()
    wait_task(qtbot, setup)
    assert setup.request is not None and setup.request.path.exists()
    assert setup.fingerprint.text() == setup.request.fingerprint

    hub = open_window(net.path(HUB))
    body = body_of(hub)
    body.enrol()
    enrol = body.dialog
    assert isinstance(enrol, EnrolDeviceDialog)
    enrol.choose_request(setup.request.path)
    assert enrol.device_fingerprint.text() == setup.request.fingerprint
    enrol.centre.setCurrentIndex(2)
    enrol.out.set_folder(tmp_path / "入网包")
    enrol.enrol_button.click()
    wait_task(qtbot, enrol)
    assert enrol.package is not None and enrol.package.exists()
    assert setup.request.fingerprint in enrol.fingerprints.text()
    assert body.status.table.rowCount() == 2  # the page refreshed

    later = [b for b in setup.findChildren(QPushButton) if b.text() == "以后再导入"]
    later[0].click()
    assert start.result() == QDialog.DialogCode.Accepted
    assert start.chosen == tmp_path / "新设备.wsdb"

    device = open_window(start.chosen)
    pending = body_of(device)
    assert isinstance(pending, PendingBody)
    told: list[str] = []
    monkeypatch.setattr(dialogs, "inform", lambda _p, _t, text: told.append(text))
    again = pending.write_request(tmp_path / "补写")  # the first request file was lost
    assert again is not None and sync.read_request(again)["device_id"] == device.ws.device_id
    assert str(again) in told[0]
    page = device.pages["同步"]
    with qtbot.waitSignal(page.openRequested, timeout=TASK_MS) as opened:
        pending.flow.start(enrol.package)
    hub_line = next(ln for ln in enrol.fingerprints.text().splitlines() if "中心库" in ln)
    assert hub_line.split("：")[1] in agree[-1]  # the hub's fingerprint was shown to compare
    assert opened.args == [start.chosen]
    assert device.ws.state("enrolled") == "1"


def test_first_start_creates_a_hub_with_the_demo_county(qtbot, styled_app, monkeypatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(first_start, "DEMO_SCALE", 0.01)
    start = FirstStartDialog()
    qtbot.addWidget(start)
    start.show()
    assert start.hub_button.isEnabled() and start.join_button.isEnabled()
    start.hub_button.click()
    setup = start.setup
    assert isinstance(setup, HubSetupDialog)
    setup.where.edit.setText(str(tmp_path / "县中心库"))  # .wsdb is added
    setup.demo.setChecked(True)
    fill_admin(setup)
    setup.create_button.click()
    qtbot.waitUntil(lambda: setup.stack.currentIndex() == 1, timeout=TASK_MS)
    assert "已填入演示数据" in setup.demo_note.text()
    fingerprint = setup.fingerprint.text()
    assert len(fingerprint) == len("ab12 cd34 ef56 7890")
    setup.open_button.click()
    assert start.result() == QDialog.DialogCode.Accepted
    assert start.chosen == tmp_path / "县中心库.wsdb"
    ws = open_workspace(start.chosen, create=False)
    try:
        assert ws.state("role") == "hub" and next(records.iter_records(ws, "student"), None)
    finally:
        ws.close()


def test_hub_setup_refuses_an_existing_file_and_esc_asks(qtbot, styled_app, tmp_path: Path,
                                                         agree) -> None:
    taken = tmp_path / "taken.wsdb"
    taken.write_bytes(b"x")
    setup = HubSetupDialog()
    qtbot.addWidget(setup)
    setup.show()
    setup.where.edit.setText(str(taken))
    fill_admin(setup)
    setup.create_button.click()
    assert setup.error.isVisible() and "不会覆盖" in setup.error.text()
    assert taken.read_bytes() == b"x"
    setup.name.setText("别的名字")
    qtbot.keyClick(setup, Qt.Key.Key_Escape)
    assert "放弃" in agree[-1] and not setup.isVisible()


def test_demo_workspace_says_it_does_not_sync(qtbot, window: MainWindow,
                                              tmp_path: Path) -> None:
    window.go_to("同步")
    body = body_of(window)
    assert isinstance(body, DemoBody)
    texts = " ".join(label.text() for label in body.findChildren(QLabel))
    assert "演示工作区" in texts and "不与县教委同步" in texts and "入网申请" in texts
    setup = body.open_wizard(HubSetupDialog)  # and it offers the real start
    setup.where.edit.setText(str(tmp_path / "hub.wsdb"))
    fill_admin(setup)
    setup.create_button.click()
    qtbot.waitUntil(lambda: setup.stack.currentIndex() == 1, timeout=TASK_MS)
    with qtbot.waitSignal(window.openRequested) as opened:
        qtbot.keyClick(setup, Qt.Key.Key_Escape)  # done: Esc goes on to open it
    assert opened.args == [tmp_path / "hub.wsdb"]


def test_export_suggests_the_usb_stick_and_keys_work(qtbot, open_window, net: Network,
                                                     monkeypatch, tmp_path: Path) -> None:
    sticks: list[drives.Drive] = []
    monkeypatch.setattr(sync_dialogs, "find_drives", lambda: list(sticks))
    device = open_window(net.path("dev0"))
    device.activateWindow()
    qtbot.waitUntil(device.isActiveWindow)
    body = body_of(device)
    assert isinstance(body, ExchangeBody)
    assert "Ctrl+E" in body.act_export.toolTip()
    qtbot.keyClick(device, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = body.dialog
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    assert dialog.chooser.folder() is None and not dialog.ok.isEnabled()
    assert "没有检测到 U 盘" in dialog.chooser.path_label.text()
    sticks.append(drives.Drive(tmp_path / "KINGSTON", "KINGSTON", int(3.2 * (1 << 30)), 1 << 34))
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_F5)  # plugged in a stick: look again
    assert dialog.chooser.combo.currentText() == "U盘 KINGSTON 剩余 3.2 GB"
    assert dialog.chooser.folder() == tmp_path / "KINGSTON" / "巫山督导同步"
    assert dialog.ok.isEnabled() and dialog.chooser.on_drive()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    asked: list[str] = []

    def no_files(*_args: Any, **_kw: Any) -> tuple[list[str], str]:
        asked.append("files")
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", no_files)
    device.activateWindow()
    qtbot.waitUntil(device.isActiveWindow)
    qtbot.keyClick(device, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["files"]


def test_tab_goes_through_the_hub_page_in_visual_order(qtbot, open_window,
                                                       net: Network) -> None:
    hub = open_window(net.path(HUB))
    hub.activateWindow()
    qtbot.waitUntil(hub.isActiveWindow)
    hub.nav.setFocus()
    seen = []
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        seen.append(widget.text() if hasattr(widget, "text") else type(widget).__name__)
    assert seen[:2] == ["导出", "导入"]  # the buttons beside the title come first
    assert seen.index("Table") < seen.index("吊销设备") < seen.index("设置共享文件夹…")
    assert seen.count("Table") == 1  # Tab leaves the table instead of walking its cells
