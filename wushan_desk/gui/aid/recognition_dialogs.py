"""受理申请 and the steps of a hardship recognition (评议, 公示, 认定, 撤销, 复核).

The application form finds the child on the roster by name (the zone's students only),
takes the family's facts with the same editors as every record form, the household
members in a small table and the evidence files; saving goes through
`aid_recognition.apply`, which refuses a second live recognition of the child. A step
dialog asks only what its step needs; the notice dialog shows, as the dates are picked,
how many working days the notice lasts by the county's calendar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain import clock
from wushan_desk.domain.entities import KINDS
from wushan_desk.domain.errors import UserError, ValidationError
from wushan_desk.gui.widgets.form_fields import Editor, labelled, make_editor
from wushan_desk.gui.widgets.small import date_of, qdate, save_buttons
from wushan_desk.gui.widgets.student_search import fill_matches
from wushan_desk.services import aid
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.services.session import Workspace

#: The family's facts typed on the application, in the form's order.
FACT_FIELDS = ("groups", "level", "household_size", "household_income", "situation", "note")
MEMBER_COLUMNS = ("姓名", "与学生关系", "年龄", "年收入（元）", "工作单位或务工地", "健康状况")


def _date_edit(day: dt.date) -> QDateEdit:
    edit = QDateEdit(qdate(day), calendarPopup=True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class ApplyDialog(QDialog):
    """受理家庭经济困难认定申请: the child, the family, its members, the evidence."""

    def __init__(self, ws: Workspace, school_year: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.school_year = ws, school_year
        self.recognition_id: str | None = None
        self.files: list[Path] = []
        self.setWindowTitle(f"受理家庭经济困难认定申请（{school_year}学年）")
        self.resize(760, 660)  # fits 1366x768 with the taskbar
        layout = QVBoxLayout(self)
        self.search = QLineEdit(placeholderText="输入学生姓名查找（本中心责任区内的学籍名单）")
        self.found = QListWidget(objectName="studentMatches")
        self.found.setMaximumHeight(110)
        form = QFormLayout()
        form.addRow("学生(&S)", self.search)
        form.addRow("", self.found)
        self.applied = _date_edit(clock.today())
        form.addRow("申请日期", self.applied)
        self.editors: dict[str, Editor] = {}
        kind = KINDS["aid_recognition"]
        for name in FACT_FIELDS:
            self.editors[name] = make_editor(kind.field(name), ws)
            form.addRow(*labelled(self.editors[name]))
        layout.addLayout(form)
        layout.addWidget(QLabel("家庭成员（不含学生本人）", objectName="hint"))
        self.members = QTableWidget(0, len(MEMBER_COLUMNS))
        self.members.setHorizontalHeaderLabels(list(MEMBER_COLUMNS))
        self.members.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.members, 1)
        buttons = QHBoxLayout()
        add = QPushButton("添加成员(&A)")
        add.clicked.connect(lambda: self.add_member())
        remove = QPushButton("删除成员(&D)")
        remove.clicked.connect(lambda: self.members.removeRow(self.members.currentRow()))
        attach = QPushButton("添加证明材料(&F)…")
        attach.clicked.connect(lambda: self.pick_files())
        self.files_note = QLabel("未添加证明材料", objectName="hint")
        for widget in (add, remove, attach):
            buttons.addWidget(widget)
        buttons.addWidget(self.files_note, 1)
        layout.addLayout(buttons)
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        layout.addWidget(self.error)
        layout.addWidget(save_buttons(self, self.save))
        self.timer = QTimer(self, singleShot=True, interval=250)  # after typing pauses
        self.timer.timeout.connect(self.find_students)
        self.search.textChanged.connect(lambda _t: self.timer.start())

    def find_students(self) -> int:
        """List the zone's students whose names contain what was typed (20 at most)."""
        self.timer.stop()  # (called directly: no second search when the pause ends)
        return fill_matches(self.ws, self.found, self.search.text(), with_id=True)

    def add_member(self, values: dict[str, Any] | None = None) -> None:
        row = self.members.rowCount()
        self.members.insertRow(row)
        values = values or {}
        for column, key in enumerate(("name", None, "age", "income", "employer", None)):
            if key is not None:
                text = "" if values.get(key) is None else f"{values[key]:g}" \
                    if isinstance(values[key], float) else str(values[key])
                self.members.setItem(row, column, QTableWidgetItem(text))
        for column, choices, key in ((1, rules.RELATIONS, "relation"),
                                     (5, ("", *rules.HEALTH), "health")):
            combo = QComboBox()
            combo.addItems(list(choices))
            combo.setCurrentText(values.get(key) or choices[0])
            self.members.setCellWidget(row, column, combo)
        self.members.setCurrentCell(row, 0)

    def member_values(self) -> list[dict[str, Any]]:
        """The typed members (blank rows skipped); a wrong number raises ValidationError."""
        out = []
        for row in range(self.members.rowCount()):
            cell = {c: (self.members.item(row, c).text().strip() if self.members.item(row, c)
                        else "") for c in (0, 2, 3, 4)}
            if not any(cell.values()):
                continue
            try:
                age = int(cell[2]) if cell[2] else None
                income = float(cell[3]) if cell[3] else None
            except ValueError:
                raise ValidationError(f"第 {row + 1} 位家庭成员的年龄和年收入应为数字",
                                      "members") from None
            relation = self.members.cellWidget(row, 1)
            health = self.members.cellWidget(row, 5)
            assert isinstance(relation, QComboBox) and isinstance(health, QComboBox)
            out.append({"name": cell[0], "relation": relation.currentText(), "age": age,
                        "income": income, "employer": cell[4] or None,
                        "health": health.currentText() or None})
        return out

    def pick_files(self, paths: list[Path] | None = None) -> None:
        if paths is None:
            names, _ = QFileDialog.getOpenFileNames(
                self, "选择证明材料", "", "照片或扫描件 (*.jpg *.jpeg *.png *.pdf);;所有文件 (*)")
            paths = [Path(n) for n in names]
        self.files += paths
        self.files_note.setText("证明材料：" + "、".join(p.name for p in self.files)
                                if self.files else "未添加证明材料")

    def save(self) -> None:
        for editor in self.editors.values():
            editor.set_error(None)
        item = self.found.currentItem()
        try:
            if item is None:
                raise ValidationError("请先输入姓名，在名单中选中申请的学生", "student_id")
            facts = {name: editor.value() for name, editor in self.editors.items()}
            self.recognition_id = recognition.apply(
                self.ws, item.data(Qt.ItemDataRole.UserRole), self.school_year,
                date_of(self.applied), facts=facts, members=self.member_values(),
                files=self.files)
        except UserError as exc:
            self._show(exc)
            return
        self.accept()

    def _show(self, exc: UserError) -> None:
        errors = getattr(exc, "errors", None) or [exc]
        for error in errors:
            editor = self.editors.get(getattr(error, "field", None) or "")
            if editor is not None:
                editor.set_error(error.message)
        self.error.setText("▲ " + "；".join(e.message for e in errors))
        self.error.show()


