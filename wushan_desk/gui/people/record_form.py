"""The detail form of a record, generated from its kind's FieldSpecs.

Saving goes through services.records.put, the same validation as the command line, and
each RecordInvalid error is shown next to its field (red text and border); the first
bad field gets the focus. Sensitive fields are shown in full here: the supervisor needs
them, and lists mask them. Ctrl+S saves, Enter moves on, Esc asks before losing edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import entities
from wushan_desk.domain.errors import UserError, ValidationError
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.form_fields import ChoiceEditor, Editor, labelled, make_editor
from wushan_desk.services import browse, permissions, records
from wushan_desk.services.session import Workspace

#: Groups of fields per kind, in the order of the paper forms; other kinds get one group.
SECTIONS: dict[str, list[tuple[str, list[str]]]] = {
    "student": [
        ("基本信息", ["name", "sex", "birth_date", "resident_id", "student_number"]),
        ("就读", ["school_id", "grade", "class_name"]),
        ("监护人", ["guardian_name", "guardian_relation", "guardian_phone"]),
        ("户籍与特殊群体", ["hukou_type", "hukou_address", "special_groups"]),
    ],
    "school": [
        ("基本信息", ["name", "code", "type", "township_id"]),
        ("联系方式", ["address", "head", "phone", "boarding"]),
    ],
}

DISCARD, SAVE, KEEP_EDITING = "discard", "save", "keep"


def ask_unsaved(parent: QWidget) -> str:
    """Ask what to do with unsaved changes; returns DISCARD, SAVE or KEEP_EDITING."""
    box = QMessageBox(QMessageBox.Icon.Question, "有未保存的修改",
                      "这条记录有修改还没有保存。", parent=parent)
    box.setInformativeText("要保存这些修改吗？")
    save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("放弃修改", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("继续编辑", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.setEscapeButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return SAVE if clicked is save else DISCARD if clicked is discard else KEEP_EDITING


MINE, THEIRS = "mine", "theirs"


def ask_meanwhile(parent: QWidget, exc: records.ChangedMeanwhile,
                  lines: list[str]) -> str:
    """Someone changed fields the user edited: keep theirs, save mine, or keep editing."""
    box = QMessageBox(QMessageBox.Icon.Warning, "记录已被修改", exc.message, parent=parent)
    box.setInformativeText("\n".join(lines) + "\n\n要用你的修改覆盖吗？")
    mine = box.addButton("保存我的修改", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("采用新的值", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("继续编辑", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return MINE if clicked is mine else THEIRS if clicked is theirs else KEEP_EDITING


def _completer_open(widget: QObject) -> bool:
    """True while a searchable combo's suggestion list is open (Enter picks from it)."""
    combo = widget if isinstance(widget, QComboBox) else widget.parent()
    if not isinstance(combo, QComboBox) or combo.completer() is None:
        return False
    return combo.completer().popup().isVisible()


