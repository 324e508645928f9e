"""同步: exchange packages with the county by USB stick or a shared folder.

The page takes the shape of the workspace: a demo says honestly that it does not sync
and how to start for real; a device that has asked to join offers 导入入网包; a joined
device and the hub get export, import with preview, the shared folder, the package
history, and on the hub the devices and the conflicts. All package work runs through
`run_task`, each job with its own connection; the page only reads small facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui.sync.conflicts import ConflictsView
from wushan_desk.gui.sync.dialogs import (
    ExportDialog,
    ExportResultDialog,
    PackagesDialog,
    remember_folder,
    start_folder,
)
from wushan_desk.gui.sync.enrol_wizard import (
    DeviceSetupDialog,
    EnrolDeviceDialog,
    HubSetupDialog,
    JoinFlow,
    fingerprint_label,
)
from wushan_desk.gui.sync.status import DeviceStatus, HubStatus, LedgerView
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.list_panel import make_action
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.services import sync, sync_view
from wushan_desk.services import workspace as workspace_service
from wushan_desk.services.session import Workspace, WorkspaceError

SHARED_FOLDER = "shared_folder"  # local setting of the workspace: never synced
DEVICE_STEPS = ("怎样同步：① 插入 U 盘，点 导出（Ctrl+E），同步包会写到 U 盘的“巫山督导同步”"
                "文件夹；② 把 U 盘带到县教委，由县教委导入，并为本机导出同步包；"
                "③ 带回后点 导入（Ctrl+I），先看预览，再点 确认导入。")


def tool_button(action: QAction) -> QToolButton:
    return QToolButton(defaultAction=action, objectName="listButton")


def scrolling(widget: QWidget) -> QScrollArea:
    """A tab's content that scrolls rather than clips on a small screen at 特大."""
    area = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to what is inside
    area.setWidget(widget)
    return area


def mode_of(ws: Workspace) -> str:
    """demo, hub, device, or pending (a device that has not joined yet)."""
    role = workspace_service.info(ws).role
    if role == "hub":
        return "hub"
    if role == "centre":
        return "device" if ws.state("enrolled") == "1" else "pending"
    return "demo"


class SyncPage(QWidget):
    """The 同步 page; the window opens `openRequested` paths and reloads on `dataImported`."""

    openRequested = Signal(Path)
    dataImported = Signal()
    synced = Signal(str)  # "上次同步" text for the status bar

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.mode = mode_of(ws)
        layout = QVBoxLayout(self)
        title = QHBoxLayout()  # the buttons beside the title: every line counts at 1366x768
        title.addWidget(QLabel("同步", objectName="pageTitle"))
        title.addSpacing(16)
        layout.addLayout(title)
        body: QWidget
        if self.mode == "demo":
            body = DemoBody(self)
        elif self.mode == "pending":
            body = PendingBody(self)
        else:
            body = ExchangeBody(self)
        self.body = body
        for button in getattr(body, "buttons", []):
            title.addWidget(button)  # first, so that Tab reaches them before the tabs
        title.addStretch(1)
        layout.addWidget(body, 1)

    def refresh(self) -> None:
        if isinstance(self.body, ExchangeBody):
            self.body.refresh()
            last = sync_view.last_sync_text(self.ws)
            if last:
                self.synced.emit(last)

    def showEvent(self, event: Any) -> None:
        self.refresh()  # a few small queries: the receipts and ledger may have changed
        super().showEvent(event)

    def open_later(self, path: Path) -> None:
        """Open another workspace (or this one again, after joining) in a new window; later,
        so that this window is not deleted under the dialog whose slot asked."""
        QTimer.singleShot(0, lambda: self.openRequested.emit(path))


