"""Dialogs of the 同步 page: where to export to, the import preview and its result.

The folder chooser puts plugged-in USB sticks first ("U盘 KINGSTON (E:) 剩余 3.2 GB"),
because that is where a package goes nine times out of ten; F5 looks again after a stick
is plugged in. The preview lists each package with what it would change or, in words,
why it is refused; rejected rows are red *and* say 拒绝.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui import appearance
from wushan_desk.gui.sync.table import Table, table_item
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.services import drives
from wushan_desk.services.session import Workspace
from wushan_desk.services.sync_view import ImportSummary, import_job, summary_note, summary_status

#: Looked up at call time, so tests can plug in a fake stick.
find_drives: Callable[[], list[drives.Drive]] = drives.removable_drives

LAST_FOLDER = "sync/last_folder"


def open_folder(path: Path) -> None:
    """Show a folder in the system's file manager (Explorer on Windows)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def remember_folder(path: Path) -> None:
    appearance.settings().setValue(LAST_FOLDER, str(path))


def start_folder() -> str:
    """Where a file dialog for packages opens: the stick's sync folder, else the last one."""
    for drive in find_drives():
        folder = drives.suggest_folder(drive)
        if folder.is_dir():
            return str(folder)
        return str(drive.path)
    return str(appearance.settings().value(LAST_FOLDER) or "")


class FolderChooser(QWidget):
    """A destination folder: detected sticks first, the last folder used, or 浏览…."""

    changed = Signal()

    def __init__(self, extra: list[tuple[str, Path]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.extra = extra or []
        self.combo = QComboBox(objectName="folderCombo")
        self.combo.setMinimumContentsLength(24)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.browse = QPushButton("浏览…", toolTip="选择其他文件夹")
        self.refresh_button = QPushButton("刷新", toolTip="插入 U 盘后重新查找（F5）")
        self.path_label = QLabel(objectName="hint", wordWrap=True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.browse)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.path_label)
        self.setFocusProxy(self.combo)  # the form label's Alt+D lands in the list
        self.browse.clicked.connect(self.choose_other)
        self.refresh_button.clicked.connect(self.refresh)
        self.combo.currentIndexChanged.connect(self._show_path)
        self.refresh()

    def refresh(self) -> None:
        """List the sticks again (F5), keeping the current choice if it is still there."""
        keep = self.folder()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.drives = find_drives()
        for drive in self.drives:
            self.combo.addItem(drive.describe(), drives.suggest_folder(drive))
        for text, path in self.extra:
            self.combo.addItem(text, path)
        last = appearance.settings().value(LAST_FOLDER)
        if last and self.combo.findData(Path(last)) < 0:
            self.combo.addItem(f"上次使用的文件夹：{Path(last).name or last}", Path(last))
        index = self.combo.findData(keep) if keep else -1
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.combo.blockSignals(False)
        self._show_path()

    def choose_other(self) -> None:
        start = str(self.folder() or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "选择文件夹", start)
        if chosen:
            self.set_folder(Path(chosen))

    def set_folder(self, path: Path) -> None:
        index = self.combo.findData(path)
        if index < 0:
            self.combo.addItem(f"文件夹：{path.name or path}", path)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def folder(self) -> Path | None:
        data = self.combo.currentData()
        return data if isinstance(data, Path) else None

    def on_drive(self) -> bool:
        folder = self.folder()
        return folder is not None and any(d.path in folder.parents for d in self.drives)

    def _show_path(self) -> None:
        folder = self.folder()
        if folder is None:
            self.path_label.setText(
                "没有检测到 U 盘。插入 U 盘后按 F5 刷新，或点 浏览… 选择文件夹。")
        else:
            self.path_label.setText(f"位置：{folder}")
        self.changed.emit()


def add_refresh_key(dialog: QDialog, chooser: FolderChooser) -> None:
    action = QAction("刷新", dialog, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh))
    action.triggered.connect(chooser.refresh)
    dialog.addAction(action)


