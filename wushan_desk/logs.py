"""The log file: one handler on the root logger, set up once per process.

Errors and their tracebacks go to `<data folder>/logs/wushan-desk.log` (rotated at
1 MB, three old files kept), where the error dialog's 详细信息 and the CLI's
[unexpected] line point. Set up once: two handlers would write every line twice.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from wushan_desk import paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    return paths.user_data_dir() / "logs" / "wushan-desk.log"


def setup() -> None:
    """Attach the file handler to the root logger (again only for another data folder)."""
    root = logging.getLogger()
    target = str(log_path())
    for handler in root.handlers:
        if getattr(handler, "wushan_log", None) is not None:
            if handler.wushan_log == target:  # type: ignore[attr-defined]
                return
            root.removeHandler(handler)  # the data folder changed (tests)
            handler.close()
    try:
        log_path().parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True
        )
    except OSError:
        return  # a read-only folder must not stop the app
    handler.wushan_log = target  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
