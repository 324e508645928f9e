"""The dialogs of 督导检查: start a visit (or a 复查), add or change a finding, start an
amendment. Each fits a 1366x768 screen, moves on with Enter, and shows an error beside
the field it concerns (red text with ▲ and a red border, never colour alone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock, entities
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.gui import appearance
from wushan_desk.gui.inspection.parts import inspector_choices
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.form_fields import SchoolEditor, set_invalid
from wushan_desk.services import inspection, records, templates
from wushan_desk.services.session import Workspace

LAST_INSPECTORS = "inspection/last_inspectors"


def published_templates(ws: Workspace) -> list[dict[str, Any]]:
    """Checklists a new visit can use: the newest published version of each."""
    return templates.current_templates(ws)


def template_title(t: Mapping[str, Any]) -> str:
    return f"{t.get('name', '')}（第{t.get('version', 1)}版）"


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


def date_edit(day: dt.date) -> QDateEdit:
    edit = QDateEdit(qdate(day), calendarPopup=True, displayFormat="yyyy-MM-dd")
    return edit


def _error_label() -> QLabel:
    return QLabel(objectName="fieldError", wordWrap=True, visible=False)


def _show(label: QLabel, widget: QWidget, message: str | None) -> None:
    label.setText(f"▲ {message}" if message else "")
    label.setVisible(bool(message))
    set_invalid(widget, bool(message))


def _field(widget: QWidget, error: QLabel) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(widget)
    column.addWidget(error)
    return box


def _buttons(dialog: QDialog, ok_text: str, on_ok: Callable[[], None]) -> QDialogButtonBox:
    box = QDialogButtonBox()
    ok = box.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    cancel = box.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
    for button in (ok, cancel):
        button.setAutoDefault(False)  # Enter moves between fields, never submits by surprise
    ok.setToolTip(f"{ok_text}（Ctrl+S）")
    ok.clicked.connect(on_ok)
    cancel.clicked.connect(dialog.reject)
    QShortcut(QKeySequence.StandardKey.Save, dialog, activated=on_ok)
    QShortcut(QKeySequence("Ctrl+Return"), dialog, activated=on_ok)
    return box


class EnterMovesOn(QDialog):
    """Enter moves to the next field (as in RecordForm): faster than reaching for Tab.
    Shift+Enter still breaks a line in a text box; an open suggestion list takes Enter."""

    def watch_enter(self) -> None:
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QLineEdit | QComboBox | QDateEdit | QPlainTextEdit
                          | QListWidget):
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            combo = watched if isinstance(watched, QComboBox) else watched.parent()
            popup = isinstance(combo, QComboBox) and combo.completer() is not None \
                and combo.completer().popup().isVisible()
            if not popup:
                self.focusNextChild()
                return True
        return super().eventFilter(watched, event)


class InspectorPicker(QListWidget):
    """Several 责任督学 at once: a list of check boxes (Space ticks the current one)."""

    def __init__(self, ws: Workspace, chosen: Sequence[str]) -> None:
        super().__init__(objectName="inspectorPicker")
        for name, staff_id in inspector_choices(ws):
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, staff_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if staff_id in chosen
                               else Qt.CheckState.Unchecked)
            self.addItem(item)
        rows = min(max(self.count(), 2), 5)
        self.setFixedHeight(rows * (self.fontMetrics().height() + 8) + 6)

    def chosen(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]


class VisitStartDialog(EnterMovesOn):
    """新建督导 (school, checklist, inspectors, date, kind, head) or, with
    `follow_up_of`, 复查 of that visit (date and inspectors only). `visit_id` after OK."""

    def __init__(self, ws: Workspace, *, follow_up_of: str | None = None,
                 school_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="visitStartDialog")
        self.ws, self.follow_up_of = ws, follow_up_of
        self.visit_id: str | None = None
        original = records.get(ws, "visit", follow_up_of) if follow_up_of else None
        self.setWindowTitle("复查" if original else "新建督导")
        visit_kind = entities.kind("visit")
        self.school = SchoolEditor(visit_kind.field("school_id"), ws)
        self.template = QComboBox(objectName="templateChoice")
        for t in published_templates(ws):
            self.template.addItem(template_title(t), t["id"])
        last = str(appearance.settings().value(LAST_INSPECTORS, "") or "").split(",")
        self.inspectors = InspectorPicker(ws, original["inspector_ids"] if original else last)
        self.date = date_edit(clock.today())
        self.kind = QComboBox()
        for kind in ("经常性", "专项"):
            self.kind.addItem(kind, kind)
        self.head = QLineEdit(placeholderText="可在签名时再填")
        self.errors = {k: _error_label() for k in ("school", "template", "inspectors", "form")}
        form = QFormLayout()
        if original:
            school = records.get(ws, "school", original["school_id"]) or {}
            form.addRow("学校", QLabel(school.get("name", "")))
            form.addRow("被复查的督导", QLabel(f"{original['date']} {original['kind']}"))
        else:
            form.addRow("*学校", _field(self.school.widget, self.errors["school"]))
            form.addRow("*检查表", _field(self.template, self.errors["template"]))
        form.addRow("*督学", _field(self.inspectors, self.errors["inspectors"]))
        form.addRow("督导日期", self.date)
        if not original:
            form.addRow("督导类型", self.kind)
            form.addRow("校长（园长）", self.head)
            self.school.on_change(self._school_changed)
            if school_id:
                self.school.set_value(school_id)
        if not self.template.count() and not original:
            _show(self.errors["template"], self.template,
                  "还没有已发布的检查表。请先在“检查表”页发布，或从县教委同步下发的检查表。")
        layout = QVBoxLayout(self)
        layout.addWidget(self.errors["form"])
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "开始复查" if original else "开始督导", self.start))
        self.setMinimumWidth(520)
        self.watch_enter()

    def _school_changed(self) -> None:
        school = records.get(self.ws, "school", self.school.value()) if self.school.value() \
            else None
        if school and school.get("head") and not self.head.isModified():
            self.head.setText(school["head"])
        _show(self.errors["school"], self.school.focus, None)

    def _check(self) -> bool:
        problems = {
            "inspectors": None if self.inspectors.chosen() else "请至少勾选一名督学",
        }
        if not self.follow_up_of:
            problems["school"] = self.school.local_error() or (
                None if self.school.value() else "请选择学校（可输入校名中的字查找）")
            problems["template"] = None if self.template.currentData() else "请选择检查表"
        widgets = {"school": self.school.focus, "template": self.template,
                   "inspectors": self.inspectors}
        for key, message in problems.items():
            _show(self.errors[key], widgets[key], message)
        bad = [widgets[k] for k, m in problems.items() if m]
        if bad:
            bad[0].setFocus(Qt.FocusReason.OtherFocusReason)
        return not bad

    def start(self) -> None:
        if not self._check():
            return
        try:
            if self.follow_up_of:
                self.visit_id = inspection.follow_up(
                    self.ws, self.follow_up_of, date=pydate(self.date),
                    inspector_ids=self.inspectors.chosen())
            else:
                self.visit_id = inspection.start_visit(
                    self.ws, school_id=self.school.value(),
                    template_id=self.template.currentData(),
                    inspector_ids=self.inspectors.chosen(), date=pydate(self.date),
                    kind=self.kind.currentData(), head_name=self.head.text().strip() or None)
        except ValidationError as exc:  # shown beside the form, where it can be fixed
            _show(self.errors["form"], self.errors["form"], exc.message)
            return
        except Exception as exc:  # anything else: the one error dialog
            dialogs.show_error(self, exc, "督导记录没有建立")
            return
        appearance.settings().setValue(LAST_INSPECTORS, ",".join(self.inspectors.chosen()))
        self.accept()


class FindingDialog(EnterMovesOn):
    """添加问题 / 修改问题. `save(values)` writes (or queues) them and may raise
    ValidationError, which is shown here; the dialog closes only when it succeeds."""

    def __init__(self, ws: Workspace, visit: Mapping[str, Any],
                 items: Sequence[Mapping[str, Any]], save: Callable[[dict[str, Any]], None], *,
                 finding: Mapping[str, Any] | None = None, item_id: str | None = None,
                 description: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="findingDialog")
        self.ws, self.visit, self._save = ws, visit, save
        finding = finding or {}
        self.setWindowTitle("修改问题" if finding else "添加问题")
        self.description = self._text(finding.get("description") or description)
        self.item = QComboBox()
        self.item.addItem("（不关联检查项目）", None)
        for n, item in enumerate(items, start=1):
            text = f"{item.get('code') or n}. {item['content']}"
            self.item.addItem(text if len(text) <= 30 else text[:29] + "…", item["id"])
            self.item.setItemData(self.item.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.item.setCurrentIndex(max(self.item.findData(finding.get("item_id") or item_id), 0))
        self.severity = QComboBox()
        for s in rules.SEVERITIES:
            self.severity.addItem(s, s)
        self.severity.setCurrentIndex(max(self.severity.findData(finding.get("severity")), 0))
        self.requirement = self._text(finding.get("requirement") or "")
        start = (dt.date.fromisoformat(finding["deadline"]) if finding.get("deadline")
                 else inspection.default_deadline(ws, visit, self.item.currentData()))
        self.deadline = date_edit(start)
        self.deadline.setMinimumDate(qdate(dt.date.fromisoformat(visit["date"])))
        self._deadline_touched = bool(finding)
        self.deadline.dateChanged.connect(lambda _d: setattr(self, "_deadline_touched", True))
        self.deadline_hint = QLabel(objectName="hint")
        self.item.currentIndexChanged.connect(self._item_changed)
        self.responsible = QLineEdit(finding.get("responsible") or "",
                                     placeholderText="学校责任人姓名")
        self.errors = {k: _error_label() for k in ("description", "requirement", "form")}
        form = QFormLayout()
        form.addRow("*问题", _field(self.description, self.errors["description"]))
        form.addRow("检查项目", self.item)
        form.addRow("程度", self.severity)
        form.addRow("*整改要求", _field(self.requirement, self.errors["requirement"]))
        form.addRow("整改期限", self.deadline)
        form.addRow("", self.deadline_hint)
        form.addRow("责任人", self.responsible)
        layout = QVBoxLayout(self)
        layout.addWidget(self.errors["form"])
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "保存", self.accept_values))
        self.setMinimumWidth(560)
        self._item_changed()
        self.watch_enter()

    def _text(self, value: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(value, tabChangesFocus=True)
        edit.setFixedHeight(edit.fontMetrics().height() * 3 + 14)
        return edit

    def _item_changed(self, _index: int = 0) -> None:
        rule = inspection.default_deadline(self.ws, self.visit, self.item.currentData())
        days = (rule - dt.date.fromisoformat(self.visit["date"])).days
        self.deadline_hint.setText(f"按检查表规定，默认督导后 {days} 天（{rule}）")
        if not self._deadline_touched:
            self.deadline.blockSignals(True)
            self.deadline.setDate(qdate(rule))
            self.deadline.blockSignals(False)

    def values(self) -> dict[str, Any]:
        return {
            "description": self.description.toPlainText().strip(),
            "item_id": self.item.currentData(),
            "severity": self.severity.currentData(),
            "requirement": self.requirement.toPlainText().strip(),
            "deadline": pydate(self.deadline),
            "responsible": self.responsible.text().strip() or None,
        }

    def accept_values(self) -> None:
        values = self.values()
        problems = {"description": None if values["description"] else "请写明发现的问题",
                    "requirement": None if values["requirement"] else "请写明整改要求"}
        for key, message in problems.items():
            _show(self.errors[key], getattr(self, key), message)
        if any(problems.values()):
            return
        try:
            self._save(values)
        except ValidationError as exc:
            _show(self.errors["form"], self.errors["form"], exc.message)
            return
        self.accept()


class AmendDialog(EnterMovesOn):
    """更正: the reason (required) and who amends, before any field can be changed."""

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="amendDialog")
        self.setWindowTitle("更正已定稿的督导记录")
        intro = QLabel("这份记录已经定稿签字。写明更正理由后，可以修改检查结果、问题清单和"
                       "督导意见；点“保存更正”时，修改内容和理由一起记入更正记录，"
                       "原签名保留不变。", wordWrap=True)
        self.reason = QPlainTextEdit(tabChangesFocus=True,
                                     placeholderText="例如：误将 8 分录为 6 分")
        self.reason.setFixedHeight(self.reason.fontMetrics().height() * 3 + 14)
        self.by = QComboBox(editable=True)
        for name in names:
            self.by.addItem(name)
        self.error = _error_label()
        form = QFormLayout()
        form.addRow("*更正理由", _field(self.reason, self.error))
        form.addRow("更正人", self.by)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "开始更正", self.start))
        self.setMinimumWidth(520)
        self.watch_enter()

    def start(self) -> None:
        if not self.reason.toPlainText().strip():
            _show(self.error, self.reason, "更正必须写明理由")
            self.reason.setFocus()
            return
        self.accept()

    def result_values(self) -> tuple[str, str | None]:
        return self.reason.toPlainText().strip(), self.by.currentText().strip() or None
