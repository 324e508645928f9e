"""学校与学生: the students list and the schools list, on two tabs.

Both lists read through services.browse (masked identifiers, tombstones hidden); the
detail form opens on Enter or double-click. Choosing 查看本校学生 on a school switches
to the students tab filtered to that school.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QTabWidget, QVBoxLayout, QWidget

from wushan_desk.domain import codes
from wushan_desk.gui.people.record_form import RecordForm
from wushan_desk.gui.people.school_history import SchoolHistory
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.list_panel import ListPanel, make_action
from wushan_desk.gui.widgets.table_model import Column
from wushan_desk.services import browse, records
from wushan_desk.services.session import Workspace

STUDENT_COLUMNS = (
    Column("姓名", "name", "name", 5),
    Column("性别", "sex", "sex", 3),
    Column("出生日期", "birth_date", "birth_date", 6),
    Column("身份证号", "resident_id", "resident_id", 10),
    Column("学籍号", "student_number", "student_number", 11),
    Column("学校", "school", "school", 11),
    Column("年级", "grade", "grade", 4),
    Column("班级", "class_name", "class_name", 3),
    Column("监护人", "guardian_name", "guardian_name", 4),
    Column("监护人电话", "guardian_phone", "guardian_phone", 7),
    Column("特殊群体", "special_groups", "special_groups", 8),
)

SCHOOL_COLUMNS = (
    Column("名称", "name", "name", 16),
    Column("类型", "type", "type", 5),
    Column("乡镇", "township", "township", 6),
    Column("校长", "head", "head", 5),
    Column("电话", "phone", "phone", 8),
    Column("寄宿", "boarding", "boarding", 3),
    Column("学生数", "students", "students", 4, align_right=True),
)


def fill_combo(combo: QComboBox, all_label: str, items: Sequence[tuple[str, Any]],
               keep: Any = None) -> None:
    """Replace the entries (first: `all_label` = no filter), keeping `keep` if listed."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(all_label, None)
    for text, data in items:
        combo.addItem(text, data)
    index = combo.findData(keep) if keep is not None else 0
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


class StudentList(ListPanel):
    noun = "学生"
    settings_key = "students"

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(STUDENT_COLUMNS, "搜索姓名、身份证号或学籍号（Ctrl+F）", parent)
        self.ws = ws
        self.zone = browse.working_zone(ws)
        self.township = QComboBox(objectName="townshipFilter", toolTip="按乡镇筛选")
        self.school = QComboBox(objectName="schoolFilter", toolTip="按学校筛选")
        self.grade = QComboBox(objectName="gradeFilter", toolTip="按年级筛选")
        self.school.setMinimumContentsLength(10)
        self.school.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for combo in (self.township, self.school, self.grade):
            self.filters.addWidget(combo)
        fill_combo(self.township, "全部乡镇", [(c.name, c.id) for c in browse.townships(ws)])
        self._fill_schools()
        self._fill_grades()
        self.township.currentIndexChanged.connect(self._township_changed)
        self.school.currentIndexChanged.connect(self._school_changed)
        self.grade.currentIndexChanged.connect(lambda _i: self.refresh())

    def query(self) -> browse.StudentQuery:
        return browse.StudentQuery(
            text=self.search.text(), township_id=self.township.currentData(),
            school_id=self.school.currentData(), grade=self.grade.currentData(),
            order_by=self.order_by, descending=self.descending, zone=self.zone)

    def fetch_page(self, after: Any, limit: int) -> Sequence[Any]:
        return browse.fetch_students(self.ws, self.query(), limit=limit, after=after)

    def count(self) -> int:
        return browse.count_students(self.ws, self.query())

    def count_job(self) -> Callable[[Workspace], int]:
        query = self.query()
        return lambda ws: browse.count_students(ws, query)

    def filtered(self) -> bool:
        return super().filtered() or any(
            c.currentData() is not None for c in (self.township, self.school, self.grade))

    def _fill_schools(self) -> None:
        schools = browse.schools_in(self.ws, self.township.currentData())
        fill_combo(self.school, "全部学校", [(c.name, c.id) for c in schools],
                   keep=self.school.currentData())

    def _fill_grades(self) -> None:
        school = self.school.currentData()
        grades = browse.grades_for(self.ws, school) if school else codes.ALL_GRADES
        fill_combo(self.grade, "全部年级", [(g, g) for g in grades], keep=self.grade.currentData())

    def _township_changed(self, _index: int) -> None:
        self._fill_schools()
        self._fill_grades()
        self.refresh()

    def _school_changed(self, _index: int) -> None:
        self._fill_grades()
        self.refresh()

    def set_school_filter(self, school_id: str) -> None:
        """Show only this school's students (from the schools tab)."""
        township = browse.township_of_school(self.ws, school_id)
        self.township.blockSignals(True)
        self.township.setCurrentIndex(max(self.township.findData(township), 0))
        self.township.blockSignals(False)
        self._fill_schools()
        self.school.blockSignals(True)
        self.school.setCurrentIndex(max(self.school.findData(school_id), 0))
        self.school.blockSignals(False)
        self._fill_grades()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.refresh()

    def open_record(self, record_id: str) -> None:
        self._show_form(RecordForm(self.ws, "student", record_id, parent=self))

    def new_record(self) -> None:
        defaults = {"school_id": self.school.currentData(), "grade": self.grade.currentData()}
        self._show_form(RecordForm(self.ws, "student", None, defaults=defaults, parent=self))

    def _show_form(self, form: RecordForm) -> None:
        form.saved.connect(self.reload_keeping)
        form.open()

    def delete_record(self, row: Any) -> None:
        if dialogs.confirm(self, "删除学生", f"删除学生“{row.name}”（{row.school}，{row.grade}）？",
                           "删除", "删除后该学生不再出现在名单中，这次删除会同步到县教委。"):
            records.delete(self.ws, "student", row.id)
            self.refresh()


