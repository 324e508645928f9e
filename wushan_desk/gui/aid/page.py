"""学生资助 page: hardship recognitions, the county's standards, the holiday calendar.

Standards and calendar are edited at the hub and shown read-only on a centre's laptop
(services/aid.py says why). Their lists are small (a few dozen standards, a hundred
days a year): read on the GUI thread in milliseconds. The cross-checks read every
payment, off the GUI thread (gui/aid/checks.py).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import aid as rules
from wushan_desk.domain import clock
from wushan_desk.domain.errors import UserError
from wushan_desk.gui.aid.checks import ChecksTab
from wushan_desk.gui.aid.payments import PaymentList
from wushan_desk.gui.aid.recognitions import RecognitionsTab
from wushan_desk.gui.aid.rosters import RostersTab
from wushan_desk.gui.people.record_form import RecordForm
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.small import date_of, fill_table, make_table, qdate, save_buttons
from wushan_desk.services import aid
from wushan_desk.services.session import Workspace

STANDARD_COLUMNS = ("资助项目", "学段", "计发方式", "仅限困难学生", "适用学段", "档次", "住校",
                    "标准（元）", "每次发放（元）", "说明")
DAY_COLUMNS = ("日期", "星期", "类别", "节日", "来源")
WEEKDAYS = "一二三四五六日"
INTRO = ("办理困难认定，编制、导入和确认发放花名册，核查资助数据（重复发放、认定与发放不一致等），"
         "维护资助标准和节假日安排。")


class AidPage(QWidget):
    """资助标准 and 节假日安排 tabs; editing buttons only where editing is allowed."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.editable = aid.may_edit(ws)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("学生资助", objectName="pageTitle"))
        layout.addWidget(QLabel(INTRO, wordWrap=True, objectName="hint"))
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.recognitions = RecognitionsTab(ws)
        self.tabs.addTab(self.recognitions, "困难认定(&G)")
        self.rosters = RostersTab(ws)
        self.tabs.addTab(self.rosters, "发放花名册(&M)")
        self.payments = PaymentList(ws, lambda pid: self.open_record("aid_payment", pid))
        self.tabs.addTab(self.payments, "发放明细(&P)")
        self.checks = ChecksTab(ws, self.open_record)
        self.tabs.addTab(self.checks, "资助核查(&C)")
        self.tabs.currentChanged.connect(self._tab_shown)
        self.tabs.addTab(self._standards_tab(), "资助标准(&S)")
        self.tabs.addTab(self._calendar_tab(), "节假日安排(&H)")
        self.show_standards()
        self.show_calendar()

    def _tab_shown(self, _index: int) -> None:
        """The payment list's first query runs when its tab is first shown."""
        if self.tabs.currentWidget() is self.payments and not self.payments.loaded:
            self.payments.loaded = True
            self.payments.restore_header()

    def open_record(self, kind: str, record_id: str) -> None:
        """Show a record a cross-check names: a recognition in 困难认定 (its year, no
        other filter), a roster (or a payment's) in 发放花名册 (its term)."""
        from wushan_desk.services import records

        if kind == "aid_recognition":
            rec = records.get(self.ws, kind, record_id) or {}
            tab = self.recognitions
            tab.name.clear()
            for combo, value in ((tab.year, rec.get("school_year")), (tab.school, None),
                                 (tab.status, None)):
                combo.setCurrentIndex(max(0, combo.findData(value)))
            tab.refresh()
            tab.select(record_id)
            self.tabs.setCurrentWidget(tab)
            return
        if kind == "aid_payment":
            kind, record_id = "aid_roster", (records.get(self.ws, kind, record_id) or {}).get(
                "roster_id", "")
        roster = records.get(self.ws, "aid_roster", record_id) if kind == "aid_roster" else None
        if roster is None:
            return
        index = self.rosters.term.findData(roster["term"])
        if index < 0:
            self.rosters.term.addItem(roster["term"], roster["term"])
            index = self.rosters.term.count() - 1
        self.rosters.term.setCurrentIndex(index)
        self.rosters.refresh(keep=record_id)
        self.tabs.setCurrentWidget(self.rosters)

    # -- standards ---------------------------------------------------------------------

    def _standards_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.year = QComboBox()
        current = rules.school_year_of(clock.today())
        for year in sorted({current, *aid.school_years(self.ws)}, reverse=True):
            self.year.addItem(f"{year}学年", year)
        self.year.setCurrentIndex(self.year.findData(current))
        bar.addWidget(QLabel("学年："))
        bar.addWidget(self.year)
        self.standards_note = QLabel(objectName="hint", wordWrap=True)
        bar.addWidget(self.standards_note, 1)
        self.defaults = QPushButton("载入默认标准(&D)")
        self.defaults.clicked.connect(lambda: self.load_defaults())
        self.edit = QPushButton("修改金额(&E)…")
        self.edit.clicked.connect(lambda: self.edit_amount())
        self.programme_button = QPushButton("项目设置(&P)…")
        self.programme_button.clicked.connect(lambda: self.edit_programme())
        self.new_programme = QPushButton("新增项目(&N)…")
        self.new_programme.clicked.connect(lambda: self.edit_programme(new=True))
        self.new_standard = QPushButton("新增标准(&T)…")
        self.new_standard.clicked.connect(lambda: self.add_standard())
        self.remove_standard = QPushButton("删除标准(&X)")
        self.remove_standard.clicked.connect(lambda: self.delete_standard())
        column.addLayout(bar)
        buttons = QHBoxLayout()  # a row of their own: beside the note they overflow 1366 px
        for button in (self.defaults, self.edit, self.programme_button, self.new_programme,
                       self.new_standard, self.remove_standard):
            button.setVisible(self.editable)
            buttons.addWidget(button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.standards_table = make_table(STANDARD_COLUMNS)
        self.standards_table.doubleClicked.connect(lambda _i: self.edit_amount())
        column.addWidget(self.standards_table, 1)
        self.year.currentIndexChanged.connect(lambda _i: self.show_standards())
        return tab

    def show_standards(self) -> None:
        self.rows = aid.standards(self.ws, self.year.currentData())
        amount = rules.amount_text
        fill_table(self.standards_table, [
            [r.programme, r.stage, r.basis, "是" if r.hardship_only else "否", r.section,
             r.level, r.boarding, amount(r.amount),
             amount(r.payment) if r.basis != rules.PER_DAY else f"{amount(r.amount)}/天",
             r.note] for r in self.rows])
        if self.rows:
            where = "双击一行可修改金额；项目设置中可改适用学段和特殊群体。" if self.editable \
                else "由县教委在中心库维护，本机只读。"
            self.standards_note.setText(f"共 {len(self.rows)} 条标准。{where}")
        elif self.editable:
            self.standards_note.setText("这一学年还没有资助标准：点“载入默认标准”，再逐条核对。")
        else:
            self.standards_note.setText("这一学年还没有资助标准：县教委发布后，同步即可看到。")

    def load_defaults(self) -> int | None:
        try:
            created = aid.load_defaults(self.ws, self.year.currentData())
            days = aid.seed_calendar(self.ws)
        except UserError as exc:
            dialogs.show_error(self, exc, "没有载入默认标准")
            return None
        self.show_standards()
        self.show_calendar()
        dialogs.inform(self, "载入默认标准",
                       f"新增 {created} 条项目和标准、{days} 天节假日安排；已有的保持不变。"
                       "请逐条核对金额（特别是标注“请核对”的），修改后随下一次同步下发。")
        return created

    def edit_amount(self, text: str | None = None) -> bool:
        """Change the selected standard's amount ("按实收": the school's actual fee)."""
        row = self.standards_table.currentRow()
        if not self.editable or not 0 <= row < len(self.rows):
            return False
        standard = self.rows[row]
        if text is None:
            text, ok = QInputDialog.getText(
                self, "修改金额",
                f"{standard.programme}\n{standard.section}·{standard.level}·{standard.boarding}"
                f"\n标准（元，{'每天' if standard.basis == rules.PER_DAY else '每年'}；"
                f"写“{rules.ACTUAL_FEE}”表示按实际收费标准）：",
                QLineEdit.EchoMode.Normal,
                rules.ACTUAL_FEE if standard.amount is None else f"{standard.amount:g}")
            if not ok:
                return False
        try:
            aid.set_amount(self.ws, standard.id, rules.parse_amount(text))
        except UserError as exc:
            dialogs.show_error(self, exc, "金额没有修改")
            return False
        self.show_standards()
        self.standards_table.selectRow(row)
        return True

    def _selected_standard(self) -> aid.StandardRow | None:
        row = self.standards_table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def edit_programme(self, *, new: bool = False) -> RecordForm | None:
        """The selected standard's programme (name, stage, basis, eligibility: 仅限困难学生
        and the groups), or a new programme of the school year, in the record form."""
        standard = self._selected_standard()
        if not self.editable or (standard is None and not new):
            return None
        form = RecordForm(self.ws, aid.PROGRAMME, None if new else standard.programme_id,
                          defaults={"school_year": self.year.currentData()}, parent=self)
        form.saved.connect(lambda _id: self.show_standards())
        form.open()
        return form

    def add_standard(self) -> RecordForm | None:
        """A standard (学段, level or band, boarding, amount) for the selected programme."""
        standard = self._selected_standard()
        if not self.editable:
            return None
        defaults = {"programme_id": standard.programme_id if standard else None,
                    "section": "不分学段", "level": "不分档", "boarding": "不限"}
        form = RecordForm(self.ws, aid.STANDARD, None, defaults=defaults, parent=self)
        form.saved.connect(lambda _id: self.show_standards())
        form.open()
        return form

    def delete_standard(self, confirmed: bool = False) -> bool:
        """Delete the selected standard (payments keep the amount they copied)."""
        from wushan_desk.services import records

        standard = self._selected_standard()
        if not self.editable or standard is None:
            return False
        if not confirmed and not dialogs.confirm(
                self, "删除资助标准",
                f"删除“{standard.programme}”{standard.section}·{standard.level}·"
                f"{standard.boarding}的标准？", "删除",
                "已编入花名册的发放保留当时的金额；删除会随同步下发到各督导中心。"):
            return False
        with dialogs.reported(self, "资助标准没有删除") as outcome:
            records.delete(self.ws, aid.STANDARD, standard.id)
        self.show_standards()
        return outcome.ok

    # -- the calendar --------------------------------------------------------------------

    def _calendar_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.cal_year = QSpinBox(minimum=2021, maximum=2100, value=clock.today().year)
        bar.addWidget(QLabel("年份："))
        bar.addWidget(self.cal_year)
        self.cal_note = QLabel(objectName="hint")
        bar.addWidget(self.cal_note, 1)
        self.add_day = QPushButton("登记放假或调休(&A)…")
        self.add_day.clicked.connect(lambda: self.enter_day())
        self.remove_day = QPushButton("取消登记(&R)")
        self.remove_day.clicked.connect(lambda: self.undo_day())
        for button in (self.add_day, self.remove_day):
            button.setVisible(self.editable)
            bar.addWidget(button)
        column.addLayout(bar)
        self.days_table = make_table(DAY_COLUMNS)
        column.addWidget(self.days_table, 1)
        counter = QHBoxLayout()
        today = clock.today()
        self.count_from = QDateEdit(qdate(today), calendarPopup=True)
        self.count_to = QDateEdit(qdate(today + dt.timedelta(days=6)), calendarPopup=True)
        for edit in (self.count_from, self.count_to):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(lambda _d: self.show_count())
        counter.addWidget(QLabel("工作日计算：从"))
        counter.addWidget(self.count_from)
        counter.addWidget(QLabel("到"))
        counter.addWidget(self.count_to)
        self.count = QLabel(objectName="hint", wordWrap=True)
        counter.addWidget(self.count, 1)
        column.addLayout(counter)
        self.cal_year.valueChanged.connect(lambda _v: self.show_calendar())
        return tab

    def show_calendar(self) -> None:
        self.days = aid.calendar(self.ws, self.cal_year.value())
        fill_table(self.days_table, [
            [d["date"], "星期" + WEEKDAYS[dt.date.fromisoformat(d["date"]).weekday()],
             d["kind"], d.get("name") or "", d["source"]] for d in self.days])
        off, year = sum(d["kind"] == "放假" for d in self.days), self.cal_year.value()
        self.cal_note.setText(
            f"{year}年登记了 {off} 天工作日放假、{len(self.days) - off} 天周末调休上班。"
            if self.days else f"{year}年还没有节假日安排，工作日只按周一至周五计算。")
        self.show_count()

    def show_count(self) -> None:
        start, end = date_of(self.count_from), date_of(self.count_to)
        if end < start:
            self.count.setText("▲ 结束日期早于开始日期。")
            return
        found = aid.count_working_days(self.ws, start, end)
        text = f"共 {found.count} 个工作日（含首尾两天）。"
        text += (f"从 {start:%m月%d日} 起公示 {rules.NOTICE_WORKING_DAYS} 个工作日，"
                 f"至少到 {found.notice_ends:%m月%d日}。")
        if found.unknown_years:
            years = "、".join(str(y) for y in found.unknown_years)
            text += f"注意：{years}年还没有节假日安排，实际工作日可能更少。"
        self.count.setText(text)

    def enter_day(self, day: dt.date | None = None, kind: str | None = None,
                  name: str = "") -> bool:
        if day is None or kind is None:
            dialog = DayDialog(self, dt.date(self.cal_year.value(), clock.today().month, 1))
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            day, kind, name = dialog.values()
        try:
            aid.set_day(self.ws, day, kind, name)
        except UserError as exc:
            dialogs.show_error(self, exc, "没有登记")
            return False
        self.cal_year.setValue(day.year)
        self.show_calendar()
        return True

    def undo_day(self) -> bool:
        row = self.days_table.currentRow()
        if not 0 <= row < len(self.days):
            dialogs.inform(self, "取消登记", "请先在表中选择一天。")
            return False
        try:
            aid.set_day(self.ws, dt.date.fromisoformat(self.days[row]["date"]), None)
        except UserError as exc:
            dialogs.show_error(self, exc, "没有取消")
            return False
        self.show_calendar()
        return True


class DayDialog(QDialog):
    """A date, 放假 or 调休上班, and the holiday's name."""

    def __init__(self, parent: QWidget, start: dt.date) -> None:
        super().__init__(parent)
        self.setWindowTitle("登记放假或调休上班")
        form = QFormLayout(self)
        self.day = QDateEdit(qdate(start), calendarPopup=True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.kind = QComboBox()
        self.kind.addItems(rules.DAY_KINDS)
        self.name = QLineEdit(placeholderText="如 春节、国庆节")
        form.addRow("日期", self.day)
        form.addRow("类别", self.kind)
        form.addRow("节日", self.name)
        form.addRow(save_buttons(self, self.accept))

    def values(self) -> tuple[dt.date, str, str]:
        return date_of(self.day), self.kind.currentText(), self.name.text().strip()
