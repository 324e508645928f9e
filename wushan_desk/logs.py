"""The log file: one handler on the root logger, set up once per process.

Errors and their tracebacks go to `<data folder>/logs/wushan-desk.log` (rotated at start
once it passes 1 MB, three old files kept), where the error dialog's 详细信息 and the
CLI's [unexpected] line point. Set up once: two handlers would write every line twice.
(A plain FileHandler: logging.handlers would pull in sockets and pickle at every start.)
"""

from __future__ import annotations

import logging
import os
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
        _rotate(log_path())
        handler = logging.FileHandler(target, encoding="utf-8", delay=True)
    except OSError:
        return  # a read-only folder must not stop the app
    handler.wushan_log = target  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _rotate(path: Path, max_bytes: int = 1_000_000, keep: int = 3) -> None:
    """wushan-desk.log -> .log.1 -> .log.2 -> .log.3 once the current file is too big."""
    if not path.exists() or path.stat().st_size < max_bytes:
        return
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))

