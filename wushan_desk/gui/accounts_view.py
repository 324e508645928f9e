"""账号管理 (county administrators): the accounts, a new account, a reset, disabling."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui.login_form import PasswordForm
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import accounts, records
from wushan_desk.services.session import Workspace


class AccountsDialog(QDialog):
    """The accounts of this workspace; what is done here is audited."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("账号管理")
        self.resize(820, 460)
        self.centres = {c["id"]: c["name"] for c in records.iter_records(ws, "centre")}
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["用户名", "姓名", "角色", "督导中心"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        add, reset = QPushButton("新建账号…"), QPushButton("重置密码…")
        disable = QPushButton("停用")
        add.clicked.connect(self.add)
        reset.clicked.connect(self.reset)
        disable.clicked.connect(self.disable)
        bar = QHBoxLayout()
        for button in (add, reset, disable):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("督导中心的账号随下一个同步包到达该中心的电脑；重置的临时密码只生效一次，"
                                "登录后须修改。", objectName="hint", wordWrap=True))
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        self.shown = accounts.list_accounts(self.ws)
        self.table.setRowCount(len(self.shown))
        for r, a in enumerate(self.shown):
            for c, text in enumerate((a.login, a.display_name, a.role_label,
                                      self.centres.get(a.centre_id or "", "县教委"))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def selected(self) -> accounts.Actor | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def add(self) -> None:
        NewAccountDialog(self.ws, self.centres, self).exec()
        self.refresh()

    def reset(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            ResetDialog(self.ws, chosen.login, self).exec()

    def disable(self) -> None:
        chosen = self.selected()
        if chosen is None or not dialogs.confirm(
                self, "停用账号", f"停用账号“{chosen.login}”？停用后它不能再登录。", "停用"):
            return
        try:
            accounts.disable_account(self.ws, chosen.login)
        except accounts.UserError as exc:
            dialogs.show_error(self, exc, "没有停用")
        self.refresh()


class NewAccountDialog(PasswordForm):
    def __init__(self, ws: Workspace, centres: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__("新建账号", "督导员须选择督导中心。首次登录后须修改这个初始密码。", parent)
        self.ws = ws
        self.login = self.field("用户名")
        self.name = self.field("姓名")
        self.role = QComboBox()
        for code, label in accounts.ROLES.items():
            self.role.addItem(label, code)
        self.form.addRow("角色", self.role)
        self.centre = QComboBox()
        self.centre.addItem("（县教委）", None)
        for centre_id, name in sorted(centres.items(), key=lambda kv: kv[1]):
            self.centre.addItem(name, centre_id)
        self.form.addRow("督导中心", self.centre)
        self.password = self.field("初始密码", secret=True)
        self.again = self.field("再次输入", secret=True)

    def submit(self) -> None:
        self.attempt(lambda: accounts.add_account(
            self.ws, accounts.Credentials(self.login.text().strip(), self.password.text()),
            self.role.currentData(), display_name=self.name.text(),
            centre_id=self.centre.currentData(), must_change=True), self.password, self.again)


class ResetDialog(PasswordForm):
    def __init__(self, ws: Workspace, login: str, parent: QWidget | None = None) -> None:
        super().__init__(f"重置“{login}”的密码", "设置一个临时密码并当面或电话告诉本人；"
                         "本人登录后须立即修改。", parent)
        self.ws, self.login = ws, login
        self.password = self.field("临时密码", secret=True)
        self.again = self.field("再次输入", secret=True)

    def submit(self) -> None:
        self.attempt(lambda: accounts.reset_password(self.ws, self.login, self.password.text()),
                     self.password, self.again)


__all__ = ["AccountsDialog", "NewAccountDialog", "ResetDialog"]
