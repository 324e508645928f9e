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
import time
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
    from wushan_desk.services import accounts, backups

    qapp = gui_app.create_app()
    out.mkdir(parents=True, exist_ok=True)
    accounts.forget(db)  # the login dialog as a supervisor sees it at start
    from wushan_desk.gui.login import LoginDialog

    dialog = LoginDialog(db)
    dialog.login.setText("duxue-01")
    dialog.password.setText("wrong-password")
    dialog.submit()  # shows the inline message for a wrong password
    dialog.show()
    for _ in range(30):
        qapp.processEvents()
    dialog.grab().save(str(out / "login.png"))
    print(out / "login.png")
    dialog.close()
    from wushan_desk.services.demo import DEMO_ADMIN

    ws = accounts.login(db, accounts.credentials_from_env() or DEMO_ADMIN)
    backups.back_up_now(ws)  # so that 设置 shows a backup
    ws.close()
    session = gui_app.Session()
    if session.open(db) != 0 or session.window is None:
        return 1
    window = session.window
    window.showNormal()
    window.resize(1366, 728)

    def settle() -> None:
        for _ in range(30):
            qapp.processEvents()
        while any(w.pending for w in background._workers.values()):
            qapp.processEvents()

    shots = {"首页": "main-home", "学校与学生": "main-students", "督导检查": "inspection-list",
             "控辍保学": "dropout", "学生资助": "aid", "同步": "sync-page", "报表": "reports",
             "设置": "settings"}
    for page, name in shots.items():
        window.go_to(page)
        settle()
        if page == "学生资助":  # a family's members and steps under the list
            window.pages[page].recognitions.table.selectRow(0)  # type: ignore[attr-defined]
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
    editor = inspection.editor  # type: ignore[attr-defined]
    editor.print_report("inspection")  # made in the background, then the print preview
    for _ in range(600):
        if editor.print_preview is not None:
            break
        settle()
        time.sleep(0.05)
    if editor.print_preview is not None:
        editor.print_preview.resize(1000, 700)
        settle()
        editor.print_preview.grab().save(str(out / "print-preview.png"))
        print(out / "print-preview.png")
        printed = editor.print_preview.pdf
        editor.print_preview.close()
        window.go_to("报表:核验")  # the same report checked on the 核验报告 tab
        verify = window.pages["报表"].verify  # type: ignore[attr-defined]
        verify.verify_file(printed)
        for _ in range(200):
            settle()
            if verify.level():
                break
            time.sleep(0.05)
        window.grab().save(str(out / "verify.png"))
        print(out / "verify.png")
    from wushan_desk.gui.audit_view import AuditDialog

    trail = AuditDialog(session.ws, window)
    trail.resize(1200, 600)
    trail.show()
    settle()
    trail.grab().save(str(out / "audit.png"))
    print(out / "audit.png")
    trail.close()
    dropout_page = window.pages["控辍保学"]
    window.go_to("控辍保学")
    dropout_page.tabs.setCurrentIndex(3)  # 月报
    settle()
    window.grab().save(str(out / "dropout-monthly.png"))
    print(out / "dropout-monthly.png")
    from wushan_desk.gui.dropout.dialogs import CaseDialog
    from wushan_desk.gui.dropout.new_case import NewCaseDialog

    dropout_page.tabs.setCurrentIndex(0)
    first = dropout_page.rows[0].case_id if dropout_page.rows else None
    for name, dialog in (("dropout-new-case", NewCaseDialog(session.ws, window)),
                         ("dropout-case", CaseDialog(session.ws, first, window) if first
                          else None)):
        if dialog is None:
            continue
        dialog.show()
        settle()
        dialog.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
        dialog.close()
    aid_page = window.pages["学生资助"]
    window.go_to("学生资助")
    for name, tab in (("aid-rosters", aid_page.rosters),  # type: ignore[attr-defined]
                      ("aid-payments", aid_page.payments),  # type: ignore[attr-defined]
                      ("aid-check", aid_page.checks)):  # type: ignore[attr-defined]
        aid_page.tabs.setCurrentWidget(tab)  # type: ignore[attr-defined]
        settle()
        for _ in range(600):  # the checks run in the background
            if name != "aid-check" or tab.found:
                break
            settle()
            time.sleep(0.05)
        if name == "aid-rosters":  # a roster's lines under the list
            tab.table.selectRow(0)
            settle()
        window.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    session.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
