"""The simple pages: 首页 (workspace facts, quick links) and 设置."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui import appearance
from wushan_desk.gui.widgets.background import reader_for
from wushan_desk.services import workspace as workspace_service
from wushan_desk.services.session import Workspace


def page_title(text: str) -> QLabel:
    return QLabel(text, objectName="pageTitle")


def _fact(value: str, label: str) -> QFrame:
    card = QFrame(objectName="factCard")
    column = QVBoxLayout(card)
    column.addWidget(QLabel(value, objectName="factValue"), 0, Qt.AlignmentFlag.AlignLeft)
    column.addWidget(QLabel(label, objectName="factLabel"), 0, Qt.AlignmentFlag.AlignLeft)
    return card


class HomePage(QWidget):
    """Workspace facts and quick links; `goTo(page name)` asks the window to switch."""

    goTo = Signal(str)

    FACTS = (("townships", "乡镇（街道）"), ("schools", "学校"), ("students", "在册学生"),
             ("staff", "人员"))

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        info = workspace_service.info(ws)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("首页"))
        layout.addWidget(QLabel(f"{info.name}　·　{info.role_label}", objectName="pageIntro"))
        self.facts = QGridLayout()
        layout.addLayout(self.facts)
        self.empty = QLabel("这个工作区还没有学校和学生。可以在“学校与学生”页点击 新建 添加；"
                            "同步功能上线后，也可以从县教委下发的数据包导入。", wordWrap=True,
                            objectName="emptyState")
        layout.addWidget(self.empty)
        self.todo_box = QGroupBox("待办")
        self.todo = QGridLayout(self.todo_box)
        layout.addWidget(self.todo_box)
        self.todo_box.hide()  # filled in the background after the first paint
        links = QGroupBox("常用")
        row = QHBoxLayout(links)
        for text, page, tip in (("查找学生", "学校与学生", "按姓名、身份证号或学籍号查找"),
                                ("学校名单", "学校与学生:学校", "全县学校及在校学生数"),
                                ("文字大小", "设置", "字太小看不清时，把文字调大")):
            button = QPushButton(text, toolTip=tip, objectName="quickLink")
            button.clicked.connect(lambda _c=False, p=page: self.goTo.emit(p))
            row.addWidget(button)
        row.addStretch(1)
        layout.addWidget(links)
        layout.addStretch(1)
        self.counts: dict[str, int] | None = None
        self._show_counts(None)

    def refresh(self) -> None:
        """Count again in the background (the counts change after edits elsewhere)."""
        from wushan_desk.services import browse

        reader_for(self.ws).submit(browse.counts, self._show_counts, owner=self)
        reader_for(self.ws).submit(self._work_queue, self._show_work_queue, owner=self)

    @staticmethod
    def _work_queue(ws: Workspace) -> list[Any]:
        from wushan_desk.domain import clock
        from wushan_desk.services import work_queue

        return work_queue.work_queue(ws, clock.today())

    def _show_work_queue(self, items: list[Any]) -> None:
        """One line per kind of work: ▲ and the count when there is some, a button there."""
        while self.todo.count():
            item = self.todo.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.work = items
        for row, work in enumerate(items):
            mark = f"▲ {work.what} {work.count} 项" if work.count else f"✓ 没有{work.what}"
            names = "：" + "、".join(work.names) + ("……" if work.count > len(work.names) else "")
            text = QLabel(mark + (names if work.count else ""), wordWrap=True,
                          objectName="workItem")
            self.todo.addWidget(text, row, 0)
            if work.count:
                button = QPushButton(f"去{work.page}", objectName="quickLink")
                button.clicked.connect(lambda _c=False, p=work.page: self.goTo.emit(p))
                self.todo.addWidget(button, row, 1)
        self.todo.setColumnStretch(0, 1)
        self.todo_box.show()

    def _show_counts(self, counts: dict[str, int] | None) -> None:
        self.counts = counts
        while self.facts.count():
            item = self.facts.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for i, (key, label) in enumerate(self.FACTS):
            value = "…" if counts is None else f"{counts[key]:,}"
            self.facts.addWidget(_fact(value, label), 0, i)
        self.empty.setVisible(
            counts is not None and counts["students"] == 0 and counts["schools"] == 0)

    def showEvent(self, event: Any) -> None:
        # counted once the window is on screen: the first paint does not wait for it
        QTimer.singleShot(0, self.refresh)
        super().showEvent(event)


class TextSizeChooser(QGroupBox):
    """标准 / 大 / 特大, applied at once and remembered."""

    def __init__(self, on_change: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__("文字大小", parent)
        self.group = QButtonGroup(self)
        row = QHBoxLayout(self)
        current = appearance.text_size().key
        for size in appearance.TEXT_SIZES:
            button = QRadioButton(size.label, checked=size.key == current)
            button.setProperty("size_key", size.key)
            button.setToolTip(f"{size.points} 磅")
            self.group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        self.group.buttonToggled.connect(
            lambda button, on: on and on_change(str(button.property("size_key"))))

    def select(self, key: str) -> None:
        for button in self.group.buttons():
            if button.property("size_key") == key:
                button.blockSignals(True)
                button.setChecked(True)
                button.blockSignals(False)


class SettingsPage(QWidget):
    def _account_box(self, ws: Workspace) -> QGroupBox:
        """Who is logged in, the password change and the idle lock's time."""
        from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox

        from wushan_desk.gui import login
        from wushan_desk.services import permissions

        box = QGroupBox("账号与安全")
        form = QFormLayout(box)
        form.addRow("当前账号", QLabel(f"{ws.user.login}（{ws.user.role_label}）"))
        change = QPushButton("修改密码…")
        change.clicked.connect(lambda: login.PasswordChangeDialog(ws, self).exec())
        buttons = QHBoxLayout()
        buttons.addWidget(change)
        idle = QSpinBox(minimum=1, maximum=120, suffix=" 分钟")
        idle.setValue(int(login.idle_minutes(ws)))
        idle.valueChanged.connect(lambda v: workspace_service.set_idle_minutes(ws, v))
        idle.setMaximumWidth(idle.sizeHint().width() * 2)
        form.addRow("无操作自动锁定", idle)
        self.idle = idle
        if permissions.may(ws.user, "read_audit"):
            from wushan_desk.gui.audit_view import AuditDialog

            trail = QPushButton("审计记录…")
            trail.clicked.connect(lambda: AuditDialog(ws, self).exec())
            buttons.addWidget(trail)
        if permissions.may(ws.user, "manage_accounts"):
            from wushan_desk.gui.accounts_view import AccountsDialog

            manage = QPushButton("账号管理…")
            manage.clicked.connect(lambda: AccountsDialog(ws, self).exec())
            buttons.addWidget(manage)
        buttons.addStretch(1)
        form.addRow("", buttons)
        return box


    def __init__(self, ws: Workspace, on_text_size: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = workspace_service.info(ws)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("设置"))
        self.text_size = TextSizeChooser(on_text_size)
        layout.addWidget(self.text_size)
        layout.addWidget(QLabel("也可以用菜单“视图 → 文字大小”，或按 Ctrl+= 放大、Ctrl+- 缩小。",
                                objectName="hint", wordWrap=True))
        box = QGroupBox("本工作区")
        form = QFormLayout(box)
        for label, value in (("名称", info.name), ("身份", info.role_label),
                             ("文件位置", str(info.path)), ("本机设备编号", info.device_id),
                             ("上次同步", info.last_sync or "尚未同步"),
                             ("数据结构版本", str(info.schema_version))):
            text = QLabel(value, wordWrap=True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, text)
        layout.addWidget(box)
        if ws.user is not None:
            layout.addWidget(self._account_box(ws))
        from wushan_desk.gui.backups import BackupsBox  # loaded with this page only

        self.backups = BackupsBox(ws)
        layout.addWidget(self.backups, 1)
