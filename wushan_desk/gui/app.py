"""Start the GUI: the QApplication, fonts and style, then a workspace in the main window.

`run(db_path)` is what `wushan-desk [--db PATH]` calls. Exit codes follow the command
line's: 0 ok, 1 unexpected error, 3 the workspace was refused (nothing written).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from wushan_desk import __version__, paths
from wushan_desk.gui import appearance, dialogs
from wushan_desk.gui.first_start import FirstStartDialog
from wushan_desk.gui.main_window import MainWindow
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace, open_workspace

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3


def setup_logging() -> None:
    """Errors and their tracebacks go to a file the 详细信息 toggle can point at."""
    root = logging.getLogger()
    if any(getattr(h, "wushan", False) for h in root.handlers):
        return
    folder = paths.user_data_dir() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / "wushan-desk.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return  # a read-only folder must not stop the app
    handler.wushan = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


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


class Session:
    """The open workspace and its window; opening another replaces both."""

    def __init__(self) -> None:
        self.ws: Workspace | None = None
        self.window: MainWindow | None = None

    def open(self, path: Path, parent: QWidget | None = None) -> int:
        """Open `path` in a new main window; returns an exit code (0 when opened)."""
        blocking = self.window is None  # before the event loop runs, errors must block
        try:
            ws = open_workspace(path, create=False)
        except WorkspaceError as exc:
            dialogs.show_error(parent, exc, "无法打开工作区", block=blocking)
            return EXIT_REFUSED
        except Exception as exc:
            dialogs.show_error(parent, exc, "无法打开工作区", block=blocking)
            return EXIT_ERROR
        old_window, old_ws = self.window, self.ws
        self.ws, self.window = ws, MainWindow(ws)
        self.window.openRequested.connect(lambda p: self.open(p, self.window))
        self.window.restore_geometry()
        if old_window is not None:
            _dispose(old_window)
        if old_ws is not None:
            old_ws.close()
        log.info("opened workspace %s", path)
        return EXIT_OK

    def close(self) -> None:
        """Window first, then the connection: nothing may query a closed workspace."""
        if self.window is not None:
            _dispose(self.window)
            self.window = None
        if self.ws is not None:
            self.ws.close()
            self.ws = None


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
    dialog = FirstStartDialog()
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chosen


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    """An error escaping a slot: log it and tell the user, instead of a console trace."""
    exc.__traceback__ = tb
    dialogs.show_error(QApplication.activeWindow(), exc, "操作没有完成")


def run(db_path: Path | None) -> int:
    """Run the GUI until the last window closes; returns the process exit code."""
    setup_logging()
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
