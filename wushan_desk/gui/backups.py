"""设置 → 备份与恢复: the workspace's backups, a backup now, and a restore.

Restoring replaces the open workspace, so the window does not do it: it asks, then emits
`restoreRequested(path)`; the session (gui/app.py) runs the restore off the GUI thread
and opens the workspace again in a fresh window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from wushan_desk.gui.sync.table import Table, table_item
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.background import reader_for, writer_for
from wushan_desk.services import backups
from wushan_desk.services.session import Workspace

HEADERS = ["时间", "学校", "学生", "督导记录", "大小", "原因"]


def _when(info: Any) -> str:
    return f"{info.taken:%Y-%m-%d %H:%M}"


class BackupsBox(QGroupBox):
    """The list of backups with 立即备份 and 恢复到所选备份…."""

    restoreRequested = Signal(Path)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("备份与恢复", parent)
        self.ws = ws
        self.found: list[Any] = []
        intro = QLabel("导入同步包、升级数据结构和恢复之前，程序都会自动备份。保留最近 10 份，"
                       "以及近 12 个月每月最后一份。", objectName="hint", wordWrap=True)
        self.table = Table(HEADERS, [10, 4, 5, 5, 6, 8], min_rows=3,
                           empty="还没有备份。点 立即备份 备份当前数据。")
        self.now_button = QPushButton("立即备份")
        self.restore_button = QPushButton("恢复到所选备份…", enabled=False)
        self.now_button.clicked.connect(self.back_up_now)
        self.restore_button.clicked.connect(self.ask_restore)
        self.table.itemSelectionChanged.connect(
            lambda: self.restore_button.setEnabled(self.selected() is not None))
        self.table.activated.connect(lambda _index: self.ask_restore())
        buttons = QHBoxLayout()
        buttons.addWidget(self.now_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """List the backups in the background (each one is opened to count its rows)."""
        reader_for(self.ws).submit(backups.list_backups, self._show, owner=self)

    def _show(self, found: list[Any]) -> None:
        self.found = found
        rows = []
        for index, b in enumerate(found):
            row = [table_item(_when(b)),
                   *(table_item(str(b.counts.get(t, 0)), number=True)
                     for t in ("schools", "students", "visits")),
                   table_item(f"{b.size / 1e6:.1f} MB"), table_item(backups.reason_label(b))]
            row[0].setData(Qt.ItemDataRole.UserRole, index)
            row[0].setToolTip(b.path.name)
            rows.append(row)
        self.table.fill(rows)
        self.table.sortItems(0, Qt.SortOrder.DescendingOrder)
        self.restore_button.setEnabled(self.selected() is not None)

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        index = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return self.found[index]

    def back_up_now(self) -> None:
        self.now_button.setEnabled(False)

        def done(path: Path) -> None:
            self.now_button.setEnabled(True)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.now_button.setEnabled(True)
            dialogs.show_error(self, exc, "没有备份")

        writer_for(self.ws).submit(backups.back_up_now, done, failed, owner=self)

    def ask_restore(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        counts = chosen.counts
        text = (f"把本工作区恢复到 {_when(chosen)} 的备份（{backups.reason_label(chosen)}）？"
                f"\n备份中有学校 {counts.get('schools', 0)} 所、"
                f"学生 {counts.get('students', 0)} 人、督导记录 {counts.get('visits', 0)} 份。")
        informative = ("恢复前会先把当前数据另存为一份备份，随时可以再恢复回来。"
                       "恢复后，下次同步时会与县级中心库（或各设备）互相补齐缺少的数据。")
        if dialogs.confirm(self, "恢复备份", text, "恢复", informative):
            self.restoreRequested.emit(chosen.path)
