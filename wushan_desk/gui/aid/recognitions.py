"""困难认定 tab: the recognitions of a school year with the notice countdown.

A list filtered by school year, school, status and name; the buttons offer the steps the
selected recognition's status allows (domain/aid_recognition.TRANSITIONS), each through
a small dialog; under the list, the selected family's members and every dated step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import aid as aid_rules
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain import clock
from wushan_desk.gui.aid.recognition_dialogs import ApplyDialog, StepDialog
from wushan_desk.gui.widgets.small import fill_table, make_table
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.services import browse, permissions
from wushan_desk.services.session import Workspace

COLUMNS = ("学校", "年级班级", "姓名", "困难等级", "特殊群体", "状态", "申请日期", "公示结束",
           "公示倒计时")
#: Rows shown at once: a whole county's year is filtered by school or name first.
SHOWN = 500
#: step -> (button text, the status it moves to; None: a re-check, from 已认定)
STEPS = {"review": ("民主评议(&V)…", rules.REVIEWED), "notice": ("公示(&P)…", rules.NOTICE),
         "decide": ("认定(&C)…", rules.RECOGNISED), "revoke": ("撤销(&X)…", rules.REVOKED),
         "recheck": ("复核(&K)…", None)}


def countdown(row: recognition.RecognitionRow) -> str:
    """公示倒计时 as the list shows it."""
    if row.notice_left is None:
        return ""
    return f"还剩 {row.notice_left} 个工作日" if row.notice_left else "公示期满，待认定"


class RecognitionsTab(QWidget):
    """The recognitions list, its filters, its steps and the selected one's history."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.rows: list[recognition.RecognitionRow] = []
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = QComboBox()
        current = aid_rules.school_year_of(clock.today())
        first = int(current[:4])
        for year in (f"{y}-{y + 1}" for y in range(first + 1, first - 4, -1)):
            self.year.addItem(f"{year}学年", year)
        self.year.setCurrentIndex(self.year.findData(current))
        self.school = QComboBox()
        self.school.addItem("全部学校", None)
        for school in browse.zone_schools(ws):
            self.school.addItem(school.name, school.id)
        self.status = QComboBox()
        self.status.addItem("全部状态", None)
        for status in rules.STATUSES:
            self.status.addItem(status, status)
        self.name = QLineEdit(placeholderText="姓名")
        self.name.setMaximumWidth(120)
        for label, widget in (("学年：", self.year), ("学校：", self.school),
                              ("状态：", self.status), ("", self.name)):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addStretch(1)
        column.addLayout(bar)
        actions = QHBoxLayout()
        self.apply_button = QPushButton("受理申请(&N)…")
        self.apply_button.clicked.connect(lambda: self.new_application())
        actions.addWidget(self.apply_button)
        self.step_buttons: dict[str, QPushButton] = {}
        for step, (text, _status) in STEPS.items():
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=step: self.take_step(s))
            self.step_buttons[step] = button
            actions.addWidget(button)
        self.print_button = QPushButton("打印公示名单(&T)…")
        self.print_button.clicked.connect(lambda: self.print_notice())
        actions.addWidget(self.print_button)
        self.application_button = QPushButton("打印申请表(&Q)…")
        self.application_button.clicked.connect(lambda: self.print_application())
        actions.addWidget(self.application_button)
        self.note = QLabel(objectName="hint")
        actions.addWidget(self.note, 1)
        column.addLayout(actions)
        self.table = make_table(COLUMNS)
        column.addWidget(self.table, 3)
        self.details = QLabel(objectName="hint", wordWrap=True)
        self.details.setMinimumHeight(60)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.details, 1)
        for combo in (self.year, self.school, self.status):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.name.textChanged.connect(lambda _t: self.refresh())
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.refresh()

    def refresh(self) -> None:
        """Fill the list from the filters; keeps the selected recognition selected."""
        chosen = self.selected()
        found = recognition.listing(self.ws, self.year.currentData(),
                                    school_id=self.school.currentData(),
                                    status=self.status.currentData(), name=self.name.text())
        self.rows = found[:SHOWN]
        fill_table(self.table, [
            [r.school, f"{r.grade}{r.class_name}", r.name, r.level or "未评定",
             "、".join(r.groups), r.status + ("（复核）" if r.recheck else ""), r.applied_on,
             r.notice_to, countdown(r)] for r in self.rows])
        waiting = sum(r.status == rules.NOTICE for r in found)
        more = f"，显示前 {SHOWN} 条，请按学校或姓名筛选" if len(found) > SHOWN else ""
        self.note.setText(f"共 {len(found)} 条{more}；公示中 {waiting} 条。")
        ids = [r.id for r in self.rows]
        if chosen is not None and chosen.id in ids:
            self.table.selectRow(ids.index(chosen.id))
        self.show_selected()

    def print_notice(self, then: Callable[[Path], None] | None = None) -> bool:
        """The chosen school's public notice (name, grade and level only), made off the
        GUI thread into the private viewing folder, then shown in the print preview."""
        from wushan_desk.gui.widgets import dialogs
        from wushan_desk.services import aid_report

        school_id, year = self.school.currentData(), self.year.currentData()
        if school_id is None:
            dialogs.inform(self, "打印公示名单", "公示名单按学校张贴：请先在“学校”中选择一所学校。")
            return False

        def render(worker: Workspace, target: Path) -> None:
            aid_report.public_notice(worker, school_id, year, target)

        self._print("公示名单", f"{self.school.currentText()}-困难认定公示", "困难认定公示",
                    render, then)
        return True

    def print_application(self, then: Callable[[Path], None] | None = None) -> bool:
        """The selected recognition's application form (full ID number and the family's
        facts, for signature and the file), made like the notice, audited as a print;
        its copy in the viewing folder goes when the preview closes (另存为 PDF keeps one
        where the user chooses)."""
        from wushan_desk.gui.widgets import dialogs
        from wushan_desk.services import aid_application, audit

        row = self.selected()
        if row is None:
            dialogs.inform(self, "打印申请表", "请先在列表中选中一条困难认定。")
            return False
        title = aid_application.TITLE

        def render(worker: Workspace, target: Path) -> None:
            aid_application.application_form(worker, row.id, target)
            audit.record_or_defer(worker, "print", kind="aid_recognition", record_id=row.id,
                                  detail={"document": title, "file": target.name})

        self._print("申请表", f"{row.name}-{title}", "认定申请表", render, then, private=True)
        return True

    def _print(self, what: str, name: str, title: str,
               render: Callable[[Workspace, Path], None],
               then: Callable[[Path], None] | None, *, private: bool = False) -> None:
        """Render a PDF off the GUI thread into the private viewing folder (a worker
        session of its own), then show it in the print preview (or hand it to `then`);
        `private`: remove the file when the preview closes."""
        from wushan_desk import files
        from wushan_desk.gui import printing
        from wushan_desk.gui.widgets.tasks import run_task

        target = files.free_path(printing.viewing_folder(self.ws),
                                 files.safe_name(name, ".pdf", fallback=title))

        def job(progress: Any, _cancelled: Any) -> Path:
            progress(0, 1, f"正在生成{what}……")
            with self.ws.worker_session() as worker:
                render(worker, target)
            return target

        def done(out: Path) -> None:
            if then is not None:
                then(out)
            else:
                self.preview = printing.preview(out, title, self)
                if private:
                    self.preview.finished.connect(lambda _r: _remove(out))

        self.task = run_task(self, f"正在生成{what}", job, done, what=f"{what}没有生成")

    def selected(self) -> recognition.RecognitionRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) and self.table.selectedItems() \
            else None

    def show_selected(self) -> None:
        """The steps the selected status allows, its family and its dated history."""
        row = self.selected()
        self.application_button.setEnabled(  # it shows the full ID number
            row is not None and permissions.may(self.ws.user, "view_full"))
        for step, (_text, status) in STEPS.items():
            allowed = row is not None and (
                row.status == rules.RECOGNISED if status is None
                else status in rules.TRANSITIONS[row.status]
                or (step == "decide" and rules.REJECTED in rules.TRANSITIONS[row.status]))
            self.step_buttons[step].setEnabled(allowed)
        if row is None:
            self.details.setText("选中一条认定，可办理下一步并查看家庭成员与办理记录。")
            return
        members = "；".join(
            f"{m['name']}（{m['relation']}{'，' + str(m['age']) + '岁' if m['age'] else ''}"
            f"{'，年收入' + aid_rules.amount_text(m['income']) + '元' if m['income'] else ''}）"
            for m in recognition.members(self.ws, row.id)) or "未登记"
        steps = " → ".join(f"{e['date']} {e['status']}" + (f"（{e['note']}）" if e['note']
                                                            else "")
                           for e in recognition.events(self.ws, row.id))
        self.details.setText(f"{row.name}　家庭成员：{members}\n办理记录：{steps}")

    def new_application(self, dialog: ApplyDialog | None = None) -> str | None:
        dialog = dialog or ApplyDialog(self.ws, self.year.currentData(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        self.refresh()
        self.select(dialog.recognition_id)
        return dialog.recognition_id

    def take_step(self, step: str, dialog: StepDialog | None = None) -> bool:
        row = self.selected()
        if row is None:
            return False
        dialog = dialog or StepDialog(self.ws, step, row, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.refresh()
        self.select(dialog.result_id or row.id)
        return True

    def select(self, recognition_id: str | None) -> None:
        ids = [r.id for r in self.rows]
        if recognition_id in ids:
            self.table.selectRow(ids.index(recognition_id))


def _remove(path: Path) -> None:
    """Delete a private copy; one still open in a viewer (Windows) goes at exit."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
