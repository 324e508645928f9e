"""控辍保学 page: the ledger, the candidates, the board; a case's timeline and actions.

All figures come from services/dropout (the same as `wushan-desk dropout …`); the lists
are small (about one case per 1,000 students), read on the GUI thread in milliseconds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import dropout as codes
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.dropout.dialogs import CaseDialog
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.small import date_of, fill_table, make_table, qdate
from wushan_desk.services import dropout
from wushan_desk.services.session import Workspace

LEDGER_COLUMNS = ("姓名", "乡镇（街道）", "学校", "状态", "登记日期", "最近劝返", "下一步期限", "")


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
        self.tabs.addTab(self._monthly_tab(), "月报(&M)")
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
        self.every = QSpinBox(minimum=1, maximum=90, prefix="超过 ", suffix=" 天未劝返算逾期")
        self.every.setValue(dropout.visit_every_days(self.ws))
        self.every.valueChanged.connect(self.set_visit_every_days)
        self.count = QLabel(objectName="hint")
        for widget in (self.status, self.overdue, self.every):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.open_button = QPushButton("打开(&O)")
        bar.addWidget(self.open_button)
        self.new_button = QPushButton("登记案件(&N)…")
        self.new_button.clicked.connect(lambda: self.new_case())
        bar.addWidget(self.new_button)
        self.import_button = QPushButton("导入台账…")
        self.import_button.clicked.connect(lambda: self.import_ledger())
        bar.addWidget(self.import_button)
        column.addLayout(bar)
        self.cases = make_table(LEDGER_COLUMNS)
        column.addWidget(self.cases, 1)
        self.status.currentIndexChanged.connect(self.show_ledger)  # the filters change
        self.overdue.toggled.connect(self.show_ledger)  # the ledger only
        self.cases.doubleClicked.connect(lambda _index: self.open_case())
        self.open_button.clicked.connect(self.open_case)
        return tab

    def set_visit_every_days(self, days: int) -> None:
        try:
            dropout.set_visit_every_days(self.ws, days)
        except UserError as exc:
            dialogs.show_error(self, exc, "设置没有保存")
            return
        self.refresh()

    def refresh(self) -> None:
        """Every tab again (after something was written)."""
        self.show_ledger()
        self.show_candidates()
        self.show_board()
        self.show_monthly()

    def show_ledger(self) -> None:
        today = clock.today()
        self.rows = dropout.ledger(self.ws, today, status=self.status.currentData(),
                                   overdue_only=self.overdue.isChecked())
        fill_table(self.cases, [[r.name, r.township, r.school, r.status, r.opened_on,
                            r.last_visit or "—", r.next_due or "—",
                            "▲ 逾期未跟进" if r.overdue else ""] for r in self.rows])
        late = sum(r.overdue for r in self.rows)
        self.count.setText(f"共 {len(self.rows)} 件，逾期 {late} 件")

    def selected_case(self) -> str | None:
        row = self.cases.currentRow()
        return self.rows[row].case_id if 0 <= row < len(self.rows) else None

    def open_case(self) -> None:
        case_id = self.selected_case()
        if case_id is not None:
            CaseDialog(self.ws, case_id, self).exec()
            self.refresh()

    def new_case(self) -> str | None:
        """A child not found by the rules (never enrolled, from elsewhere): a new case,
        then its detail to record the first visit."""
        from wushan_desk.gui.dropout.new_case import NewCaseDialog

        dialog = NewCaseDialog(self.ws, self)
        if not dialog.exec():
            return None
        self.refresh()
        return dialog.case_id

    def import_ledger(self, path: object = None) -> object:
        """An existing ledger from Excel: previewed, then imported all or nothing."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from wushan_desk.gui.dropout.ledger_import import LedgerImportDialog

        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "导入台账", "", "Excel 文件 (*.xlsx)")
            if not name:
                return None
            path = Path(name)
        self.importer = LedgerImportDialog(self.ws, Path(str(path)), self)
        self.importer.finished.connect(lambda _r: self.refresh())
        self.importer.open()  # not exec(): the check runs while the dialog is shown
        return self.importer

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
        self.candidates_table = make_table(("姓名", "学校", "乡镇（街道）", "发现规则", "原因"))
        column.addWidget(self.candidates_table, 1)
        bar = QHBoxLayout()
        confirm, dismiss = QPushButton("确认为案件…"), QPushButton("排除…")
        bar.addWidget(confirm)
        bar.addWidget(dismiss)
        bar.addStretch(1)
        archive, import_roster = QPushButton("存档本学期名册…"), QPushButton("导入学籍系统名册…")
        archive.setToolTip("开学后名单核对无误时存档一次：下学期据此发现名册上消失、又没有学籍变动的孩子")
        self.roster_note = QLabel(objectName="hint")
        bar.addWidget(self.roster_note)
        bar.addWidget(archive)
        bar.addWidget(import_roster)
        archive.clicked.connect(lambda: self.archive_roster())
        import_roster.clicked.connect(lambda: self.import_roster())
        column.addLayout(bar)
        confirm.clicked.connect(lambda: self.confirm_candidate())
        dismiss.clicked.connect(lambda: self.dismiss_candidate())
        return tab

    def show_candidates(self) -> None:
        self.found = dropout.candidates(self.ws, clock.today())
        fill_table(self.candidates_table, [[c.name, c.school, c.township, c.rule, c.text]
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

    def archive_roster(self, confirmed: bool | None = None) -> object:
        """Keep every school's roster as this term's (once a term)."""
        from wushan_desk.domain import term_rosters as terms
        from wushan_desk.services import term_rosters

        term = terms.term_of(clock.today())
        if confirmed is None:
            confirmed = dialogs.confirm(
                self, "存档本学期名册", f"把现在的学生名单存档为{terms.term_label(term)}的名册？"
                "每所学校每学期只存一次；下学期据此发现名册上消失、又没有学籍变动的孩子。",
                "存档")
        if not confirmed:
            return None
        try:
            result = term_rosters.archive(self.ws, clock.today(), term)
            from wushan_desk.services import audit

            audit.record_or_defer(self.ws, "import", kind="term_roster", detail={
                "file": None, "term": term, "schools": result.schools})
        except UserError as exc:
            dialogs.show_error(self, exc, "名册没有存档")
            return None
        skipped = f"；{len(result.skipped_schools)} 所学校本学期已存过" \
            if result.skipped_schools else ""
        self.roster_note.setText(f"✔ 已存档 {result.schools} 所学校、{result.students} 名学生"
                                 f"{skipped}。")
        self.refresh()
        return result

    def import_roster(self, path: object = None, confirmed: bool | None = None) -> object:
        """A 学籍系统 export as this term's rosters: read and checked off the GUI thread
        (what would be kept, which rows match nobody here), kept when the user agrees."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from wushan_desk.domain import term_rosters as terms
        from wushan_desk.gui.widgets.tasks import run_task

        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "导入学籍系统名册", "",
                                                  "Excel 文件 (*.xlsx)")
            if not name:
                return None
            path = Path(name)
        source, term = Path(str(path)), terms.term_of(clock.today())

        def checked(preview: object) -> None:
            ok = confirmed if confirmed is not None else dialogs.confirm(
                self, "导入学籍系统名册", _roster_preview_text(term, preview), "导入")
            if ok:
                keep = _roster_job(self.ws, source, term, False)
                self.task = run_task(self, "正在导入名册", keep, imported, what="名册没有导入")

        def imported(result: object) -> None:
            unmatched = len(getattr(result, "unmatched", []))
            self.roster_note.setText(
                f"✔ 已导入 {getattr(result, 'schools', 0)} 所学校、"
                f"{getattr(result, 'students', 0)} 名学生的名册"
                + (f"；{unmatched} 行在本机名单上找不到" if unmatched else "") + "。")
            self.refresh()

        self.task = run_task(self, "正在检查名册", _roster_job(self.ws, source, term, True),
                             checked, what="名册没有导入")
        return self.task

    # -- the board -------------------------------------------------------------------

    def _board_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.as_of = QDateEdit(qdate(clock.today()), calendarPopup=True)
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
        self.board_table = make_table(("乡镇（街道）", "在册未安置", "已安置", "已销号", "逾期",
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
        line, day = self.lines[row], date_of(self.as_of)
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
        lines = dropout.board(self.ws, date_of(self.as_of))
        lines.sort(key=lambda t: (t.dynamic_zero, -t.open, t.township))
        self.lines = lines
        fill_table(self.board_table, [[t.township, str(t.open), str(t.placed), str(t.closed),
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



    # -- the monthly report ------------------------------------------------------------

    def _monthly_tab(self) -> QWidget:
        from wushan_desk.services.dropout_monthly import HEADER, Month

        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.month = QComboBox()
        month = Month.of(clock.today())
        for _ in range(13):  # this month (so far) and the twelve before it
            self.month.addItem(f"{month.year}年{month.month}月", month)
            month = month.previous()
        self.month.setCurrentIndex(1)  # the month whose report is due now
        bar.addWidget(QLabel("月份："))
        bar.addWidget(self.month)
        self.due = QLabel(objectName="hint")
        bar.addWidget(self.due)
        bar.addStretch(1)
        export = QPushButton("导出月报(&X)…")
        export.clicked.connect(lambda: self.export_monthly())
        bar.addWidget(export)
        column.addLayout(bar)
        self.monthly_table = make_table(HEADER)
        column.addWidget(self.monthly_table, 1)
        self.month.currentIndexChanged.connect(lambda _i: self.show_monthly())
        return tab

    def show_monthly(self) -> None:
        from wushan_desk.services.dropout_monthly import monthly

        month = self.month.currentData()
        self.month_lines = monthly(self.ws, month)
        self.month_lines.sort(key=lambda t: (t.dynamic_zero, -t.open_end, t.township))
        fill_table(self.monthly_table, [[str(v) for v in t.figures] for t in self.month_lines])
        self.due.setText(f"统计 {month.first:%m月%d日}至{month.last:%m月%d日}，"
                         f"{month.due.month}月{month.due.day}日前报送")

    def export_monthly(self, target: object = None) -> object:
        """The chosen month's figures of every township, to Excel or PDF."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from wushan_desk.services import audit, dropout_monthly

        month = self.month.currentData()
        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "导出月报", f"控辍保学月报-{month}.xlsx",
                "Excel 文件 (*.xlsx);;PDF 文件 (*.pdf)")
            if not name:
                return None
            target = Path(name)
        try:
            dropout_monthly.monthly_report(self.ws, month, Path(str(target)))
            audit.record_or_defer(self.ws, "export", kind="dropout_case", detail={
                "document": "控辍保学月报", "file": Path(str(target)).name,
                "month": str(month)})
        except UserError as exc:
            dialogs.show_error(self, exc, "月报没有导出")
            return None
        return target


def _roster_job(ws: Workspace, path: object, term: str, dry_run: bool) -> object:
    """A run_task job: check (dry run) or keep a 学籍系统 roster, with its own connection."""
    def job(progress: object, _cancelled: object) -> object:
        from pathlib import Path

        from wushan_desk.services import audit, term_rosters

        progress(0, 1, "正在读取名册……")  # type: ignore[operator]
        with ws.worker_session() as worker:
            result = term_rosters.import_roster(worker, Path(str(path)), term, clock.today(),
                                                dry_run=dry_run)
            if not dry_run:
                audit.record_or_defer(worker, "import", kind="term_roster", detail={
                    "file": Path(str(path)).name, "term": term, "schools": result.schools})
        return result
    return job


def _roster_preview_text(term: str, preview: object) -> str:
    from wushan_desk.domain import term_rosters as terms

    unmatched: list[str] = list(getattr(preview, "unmatched", []))
    shown = "\n".join(unmatched[:10]) + ("\n……" if len(unmatched) > 10 else "")
    return (f"{terms.term_label(term)}：{getattr(preview, 'schools', 0)} 所学校、"
            f"{getattr(preview, 'students', 0)} 名学生将存档。"
            + (f"\n本机名单上找不到 {len(unmatched)} 行（不存档）：\n{shown}" if unmatched else ""))
