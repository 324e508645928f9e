"""Login, the idle lock, the password change, 修改记录 and the audit trail in the GUI."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from wushan_desk.gui import login
from wushan_desk.gui.audit_view import AuditDialog, HistoryDialog
from wushan_desk.services import accounts, audit, records
from wushan_desk.services.session import Workspace

ADMIN = accounts.credentials_from_env()


def test_login_dialog_explains_a_wrong_password_and_opens_with_the_right_one(
        qtbot, styled_app, demo_copy: Path) -> None:
    accounts.forget(demo_copy)
    dialog = login.LoginDialog(demo_copy)
    qtbot.addWidget(dialog)
    dialog.login.setText(ADMIN.login)
    dialog.password.setText("wrong-password")
    dialog.submit()
    assert dialog.ws is None and "不正确" in dialog.error.text()
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.password.text() == ""  # cleared for the next try
    dialog.password.setText(ADMIN.password)
    dialog.submit()
    assert dialog.ws is not None and dialog.ws.user.login == ADMIN.login
    try:
        assert any(e.action == "login" for e in audit.entries(dialog.ws))
    finally:
        dialog.ws.close()


def test_the_login_is_typed_straight_away(qtbot, styled_app, demo_copy: Path) -> None:
    """The user name field has the focus when the dialog opens, Tab goes to the password
    and Enter logs in: no mouse needed (the buttons had the focus before)."""
    from PySide6.QtCore import Qt
    from typing_helpers import enter_text

    accounts.forget(demo_copy)
    dialog = login.LoginDialog(demo_copy)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.focusWidget() is dialog.login
    enter_text(qtbot, dialog.focusWidget(), ADMIN.login)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.password
    enter_text(qtbot, dialog.password, ADMIN.password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.ws is not None
    dialog.ws.close()


def test_idle_lock_keeps_what_was_on_screen(qtbot, styled_app, demo_ws: Workspace) -> None:
    accounts.attach(demo_ws, accounts.current_actor(demo_ws.path)
                    or _admin_actor(demo_ws))
    window = QWidget()
    layout = QVBoxLayout(window)
    typing = QLineEdit()
    layout.addWidget(typing)
    qtbot.addWidget(window)
    window.show()
    typing.setText("家访记录写到一半")
    seen: list[str] = []

    def unlock() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, login.LockDialog)
        seen.append("hidden" if not typing.isVisible() else "shown")  # nothing readable
        dialog.password.setText("wrong-password")
        dialog.submit()
        seen.append(dialog.error.text())
        dialog.password.setText(ADMIN.password)
        dialog.submit()

    lock = login.IdleLock(demo_ws, window, minutes=0.001)  # 60 ms without input
    QTimer.singleShot(400, unlock)
    qtbot.waitUntil(lambda: bool(seen) and not lock.locked, timeout=5000)
    lock.stop()
    assert seen[0] == "hidden" and "不正确" in seen[1]
    assert typing.text() == "家访记录写到一半" and typing.isVisible()
    actions = [e.action for e in audit.entries(demo_ws)]
    assert "lock" in actions and "unlock" in actions


def _admin_actor(ws: Workspace) -> accounts.Actor:
    return next(a for a in accounts.list_accounts(ws) if a.login == ADMIN.login)


def test_password_change_dialog(qtbot, styled_app, demo_ws: Workspace) -> None:
    accounts.attach(demo_ws, _admin_actor(demo_ws))
    dialog = login.PasswordChangeDialog(demo_ws)
    qtbot.addWidget(dialog)
    dialog.old.setText(ADMIN.password)
    dialog.new.setText("short")
    dialog.again.setText("short")
    dialog.submit()
    assert "至少" in dialog.error.text()
    dialog.new.setText("a-longer-password")
    dialog.again.setText("a-longer-password")
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    accounts.forget(demo_ws.path)
    accounts.login(demo_ws.path, accounts.Credentials(ADMIN.login, "a-longer-password")).close()


def test_history_and_audit_dialogs(qtbot, styled_app, demo_ws: Workspace,
                                   tmp_path: Path) -> None:
    accounts.attach(demo_ws, _admin_actor(demo_ws))
    student = next(records.iter_records(demo_ws, "student"))
    records.put(demo_ws, "student", student | {"class_name": "3班"})
    history = HistoryDialog(demo_ws, "student", student["id"])
    qtbot.addWidget(history)
    assert history.table.rowCount() >= 2
    assert history.table.item(0, 1).text() == ADMIN.login  # newest first, with its author
    assert f"班级：{student['class_name'] or '（空）'} → 3班" in history.table.item(0, 4).text()
    records.disclose(demo_ws, "student", "核对名单", [student["id"]])
    trail = AuditDialog(demo_ws)
    qtbot.addWidget(trail)
    trail.action.setCurrentIndex(trail.action.findData("view-full"))
    trail.refresh()
    assert trail.table.rowCount() == 1 and "核对名单" in trail.table.item(0, 5).text()
    out = trail.export(tmp_path / "审计.xlsx")
    assert out is not None and out.stat().st_size > 0


def test_account_management_adds_resets_and_disables(qtbot, styled_app, demo_ws: Workspace,
                                                     monkeypatch) -> None:
    from wushan_desk.gui.accounts_view import AccountsDialog, NewAccountDialog, ResetDialog
    from wushan_desk.gui.widgets import dialogs

    accounts.attach(demo_ws, _admin_actor(demo_ws))
    manage = AccountsDialog(demo_ws)
    qtbot.addWidget(manage)
    before = manage.table.rowCount()
    new = NewAccountDialog(demo_ws, manage.centres)
    qtbot.addWidget(new)
    new.login.setText("xiang")
    new.role.setCurrentIndex(new.role.findData("county_staff"))
    new.password.setText("first-password")
    new.again.setText("first-password")
    new.submit()
    assert new.result() == new.DialogCode.Accepted
    manage.refresh()
    assert manage.table.rowCount() == before + 1
    reset = ResetDialog(demo_ws, "xiang")
    qtbot.addWidget(reset)
    reset.password.setText("temporary-pass")
    reset.again.setText("temporary-pass")
    reset.submit()
    accounts.forget(demo_ws.path)
    ws = accounts.login(demo_ws.path, accounts.Credentials("xiang", "temporary-pass"))
    assert ws.user.must_change
    ws.close()
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    manage.table.selectRow(next(r for r in range(manage.table.rowCount())
                                if manage.table.item(r, 0).text() == "xiang"))
    manage.disable()
    assert manage.table.rowCount() == before
    with pytest.raises(accounts.LoginFailed):
        accounts.login(demo_ws.path, accounts.Credentials("xiang", "temporary-pass"))


@pytest.mark.parametrize("scripted", [False, True])
def test_the_start_probe_reports_the_first_window(demo_copy: Path, scripted: bool) -> None:
    """`bench` times the start with this probe: without a scripted login the first window
    is the login dialog (closed by the probe, not left waiting for a password), with one
    it is the main window; either way it prints seconds and exits."""
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items()
           if scripted or k not in (accounts.ENV_USER, accounts.ENV_PASSWORD)}
    env |= {"QT_QPA_PLATFORM": "offscreen", "WUSHAN_PROBE_T0": repr(time.time())}
    done = subprocess.run([sys.executable, "-m", "wushan_desk.gui.probe", "start",
                           str(demo_copy)], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 0 < float(done.stdout.split()[-1]) < 120


def test_the_login_form_shows_before_the_store_loads(demo_copy: Path) -> None:
    """Issue 7's start: when the login form opens on an encrypted workspace, nothing of
    the store, the accounts service, SQLCipher or the main window has been imported
    (they load behind the form); cancelling at once exits cleanly, not with a crash in
    the middle of that loading."""
    import os
    import subprocess
    import sys

    script = f"""
