"""发放花名册 tab: rosters of a term, the selected one's lines with rule problems inline.

The upper list holds the term's rosters (school, programme, status, count, total); the
lower one the selected roster's payments, after adjustments, cards masked, each line
that breaks a rule marked ▲ with the rule. The buttons follow the roster's status:
列入学生 and 从表格导入 on a draft, 报送 from a draft, 退回 and 确认 at the county on a
reported one, 调整 on a confirmed one; 导出 writes PDF or XLSX. An import is checked off
the GUI thread first (a dry run: how many, how much, which columns are ignored, which
rows are wrong) and written, all rows or none, only when the user agrees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain import clock
from wushan_desk.domain.errors import UserError
from wushan_desk.domain.term_rosters import recent_terms, term_label, term_of
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.small import fill_table, make_table, save_buttons
from wushan_desk.gui.widgets.student_search import fill_matches
from wushan_desk.services import aid, aid_roster, browse, records
from wushan_desk.services.session import Workspace

ROSTER_COLUMNS = ("学期", "学校", "资助项目", "状态", "人数", "金额（元）")
LINE_COLUMNS = ("姓名", "年级班级", "住校", "标准", "金额", "状态", "说明", "银行卡号", "问题")


def _money(value: float | None) -> str:
    return "" if value is None else aid_rules.amount_text(value)


class RostersTab(QWidget):
    """The term's rosters and the selected one's payments."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.at_hub = aid.may_edit(ws)
        self.rosters: list[dict[str, Any]] = []
        self.view: aid_roster.RosterView | None = None
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.term = QComboBox()
        for term in recent_terms(clock.today()):
            self.term.addItem(term_label(term), term)
        self.term.setCurrentIndex(self.term.findData(term_of(clock.today())))
        bar.addWidget(QLabel("学期："))
        bar.addWidget(self.term)
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (("new", "新建花名册(&R)…"), ("add", "列入学生(&A)…"),
                          ("import", "从表格导入(&I)…"), ("remove", "移出(&D)"),
                          ("report", "报送(&B)"),
                          ("back", "退回修改(&U)…"), ("confirm", "确认(&F)"),
                          ("adjust", "调整(&J)…"), ("export", "导出(&E)…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, k=key: self.act(k))
            self.buttons[key] = button
            bar.addWidget(button)
        self.buttons["back"].setVisible(self.at_hub)
        self.buttons["confirm"].setVisible(self.at_hub)
        bar.addStretch(1)
        column.addLayout(bar)
        self.table = make_table(ROSTER_COLUMNS)
        column.addWidget(self.table, 2)
        self.note = QLabel(objectName="hint", wordWrap=True)
        column.addWidget(self.note)
        self.lines = make_table(LINE_COLUMNS)
        column.addWidget(self.lines, 3)
        self.term.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.refresh()

    def refresh(self, keep: str | None = None) -> None:
        """The term's rosters; `keep` (or the selected one) stays selected."""
        keep = keep or (self.view.roster["id"] if self.view else None)
        self.rosters = aid_roster.rosters(self.ws, term=self.term.currentData())
        fill_table(self.table, [[term_label(r["term"]), r["school"], r["programme"], r["status"],
                                 str(r["payments"]), _money(r["total"])] for r in self.rosters])
        ids = [r["id"] for r in self.rosters]
        if keep in ids:
            self.table.selectRow(ids.index(keep))
        self.show_selected()

    def selected(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        return self.rosters[row] if 0 <= row < len(self.rosters) \
            and self.table.selectedItems() else None

    def show_selected(self) -> None:
        roster = self.selected()
        self.view = aid_roster.view(self.ws, roster["id"]) if roster else None
        status = roster["status"] if roster else None
        lines = self.view.lines if self.view else []
        fill_table(self.lines, [[x.name, x.grade, x.boarding, _money(x.standard),
                                 _money(x.amount), x.status, x.override_reason, x.card,
                                 ("▲ " + "；".join(x.problems)) if x.problems else ""]
                                for x in lines])
        enabled = {"new": True, "add": status == rules.DRAFT, "import": status == rules.DRAFT,
                   "remove": status == rules.DRAFT,
                   "report": status == rules.DRAFT, "back": status == rules.REPORTED,
                   "confirm": status == rules.REPORTED, "adjust": status == rules.CONFIRMED,
                   "export": roster is not None}
        for key, button in self.buttons.items():
            button.setEnabled(enabled[key])
        if self.view is None:
            self.note.setText("选中一份花名册，查看发放名单。")
            return
        broken = sum(bool(x.problems) for x in lines)
        self.note.setText(f"{roster['school']}　{roster['programme']}：{len(lines)} 人，合计 "
                          f"{self.view.total:,.2f} 元（{status}）"
                          + (f"；▲ {broken} 人不符合发放规则，确认前须改正" if broken else ""))

    def act(self, key: str, value: Any = None) -> bool:
        """Run one button's action (`value`: what its dialog would ask, for tests)."""
        try:
            return bool(getattr(self, f"_{key}")(value))
        except UserError as exc:
            dialogs.show_error(self, exc, "花名册没有改动")
            return False

    def _new(self, dialog: NewRosterDialog | None) -> bool:
        dialog = dialog or NewRosterDialog(self.ws, self.term.currentData(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.refresh(dialog.roster_id)
        return True

    def _add(self, dialog: PaymentDialog | None) -> bool:
        roster = self.selected()
        if roster is None:
            return False
        dialog = dialog or PaymentDialog(self.ws, roster["id"], self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.refresh()
        return True

    def _import(self, path: Path | None) -> bool:
        """A school's roster from Excel into the selected draft: checked (dry run) off the
        GUI thread, the preview shown, then imported all or nothing if the user agrees."""
        from wushan_desk.gui.widgets.tasks import run_task

        roster = self.selected()
        if roster is None or roster["status"] != rules.DRAFT:
            return False
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "从表格导入发放名单", "",
                                                  "Excel 文件 (*.xlsx)")
            if not name:
                return False
            path = Path(name)
        source, roster_id = Path(path), roster["id"]

        def checked(preview: Any) -> None:
            text = _preview_text(preview)
            if preview.errors or not preview.added:
                dialogs.inform(self, "从表格导入", text)
            elif dialogs.confirm(self, "从表格导入", text, "导入"):
                self.task = run_task(self, "正在导入发放名单",
                                     _import_job(self.ws, source, roster_id, False), imported,
                                     what="发放名单没有导入")

        def imported(result: Any) -> None:
            self.refresh(roster_id)
            dialogs.inform(self, "从表格导入", f"已列入 {result.added} 人，合计 "
                           f"{result.total:,.2f} 元。")

        self.task = run_task(self, "正在检查表格", _import_job(self.ws, source, roster_id, True),
                             checked, what="发放名单没有导入")
        return True

    def _remove(self, _value: Any) -> bool:
        row = self.lines.currentRow()
        if self.view is None or not 0 <= row < len(self.view.lines):
            return False
        aid_roster.remove_payment(self.ws, self.view.lines[row].id)
        self.refresh()
        return True

    def _report(self, _value: Any) -> bool:
        roster = self.selected()
        if roster is None:
            return False
        aid_roster.report(self.ws, roster["id"], clock.today())
        self.refresh()
        return True

    def _back(self, note: str | None) -> bool:
        roster = self.selected()
        if roster is None:
            return False
        if note is None:
            note, ok = QInputDialog.getText(self, "退回修改", "需要修改什么：")
            if not ok:
                return False
        aid_roster.send_back(self.ws, roster["id"], note)
        self.refresh()
        return True

    def _confirm(self, _value: Any) -> bool:
        roster = self.selected()
        if roster is None:
            return False
        aid_roster.confirm(self.ws, roster["id"], clock.today())
        self.refresh()
        return True

    def _adjust(self, values: tuple[str, str, float | None] | None) -> bool:
        row = self.lines.currentRow()
        if self.view is None or not 0 <= row < len(self.view.lines):
            dialogs.inform(self, "调整", "请先在下面的发放名单中选中一人。")
            return False
        if values is None:
            kind, ok = QInputDialog.getItem(self, "调整", "调整类别：", list(rules.ADJUSTMENTS),
                                            0, False)
            reason, ok2 = QInputDialog.getText(self, "调整", "原因：") if ok else ("", False)
            if not (ok and ok2):
                return False
            amount = None
            if kind == "金额更正":
                amount, ok = QInputDialog.getDouble(self, "调整", "更正后的金额（元）：",
                                                    self.view.lines[row].amount, 0, 100000, 2)
                if not ok:
                    return False
            values = (kind, reason, amount)
        kind, reason, amount = values
        aid_roster.adjust(self.ws, self.view.lines[row].id, clock.today(), kind, reason,
                          amount=amount)
        self.refresh()
        return True

    def _export(self, path: Path | None) -> bool:
        from wushan_desk.gui.widgets.tasks import run_task
        from wushan_desk.services import aid_report

        roster = self.selected()
        if roster is None:
            return False
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "导出花名册", f"{roster['school']}-{roster['programme']}.pdf",
                "PDF 文件 (*.pdf);;Excel 文件 (*.xlsx)")
            if not name:
                return False
            path = Path(name)
        out, roster_id = path, roster["id"]

        def job(progress: Any, _cancelled: Any) -> int:
            from wushan_desk.services import audit, permissions

            progress(0, 1, "正在导出花名册……")
            with self.ws.worker_session() as worker:  # a long roster: not on the GUI thread
                permissions.require(worker, "export")
                count = aid_report.roster_export(worker, roster_id, out)
                audit.record_or_defer(worker, "export", kind="aid_roster", record_id=roster_id,
                                      detail={"file": out.name, "rows": count, "full": False})
                return count

        def done(count: int) -> None:
            dialogs.inform(self, "导出花名册", f"已导出 {count} 人到 {out}（银行卡号已遮挡）。")

        self.task = run_task(self, "正在导出花名册", job, done, what="花名册没有导出")
        return True


def _import_job(ws: Workspace, path: Path, roster_id: str, dry_run: bool) -> Any:
    """A run_task job: check (dry run) or import a spreadsheet, on its own connection."""
    def job(progress: Any, cancelled: Any) -> Any:
        from wushan_desk.services import aid_roster_import as importer

        with ws.worker_session() as worker:
            run = importer.preview if dry_run else importer.import_payments
            return run(worker, path, roster_id, progress=progress, cancelled=cancelled)
    return job


#: Bad rows a preview lists (the rest are counted).
PREVIEW_ERRORS = 10


def _preview_text(preview: Any) -> str:
    """What the dry run found, for the confirmation (or the refusal) message."""
    ignored = (f"\n忽略的列：{'、'.join(preview.ignored)}" if preview.ignored else "")
    if preview.errors:
        shown = "\n".join(str(e) for e in preview.errors[:PREVIEW_ERRORS])
        more = len(preview.errors) - PREVIEW_ERRORS
        return (f"{len(preview.errors)} 行有错误，不能导入（全部正确才导入，工作区没有改动）。"
                f"请在表格中改正后重新导入：\n{shown}"
                + (f"\n……另有 {more} 行" if more > 0 else "") + ignored)
    if not preview.added:
        return "表格中没有可导入的行：表头下面是空的。" + ignored
    return (f"将列入 {preview.added} 人，合计 {preview.total:,.2f} 元。" + ignored
            + "\n点“导入”写入花名册。")


class NewRosterDialog(QDialog):
    """A school and a programme of the term's school year."""

    def __init__(self, ws: Workspace, term: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.term = ws, term
        self.roster_id: str | None = None
        self.setWindowTitle(f"新建发放花名册（{term_label(term)}）")
        form = QFormLayout(self)
        self.school = QComboBox()
        for school in browse.zone_schools(ws):
            self.school.addItem(school.name, school.id)
        self.programme = QComboBox()
        for p in records.iter_records(ws, aid.PROGRAMME):
            if p["school_year"] == term[:9]:
                self.programme.addItem(p["name"], p["id"])
        form.addRow("学校", self.school)
        form.addRow("资助项目", self.programme)
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        form.addRow(self.error)
        form.addRow(save_buttons(self, self.save))

    def save(self) -> None:
        try:
            self.roster_id = aid_roster.new_roster(self.ws, self.school.currentData() or "",
                                                   self.programme.currentData() or "", self.term)
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.accept()


class PaymentDialog(QDialog):
    """A child found by name, boarding, band or days, and the card; the amount is the
    standard's unless another is typed with its reason."""

    def __init__(self, ws: Workspace, roster_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.roster_id = ws, roster_id
        self.setWindowTitle("列入学生")
        form = QFormLayout(self)
        self.search = QLineEdit(placeholderText="输入学生姓名查找")
        self.found = QListWidget()
        self.found.setMaximumHeight(100)
        self.boarding = QComboBox()
        self.boarding.addItems(list(aid_rules.BOARDING))
        self.band = QComboBox()
        self.band.addItems(["", *rules.BANDS])
        self.days = QSpinBox(maximum=366)
        self.amount = QLineEdit(placeholderText="不填：按标准")
        self.reason = QLineEdit(placeholderText="金额与标准不同时必填")
        self.holder = QLineEdit()
        self.card = QLineEdit(placeholderText="16 到 19 位数字")
        for label, widget in (("学生(&S)", self.search), ("", self.found),
                              ("住校", self.boarding), ("档次", self.band),
                              ("在校天数", self.days), ("金额（元）", self.amount),
                              ("原因", self.reason), ("持卡人", self.holder),
                              ("银行卡号", self.card)):
            form.addRow(label, widget)
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        form.addRow(self.error)
        form.addRow(save_buttons(self, self.save))
        self.timer = QTimer(self, singleShot=True, interval=250)
        self.timer.timeout.connect(self.find_students)
        self.search.textChanged.connect(lambda _t: self.timer.start())

    def find_students(self) -> int:
        self.timer.stop()
        return fill_matches(self.ws, self.found, self.search.text())

    def save(self) -> None:
        item = self.found.currentItem()
        try:
            if item is None:
                raise UserError("请先输入姓名，在名单中选中学生", "student_id")
            amount = self.amount.text().strip()
            aid_roster.add_payment(
                self.ws, self.roster_id, item.data(Qt.ItemDataRole.UserRole),
                boarding=self.boarding.currentText(), band=self.band.currentText() or None,
                days=self.days.value() or None,
                amount=aid_rules.parse_amount(amount) if amount else None,
                override_reason=self.reason.text().strip() or None,
                account_holder=self.holder.text().strip() or None,
                bank_card=self.card.text().strip() or None)
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.accept()
