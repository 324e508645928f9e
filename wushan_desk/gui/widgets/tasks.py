"""Run a long job off the GUI thread, with a progress dialog that can cancel it.

A job is any callable `job(progress, cancelled)` from the services (demo generation,
import, export, reports). It runs on its own QThread; if it needs the database it opens
its own connection there (SQLite connections belong to one thread). The progress dialog
appears only if the job is still running after half a second, so quick jobs don't flash.
The result, a cancellation or an error comes back on the GUI thread through callbacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from wushan_desk.gui.widgets import dialogs
from wushan_desk.progress import Cancelled, CancelledFn, ProgressFn

log = logging.getLogger(__name__)

Job = Callable[[ProgressFn, CancelledFn], Any]

SHOW_AFTER_MS = 500
#: At most this many progress updates per second cross to the GUI thread.
_UPDATES_PER_SECOND = 20

_running: set[Task] = set()  # keeps tasks (and their threads) alive until they finish


class _Thread(QThread):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Job, cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel
        self._last = 0.0

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last >= 1 / _UPDATES_PER_SECOND or done >= total:
            self._last = now
            self.progressed.emit(done, total, message)

    def run(self) -> None:
        try:
            result = self._job(self._progress, self._cancel.is_set)
        except BaseException as exc:  # reported on the GUI thread, never lost
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class Task(QObject):
    """One running job; `finished` fires (on the GUI thread) whatever the outcome."""

    finished = Signal()

    def __init__(self, parent: QWidget | None, title: str, job: Job,
                 on_done: Callable[[Any], None], on_cancelled: Callable[[], None] | None,
                 on_error: Callable[[BaseException], None] | None, what: str) -> None:
        super().__init__()
        self.parent_widget = parent
        self.on_done, self.on_cancelled, self.on_error = on_done, on_cancelled, on_error
        self.what = what
        self.cancel_event = threading.Event()
        self.done = False
        self.abandoned = False  # stopped with its window closing: no callbacks, no dialog
        self.dialog = QProgressDialog(title, "取消", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumDuration(10**9)  # shown by our own timer, not by setValue
        self.dialog.setMinimumWidth(420)
        self.dialog.canceled.connect(self.cancel)
        self.dialog.hide()
        self._timer = QTimer(self, singleShot=True, interval=SHOW_AFTER_MS)
        self._timer.timeout.connect(self._show_dialog)
        self.thread = _Thread(job, self.cancel_event)
        self.thread.progressed.connect(self._on_progress)
        self.thread.succeeded.connect(self._on_succeeded)
        self.thread.failed.connect(self._on_failed)
        if parent is not None:  # its widgets (and the dialog) go with it: report nowhere
            parent.destroyed.connect(lambda *_: self.abandon())

    def start(self) -> None:
        _running.add(self)
        self._timer.start()
        self.thread.start()

    def cancel(self) -> None:
        """Ask the job to stop; it rolls back and reports Cancelled."""
        self.cancel_event.set()
        self.dialog.setLabelText("正在取消，请稍候……")
        self.dialog.setCancelButtonText("")  # the button is gone: pressing twice does nothing

    def wait(self, ms: int = 30_000) -> bool:
        return self.thread.wait(ms)

    def _show_dialog(self) -> None:
        if not self.done:
            self.dialog.show()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if self.cancel_event.is_set():
            return
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(min(done, total) if total > 0 else 0)
        if message:
            self.dialog.setLabelText(message)

    def _finish(self) -> None:
        self.done = True
        self._timer.stop()
        self.dialog.hide()
        self.dialog.deleteLater()
        self.thread.wait()
        _running.discard(self)
        self.finished.emit()

    def abandon(self) -> None:
        """Its window is closing: the outcome goes nowhere (the widgets it would update
        may be gone). The task stays registered until its thread has ended."""
        self.abandoned = self.done = True
        self.cancel_event.set()
        if shiboken6.isValid(self._timer):
            self._timer.stop()

    def _release(self) -> None:
        self.thread.wait()
        _running.discard(self)

    def _on_succeeded(self, result: Any) -> None:
        if self.abandoned:
            self._release()
            return
        self._finish()
        self.on_done(result)

    def _on_failed(self, exc: BaseException) -> None:
        if self.abandoned:
            self._release()
            return
        self._finish()
        if isinstance(exc, Cancelled):
            log.info("%s: cancelled by the user", self.what)
            if self.on_cancelled:
                self.on_cancelled()
        elif self.on_error:
            self.on_error(exc)
        else:
            dialogs.show_error(self.parent_widget, exc, self.what)


def run_task(parent: QWidget | None, title: str, job: Job, on_done: Callable[[Any], None], *,
             on_cancelled: Callable[[], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None,
             what: str = "操作没有完成") -> Task:
    """Start `job` on a worker thread; `title` says what it is doing ("正在生成演示数据").

    `what` heads the error dialog if the job fails ("演示工作区没有建成"); pass
    `on_error` to handle failures yourself instead.
    """
    _stop_at_exit()
    task = Task(parent, title, job, on_done, on_cancelled, on_error, what)
    task.start()
    return task


_hooked = False


def _stop_at_exit() -> None:
    """On quit, cancel running jobs and let them roll back before Qt tears threads down."""
    global _hooked
    app = QCoreApplication.instance()
    if _hooked or app is None:
        return
    _hooked = True

    app.aboutToQuit.connect(stop_all)


def stop_all() -> None:
    """Cancel the running jobs and wait for them to end (to roll back): before Qt tears
    threads down at quit, and before a workspace closes under a job reading it."""
    for task in list(_running):
        task.cancel_event.set()
        task.thread.wait(30_000)
        task.abandon()
        if task.thread.isFinished():
            _running.discard(task)
