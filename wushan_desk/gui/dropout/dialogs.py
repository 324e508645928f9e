"""控辍保学 dialogs: a case with its timeline, a visit, a status change, a notice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import dropout as codes
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.widgets.small import (
    date_of,
    fill_table,
    make_table,
    qdate,
    save_buttons,
)
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
        self.duties = QLabel(objectName="hint", wordWrap=True)
        layout.addWidget(self.duties)
        self.timeline = make_table(("日期", "类别", "经过"))
        self.timeline.cellDoubleClicked.connect(lambda row, _c: self.open_evidence(row))
        # a visit's account wraps within the dialog's width instead of being cut off
        self.timeline.setWordWrap(True)
        self.timeline.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.Stretch)
        self.timeline.horizontalHeader().sectionResized.connect(
            lambda *_: self.timeline.resizeRowsToContents())
        layout.addWidget(self.timeline, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.visit_button = buttons.addButton("记录劝返(&V)…",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.status_button = buttons.addButton("变更状态(&S)…",
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.notice_button = buttons.addButton("限期返校通知书(&N)…",
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.duty_button = buttons.addButton("包保责任人(&R)…",
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.duty_button.clicked.connect(lambda: DutyDialog(ws, case_id, self).exec()
                                         and self.refresh())
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
        for button in (self.visit_button, self.status_button, self.duty_button):
            button.setEnabled(not closed)
        duties = [d for d in records.iter_records(self.ws, "dropout_duty")
                  if d["case_id"] == self.case_id]
        self.duties.setText("包保责任人：" + ("；".join(
            f"{d['role']} {d['name']}" for d in duties) or "（未填写，请点“包保责任人…”）"))
        self.entries = dropout.timeline(self.ws, self.case_id)
        fill_table(self.timeline, [[e.date, e.what, e.text] for e in self.entries])
        self.timeline.resizeRowsToContents()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.timeline.resizeRowsToContents()  # the widths are known once shown

    def open_evidence(self, row: int, then: object = None) -> list[Path]:
        """Open read-only copies of a visit's photos and recordings (double-click)."""
        from wushan_desk.gui.printing import open_file, viewing_folder
        from wushan_desk.services import attachments

        if not 0 <= row < len(self.entries):
            return []
        folder = viewing_folder(self.ws)  # private, removed at exit
        opened = []
        for attachment_id in self.entries[row].attachment_ids:
            try:
                copy = attachments.open_copy(self.ws, attachment_id, folder)
            except UserError as exc:
                from wushan_desk.gui.widgets import dialogs

                dialogs.show_error(self, exc, "佐证没有打开")
                continue
            (then or (lambda path: open_file(path, self)))(copy)  # type: ignore[operator]
            opened.append(copy)
        return opened


class NoticeDialog(QDialog):
    """Print the 限期返校通知书: a draft to read over, or issued today with its deadline
    (recorded on the case). The document opens in the app's print preview."""

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
        self.preview: object = None  # the print preview opened (gui/printing.py)

    def print_notice(self, then: object = None) -> None:
        """Render off the GUI thread (a notice takes a few tenths of a second on an old
        laptop) into the private viewing folder, then preview it for printing; a refusal
        shows in the dialog's error line."""
        from wushan_desk import files
        from wushan_desk.gui import printing
        from wushan_desk.gui.printing import viewing_folder
        from wushan_desk.gui.widgets.tasks import run_task
        from wushan_desk.services import dropout_report, records

        case = records.get(self.ws, "dropout_case", self.case_id) or {}
        target = files.free_path(viewing_folder(self.ws), files.safe_name(
            f"{case.get('name', '')}-限期返校通知书", ".pdf", fallback="限期返校通知书"))
        deadline = date_of(self.deadline)
        issue_on = clock.today() if self.issue.isChecked() else None

        def job(progress: object, _cancelled: object) -> Path:
            progress(0, 1, "正在生成限期返校通知书……")  # type: ignore[operator]
            with self.ws.worker_session() as worker:
                dropout_report.return_notice(worker, self.case_id, target, deadline=deadline,
                                             issue_on=issue_on)
            return target

        def done(out: Path) -> None:
            self.printed = out
            if then:
                then(out)  # type: ignore[operator]
            else:
                self.preview = printing.preview(out, "限期返校通知书", self.parentWidget())
            self.accept()

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, UserError):  # unexpected: the usual dialog, logged
                from wushan_desk.gui.widgets import dialogs

                dialogs.show_error(self, exc, "通知书没有生成")
                return
            self.error.setText(f"▲ {exc.message}")
            self.error.show()

        self.task = run_task(self, "正在生成限期返校通知书", job, done, on_error=failed,
                             what="通知书没有生成")


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
        layout.addWidget(save_buttons(self, self.save))
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
        self.files: list[Path] = []
        self.attach = QPushButton("添加照片、录音(&A)…")
        self.attach.clicked.connect(lambda: self.add_files())
        self.attached = QLabel(objectName="hint", wordWrap=True)
        for label, widget in (("方式(&M)", self.method), ("参加人员(&P)", self.participants),
                              ("情况(&R)", self.outcome), ("下一步(&N)", self.next_step),
                              ("下一步期限", self.next_due), ("佐证", self.attach),
                              ("", self.attached)):
            self.form.addRow(label, widget)

    def add_files(self, chosen: list[str] | None = None) -> None:
        """Photos, recordings or scans, stored with the visit when it is saved."""
        if chosen is None:
            from PySide6.QtWidgets import QFileDialog

            chosen, _ = QFileDialog.getOpenFileNames(
                self, "添加照片、录音", "",
                "照片、录音、扫描件 (*.jpg *.jpeg *.png *.heic *.mp3 *.m4a *.amr *.wav *.pdf)"
                ";;所有文件 (*)")
        self.files += [Path(name) for name in chosen]
        self.attached.setText("、".join(p.name for p in self.files))

    def save(self) -> None:
        self.run(lambda: dropout.add_visit(
            self.ws, self.case_id, date_of(self.date), self.method.currentText(),
            self.participants.text(), self.outcome.toPlainText(),
            next_step=self.next_step.text() or None, next_due=date_of(self.next_due),
            files=self.files))


class DutyDialog(_Form):
    """A named responsible person (包保): 乡镇, 村(社区), 学校, 班主任 or 家长."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__("包保责任人", parent)
        self.ws, self.case_id = ws, case_id
        self.form.removeRow(0)  # a duty has no date
        self.role = QComboBox()
        self.role.addItems(codes.DUTY_ROLES)
        self.name = QLineEdit()
        self.phone = QLineEdit(placeholderText="手机或座机")
        for label, widget in (("责任类别(&K)", self.role), ("姓名(&N)", self.name),
                              ("电话(&T)", self.phone)):
            self.form.addRow(label, widget)

    def save(self) -> None:
        self.run(lambda: dropout.add_duty(self.ws, self.case_id, self.role.currentText(),
                                          self.name.text(), self.phone.text() or None))


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
