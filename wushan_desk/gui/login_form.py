"""The login form: the first window the app shows on an encrypted workspace.

It is on screen before the rest of the app has loaded (gui/app.py loads the main window
in the background meanwhile), so it imports only Qt's widgets: not the `Qt` namespace
(its hundred enums take 50 ms to set up), not the services (they come with the main
window and are there by the time the password is). `PasswordForm` is the base of every
password dialog (gui/login.py, gui/accounts_view.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from wushan_desk.services.session import Workspace


class PasswordForm(QDialog):
    """A small form with an inline error line (never a second dialog for a typo)."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title, objectName="pageTitle"))
        layout.addWidget(QLabel(intro, wordWrap=True, objectName="hint"))
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = QLabel("", objectName="formError", wordWrap=True)
        self.error.hide()
        layout.addWidget(self.error)
        # (buttons added one by one: the constructor taking several makes PySide6 set up
        # the `Qt` namespace's enums, 45 ms before the form can show)
        self.buttons = QDialogButtonBox()
        for button in (QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel):
            self.buttons.addButton(button)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.fields: list[QLineEdit] = []

    def field(self, label: str, *, secret: bool = False, text: str = "") -> QLineEdit:
        """A line of the form. The first empty one has the focus when the form opens, and
        Tab goes through the fields before the buttons (which were made first): the user
        types at once, without reaching for the mouse."""
        edit = QLineEdit(text)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, edit)
        if self.fields:
            QWidget.setTabOrder(self.fields[-1], edit)
        QWidget.setTabOrder(edit, self.buttons)
        if not text and not any(not f.text() for f in self.fields):
            edit.setFocus()
        self.fields.append(edit)
        return edit

    def fail(self, message: str) -> None:
        self.error.setText(f"▲ {message}")
        self.error.show()

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def attempt(self, action: Callable[[], object], password: QLineEdit | None = None,
                again: QLineEdit | None = None) -> bool:
        """Run `action` if the two passwords typed agree; its refusal is shown in the
        form's error line, success closes the form. True when done."""
        if password is not None and again is not None and password.text() != again.text():
            self.fail("两次输入的密码不一致。")
            return False
        from wushan_desk.domain.errors import UserError

        with waiting():
            try:
                action()
            except UserError as exc:
                self.fail(exc.message)
                return False
        self.accept()
        return True


class LoginDialog(PasswordForm):
    """User name and password for an encrypted workspace; `ws` is set when accepted."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__("登录", f"工作区“{path.name}”已加密，请输入您的用户名和密码。", parent)
        self.path = path
        self.ws: Workspace | None = None
        self.login = self.field("用户名")
        self.password = self.field("密码", secret=True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("登录")
        self.password.returnPressed.connect(self.submit)

    def submit(self) -> None:
        # loaded in the background while the password was typed (gui/app.py)
        from wushan_desk.services import accounts, audit

        with waiting():  # argon2id: about a tenth of a second here, on purpose
            try:
                self.ws = accounts.login(self.path, accounts.Credentials(
                    self.login.text().strip(), self.password.text()), busy_ms=100)
            except accounts.LoginFailed as exc:
                self.password.clear()
                self.password.setFocus()
                self.fail(exc.message)
                return
        try:  # the login itself into the audit trail now (else with the next action)
            audit.flush_pending(self.ws)
        except accounts.UserError:
            pass
        self.accept()


@contextmanager
def waiting() -> Iterator[None]:
    """The wait cursor while the GUI thread is busy for a moment (a password check)."""
    from PySide6.QtCore import Qt

    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
