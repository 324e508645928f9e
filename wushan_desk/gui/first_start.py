"""The first-start dialog, shown when this computer has no workspace yet.

Three ways to start: the demo county, a new county hub, or a centre device joining the
hub (the last two are the set-up dialogs of enrol_wizard).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk import paths
from wushan_desk.gui.sync.enrol_wizard import DeviceSetupDialog, HubSetupDialog, SetupDialog
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.progress import CancelledFn, ProgressFn

DEMO_SCALE = 0.1


def build_demo_job(path: Path) -> Any:
    """The demo build as a task job (imported late: the generator is a large module)."""

    def job(progress: ProgressFn, cancelled: CancelledFn) -> Path:
        from wushan_desk.services.demo import build_demo

        build_demo(path, scale=DEMO_SCALE, progress=progress, cancelled=cancelled)
        return path

    return job


class FirstStartDialog(QDialog):
    """Choose how to start; `chosen` is the workspace to open after acceptance."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("欢迎使用巫山教育督导")
        self.setObjectName("firstStart")
        self.chosen: Path | None = None
        self.task: Task | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(QLabel("欢迎使用巫山教育督导桌面端", objectName="pageTitle"))
        layout.addWidget(QLabel("这台电脑上还没有工作区。工作区是保存督导检查、控辍保学和学生资助"
                                "数据的文件，存放在本机，不联网也能使用。",
                                wordWrap=True, objectName="pageIntro"))
        layout.addWidget(QLabel("请选择如何开始：", objectName="pageIntro"))
        options = QFrame(objectName="choices")
        grid = QGridLayout(options)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(14)
        self.demo_button = self._option(
            grid, 0, "打开演示工作区",
            "用一个虚构的巫山县熟悉软件：学校、学生都是生成的，可以放心修改和删除。"
            "第一次打开时要先生成数据，请稍等片刻。")
        self.hub_button = self._option(
            grid, 1, "创建县级中心库", "县教委使用：汇总各乡镇督导中心的数据，登记各中心的电脑，"
            "下发清单和名单。")
        self.join_button = self._option(
            grid, 2, "作为督导中心设备加入", "乡镇督导中心使用：写入网申请交县教委登记，"
            "再导入县教委给的入网包。")
        layout.addWidget(options)
        self.status = QLabel(objectName="hint", wordWrap=True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.quit_button = buttons.addButton("退出", QDialogButtonBox.ButtonRole.RejectRole)
        self.quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.demo_button.clicked.connect(self.open_demo)
        self.hub_button.clicked.connect(lambda: self.open_setup(HubSetupDialog))
        self.join_button.clicked.connect(lambda: self.open_setup(DeviceSetupDialog))
        self.setup: SetupDialog | None = None
        self.demo_button.setFocus()
        self.setMinimumWidth(640)

    def _option(self, grid: QGridLayout, row: int, text: str, description: str) -> QPushButton:
        button = QPushButton(text, objectName="choiceButton")
        button.setMinimumHeight(button.sizeHint().height() + 16)
        grid.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(QLabel(description, wordWrap=True))
        grid.addLayout(column, row, 1)
        return button

    def open_demo(self) -> None:
        path = paths.demo_workspace()
        if path.exists() and path.stat().st_size:
            self._accept_path(path)
            return
        self._busy(True)
        self.status.setText("正在生成演示数据……")
        self.task = run_task(self, "正在生成演示工作区", build_demo_job(path), self._accept_path,
                             on_cancelled=self._cancelled, on_error=self._failed,
                             what="演示工作区没有建成")

    def open_setup(self, dialog_class: type[SetupDialog]) -> SetupDialog:
        """A set-up dialog on top of this one; what it made is opened when it is done."""
        self.setup = dialog_class(self)
        self.setup.accepted.connect(
            lambda: self.setup and self.setup.chosen and self._accept_path(self.setup.chosen))
        self.setup.open()
        return self.setup

    def _busy(self, busy: bool) -> None:
        self.demo_button.setEnabled(not busy)
        self.quit_button.setEnabled(not busy)

    def _accept_path(self, path: Path) -> None:
        self.chosen = path
        self.accept()

    def _cancelled(self) -> None:
        self._busy(False)
        self.status.setText("已取消，没有留下任何文件。需要时可以再点“打开演示工作区”。")

    def _failed(self, exc: BaseException) -> None:
        from wushan_desk.gui.widgets import dialogs

        self._busy(False)
        self.status.setText("")
        dialogs.show_error(self, exc, "演示工作区没有建成")

    def reject(self) -> None:
        if self.task is not None and not self.task.done:
            return  # the progress dialog's 取消 stops the build; don't close under it
        super().reject()