class SchoolList(ListPanel):
    noun = "学校"
    settings_key = "schools"
    stretch_last = False  # a stretched 学生数 column puts the numbers far from the names
    showStudents = Signal(str)
    showHistory = Signal(str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(SCHOOL_COLUMNS, "搜索学校名称或学校标识码（Ctrl+F）", parent)
        self.ws = ws
        self.township = QComboBox(objectName="townshipFilter", toolTip="按乡镇筛选")
        self.filters.addWidget(self.township)
        fill_combo(self.township, "全部乡镇", [(c.name, c.id) for c in browse.townships(ws)])
        self.township.currentIndexChanged.connect(lambda _i: self.refresh())
        self.act_students = make_action(self, "查看本校学生", "Ctrl+L")
        self.act_students.triggered.connect(self._show_students)
        self.act_history = make_action(self, "督导记录与整改", "Ctrl+H")
        self.act_history.triggered.connect(self._show_history)

    def query(self) -> browse.SchoolQuery:
        return browse.SchoolQuery(text=self.search.text(), township_id=self.township.currentData(),
                                  order_by=self.order_by, descending=self.descending)

    def fetch_page(self, after: Any, limit: int) -> Sequence[Any]:
        return browse.fetch_schools(self.ws, self.query(), limit=limit, after=after)

    def count(self) -> int:
        return browse.count_schools(self.ws, self.query())

    def filtered(self) -> bool:
        return super().filtered() or self.township.currentData() is not None

    def context_actions(self) -> list[Any]:
        return [self.act_open, self.act_students, self.act_history, None, self.act_new,
                self.act_delete, self.act_refresh]

    def _selected_id(self) -> str | None:
        row = self.current_row()
        return self.model.row(row).id if 0 <= row < self.model.rowCount() else None

    def _show_students(self) -> None:
        if school_id := self._selected_id():
            self.showStudents.emit(school_id)

    def _show_history(self) -> None:
        if school_id := self._selected_id():
            self.showHistory.emit(school_id)

    def open_record(self, record_id: str) -> None:
        form = RecordForm(self.ws, "school", record_id, parent=self)
        form.saved.connect(self.reload_keeping)
        form.open()

    def new_record(self) -> None:
        form = RecordForm(self.ws, "school", None,
                          defaults={"township_id": self.township.currentData()}, parent=self)
        form.saved.connect(self.reload_keeping)
        form.open()

    def delete_record(self, row: Any) -> None:
        extra = f"该校还有 {row.students:,} 名学生，他们的记录会保留。" if row.students else ""
        if dialogs.confirm(self, "删除学校", f"删除学校“{row.name}”？", "删除",
                           extra + "删除后该校不再出现在名单中，这次删除会同步到县教委。"):
            records.delete(self.ws, "school", row.id)
            self.refresh()


class PeoplePage(QWidget):
    """The 学校与学生 page: students first (what supervisors look up most)."""

    openVisit = Signal(str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.students = StudentList(ws)
        self.schools = SchoolList(ws)
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.addTab(self.students, "学生")
        self.tabs.addTab(self.schools, "学校")
        self.schools.showStudents.connect(self.show_school_students)
        self.schools.showHistory.connect(self.show_school_history)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._loaded = False

    def ensure_loaded(self) -> None:
        """Run the first queries when the page is first shown, not at start-up."""
        if not self._loaded:
            self._loaded = True
            self.students.restore_header()
            self.schools.restore_header()

    def showEvent(self, event: Any) -> None:
        self.ensure_loaded()
        super().showEvent(event)

    def show_school_history(self, school_id: str) -> None:
        """The school's inspections and open findings; a visit opens on the 督导检查 page."""
        dialog = QDialog(self, windowTitle="督导记录与整改")
        history = SchoolHistory(self.ws, school_id, dialog)
        history.openVisit.connect(dialog.accept)
        history.openVisit.connect(self.openVisit)
        layout = QVBoxLayout(dialog)
        layout.addWidget(history)
        dialog.resize(900, 520)
        dialog.open()

    def show_school_students(self, school_id: str) -> None:
        self.students.set_school_filter(school_id)
        self.tabs.setCurrentWidget(self.students)
        self.students.table.setFocus()