import sys
from PySide6.QtCore import QTimer
from wushan_desk.gui import login_form
heavy = ("wushan_desk.store.workspace", "wushan_desk.services.accounts", "sqlcipher3",
         "wushan_desk.gui.main_window")
original = login_form.LoginDialog.exec
def exec_(self):
    print("loaded:", sorted(m for m in heavy if m in sys.modules), flush=True)
    QTimer.singleShot(0, self.reject)
    return original(self)
login_form.LoginDialog.exec = exec_
from wushan_desk import cli
sys.exit(cli.main(["--db", {str(demo_copy)!r}]))
"""
    env = {k: v for k, v in os.environ.items()
           if k not in (accounts.ENV_USER, accounts.ENV_PASSWORD)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env | {"QT_QPA_PLATFORM": "offscreen"},
                          stdin=subprocess.DEVNULL, timeout=120)
    assert "loaded: []" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 3, done.stderr  # the login was cancelled: refused, no crash


def test_a_process_already_logged_in_opens_without_the_form(
        styled_app: QApplication, demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early login form is for a fresh start: a process that logged in already (a
    script, the screenshot tool) opens the window directly."""
    from wushan_desk.gui import app as gui_app
    from wushan_desk.gui import login_form
    assert ADMIN is not None
    monkeypatch.delenv(accounts.ENV_USER, raising=False)
    monkeypatch.delenv(accounts.ENV_PASSWORD, raising=False)
    accounts.login(demo_copy, ADMIN).close()

    shown: list[bool] = []
    monkeypatch.setattr(login_form.LoginDialog, "exec", lambda _self: shown.append(True) or 0)
    session = gui_app.Session()
    try:
        assert session.open(demo_copy) == 0 and session.window is not None
        assert not shown
    finally:
        session.close()