class DemoBody(QWidget):
    """A demo does not sync: say so, and offer the two real ways to start."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__()  # parented when the page lays it out, after its buttons
        self.page = page
        self.wizard: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(
            "ⓘ 这是演示工作区：数据是虚构的，不与县教委同步，也不能导出或导入同步包。",
            objectName="notice", wordWrap=True))
        layout.addWidget(QLabel(
            "正式使用时：县教委先在一台电脑上创建县级中心库；各乡镇督导中心的电脑作为设备加入——"
            "写一份入网申请，带到县教委登记，再导入县教委给的入网包。之后就可以用 U 盘或共享文件夹"
            "交换同步包。", objectName="pageIntro", wordWrap=True))
        row = QHBoxLayout()
        for text, tip, wizard in (("创建县级中心库…", "县教委使用", HubSetupDialog),
                                  ("作为督导中心设备加入…", "乡镇督导中心使用", DeviceSetupDialog)):
            button = QPushButton(text, toolTip=tip, objectName="choiceButton")
            button.clicked.connect(lambda _c=False, w=wizard: self.open_wizard(w))
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def open_wizard(self, wizard_class: Any) -> Any:
        self.wizard = wizard_class(self)
        self.wizard.accepted.connect(self._done)
        self.wizard.open()
        return self.wizard

    def _done(self) -> None:
        if self.wizard is not None and self.wizard.chosen is not None:
            self.page.open_later(self.wizard.chosen)


class PendingBody(QWidget):
    """A device that wrote its request: the way to finish joining."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__()  # parented when the page lays it out, after its buttons
        self.page = page
        self.flow = JoinFlow(self, page.ws, page.ws.device_id)
        self.flow.joined.connect(lambda _j: page.open_later(page.ws.path))
        self.act_join = make_action(self, "导入入网包…", "Ctrl+I",
                                    "导入县教委登记本机后给的入网包")
        self.act_join.triggered.connect(lambda: self.flow.start())
        self.act_request = make_action(self, "重新写出入网申请…", "Ctrl+W",
                                       "申请文件丢了或没带走时，再写一份（同一台设备、同一套密钥）")
        self.act_request.triggered.connect(self.write_request)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(
            "ⓘ 本机还没有加入县级中心库。已经写好入网申请的，请把申请文件带到县教委登记；"
            "拿到县教委给的入网包（.wspkg 文件）后，点 导入入网包…。",
            objectName="notice", wordWrap=True))
        layout.addWidget(QLabel("本机指纹（县教委登记时会显示同一串，请当面核对）：",
                                objectName="pageIntro"))
        layout.addWidget(fingerprint_label(sync_view.my_fingerprint(page.ws)))
        row = QHBoxLayout()
        row.addWidget(tool_button(self.act_join))
        row.addWidget(tool_button(self.act_request))
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def write_request(self, folder: Path | None = None) -> Path | None:
        """Write the request again into a chosen folder (a USB stick, say)."""
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "选择保存入网申请的文件夹")
            if not chosen:
                return None
            folder = Path(chosen)
        try:
            path = sync.write_request(self.page.ws, folder)
        except (OSError, WorkspaceError) as exc:
            dialogs.show_error(self, exc, "写出入网申请")
            return None
        dialogs.inform(self, "入网申请", f"已写出入网申请：\n{path}\n请带到县教委登记本机。")
        return path


