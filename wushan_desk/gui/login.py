"""Logging in, locking after idle time, changing the password.

The login dialog opens the encrypted workspace (services/accounts.login); a workspace
made before accounts existed is offered encryption first (`EncryptDialog`). The idle
lock covers the main window with a modal password prompt: nothing on screen is closed
or reset, so half-typed work is there after unlocking.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QWidget,
)

from wushan_desk.gui.login_form import LoginDialog, PasswordForm
from wushan_desk.services import accounts, audit
from wushan_desk.services.session import Workspace

__all__ = ["EncryptDialog", "IdleLock", "LockDialog", "LoginDialog", "PasswordChangeDialog",
           "idle_minutes"]

#: Minutes without keyboard or mouse before the window locks (setting: 设置 page).
DEFAULT_IDLE_MINUTES = 10


class EncryptDialog(PasswordForm):
    """Offer to encrypt a workspace made before accounts existed (with its first admin)."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(
            "加密工作区",
            f"工作区“{path.name}”还没有加密：拿到这个文件的人可以读出全部学生信息。"
            "建议现在加密，并设置管理员账号。加密前原文件保持不变，加密成功后删除未加密的原文件，"
            "以前的备份也一并加密。以后打开需要输入密码，忘记密码只能由县教委重置。", parent)
        self.path = path
        self.ws: Workspace | None = None
        self.login = self.field("管理员用户名", text="admin")
        self.password = self.field("密码（至少 8 位）", secret=True)
        self.again = self.field("再次输入密码", secret=True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("加密")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("暂不加密")

    def submit(self) -> None:
        def encrypt() -> None:
            self.ws = accounts.encrypt_existing(self.path, accounts.Credentials(
                self.login.text().strip(), self.password.text()))

        self.attempt(encrypt, self.password, self.again)


class PasswordChangeDialog(PasswordForm):
    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("修改密码", "新密码至少 8 位。修改后，下次登录和解锁都用新密码。", parent)
        self.ws = ws
        self.old = self.field("原密码", secret=True)
        self.new = self.field("新密码", secret=True)
        self.again = self.field("再次输入新密码", secret=True)

    def submit(self) -> None:
        self.attempt(lambda: accounts.change_password(self.ws, self.old.text(),
                                                      self.new.text()), self.new, self.again)


class LockDialog(PasswordForm):
    """The idle lock: only the password of the logged-in account opens it again."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        actor = ws.user
        super().__init__("已锁定", f"离开时间较长，窗口已锁定。请输入“{actor.login}”的密码解锁，"
                         "屏幕上的内容都还在。", parent)
        self.ws = ws
        self.password = self.field("密码", secret=True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("解锁")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
        self.password.returnPressed.connect(self.submit)

    def submit(self) -> None:
        try:
            ok = accounts.verify_password(self.ws, self.password.text())
        except accounts.LoginFailed as exc:
            self.password.clear()
            self.fail(exc.message)
            return
        if not ok:
            self.password.clear()
            self.fail("密码不正确。")
            return
        audit.record_or_defer(self.ws, "unlock")
        self.accept()

    def reject(self) -> None:  # Esc does not unlock
        pass


class IdleLock(QObject):
    """Watches the application's input; after `minutes` without any, locks `window`."""

    def __init__(self, ws: Workspace, window: QWidget, minutes: float) -> None:
        super().__init__(window)
        self.ws, self.window = ws, window
        self.locked = False
        self.timer = QTimer(self, singleShot=True)
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        self.timer.timeout.connect(self.lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    _INPUT = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                        QEvent.Type.MouseMove, QEvent.Type.Wheel})

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.locked and event.type() in self._INPUT:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def lock(self) -> None:
        """Cover what is on screen and ask for the password; whatever happens (a busy
        workspace, an error), the lock is armed again afterwards."""
        if self.locked or self.ws.user is None or not self.window.isVisible():
            return
        self.locked = True
        hidden = _hide_contents(self.window)
        try:
            audit.record_or_defer(self.ws, "lock")
            LockDialog(self.ws, self.window).exec()
        finally:
            for widget in hidden:
                widget.show()
            self.locked = False
            self.timer.start()


def _hide_contents(window: QWidget) -> list[QWidget]:
    """Hide the window's content and every other open window while locked (children's
    names and ID numbers must not stay readable on an unattended screen); they come
    back as they were."""
    hidden: list[QWidget] = []
    central = getattr(window, "centralWidget", None)
    targets = [central()] if callable(central) and central() is not None else list(
        window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly))
    targets += [w for w in QApplication.topLevelWidgets()
                if w is not window and w.isVisible() and isinstance(w, QDialog)]
    for widget in targets:
        if widget.isVisible():
            widget.hide()
            hidden.append(widget)
    return hidden


def idle_minutes(ws: Workspace) -> float:
    """The configured idle time before locking (local setting, minutes)."""
    try:
        return float(ws.state("idle_lock_minutes") or DEFAULT_IDLE_MINUTES)
    except ValueError:
        return DEFAULT_IDLE_MINUTES


