"""Where the app's data folders and the user's workspace live.

`ui/`, `resources/` and `db/` sit at the top of a source checkout, are copied into the
package as `wushan_desk/_data/` in an installed wheel, and under `_data/` beside the
executable's internals in a PyInstaller bundle. This module is the only place that knows.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

APP_NAME = "wushan-desk"
_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding `ui/`, `resources/` and `db/`."""
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "wushan_desk" / "_data")
    candidates += [_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent]
    for root in candidates:
        if (root / "db").is_dir() and (root / "resources").is_dir():
            return root
    raise FileNotFoundError(f"data folders (db/, resources/) not found in {candidates}")


def migrations_dir() -> Path:
    return data_root() / "db"


def resources_dir() -> Path:
    return data_root() / "resources"


def ui_dir() -> Path:
    return data_root() / "ui"


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


def user_data_dir() -> Path:
    """Per-user data folder: %LOCALAPPDATA%\\wushan-desk or ~/.local/share/wushan-desk.

    WUSHAN_DESK_HOME overrides it (tests, portable installs on a USB stick).
    """
    override = os.environ.get("WUSHAN_DESK_HOME")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_NAME


def default_workspace() -> Path:
    """The workspace used when no --db is given."""
    return user_data_dir() / "workspace.wsdb"


def demo_workspace() -> Path:
    """Where the first-start dialog builds the demo workspace."""
    return user_data_dir() / "demo.wsdb"
