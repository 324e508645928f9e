"""Message dialogs in the ui-guide's shape: what happened, why, what to do next.

The technical detail (exception, traceback) goes to the log and behind a 详细信息
toggle, never into the main text. Buttons carry Chinese verbs, not Yes/No.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain.errors import UserError
from wushan_desk.services.session import DatabaseError, WorkspaceBusy, is_busy

log = logging.getLogger(__name__)

REPORT_HINT = "请重试。如果反复出现，请点“详细信息”，把其中的内容发给县教委技术人员。"


@dataclass(frozen=True)
class Problem:
    """An error explained for the user."""

    what: str
    why: str
    todo: str
    detail: str = ""


def explain(exc: BaseException, what: str) -> Problem:
    """Turn an exception into words for a supervisor; `what` is the failed action."""
    detail = "".join(traceback.format_exception(exc))
    if isinstance(exc, WorkspaceBusy):
        return Problem(what, "工作区正被另一个程序使用（例如正在导入同步包），暂时不能写入。",
                       "请等它完成后再试一次；刚才的操作没有写入任何内容。", detail)
    if isinstance(exc, UserError):
        # These messages are written for users and already say what to do.
        return Problem(what, exc.message, "", detail)
    if is_busy(exc):
        return Problem(what, "工作区正被另一个窗口或程序使用。",
                       "关闭其他打开此工作区的窗口，稍等片刻后重试。", detail)
    if isinstance(exc, DatabaseError):
        return Problem(what, "工作区文件读写出错，可能已损坏或磁盘有问题。",
                       "请先备份工作区文件，再联系县教委技术人员。", detail)
    if isinstance(exc, PermissionError):
        return Problem(what, "没有权限读写这个位置的文件。",
                       "请换一个文件夹（例如“文档”），或请电脑管理员开放权限。", detail)
    if isinstance(exc, OSError):
        return Problem(what, "读写文件时出错：磁盘可能已满，或 U 盘已拔出。",
                       "请检查磁盘空间和文件位置后重试。", detail)
    return Problem(what, "程序遇到了意外的问题，操作没有完成。", REPORT_HINT, detail)


def beside_icon(dialog: QWidget, icon: QStyle.StandardPixmap,
                *labels: QWidget) -> QHBoxLayout:
    """A message's top row: the style's standard icon, and the labels stacked beside it."""
    picture = QLabel()
    size = dialog.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
    picture.setPixmap(dialog.style().standardIcon(icon).pixmap(size, size))
    text = QVBoxLayout()
    for label in labels:
        text.addWidget(label)
    top = QHBoxLayout()
    top.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
    top.addLayout(text, 1)
    return top


class ErrorDialog(QDialog):
    """A plain error message with the technical detail folded away."""

    def __init__(self, problem: Problem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("出错了")
        self.setObjectName("errorDialog")
        self.what = QLabel(problem.what, objectName="dialogHeadline", wordWrap=True)
        self.why = QLabel(problem.why, wordWrap=True)
        self.todo = QLabel(problem.todo, wordWrap=True, visible=bool(problem.todo))
        for label in (self.what, self.why, self.todo):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QPlainTextEdit(problem.detail, readOnly=True, visible=False)
        self.detail.setMinimumHeight(160)
        buttons = QDialogButtonBox()
        self.toggle = QPushButton("详细信息", checkable=True, enabled=bool(problem.detail))
        self.toggle.toggled.connect(self.detail.setVisible)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        ok = buttons.addButton("确定", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(beside_icon(self, QStyle.StandardPixmap.SP_MessageBoxCritical,
                                     self.what, self.why, self.todo))
        layout.addWidget(self.detail, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)


_open: set[ErrorDialog] = set()  # a dialog without a parent lives until it is closed


def show_problem(parent: QWidget | None, problem: Problem, *, block: bool = False) -> ErrorDialog:
    """Show an error; window-modal and non-blocking unless `block` (before the loop runs)."""
    dialog = ErrorDialog(problem, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open.add(dialog)
    dialog.finished.connect(lambda _result: _open.discard(dialog))
    if block:
        dialog.exec()
    else:
        dialog.open()
    return dialog


def show_error(parent: QWidget | None, exc: BaseException, what: str, *,
               block: bool = False) -> ErrorDialog:
    """Log `exc` with its traceback and tell the user what went wrong."""
    log.error("%s", what, exc_info=exc)
    return show_problem(parent, explain(exc, what), block=block)


@dataclass
class Outcome:
    """What `reported` saw: `failed` holds the error that was shown, if any."""

    failed: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None


@contextmanager
def reported(parent: QWidget | None, what: str) -> Iterator[Outcome]:
    """Run a short action on the GUI thread; any error goes to the one error dialog
    (logged, explained, 详细信息) and the block ends there. Long work uses tasks.run_task.

        with dialogs.reported(self, "签名没有保存") as outcome:
            inspection.sign(...)
        if not outcome.ok:
            return
    """
    outcome = Outcome()
    try:
        yield outcome
    except Exception as exc:
        outcome.failed = exc
        show_error(parent, exc, what)


def confirm(parent: QWidget | None, title: str, text: str, action: str,
            informative: str = "") -> bool:
    """Ask before something destructive; `action` is the verb on the button (删除)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setInformativeText(informative)
    do = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is do


def inform(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
    box.exec()