class StepDialog(QDialog):
    """One step of a recognition: 评议, 公示, 认定, 撤销 or 复核; `run` does it."""

    TITLES: ClassVar[dict[str, str]] = {
        "review": "民主评议", "notice": "公示", "decide": "认定", "revoke": "撤销认定",
        "recheck": "办理复核"}

    def __init__(self, ws: Workspace, step: str, row: recognition.RecognitionRow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.step, self.row = ws, step, row
        self.result_id: str | None = None
        self.setWindowTitle(f"{self.TITLES[step]}：{row.name}（{row.school}）")
        self.resize(520, 300)
        form = QFormLayout(self)
        today = clock.today()
        self.day = _date_edit(today)
        form.addRow("公示开始" if step == "notice" else "日期", self.day)
        self.level = QComboBox()
        self.level.addItems(list(aid_rules.HARDSHIP_LEVELS))
        self.level.setCurrentText(row.level or aid_rules.HARDSHIP_LEVELS[1])
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.end = _date_edit(today)
        self.place = QLineEdit(placeholderText="如 校务公开栏、班级公示栏")
        self.count = QLabel(objectName="hint", wordWrap=True)
        self.recognised = QRadioButton("认定(&Y)", checked=True)
        self.rejected = QRadioButton("不予认定（未通过）(&N)")
        if step == "review":
            form.addRow("困难等级", self.level)
            form.addRow("评议意见", self.text)
        elif step == "notice":
            form.addRow("公示结束", self.end)
            form.addRow("公示地点", self.place)
            form.addRow(self.count)
            self.end.setDate(qdate(aid.count_working_days(ws, today, today).notice_ends))
            self.day.dateChanged.connect(lambda _d: self.show_count(follow=True))
            self.end.dateChanged.connect(lambda _d: self.show_count())
            self.show_count()
        elif step == "decide":
            choice = QHBoxLayout()
            choice.addWidget(self.recognised)
            choice.addWidget(self.rejected)
            form.addRow("结论", choice)
            form.addRow("说明", self.text)
        else:
            form.addRow("原因", self.text)
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        form.addRow(self.error)
        form.addRow(save_buttons(self, self.run))

    def show_count(self, follow: bool = False) -> None:
        """The notice's working days as picked; `follow`: the end moves to the earliest
        lawful day when the start moves."""
        start = date_of(self.day)
        if follow:
            self.end.setDate(qdate(aid.count_working_days(self.ws, start, start).notice_ends))
            return
        end = date_of(self.end)
        found = aid.count_working_days(self.ws, start, max(start, end))
        short = found.count < aid_rules.NOTICE_WORKING_DAYS
        text = (f"{'▲ ' if short else ''}公示 {found.count} 个工作日"
                f"（至少 {aid_rules.NOTICE_WORKING_DAYS} 个，最早到 {found.notice_ends}）。")
        if found.unknown_years:
            text += f"{'、'.join(map(str, found.unknown_years))}年的节假日安排尚未录入。"
        self.count.setText(text)

    def run(self) -> None:
        day, text = date_of(self.day), self.text.toPlainText().strip()
        try:
            if self.step == "review":
                recognition.review(self.ws, self.row.id, day, text, self.level.currentText())
            elif self.step == "notice":
                recognition.post_notice(self.ws, self.row.id, day, date_of(self.end),
                                        self.place.text())
            elif self.step == "decide":
                recognition.decide(self.ws, self.row.id, day, self.recognised.isChecked(),
                                   text)
            elif self.step == "revoke":
                recognition.revoke(self.ws, self.row.id, day, text)
            else:
                self.result_id = recognition.recheck(self.ws, self.row.id, day, text)
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.accept()
