"""控辍保学 page: the ledger, the candidates, the board; a case's timeline and actions.

All figures come from services/dropout (the same as `wushan-desk dropout …`); the lists
are small (about one case per 1,000 students), read on the GUI thread in milliseconds.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import dropout as codes
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import dropout
from wushan_desk.services.session import Workspace

LEDGER_COLUMNS = ("姓名", "乡镇（街道）", "学校", "状态", "登记日期", "最近劝返", "下一步期限", "")


def _table(headers: tuple[str, ...] | list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> dt.date:
    value = edit.date()
    return dt.date(value.year(), value.month(), value.day())


class DropoutPage(QWidget):
    """台账 (cases), 疑似对象 (candidates), 汇总 (the board as of a date)."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("控辍保学", objectName="pageTitle"))
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._ledger_tab(), "台账(&L)")
        self.tabs.addTab(self._candidates_tab(), "疑似对象(&C)")
        self.tabs.addTab(self._board_tab(), "汇总(&B)")
        self.refresh()

    # -- the ledger ------------------------------------------------------------------

    def _ledger_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.status = QComboBox()
        self.status.addItem("全部状态", None)
        for status in codes.STATUSES:
            self.status.addItem(status, status)
        self.overdue = QCheckBox("只看逾期未跟进的")
        self.count = QLabel(objectName="hint")
        for widget in (self.status, self.overdue):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.open_button = QPushButton("打开(&O)")
        bar.addWidget(self.open_button)
        column.addLayout(bar)
        self.cases = _table(LEDGER_COLUMNS)
        column.addWidget(self.cases, 1)
        self.status.currentIndexChanged.connect(self.refresh)
        self.overdue.toggled.connect(self.refresh)
        self.cases.doubleClicked.connect(lambda _index: self.open_case())
        self.open_button.clicked.connect(self.open_case)
        return tab

    def refresh(self) -> None:
        today = clock.today()
        self.rows = dropout.ledger(self.ws, today, status=self.status.currentData(),
                                   overdue_only=self.overdue.isChecked())
        _fill(self.cases, [[r.name, r.township, r.school, r.status, r.opened_on,
                            r.last_visit or "—", r.next_due or "—",
                            "▲ 逾期未跟进" if r.overdue else ""] for r in self.rows])
        late = sum(r.overdue for r in self.rows)
        self.count.setText(f"共 {len(self.rows)} 件，逾期 {late} 件")
        self.show_candidates()
        self.show_board()

    def selected_case(self) -> str | None:
        row = self.cases.currentRow()
        return self.rows[row].case_id if 0 <= row < len(self.rows) else None

    def open_case(self) -> None:
        case_id = self.selected_case()
        if case_id is not None:
            CaseDialog(self.ws, case_id, self).exec()
            self.refresh()

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return,
                                                            Qt.Key.Key_Enter):
            self.open_case()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    # -- candidates ------------------------------------------------------------------

    def _candidates_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(QLabel("按学籍变动发现的可能失学辍学的孩子：确认后登记为案件；核实不是的，"
                                "说明理由后排除（有新的学籍变动时会再次提示）。",
                                objectName="hint", wordWrap=True))
        self.candidates_table = _table(("姓名", "学校", "乡镇（街道）", "发现规则", "原因"))
        column.addWidget(self.candidates_table, 1)
        bar = QHBoxLayout()
        confirm, dismiss = QPushButton("确认为案件…"), QPushButton("排除…")
        bar.addWidget(confirm)
        bar.addWidget(dismiss)
        bar.addStretch(1)
        column.addLayout(bar)
        confirm.clicked.connect(lambda: self.confirm_candidate())
        dismiss.clicked.connect(lambda: self.dismiss_candidate())
        return tab

    def show_candidates(self) -> None:
        self.found = dropout.candidates(self.ws, clock.today())
        _fill(self.candidates_table, [[c.name, c.school, c.township, c.rule, c.text]
                                      for c in self.found])

    def _candidate(self) -> dropout.Candidate | None:
        row = self.candidates_table.currentRow()
        return self.found[row] if 0 <= row < len(self.found) else None

    def confirm_candidate(self, status: str | None = None) -> str | None:
        chosen = self._candidate()
        if chosen is None:
            return None
        if status is None:
            status, ok = QInputDialog.getItem(self, "确认为案件", "登记状态：",
                                              list(codes.OPEN_STATUSES), 1, False)
            if not ok:
                return None
        try:
            case_id = dropout.confirm(self.ws, chosen, status, clock.today())
        except UserError as exc:
            dialogs.show_error(self, exc, "没有登记")
            return None
        self.refresh()
        return case_id

    def dismiss_candidate(self, reason: str | None = None) -> bool:
        chosen = self._candidate()
        if chosen is None:
            return False
        if reason is None:
            reason, ok = QInputDialog.getText(self, "排除",
                                              "排除理由（如：电话核实已在县外就读）：")
            if not ok:
                return False
        try:
            dropout.dismiss(self.ws, chosen, reason, clock.today())
        except UserError as exc:
            dialogs.show_error(self, exc, "没有排除")
            return False
        self.refresh()
        return True

    # -- the board -------------------------------------------------------------------

    def _board_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.as_of = QDateEdit(_qdate(clock.today()), calendarPopup=True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        bar.addWidget(QLabel("统计日期："))
        bar.addWidget(self.as_of)
        self.zero = QLabel(objectName="hint")
        bar.addWidget(self.zero)
        bar.addStretch(1)
        export = QPushButton("导出所选乡镇台账(&E)…")
        export.clicked.connect(lambda: self.export_ledger())
        bar.addWidget(export)
        column.addLayout(bar)
        self.board_table = _table(("乡镇（街道）", "在册未安置", "已安置", "已销号", "逾期",
                                   "最早未安置", "动态清零"))
        column.addWidget(self.board_table, 1)
        self.duplicates = QLabel(objectName="formError", wordWrap=True)
        self.duplicates.hide()
        column.addWidget(self.duplicates)
        self.as_of.dateChanged.connect(lambda _d: self.show_board())
        return tab

    def export_ledger(self, target: object = None) -> object:
        """The selected township's ledger as of the board's date, to PDF or Excel (ID
        numbers masked: a full export is a command with a stated purpose)."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from wushan_desk.services import audit, dropout_report

        row = self.board_table.currentRow()
        if not 0 <= row < len(self.lines):
            dialogs.inform(self, "导出台账", "请先在表中选择一个乡镇（街道）。")
            return None
        line, day = self.lines[row], _day(self.as_of)
        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "导出台账", f"{line.township}控辍保学台账-{day.isoformat()}.xlsx",
                "Excel 文件 (*.xlsx);;PDF 文件 (*.pdf)")
            if not name:
                return None
            target = Path(name)
        try:
            count = dropout_report.dropout_ledger(self.ws, line.township_id, day,
                                                  Path(str(target)))
            audit.record_or_defer(self.ws, "export", kind="dropout_case", detail={
                "document": "控辍保学台账", "file": Path(str(target)).name, "records": count})
        except UserError as exc:
            dialogs.show_error(self, exc, "台账没有导出")
            return None
        return target

    def show_board(self) -> None:
        lines = dropout.board(self.ws, _day(self.as_of))
        lines.sort(key=lambda t: (t.dynamic_zero, -t.open, t.township))
        self.lines = lines
        _fill(self.board_table, [[t.township, str(t.open), str(t.placed), str(t.closed),
                                  str(t.overdue), t.oldest_open or "—",
                                  "是" if t.dynamic_zero else "否"] for t in lines])
        zero = sum(t.dynamic_zero for t in lines)
        self.zero.setText(f"{zero}/{len(lines)} 个乡镇（街道）动态清零")
        groups = dropout.duplicates(self.ws)
        self.duplicates.setText(
            f"▲ 发现 {len(groups)} 组疑似同一孩子的重复案件（请核实后保留一个）：" + "；".join(
                "、".join(f"{n}（{t}）" for n, t in zip(g.names, g.townships, strict=True))
                for g in groups[:5]))
        self.duplicates.setVisible(bool(groups))


class CaseDialog(QDialog):
    """One case: its timeline, and the two things done most: a visit, a status change."""

    def __init__(self, ws: Workspace, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.case_id = ws, case_id
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        self.heading = QLabel(objectName="dialogHeadline")
        layout.addWidget(self.heading)
        self.timeline = _table(("日期", "类别", "经过"))
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
        _fill(self.timeline, [[e.date, e.what, e.text]
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
        self.deadline = QDateEdit(_qdate(clock.today() + dt.timedelta(days=7)),
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
                self.ws, self.case_id, target, deadline=_day(self.deadline),
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
        self.date = QDateEdit(_qdate(clock.today()), calendarPopup=True)
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
        self.next_due = QDateEdit(_qdate(clock.today() + dt.timedelta(days=7)),
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
            self.ws, self.case_id, _day(self.date), self.method.currentText(),
            self.participants.text(), self.outcome.toPlainText(),
            next_step=self.next_step.text() or None, next_due=_day(self.next_due)))


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
            self.ws, self.case_id, self.status.currentText(), _day(self.date),
            placement=self.placement.currentData(), note=self.note.text()))
