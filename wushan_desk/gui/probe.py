"""Measurements that need the real GUI, for `wushan-desk bench` (run in a child process).

    python -m wushan_desk.gui.probe empty          an empty PySide6 window (the baseline)
    python -m wushan_desk.gui.probe start PATH     the app on PATH, started as a user does
    python -m wushan_desk.gui.probe pages PATH     every page and list opened; JSON figures

`empty` and `start` print the seconds from the parent's clock reading in WUSHAN_PROBE_T0
(taken just before it started this process) to the first turn of the event loop after
the first window is on screen, then quit: interpreter start counts, exit does not. With
WUSHAN_DESK_USER and WUSHAN_DESK_PASSWORD set, `start` logs in as a script does and the
first window is the main window; without them it is the login dialog. `pages` prints the
GUI thread's time for searches typed into the students list and the peak memory after
every page and list has been opened.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget


def _report_shown_and_quit(app: QApplication) -> None:
    """Once the event loop turns (the first window is shown): print the seconds since the
    parent's clock reading, then leave every event loop (a dialog's too)."""
    def done() -> None:
        print(round(time.time() - float(os.environ["WUSHAN_PROBE_T0"]), 4), flush=True)
        for widget in app.topLevelWidgets():
            if isinstance(widget, QDialog):  # a dialog's exec() ends only with it
                widget.reject()
        app.quit()

    QTimer.singleShot(0, done)


def empty_window() -> int:
    app = QApplication(sys.argv[:1])
    window = QWidget()
    window.resize(1280, 720)
    window.show()
    _report_shown_and_quit(app)
    return app.exec()


def app_start(path: str) -> int:
    """`wushan-desk --db PATH`, quitting once its first window is on screen."""
    from wushan_desk import cli
    from wushan_desk.gui import app as gui_app

    create = gui_app.create_app

    def create_and_quit_when_shown() -> QApplication:
        app = create()
        _report_shown_and_quit(app)
        return app

    gui_app.create_app = create_and_quit_when_shown
    cli.main(["--db", path])  # 3 when the login dialog was closed by the quit
    return 0


def all_pages(path: str) -> dict[str, Any]:
    """Open every page (and every tab of 督导检查), search the students list, wait for
    the background counts; report the GUI thread's search times and the peak memory."""
    from wushan_desk.gui import app as gui_app
    from wushan_desk.gui.main_window import PAGES
    from wushan_desk.gui.widgets import background

    app = gui_app.create_app()
    session = gui_app.Session()
    if session.open(Path(path)) != 0 or session.window is None:
        raise SystemExit("cannot open the workspace")
    window = session.window
    figures: dict[str, Any] = {}
    for name in PAGES:
        window.go_to(name)
        app.processEvents()
        tabs = getattr(window.pages[name], "tabs", None)
        for index in range(tabs.count() if tabs is not None else 0):
            tabs.setCurrentIndex(index)
            app.processEvents()
    students = window.pages["学校与学生"].students  # type: ignore[attr-defined]
    for label, text in (("1_char", "王"), ("2_chars", "向明"), ("id_prefix", "50023720")):
        students.search.setText(text)
        started = time.perf_counter()
        students.refresh()  # what the GUI thread does for a search
        figures[f"gui_search_{label}"] = round((time.perf_counter() - started) * 1000, 1)
        _wait(app, lambda: students.counted)
    _wait(app, lambda: all(w.pending == 0 for w in background._workers.values()))
    figures["peak_rss_mb"] = _peak_rss_mb()
    session.close()
    return figures


def _wait(app: QApplication, done: Any, timeout_s: float = 120.0) -> None:
    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def main(argv: list[str]) -> int:
    if argv[:1] == ["empty"]:
        return empty_window()
    if argv[:1] == ["start"] and len(argv) == 2:
        return app_start(argv[1])
    if argv[:1] == ["pages"] and len(argv) == 2:
        print(json.dumps(all_pages(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
