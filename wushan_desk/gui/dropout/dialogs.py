"""控辍保学 dialogs: a case with its timeline, a visit, a status change, a notice."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import dropout as codes
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.dropout.common import date_of, fill_table, make_table, qdate
from wushan_desk.services import dropout
from wushan_desk.services.session import Workspace


class CaseDialog(QDialog):
    """One case: its timeline, and the two things done most: a visit, a status change."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.case_id = ws, case_id
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        self.heading = QLabel(objectName="dialogHeadline")
        layout.addWidget(self.heading)
        self.timeline = make_table(("日期", "类别", "经过"))
        layout.addWidget(self.timeline, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.visit_button = buttons.addButton("记录劝返(&V)…",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.status_button = buttons.addButton("变更状态(&S)…",
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.notice_button = buttons.addButton("限期返校通知书(&N)…",
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.notice_button.clicked.connect(lambda: NoticeDialog(ws, case_id, self).exec()
                                           and self.refresh())
        self.visit_button.clicked.connect(lambda: VisitDialog(ws, case_id, self).exec()
                                          and self.refresh())
        self.status_button.clicked.connect(lambda: StatusDialog(ws, case_id, self).exec()
                                           and self.refresh())
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        from wushan_desk.services import records

        case = records.get(self.ws, "dropout_case", self.case_id) or {}
        self.setWindowTitle(f"控辍保学案件 · {case.get('name', '')}")
        self.heading.setText(f"{case.get('name', '')}　{case.get('grade') or ''}　"
                             f"现状：{case.get('status', '')}　登记于 {case.get('opened_on', '')}")
        closed = case.get("status") == codes.CLOSED
        self.visit_button.setEnabled(not closed)
        self.status_button.setEnabled(not closed)
        fill_table(self.timeline, [[e.date, e.what, e.text]
                              for e in dropout.timeline(self.ws, self.case_id)])


class NoticeDialog(QDialog):
    """Print the 限期返校通知书: a draft to read over, or issued today with its deadline
    (recorded on the case). The PDF opens in the system viewer, which prints it."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.case_id = ws, case_id
        self.setWindowTitle("限期返校通知书")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.deadline = QDateEdit(qdate(clock.today() + dt.timedelta(days=7)),
                                  calendarPopup=True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        self.issue = QCheckBox("今天送达（打印正式件，并记入案件）")
        form.addRow("返校期限(&D)", self.deadline)
        form.addRow("", self.issue)
        layout.addLayout(form)
        self.error = QLabel(objectName="formError", wordWrap=True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("打印(&P)", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.print_notice)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.printed: object = None

    def print_notice(self, then: object = None) -> None:
        from wushan_desk import files, paths
        from wushan_desk.gui.inspection.files import open_file
        from wushan_desk.services import dropout_report, records

        case = records.get(self.ws, "dropout_case", self.case_id) or {}
        folder = paths.user_data_dir() / "打印"
        folder.mkdir(parents=True, exist_ok=True)
        target = files.free_path(folder, files.safe_name(
            f"{case.get('name', '')}-限期返校通知书", ".pdf", fallback="限期返校通知书"))
        try:
            dropout_report.return_notice(
                self.ws, self.case_id, target, deadline=date_of(self.deadline),
                issue_on=clock.today() if self.issue.isChecked() else None)
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.printed = target
        (then or open_file)(target)  # type: ignore[operator]
        self.accept()


class _Form(QDialog):
    """A small form whose refusal shows in its own error line."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = QLabel(objectName="formError", wordWrap=True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.date = QDateEdit(qdate(clock.today()), calendarPopup=True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.form.addRow("日期(&D)", self.date)

    def run(self, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.accept()

    def save(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class VisitDialog(_Form):
    """A persuasion visit, typed top to bottom (Tab between fields, Ctrl+Enter saves)."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__("记录劝返", parent)
        self.ws, self.case_id = ws, case_id
        self.method = QComboBox()
        self.method.addItems(codes.VISIT_METHODS)
        self.participants = QLineEdit(placeholderText="如：班主任谭老师、村主任")
        self.outcome = QPlainTextEdit()
        self.outcome.setTabChangesFocus(True)
        self.next_step = QLineEdit()
        self.next_due = QDateEdit(qdate(clock.today() + dt.timedelta(days=7)),
                                  calendarPopup=True)
        self.next_due.setDisplayFormat("yyyy-MM-dd")
        for label, widget in (("方式(&M)", self.method), ("参加人员(&P)", self.participants),
                              ("情况(&R)", self.outcome), ("下一步(&N)", self.next_step),
                              ("下一步期限", self.next_due)):
            self.form.addRow(label, widget)
        from PySide6.QtGui import QKeySequence, QShortcut

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.save)

    def save(self) -> None:
        self.run(lambda: dropout.add_visit(
            self.ws, self.case_id, date_of(self.date), self.method.currentText(),
            self.participants.text(), self.outcome.toPlainText(),
            next_step=self.next_step.text() or None, next_due=date_of(self.next_due)))


class StatusDialog(_Form):
    """Move the case on: only the statuses allowed from where it is are offered."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        from wushan_desk.services import records

        super().__init__("变更状态", parent)
        self.ws, self.case_id = ws, case_id
        current = (records.get(ws, "dropout_case", case_id) or {}).get("status", "")
        self.form.insertRow(0, "现状", QLabel(current))
        self.status = QComboBox()
        self.status.addItems(list(dropout.next_statuses(current)))
        self.placement = QComboBox()
        self.placement.addItem("（无）", None)
        for placement in codes.PLACEMENTS:
            self.placement.addItem(placement, placement)
        self.note = QLineEdit()
        for label, widget in (("改为(&S)", self.status), ("安置方式(&P)", self.placement),
                              ("说明(&N)", self.note)):
            self.form.addRow(label, widget)

    def save(self) -> None:
        self.run(lambda: dropout.change_status(
            self.ws, self.case_id, self.status.currentText(), date_of(self.date),
            placement=self.placement.currentData(), note=self.note.text()))
