"""Start the GUI: the QApplication, fonts and style, then a workspace in the main window.

`run(db_path)` is what `wushan-desk [--db PATH]` calls. Exit codes follow the command
line's: 0 ok, 1 unexpected error, 3 the workspace was refused (nothing written).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QLockFile, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from wushan_desk import __version__, logs, paths
from wushan_desk.gui import appearance
from wushan_desk.services import start

if TYPE_CHECKING:
    from wushan_desk.gui.main_window import MainWindow
    from wushan_desk.services.session import Workspace

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3


def create_app() -> QApplication:
    """The QApplication with names, fonts, text size and stylesheet (reused if it exists)."""
    QCoreApplication.setApplicationName(paths.APP_NAME)
    QCoreApplication.setOrganizationName("wushan-jiaowei")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("巫山教育督导")
    appearance.setup(app)
    return app


#: The GUI connection waits at most this long for a write lock (design.md rule 5);
#: autosaves go through the background writer, which waits as long as needed.
GUI_BUSY_MS = 100


class Session:
    """The open workspace and its window; opening another replaces both."""

    def __init__(self) -> None:
        self.ws: Workspace | None = None
        self.window: MainWindow | None = None
        self.lock: QLockFile | None = None

    def open(self, path: Path, parent: QWidget | None = None) -> int:
        """Open `path` in a new main window; returns an exit code (0 when opened)."""
        blocking = self.window is None  # before the event loop runs, errors must block
        lock = _instance_lock(path)
        if lock is None:
            from wushan_desk.gui.widgets import dialogs  # its widgets load only when needed

            dialogs.show_problem(parent, dialogs.Problem(
                "无法打开工作区", f"工作区 {path.name} 已经在另一个窗口中打开。",
                "请切换到那个窗口继续工作。同一个工作区同时开两个窗口，"
                "两边的修改会互相覆盖，所以不允许。"), block=blocking)
            return EXIT_REFUSED
        try:
            ws = self._login(path, parent)
            if ws is None:
                lock.unlock()
                return EXIT_REFUSED
        except Exception as exc:
            from wushan_desk.gui.widgets import dialogs
            from wushan_desk.services.session import WorkspaceError

            lock.unlock()
            dialogs.show_error(parent, exc, "无法打开工作区", block=blocking)
            return EXIT_REFUSED if isinstance(exc, WorkspaceError) else EXIT_ERROR
        self._install(ws, lock)
        log.info("opened workspace %s", path)
        return EXIT_OK

    def _login(self, path: Path, parent: QWidget | None) -> Workspace | None:
        """The workspace opened as a logged-in account (None: the user gave up).

        Already logged in to it in this process (a reopen), or WUSHAN_DESK_USER and
        WUSHAN_DESK_PASSWORD set (scripts): no dialog. A clear workspace made before
        accounts existed is offered encryption first. The app's first window, the login
        form, shows before the rest of the app loads (issue 7), which loads meanwhile.
        """
        if self.window is None and start.asks_login(path):
            ws = _login_form(path, parent)
        else:
            from wushan_desk.services import accounts
            from wushan_desk.services.session import open_workspace

            try:
                ws = open_workspace(path, create=False, busy_ms=GUI_BUSY_MS)
            except accounts.LoginRequired:
                ws = _login_form(path, parent)
        if ws is None:
            return None
        return _after_login(ws, path, parent)

    def _install(self, ws: Workspace, lock: QLockFile) -> None:
        """Show `ws` in a new window, then retire the previous window and workspace."""
        from wushan_desk.gui.main_window import MainWindow  # loaded during the login
        from wushan_desk.gui.widgets.background import close_for

        old_window, old_ws, old_lock = self.window, self.ws, self.lock
        self.ws, self.window, self.lock = ws, MainWindow(ws), lock
        self.window.openRequested.connect(lambda p: self.open(p, self.window))
        self.window.restoreRequested.connect(self.restore)
        self.window.restore_geometry()
        if ws.user is not None:
            from wushan_desk.gui.login import IdleLock, idle_minutes

            self.idle_lock = IdleLock(ws, self.window, idle_minutes(ws))
        if old_window is not None:
            _dispose(old_window)
        if old_ws is not None:
            close_for(old_ws)
            old_ws.close()
        if old_lock is not None and old_lock is not lock:
            old_lock.unlock()

    def restore(self, backup_path: Path) -> None:
        """Restore a backup into the open workspace off the GUI thread (its queued writes
        done first), then show it again in a fresh window, whatever the outcome."""
        from wushan_desk.gui.widgets import dialogs
        from wushan_desk.gui.widgets.background import close_for
        from wushan_desk.gui.widgets.tasks import run_task
        from wushan_desk.services import backups
        from wushan_desk.services.session import open_workspace

        assert self.ws is not None and self.window is not None and self.lock is not None
        path, window, lock = self.ws.path, self.window, self.lock
        close_for(self.ws)

        def reopen(message: str | None) -> None:
            try:
                self._install(open_workspace(path, create=False, busy_ms=GUI_BUSY_MS), lock)
            except Exception as exc:
                dialogs.show_error(self.window, exc, "无法重新打开工作区")
                return
            if message:
                dialogs.inform(self.window, "恢复备份", message)

        def failed(exc: BaseException) -> None:
            dialogs.show_error(window, exc, "没有恢复")
            reopen(None)

        run_task(window, "正在恢复备份",
                 lambda progress, cancelled: backups.restore(path, backup_path, progress,
                                                             cancelled),
                 lambda done: reopen(f"已恢复到 {done.restored.taken:%Y-%m-%d %H:%M} 的备份。"
                                     f"恢复前的数据另存为备份 {done.safety_copy.name}。"
                                     "下次同步时会与县级中心库（或各设备）互相补齐。"),
                 on_cancelled=lambda: reopen(None), on_error=failed, what="没有恢复")

    def close(self) -> None:
        """Window first, then queued writes, then the connection and the lock."""
        from wushan_desk.gui.widgets.background import close_for
        from wushan_desk.gui.widgets.tasks import stop_all

        stop_all()  # a job still reading (a county-wide check) ends before its workspace
        if self.window is not None:
            _dispose(self.window)
            self.window = None
        if self.ws is not None:
            close_for(self.ws)
            self.ws.close()
            self.ws = None
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None


def _login_form(path: Path, parent: QWidget | None) -> Workspace | None:
    """The login form (the main window's modules load behind it); None if cancelled."""
    from wushan_desk.gui.login_form import LoginDialog

    dialog = LoginDialog(path, parent)
    QTimer.singleShot(0, _preload_main_window)  # once the form is on screen
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.ws


def _after_login(ws: Workspace, path: Path, parent: QWidget | None) -> Workspace | None:
    """A temporary password changed first; a clear workspace offered encryption."""
    from wushan_desk.gui import login
    from wushan_desk.services import accounts
    from wushan_desk.services.session import open_workspace

    if ws.user is not None and ws.user.must_change:  # a temporary password: change it
        change = login.PasswordChangeDialog(ws, parent)
        if change.exec() != QDialog.DialogCode.Accepted:
            ws.close()
            return None
    if ws.user is None and not accounts.is_encrypted(path) and ws.key is None:
        ws.close()
        offer = login.EncryptDialog(path, parent)
        if offer.exec() == QDialog.DialogCode.Accepted and offer.ws is not None:
            return offer.ws
        ws = open_workspace(path, create=False, busy_ms=GUI_BUSY_MS)
    return ws


def _preload_main_window() -> None:
    """Import the main window's modules in the background while the user types the
    password: the login dialog shows without waiting for them (issue 7's start figure),
    and the window is ready when the password is. Only imports: no widget is made off
    the GUI thread; an error here shows again, properly, when the GUI thread imports."""
    def load() -> None:
        try:
            importlib.import_module("wushan_desk.gui.main_window")
        except Exception:
            log.debug("preloading the main window failed", exc_info=True)

    # not a daemon: the interpreter waits for it at exit (a login cancelled at once),
    # since tearing Python down in the middle of loading Qt's modules crashes it
    threading.Thread(target=load, name="preload-main-window").start()


def _instance_lock(path: Path) -> QLockFile | None:
    """This process's claim to show `path` (None: another window already does).

    QLockFile notes our process id and treats the lock of a crashed program as free.
    Where no lock file can be made (a read-only folder) the workspace opens anyway:
    SQLite still keeps the file consistent.
    """
    real = Path(os.path.realpath(path))  # one lock however the file is reached (a link)
    lock = QLockFile(str(real.with_name(real.name + ".window-lock")))
    lock.setStaleLockTime(0)
    if lock.tryLock(0):
        return lock
    if lock.error() == QLockFile.LockError.LockFailedError:
        return None
    log.warning("no window lock for %s: %s", path, lock.error())
    return lock


def _dispose(window: MainWindow) -> None:
    """Close and delete a window at once (not later), so that no pending event makes
    its lists query the workspace after that is closed."""
    window.close()
    shiboken6.delete(window)


def choose_start(db_path: Path | None) -> Path | None:
    """The workspace to open: the given one, the default one, or the first-start choice."""
    if db_path is not None:
        return db_path
    default = paths.default_workspace()
    if default.exists():
        return default
    from wushan_desk.gui.first_start import FirstStartDialog  # only on a first start

    dialog = FirstStartDialog()
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chosen


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    """An error escaping a slot: log it and tell the user, instead of a console trace."""
    from wushan_desk.gui.widgets import dialogs

    exc.__traceback__ = tb
    dialogs.show_error(QApplication.activeWindow(), exc, "操作没有完成")


def run(db_path: Path | None) -> int:
    """Run the GUI until the last window closes; returns the process exit code."""
    logs.setup()
    app = create_app()
    path = choose_start(Path(db_path) if db_path is not None else None)
    if path is None:
        return EXIT_OK
    session = Session()
    code = session.open(path)
    if code != EXIT_OK:
        return code
    previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        session.close()