class ExchangeBody(QWidget):
    """A joined device or the hub: status, export, import, shared folder, history."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__()  # parented when the page lays it out, after its buttons
        self.page, self.ws = page, page.ws
        self.hub = page.mode == "hub"
        self.task: Task | None = None
        self.dialog: Any = None  # the last dialog opened (tests look at it)
        self._make_actions()
        self.tabs = QTabWidget(documentMode=True)
        self.status: HubStatus | DeviceStatus = HubStatus(self.ws) if self.hub else DeviceStatus(
            self.ws)
        self.tabs.addTab(scrolling(self._status_tab()), "设备" if self.hub else "状态")
        self.conflicts: ConflictsView | None = None
        if self.hub:
            self.conflicts = ConflictsView(self.ws)
            self.conflicts.resolved.connect(self.refresh)
            self.tabs.addTab(scrolling(self.conflicts), "冲突")
        self.ledger = LedgerView(self.ws)
        self.tabs.addTab(scrolling(self.ledger), "同步记录")
        self.buttons = [tool_button(action) for action in self.bar_actions]  # the page shows them
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)

    def _make_actions(self) -> None:
        def act(text: str, keys: Any, tip: str, slot: Any) -> QAction:
            action = make_action(self, text, keys, tip)
            action.triggered.connect(lambda: slot())
            return action

        self.act_export = act("导出…", "Ctrl+E", "写同步包到 U 盘或文件夹", self.ask_export)
        self.act_import = act("导入…", "Ctrl+I", "选择一个或多个同步包，先预览再导入",
                              self.ask_import)
        self.act_folder = act("导入文件夹…", "Ctrl+Shift+I",
                              "导入一个文件夹（如整个 U 盘）里发给本机的同步包",
                              self.ask_import_folder)
        self.act_shared = act("同步共享文件夹", "Ctrl+R",
                              "导出到共享文件夹，并导入其中发给本机的同步包", self.sync_shared)
        self.act_refresh = act("刷新", QKeySequence.StandardKey.Refresh, "重新读取同步状态",
                               self.refresh)
        self.act_enrol = act("登记设备…", "Ctrl+N", "用设备交来的入网申请登记新设备", self.enrol)
        self.act_revoke = act("吊销设备…", QKeySequence.StandardKey.Delete,
                              "停用选中的设备：它以后的同步包都会被拒绝", self.revoke_selected)
        self.act_revoke.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the table's
        self.act_export_one = act("导出给此设备…", None, "只为选中的设备写同步包",
                                  lambda: self.ask_export(self._selected_device()))
        self.bar_actions = [self.act_export, self.act_import]
        if self.hub:
            self.bar_actions += [self.act_folder, self.act_enrol]
        else:
            for action in (self.act_folder, self.act_enrol, self.act_revoke, self.act_export_one):
                self.removeAction(action)
                action.setEnabled(False)
        self.bar_actions += [self.act_shared, self.act_refresh]

    def _status_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.status, 1 if self.hub else 0)
        if isinstance(self.status, HubStatus):
            for action in (self.act_export_one, self.act_revoke):
                self.status.buttons.addWidget(tool_button(action))
            self.removeAction(self.act_revoke)
            # Delete only where a device is chosen; right-click offers both actions.
            self.status.table.addActions([self.act_export_one, self.act_revoke])
            self.status.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            self.status.buttons.addStretch(1)
            self.status.table.activated.connect(lambda _i: self.ask_export(self._selected_device()))
        self.shared_label = QLabel(objectName="hint", wordWrap=True)
        set_button = QPushButton("设置共享文件夹…",
                                 toolTip="选择与县教委共用的文件夹（局域网共享或同步盘）")
        set_button.clicked.connect(lambda: self.choose_shared_folder())
        row = QHBoxLayout()
        row.addWidget(self.shared_label, 1)
        row.addWidget(set_button)
        row.addWidget(tool_button(self.act_shared))
        layout.addLayout(row)
        if not self.hub:
            layout.addWidget(QLabel(DEVICE_STEPS, objectName="hint", wordWrap=True))
            layout.addStretch(1)
        return tab

    # -- status ------------------------------------------------------------------------

    def refresh(self) -> None:
        conflicts = 0
        if self.conflicts is not None:
            self.conflicts.refresh()
            conflicts = self.conflicts.count()
            self.tabs.setTabText(1, f"冲突（{conflicts}）" if conflicts else "冲突")
        if isinstance(self.status, HubStatus):
            self.status.refresh(conflicts)
        else:
            self.status.refresh()
        self.ledger.refresh()
        folder = self.shared_folder()
        self.shared_label.setText(f"共享文件夹：{folder}" if folder else
                                  "共享文件夹：未设置。有局域网共享或同步盘时，可以不用 U 盘。")

    def shared_folder(self) -> Path | None:
        value = self.ws.state(SHARED_FOLDER)
        return Path(value) if value else None

    def _selected_device(self) -> str | None:
        row = self.status.selected() if isinstance(self.status, HubStatus) else None
        return row.device_id if row else None

    # -- running work --------------------------------------------------------------------

    def _run(self, title: str, job: Any, on_done: Any, what: str, **kw: Any) -> None:
        if self.task is not None and not self.task.done:
            return  # one exchange at a time; its progress dialog is already up
        self.task = run_task(self, title, job, on_done, what=what, **kw)

    def _say(self, text: str) -> None:
        """A passing word in the window's status bar (a cancelled job needs no dialog)."""
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 10_000)

    def _show(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _imported(self, _summaries: list[Any] | None = None) -> None:
        self.page.refresh()
        if self.conflicts is not None and self.conflicts.count():
            self.tabs.setCurrentIndex(1)  # the conflicts: what the hub has to do next
        self.page.dataImported.emit()

    # -- export ----------------------------------------------------------------------------

    def ask_export(self, to: str | None = None) -> None:
        devices = [(r.name, r.device_id) for r in self.status.rows] if isinstance(
            self.status, HubStatus) else None
        dialog = ExportDialog(devices, self, preselect=to)
        dialog.accepted.connect(lambda: self.export(*dialog.choice(), dialog.chooser.on_drive()))
        self._show(dialog)

    def export(self, folder: Path, to: str | None = None, on_stick: bool = False) -> None:
        def done(exported: list[Any]) -> None:
            remember_folder(folder)
            self.page.refresh()
            self._show(ExportResultDialog(exported, folder, on_stick, self))

        self._run("正在导出同步包", sync_view.export_job(self.ws, folder, to), done,
                  "同步包没有导出", on_cancelled=lambda: self._say(
                      "已取消导出：已写完的同步包保留，其余的没有写出。"))

    # -- import ----------------------------------------------------------------------------

    def ask_import(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(self, "选择同步包", start_folder(),
                                                 "同步包 (*.wspkg);;所有文件 (*)")
        if chosen:
            self.preview([Path(p) for p in chosen])

    def ask_import_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "选择包含同步包的文件夹（如 U 盘）",
                                                  start_folder())
        if chosen:
            self.preview_folder(Path(chosen))

    def preview(self, paths: list[Path]) -> None:
        self._run("正在检查同步包", sync_view.import_job(self.ws, paths, dry_run=True),
                  lambda summaries: self._preview(summaries, ""), "同步包没有检查完",
                  on_cancelled=lambda: self._say("已取消检查，没有导入任何同步包。"))

    def preview_folder(self, folder: Path) -> None:
        def done(result: tuple[sync_view.Scan, list[Any]]) -> None:
            self._preview(result[1], scan_note(result[0]))

        self._run("正在查找并检查同步包", sync_view.folder_preview_job(self.ws, folder), done,
                  "同步包没有检查完",
                  on_cancelled=lambda: self._say("已取消检查，没有导入任何同步包。"))

    def _preview(self, summaries: list[Any], note: str) -> None:
        dialog = PackagesDialog(self.ws, summaries, note, preview=True, parent=self)
        dialog.imported.connect(self._imported)
        self._show(dialog)

    # -- shared folder ---------------------------------------------------------------------

    def choose_shared_folder(self, folder: Path | None = None) -> None:
        if folder is None:
            start = str(self.shared_folder() or Path.home())
            chosen = QFileDialog.getExistingDirectory(self, "选择共享文件夹", start)
            if not chosen:
                return
            folder = Path(chosen)
        self.ws.set_state(SHARED_FOLDER, str(folder))
        self.refresh()

    def sync_shared(self) -> None:
        folder = self.shared_folder()
        if folder is None:
            self.choose_shared_folder()
            folder = self.shared_folder()
            if folder is None:
                return
        result = sync_view.SharedResult()

        def show(cancelled: bool) -> None:
            note = f"已导出 {len(result.exported)} 个同步包到 {folder}。" + scan_note(result.scan)
            if cancelled:
                note += "已取消：已完成的部分保留，其余的下次再同步。"
            dialog = PackagesDialog(self.ws, result.imported, note, preview=False,
                                    parent=self)
            dialog.setWindowTitle("共享文件夹同步结果")
            self._imported()
            self._show(dialog)

        self._run("正在同步共享文件夹", sync_view.shared_folder_job(self.ws, folder, result),
                  lambda _r: show(False), "共享文件夹没有同步完", on_cancelled=lambda: show(True))

    # -- hub: devices -------------------------------------------------------------------------

    def enrol(self) -> None:
        if not self.hub:
            return
        dialog = EnrolDeviceDialog(self.ws, sync_view.centres(self.ws), self)
        dialog.enrolled.connect(self.page.refresh)
        self._show(dialog)

    def revoke_selected(self) -> None:
        row = self.status.selected() if isinstance(self.status, HubStatus) else None
        if row is None:
            dialogs.show_problem(self, dialogs.Problem(
                "没有选中设备", "吊销前要先在设备列表里选中一台设备。", "请点选一行后再试。"))
            return
        if dialogs.confirm(
                self, "吊销设备", f"吊销设备“{row.name}”（{row.centre}）？", "吊销",
                "吊销后，这台设备以后交来的同步包都会被拒绝，它也不再收到县教委的数据。"
                "已经导入的数据保留。如需恢复，要重新登记这台设备。"):
            sync.revoke(self.ws, row.device_id)  # one small transaction
            self.page.refresh()


def scan_note(scan: sync_view.Scan) -> str:
    parts = []
    if scan.for_others:
        parts.append(f"{scan.for_others} 个是发给其他设备的")
    if scan.already:
        parts.append(f"{scan.already} 个以前已经导入过")
    return f"另有 {'，'.join(parts)}，已跳过。" if parts else ""