class RecordForm(QDialog):
    """Edit (record_id given) or create a record of `kind_name`; `saved(id)` on success."""

    saved = Signal(str)

    def __init__(self, ws: Workspace, kind_name: str, record_id: str | None = None, *,
                 defaults: Mapping[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.kind = ws, entities.kind(kind_name)
        self.record_id = record_id
        record = records.get(ws, kind_name, record_id) if record_id else None
        if record_id and record is None:
            raise ValueError(f"{kind_name} {record_id} not found")
        self.editors: dict[str, Editor] = {s.name: make_editor(s, ws) for s in self.kind.fields}
        self.general_error = QLabel(objectName="formError", wordWrap=True, visible=False)
        self._build()
        values = record or {k: v for k, v in (defaults or {}).items() if v is not None}
        for name, editor in self.editors.items():
            if name in values:
                editor.set_value(values[name])
        self._couple_fields()
        self._masked = self._mask_sensitive(record) if record else {}
        self._initial = self.values()
        # the versions shown: saving writes only the fields changed here, against these
        self._seen = records.versions(ws, kind_name, record_id) if record_id else None
        title = (record or {}).get(self.kind.title_field) if record else None
        self.setWindowTitle(f"{self.kind.label} · {title}" if title else f"新建{self.kind.label}")
        self.setObjectName("recordForm")
        self._fit_to_screen()

    def _mask_sensitive(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """ID numbers, phones and addresses shown masked and locked until the user asks
        for them with a purpose (records.disclose: role checked, view audited)."""
        hidden = {}
        for spec in self.kind.fields:
            value = record.get(spec.name)
            if spec.sensitive and isinstance(value, str) and value:
                hidden[spec.name] = value
                self.editors[spec.name].set_value(records.masked(self.kind.name,
                                                                 {spec.name: value})[spec.name])
                for widget in self.editors[spec.name].inputs():
                    widget.setEnabled(False)
        return hidden

    def reveal(self, purpose: str | None = None) -> bool:
        """Show the full values for a stated purpose (asked for when not given)."""
        if purpose is None:
            from PySide6.QtWidgets import QInputDialog

            purpose, ok = QInputDialog.getText(
                self, "查看完整信息", "查看完整的身份证号、电话、地址须说明用途（记入审计）：")
            if not ok:
                return False
        try:
            records.disclose(self.ws, self.kind.name, purpose, [self.record_id or ""])
        except UserError as exc:
            dialogs.show_error(self, exc, "不能查看完整信息")
            return False
        for name, value in self._masked.items():
            self.editors[name].set_value(value)
            for widget in self.editors[name].inputs():
                widget.setEnabled(True)
            self._initial[name] = value
        self._masked = {}
        if self.reveal_button is not None:
            self.reveal_button.hide()
        return True

    def show_history(self) -> None:
        from wushan_desk.gui.audit_view import HistoryDialog

        assert self.record_id is not None
        HistoryDialog(self.ws, self.kind.name, self.record_id, self).exec()

    # -- building --------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget(objectName="formBody")
        column = QVBoxLayout(body)
        column.addWidget(self.general_error)
        sections = SECTIONS.get(self.kind.name, [(self.kind.label, list(self.editors))])
        labels: list[QLabel] = []
        for title, names in sections:
            group = QGroupBox(title)
            form = QFormLayout(group)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for name in names:
                label, field = labelled(self.editors[name])
                labels.append(label)
                form.addRow(label, field)
            column.addWidget(group)
        column.addStretch(1)
        # One label column for all groups, so the fields line up down the whole form.
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setToolTip("保存（Ctrl+S）")
        cancel = self.buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setToolTip("关闭（Esc）")
        self.reveal_button = None
        if self.record_id and any(s.sensitive for s in self.kind.fields):
            self.reveal_button = self.buttons.addButton(
                "显示完整信息…", QDialogButtonBox.ButtonRole.HelpRole)
            self.reveal_button.setAutoDefault(False)
            self.reveal_button.clicked.connect(lambda: self.reveal())
        if not permissions.may(self.ws.user, "write"):
            self.save_button.setEnabled(False)
            self.save_button.setToolTip("只读账号不能修改数据")
        if self.record_id:
            history = self.buttons.addButton("修改记录", QDialogButtonBox.ButtonRole.HelpRole)
            history.setAutoDefault(False)
            history.clicked.connect(self.show_history)
        for button in (self.save_button, cancel):
            button.setAutoDefault(False)  # Enter moves to the next field, never saves by surprise
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        for editor in self.editors.values():
            editor.on_change(self._clear_error_of(editor))
            for widget in editor.inputs():
                widget.installEventFilter(self)

    def _couple_fields(self) -> None:
        """A student's grade list follows the chosen school's type (小学: 一年级-六年级)."""
        school, grade = self.editors.get("school_id"), self.editors.get("grade")
        if self.kind.name != "student" or not isinstance(grade, ChoiceEditor) or school is None:
            return

        def narrow() -> None:
            grades = browse.grades_for(self.ws, school.value())
            grade.set_choices([(g, g) for g in grades])

        narrow()
        school.on_change(narrow)

    def _fit_to_screen(self) -> None:
        """As tall as the content, but never taller than the screen: the body scrolls."""
        screen = self.screen().availableGeometry()
        hint = self.sizeHint()
        width = min(max(hint.width() + 40, 640), screen.width() - 40)
        height = min(hint.height() + 400, screen.height() - 60)
        self.resize(width, height)

    # -- values and errors ------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def is_dirty(self) -> bool:
        return self.values() != self._initial

    def mark_clean(self) -> None:
        """Take the values shown as the saved state (closing will not ask)."""
        self._initial = self.values()

    def _clear_error_of(self, editor: Editor) -> Any:
        return lambda: editor.error.isVisible() and editor.set_error(None)

    def show_errors(self, errors: list[ValidationError]) -> None:
        """Each error beside its field; ones without a field at the top. Focus the first."""
        for editor in self.editors.values():
            editor.set_error(None)
        general = [e.message for e in errors if e.field not in self.editors]
        for error in errors:
            if error.field in self.editors:
                editor = self.editors[error.field]
                # Shown beside the field, so "身份证号：" before the message is redundant.
                editor.set_error(error.message.removeprefix(f"{editor.spec.label}："))
        bad = [e for e in self.editors.values() if e.error.isVisibleTo(self)]
        summary = f"有 {len(bad)} 处需要修改，见下方红色提示。" if bad else ""
        self.general_error.setText("\n".join([summary, *general]).strip())
        self.general_error.setVisible(bool(summary or general))
        if bad:
            bad[0].focus.setFocus(Qt.FocusReason.OtherFocusReason)
            scroll = self.findChild(QScrollArea)
            if scroll:
                scroll.ensureWidgetVisible(bad[0].widget)

    def save(self) -> bool:
        """Validate and write; True if saved (the dialog then closes)."""
        local = [ValidationError(msg, name) for name, e in self.editors.items()
                 if (msg := e.local_error())]
        if local:
            self.show_errors(local)
            return False
        shown = self.values()
        if self.record_id:  # only what the user changed: a field an import changed survives
            record = {k: v for k, v in shown.items() if v != self._initial.get(k)}
            record["id"] = self.record_id
        else:
            record = shown
        try:
            result = records.put(self.ws, self.kind.name, record, seen=self._seen)
        except records.ChangedMeanwhile as exc:
            return self._changed_meanwhile(exc, record)
        except entities.RecordInvalid as exc:
            self.show_errors(exc.errors)
            return False
        except ValidationError as exc:
            self.show_errors([exc])
            return False
        except Exception as exc:  # not the form's fault: the one error dialog
            dialogs.show_error(self, exc, f"{self.kind.label}没有保存")
            return False
        self.record_id = result.id
        self.mark_clean()
        self.saved.emit(result.id)
        self.accept()
        return True

    def _changed_meanwhile(self, exc: records.ChangedMeanwhile,
                           mine: Mapping[str, Any]) -> bool:
        """Show what changed under the user's edit and let them choose."""
        lines = []
        for f in exc.fields:
            if f.field == "deleted":
                lines.append("这条记录已被删除。" if f.now else "这条记录已被恢复。")
            else:
                spec = self.kind.field(f.field)
                lines.append(f"“{f.label}”现在是 {self._shown(spec, f.now)}，"
                             f"你改成了 {self._shown(spec, mine.get(f.field))}。")
        choice = ask_meanwhile(self, exc, lines)
        assert self._seen is not None
        self._seen |= {f.field: f.version for f in exc.fields}
        if choice == MINE:
            return self.save()
        if choice == THEIRS:
            for f in exc.fields:
                if f.field in self.editors:
                    self.editors[f.field].set_value(f.now)
                    self._initial[f.field] = self.editors[f.field].value()
            self.general_error.setText("已采用别处的修改，请核对后再保存。")
            self.general_error.setVisible(True)
        return False

    def _shown(self, spec: entities.FieldSpec, value: Any) -> str:
        """A value as the user knows it: names rather than ids, 是/否, （空）."""
        if value in (None, "", []):
            return "（空）"
        if spec.type == "bool":
            return "是" if value else "否"
        if spec.ref:
            kind = entities.kind(spec.ref)
            names = [str((records.get(self.ws, spec.ref, v) or {}).get(kind.title_field, v))
                     for v in (value if isinstance(value, list) else [value])]
            return "“" + "、".join(names) + "”"
        return "“" + ("、".join(value) if isinstance(value, list) else str(value)) + "”"

    # -- keyboard and closing ------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter moves to the next field (faster data entry than reaching for Tab)."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() and not _completer_open(watched)):
            self.focusNextChild()
            return True
        return super().eventFilter(watched, event)

    def reject(self) -> None:
        if self.is_dirty():
            choice = ask_unsaved(self)
            if choice == KEEP_EDITING or (choice == SAVE and not self.save()):
                return
            if choice == SAVE:
                return  # save() has closed the dialog
        super().reject()

    def closeEvent(self, event: Any) -> None:
        if self.is_dirty():
            event.ignore()
            self.reject()
        else:
            super().closeEvent(event)
