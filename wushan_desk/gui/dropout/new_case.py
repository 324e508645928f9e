"""登记案件: a child typed in (never enrolled, from another county, not found by rules).

The form is built from the dropout_case kind's fields (the same editors as the record
form). While the name, birth date or ID number are typed, cases and roster entries of
the same child show at once; a roster child can be taken over with one button, so the
case follows the child's school. Saving goes through `dropout.open_case`, which refuses
a second open case for one child.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import dropout as codes
from wushan_desk.domain.entities import KINDS
from wushan_desk.domain.errors import UserError, ValidationError
from wushan_desk.gui.widgets.form_fields import ChoiceEditor, Editor, labelled, make_editor
from wushan_desk.gui.widgets.small import save_buttons
from wushan_desk.services import dropout, records
from wushan_desk.services.session import Workspace

#: The fields typed when opening a case, in the order a ledger lists them.
FIELDS = ("name", "sex", "birth_date", "resident_id", "township_id", "school_id", "grade",
          "status", "opened_on", "reasons", "groups", "plan", "guardian_name",
          "guardian_phone", "address")
#: Fields the roster fills in when the child is on it.
FROM_ROSTER = ("name", "sex", "birth_date", "resident_id", "school_id", "grade")


class NewCaseDialog(QDialog):
    """Open a case for a child, showing possible duplicates as they are typed."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.student_id: str | None = None
        self.case_id: str | None = None
        self.setWindowTitle("登记控辍保学案件")
        self.resize(640, 660)  # fits a 1366x768 screen with the taskbar
        kind = KINDS["dropout_case"]
        self.editors: dict[str, Editor] = {}
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        for name in FIELDS:
            spec = kind.field(name)
            editor = (ChoiceEditor(spec, [(s, s) for s in codes.OPEN_STATUSES])
                      if name == "status" else make_editor(spec, ws))
            self.editors[name] = editor
            form.addRow(*labelled(editor))
        self.editors["status"].set_value(codes.SUSPECTED)
        self.editors["opened_on"].set_value(clock.today().isoformat())
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(form_widget)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("学籍名单上的孩子请在“疑似对象”中确认，或在下面输入姓名和出生日期后"
                                "点“就是名单上的这个孩子”。", objectName="hint", wordWrap=True))
        self.matches = QLabel(objectName="formError", wordWrap=True, visible=False)
        self.use_roster = QPushButton("就是名单上的这个孩子(&U)", visible=False)
        self.use_roster.clicked.connect(self.take_roster_child)
        layout.addWidget(self.matches)
        layout.addWidget(self.use_roster)
        layout.addWidget(scroll, 1)
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        layout.addWidget(self.error)
        layout.addWidget(save_buttons(self, self.save))
        self.timer = QTimer(self, singleShot=True, interval=250)  # after typing pauses
        self.timer.timeout.connect(self.check_duplicates)
        for name in ("name", "birth_date", "resident_id"):
            self.editors[name].on_change(self.timer.start)
        self.roster: list[dict[str, Any]] = []

    def values(self) -> dict[str, Any]:
        record = {name: editor.value() for name, editor in self.editors.items()}
        if self.student_id:
            record["student_id"] = self.student_id
        return record

    def check_duplicates(self) -> dropout.Matches:
        """Show cases and roster entries of the same child (ID, or name and birth date)."""
        typed = self.values()
        found = dropout.possible_duplicates(
            self.ws, resident_id=typed.get("resident_id"), name=typed.get("name"),
            birth_date=typed.get("birth_date"))
        lines = [f"▲ 已有案件：{c['name']}（{c['birth_date']}），状态 {c['status']}"
                 for c in found.cases]
        lines += [f"学籍名单上有：{s['name']}（{s['birth_date']}），{s['school']} "
                  f"{s.get('grade') or ''}" for s in found.students]
        self.roster = found.students
        self.matches.setText("\n".join(lines))
        self.matches.setVisible(bool(lines))
        self.use_roster.setVisible(len(found.students) == 1 and not self.student_id)
        return found

    def take_roster_child(self) -> None:
        """The typed child is the roster's: take its facts, lock them, link the case."""
        if len(self.roster) != 1:
            return
        student = records.get(self.ws, "student", self.roster[0]["id"]) or {}
        self.student_id = student.get("id")
        for name in FROM_ROSTER:
            self.editors[name].set_value(student.get(name))
            self.editors[name].widget.setEnabled(False)
        self.use_roster.hide()

    def save(self) -> None:
        for editor in self.editors.values():
            editor.set_error(None)
        self.error.hide()
        record = self.values()
        if record.get("school_id") and not record.get("township_id"):
            from wushan_desk.services import browse

            record["township_id"] = browse.township_of_school(self.ws, record["school_id"])
        try:
            self.case_id = dropout.open_case(self.ws, record)
        except ValidationError as exc:
            self.show_errors(getattr(exc, "errors", None) or [exc])
            return
        except UserError as exc:
            self.error.setText(f"▲ {exc.message}")
            self.error.show()
            return
        self.accept()

    def show_errors(self, errors: list[ValidationError]) -> None:
        """Each message beside its field (the first such field gets focus), and all of
        them in the line under the form."""
        marked = [self.editors[e.field] for e in errors if e.field in self.editors]
        for error in errors:
            editor = self.editors.get(error.field or "")
            if editor is not None:
                editor.set_error(error.message.removeprefix(f"{editor.spec.label}："))
        if marked:
            marked[0].focus.setFocus()
        self.error.setText("▲ " + "；".join(e.message for e in errors))
        self.error.show()
