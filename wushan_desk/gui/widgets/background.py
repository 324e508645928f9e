"""Background queues: the GUI thread never waits for the workspace.

While another program writes to the workspace (a county script, an import in another
window) SQLite makes every other writer wait; an autosave on the GUI thread would freeze
the window for that long. A count over 60,000 students takes tens of milliseconds on a
fast machine and more on an old one. Both run on a `SerialWorker`: jobs one after
another, in the order submitted, on one worker thread with its own connection
(`Workspace.worker()`), each result handed back on the GUI thread.

Per open workspace: `writer_for(ws)` for writes (a busy workspace is waited out while
the page shows 等待保存), `reader_for(ws)` for slow reads (counts), so a count never
waits behind a save. `close_for(ws)` drains both before the workspace closes, so
nothing typed is lost at exit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from wushan_desk.services.session import Workspace, WorkspaceBusy

log = logging.getLogger(__name__)

Job = Callable[[Workspace], Any]

#: A write waits this long in all for another program to finish before it is reported.
MAX_WAIT_S = 600.0
RETRY_S = 0.5


@dataclass
class _Item:
    job: Job
    done: Callable[[Any], None] | None
    failed: Callable[[BaseException], None] | None
    owner: QObject | None = None
    result: Any = None
    error: BaseException | None = None


class SerialWorker(QObject):
    """A queue of jobs executed in order on one worker thread with its own connection."""

    #: A job finished (result or error delivered); the GUI thread receives it.
    _finished = Signal(object)
    #: Emitted on the GUI thread when the last queued write has finished.
    idle = Signal()

    def __init__(self, ws: Workspace, *, wait_when_busy: bool = True) -> None:
        super().__init__()
        self._ws = ws
        self._wait_when_busy = wait_when_busy
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._finished.connect(self._deliver)
        self._thread = threading.Thread(target=self._run, name="wushan-worker", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Writes submitted and not yet delivered back."""
        with self._lock:
            return self._pending

    def submit(
        self,
        job: Job,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """Run `job(worker_ws)` after every job submitted before it; then, on the GUI
        thread, `done(result)` or `failed(error)` (by default the error dialog). With
        `owner`, the answer is dropped if that widget was deleted meanwhile."""
        with self._lock:
            self._pending += 1
        self._queue.put(_Item(job, done, failed, owner))

    def when_idle(self, then: Callable[[], None]) -> None:
        """Call `then` on the GUI thread once everything submitted so far is written."""
        self.submit(lambda _ws: None, lambda _result: then())

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Block until the queue is empty (only when closing: nothing typed is lost)."""
        done = threading.Event()
        self._queue.put(_Item(lambda _ws: done.set(), None, None))
        with self._lock:
            self._pending += 1
        finished = done.wait(timeout_s)
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.processEvents()  # deliver the results queued meanwhile
        return finished

    def close(self, timeout_s: float = 60.0) -> bool:
        """Write what is queued, then stop the thread and close its connection."""
        drained = self.drain(timeout_s)
        self._queue.put(None)
        self._thread.join(timeout_s)
        return drained

    def _run(self) -> None:
        ws: Workspace | None = None
        try:
            while (item := self._queue.get()) is not None:
                try:
                    if ws is None:
                        ws = self._ws.worker()
                    item.result = self._attempt(item.job, ws)
                except BaseException as exc:  # delivered to the GUI thread, never lost
                    item.error = exc
                self._finished.emit(item)
        finally:
            if ws is not None:
                ws.close()

    def _attempt(self, job: Job, ws: Workspace) -> Any:
        """Run `job`; while another program holds the workspace, wait and try again
        (the page keeps showing 等待保存) rather than report a failure."""
        waited = 0.0
        while True:
            try:
                return job(ws)
            except WorkspaceBusy:
                if not self._wait_when_busy or waited >= MAX_WAIT_S:
                    raise
                time.sleep(RETRY_S)
                waited += RETRY_S + ws.busy_ms / 1000

    def _deliver(self, item: _Item) -> None:
        with self._lock:
            self._pending -= 1
            now_idle = self._pending == 0
        try:
            if item.owner is not None and not shiboken6.isValid(item.owner):
                return  # the page that asked is gone
            if item.error is None:
                if item.done is not None:
                    item.done(item.result)
            elif item.failed is not None:
                item.failed(item.error)
            else:
                from wushan_desk.gui.widgets import dialogs

                dialogs.show_error(None, item.error, "没有保存")
        finally:
            if now_idle:
                self.idle.emit()


_workers: dict[tuple[int, str], SerialWorker] = {}


def _worker(ws: Workspace, purpose: str) -> SerialWorker:
    key = (id(ws), purpose)
    worker = _workers.get(key)
    if worker is None or worker._ws is not ws:
        worker = _workers[key] = SerialWorker(ws, wait_when_busy=purpose == "write")
    return worker


def writer_for(ws: Workspace) -> SerialWorker:
    """The queue of background writes (autosaves) of an open workspace."""
    return _worker(ws, "write")


def reader_for(ws: Workspace) -> SerialWorker:
    """The queue of slow reads (list counts) of an open workspace."""
    return _worker(ws, "read")


#: Closing waits this long silently for queued writes before it says what it waits for.
QUIET_WAIT_S = 1.0


def close_for(ws: Workspace) -> None:
    """Finish what is queued for `ws`, then stop its workers (before it closes).

    Nothing typed is dropped silently: while another program holds the workspace, a
    window says so and keeps waiting (the events keep flowing, nothing freezes); only the
    user can choose to give the unsaved changes up, after a second question."""
    for key in [k for k in _workers if k[0] == id(ws)]:
        worker = _workers.pop(key)
        if not worker.drain(QUIET_WAIT_S) and not _wait_with_window(worker):
            log.error("%s jobs given up by the user when closing %s", key[1], ws.path)
            continue  # its thread finishes (or is dropped at exit) on its own
        worker.close(timeout_s=5.0)


def _wait_with_window(worker: SerialWorker) -> bool:
    """Wait for the queued writes with a window that says why; False if the user chose
    to give them up."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QProgressDialog

    from wushan_desk.gui.widgets import dialogs

    box = QProgressDialog("正在保存尚未写入的修改……\n工作区正被其他程序使用（例如正在导入同步包），"
                          "它一结束就会写入。", "放弃这些修改", 0, 0)
    box.setWindowTitle("正在保存")
    box.setMinimumDuration(0)
    box.show()
    try:
        while worker.pending:
            QCoreApplication.processEvents()
            time.sleep(0.05)
            if box.wasCanceled():
                if dialogs.confirm(None, "放弃修改", "放弃尚未保存的修改并关闭？",
                                   "放弃", "这些修改将不会保存。"):
                    return False
                box.reset()
                box.show()
        return True
    finally:
        box.close()


def close_all() -> None:
    """Close every worker (after each GUI test)."""
    for key in list(_workers):
        _workers.pop(key).close()
