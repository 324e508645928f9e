#!/usr/bin/env python3
"""Screenshots of the main screens for the README and for review, at 1366x728.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]     (default docs/screenshots)

Builds a small demo county in a temporary folder, opens the main window offscreen
(no display needed; Qt's offscreen platform renders like a screen) and saves each page,
plus a visit open in the editor, as PNG. Look at them after every visible change.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")


def main(out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    home = Path(tempfile.mkdtemp(prefix="wushan-shots-"))
    os.environ["WUSHAN_DESK_HOME"] = str(home)
    from wushan_desk.gui import app as gui_app
    from wushan_desk.gui.widgets import background
    from wushan_desk.services.demo import build_demo

    db = home / "demo.wsdb"
    build_demo(db, scale=0.05)
    from wushan_desk.store import backup

    backup.take(db, "manual")  # so that 设置 shows a backup
    qapp = gui_app.create_app()
    session = gui_app.Session()
    if session.open(db) != 0 or session.window is None:
        return 1
    window = session.window
    window.showNormal()
    window.resize(1366, 728)
    out.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        for _ in range(30):
            qapp.processEvents()
        while any(w.pending for w in background._workers.values()):
            qapp.processEvents()

    shots = {"首页": "main-home", "学校与学生": "main-students", "督导检查": "inspection-list",
             "同步": "sync-page", "设置": "settings"}
    for page, name in shots.items():
        window.go_to(page)
        settle()
        window.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    inspection = window.pages["督导检查"]
    model = inspection.visits.model  # type: ignore[attr-defined]
    rows = [model.row(i) for i in range(model.rowCount())]
    # a regular visit with its checklist shows more than a one-item re-check
    shown = next((r for r in rows if r.kind != "复查" and r.status == "草稿"),
                 next((r for r in rows if r.kind != "复查"), rows[0]))
    window.open_visit(shown.id)
    settle()
    window.grab().save(str(out / "inspection-editor.png"))
    print(out / "inspection-editor.png")
    session.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