class ExportDialog(QDialog):
    """Where to write, and on the hub for whom; `choice()` after acceptance."""

    def __init__(self, devices: list[tuple[str, str]] | None, parent: QWidget | None = None,
                 preselect: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("导出同步包")
        layout = QVBoxLayout(self)
        intro = ("为各督导中心设备写同步包：发给每台设备它还没有收到的修改和回执，每台一个文件。"
                 if devices is not None else
                 "把县教委还没有确认收到的修改写成一个同步包，带到县教委导入。")
        layout.addWidget(QLabel(intro, wordWrap=True, objectName="pageIntro"))
        form = QFormLayout()
        self.to = QComboBox(objectName="exportTo")
        if devices is not None:
            self.to.addItem(f"全部设备（{len(devices)} 台）", None)
            for name, device_id in devices:
                self.to.addItem(name, device_id)
            self.to.setCurrentIndex(max(self.to.findData(preselect), 0) if preselect else 0)
            form.addRow("发给(&T)：", self.to)
        self.chooser = FolderChooser()
        form.addRow("保存到(&D)：", self.chooser)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("导出", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok.setDefault(True)
        self.chooser.changed.connect(lambda: self.ok.setEnabled(self.chooser.folder() is not None))
        self.ok.setEnabled(self.chooser.folder() is not None)
        add_refresh_key(self, self.chooser)
        self.setMinimumWidth(560)

    def choice(self) -> tuple[Path, str | None]:
        folder = self.chooser.folder()
        assert folder is not None
        return folder, self.to.currentData() if self.to.count() else None


PACKAGE_HEADERS = ["文件", "发送方", "状态", "新增", "修改", "冲突", "说明"]


class PackagesDialog(QDialog):
    """Preview of packages before import (确认导入 applies them), then their result."""

    imported = Signal(list)  # the summaries of the packages applied

    def __init__(self, ws_path: Workspace | Path, summaries: list[ImportSummary], note: str = "",
                 preview: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws_path = ws_path
        self.summaries = summaries
        self.task: Task | None = None
        self.setObjectName("packagesDialog")
        layout = QVBoxLayout(self)
        self.headline = QLabel(objectName="dialogHeadline", wordWrap=True)
        self.note = QLabel(note, wordWrap=True, objectName="hint", visible=bool(note))
        self.table = Table(PACKAGE_HEADERS, [16, 7, 7, 3, 3, 3, 12],
                           empty="这里没有发给本机的新同步包。")
        self.detail = QLabel(wordWrap=True, objectName="packageDetail")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.itemSelectionChanged.connect(self._show_detail)
        for w in (self.headline, self.note):
            layout.addWidget(w)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton("确认导入", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button.clicked.connect(self.apply)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(960, 440)
        self._show(summaries, preview)

    def importable(self) -> list[Path]:
        return [Path(s.file) for s in self.summaries if s.status == "preview"]

    def _show(self, summaries: list[ImportSummary], preview: bool) -> None:
        self.summaries = summaries
        self.setWindowTitle("导入预览" if preview else "导入结果")
        self.headline.setText(headline(summaries, preview))
        rows = [row_items(s) for s in summaries]
        for index, items in enumerate(rows):
            items[0].setData(Qt.ItemDataRole.UserRole, index)  # rows move when sorted
        self.table.fill(rows)
        self.apply_button.setVisible(preview)
        self.apply_button.setEnabled(bool(self.importable()))
        self.close_button.setText("取消" if preview else "关闭")
        (self.apply_button if preview and self.importable() else self.close_button).setDefault(True)
        if summaries:
            self.table.selectRow(0)
        else:
            self.detail.setText("")

    def _show_detail(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < self.table.rowCount():
            s = self.summaries[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]
            self.detail.setText(f"{Path(s.file).name}：{summary_status(s)[0]}。{summary_note(s)}")

    def apply(self) -> None:
        paths = self.importable()
        if not paths or self.task is not None:
            return
        done: list[ImportSummary] = []
        self.apply_button.setEnabled(False)
        self.task = run_task(self, "正在导入同步包", import_job(self.ws_path, paths, dry_run=False,
                                                               done=done),
                             self._applied, on_cancelled=lambda: self._cancelled(done),
                             on_error=self._failed, what="同步包没有导入")

    def _applied(self, summaries: list[ImportSummary]) -> None:
        self.task = None
        self._show(summaries, preview=False)
        self.imported.emit(summaries)

    def _cancelled(self, done: list[ImportSummary]) -> None:
        self.task = None
        self.note.setText("已取消：前面已导入的同步包保留，其余的没有导入，可以再次导入。")
        self.note.show()
        self._show(done, preview=False)
        self.imported.emit(done)

    def _failed(self, exc: BaseException) -> None:
        from wushan_desk.gui.widgets import dialogs

        self.task = None
        self.apply_button.setEnabled(bool(self.importable()))
        dialogs.show_error(self, exc, "同步包没有导入")

    def reject(self) -> None:
        if self.task is not None:
            return  # the progress dialog's 取消 stops the import; don't close under it
        super().reject()


def headline(summaries: list[ImportSummary], preview: bool) -> str:
    if not summaries:
        return "没有找到要导入的同步包。"
    rejected = sum(s.status == "rejected" for s in summaries)
    ok = [s for s in summaries if s.status in ("preview", "applied")]
    added, changed = sum(s.added for s in ok), sum(s.changed for s in ok)
    conflicts = sum(s.conflicts for s in ok)
    counts = f"新增 {added:,} 条、修改 {changed:,} 条、冲突 {conflicts:,} 处"
    refused = f"；{rejected} 个被拒绝（见红色“拒绝”行）" if rejected else ""
    if preview:
        return f"预览：{len(ok)} 个同步包可以导入，将{counts}{refused}。确认后才会写入。"
    return f"已导入 {len(ok)} 个同步包：{counts}{refused}。"


def row_items(s: ImportSummary) -> list[QTableWidgetItem]:
    status, tone = summary_status(s)
    return [table_item(Path(s.file).name), table_item(s.sender_name or "—"),
            table_item(status, tone),
            table_item(str(s.added), number=True), table_item(str(s.changed), number=True),
            table_item(str(s.conflicts), "warn" if s.conflicts else "plain", number=True),
            table_item(summary_note(s), tone if tone == "bad" else "plain")]


class ExportResultDialog(QDialog):
    """The files written, where, and 打开文件夹."""

    def __init__(self, exported: list[Any], folder: Path, on_stick: bool,
                 parent: QWidget | None = None, title: str = "导出完成") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.folder = folder
        layout = QVBoxLayout(self)
        text = (f"已写出 {len(exported)} 个同步包到 {folder}。" if exported
                else "没有写出同步包：还没有登记任何督导中心设备。")
        layout.addWidget(QLabel(text, wordWrap=True, objectName="dialogHeadline"))
        self.table = Table(["文件", "修改数", "附件数"], [34, 5, 5], min_rows=1)
        self.table.fill([[table_item(e.path.name), table_item(str(e.changes), number=True),
                                 table_item(str(e.files), number=True)] for e in exported])
        layout.addWidget(self.table, 1)
        if on_stick:
            layout.addWidget(QLabel("拔出 U 盘前，请先点任务栏右下角的“安全删除硬件并弹出媒体”。",
                                    wordWrap=True, objectName="notice"))
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("打开文件夹", QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.AcceptRole)
        close.setDefault(True)
        self.open_button.clicked.connect(lambda: open_folder(self.folder))
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(760, 320)
