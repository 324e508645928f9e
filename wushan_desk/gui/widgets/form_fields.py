"""One input widget per FieldSpec type, with the field's error shown beside it.

An editor gives its value in the form `records.put` expects (text, ISO date, bool, list,
record id) and marks itself invalid with red text *and* a red border (ui-guide: never
colour alone; the message says what is wrong and how to fix it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain.entities import FieldSpec
from wushan_desk.gui.widgets.small import set_style_property
from wushan_desk.services import browse, records
from wushan_desk.services.session import Workspace

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def normalize_date(text: str) -> str:
    """Accept the ways people type dates (2014/9/1, 2014.9.1, 20140901, 2014年9月1日)
    and give ISO 2014-09-01; anything else is returned as typed for validation to judge."""
    text = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{8}", text):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Switch the stylesheet's red border (`[invalid="true"]`) on or off."""
    set_style_property(widget, "invalid", invalid)


class Editor:
    """Base: `widget` goes in the form, `focus` receives focus and the red border."""

    widget: QWidget
    focus: QWidget

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.error = QLabel(objectName="fieldError", wordWrap=True, visible=False)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def on_change(self, callback: Callable[[], None]) -> None:
        raise NotImplementedError

    def local_error(self) -> str | None:
        """A problem found before saving (text that matches no list entry)."""
        return None

    def inputs(self) -> list[QWidget]:
        """The widgets that take key presses (for Enter-moves-on)."""
        widget = self.focus
        if isinstance(widget, QComboBox) and widget.isEditable() and widget.lineEdit():
            return [widget, widget.lineEdit()]
        return [widget]

    def set_error(self, message: str | None) -> None:
        self.error.setText(f"▲ {message}" if message else "")
        self.error.setVisible(bool(message))
        set_invalid(self.focus, bool(message))


class TextEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec)
        self.widget = self.focus = self.edit = QLineEdit()
        self.edit.setMaxLength(spec.max_length + 20)  # let validation say "too long" in words
        if spec.type == "date":
            self.edit.setPlaceholderText("例如 2014-09-01")
            self.edit.editingFinished.connect(self._tidy_date)
        elif spec.type == "int":
            self.edit.setValidator(QIntValidator(0, 2**31 - 1, self.edit))
        elif spec.type == "text":  # a name the print fonts cannot draw: say so at once
            self.edit.editingFinished.connect(self._warn_unprintable)

    def _warn_unprintable(self) -> None:
        """A warning under the field (not an error: the record saves), from a table of
        the fonts' characters: no font is loaded on the GUI thread."""
        from wushan_desk.services import glyphs

        message = glyphs.warning(self.edit.text())
        if message or self.error.text().startswith("▲ 打印字体缺少此字"):
            self.error.setText(f"▲ {message}" if message else "")
            self.error.setVisible(bool(message))

    def _tidy_date(self) -> None:
        tidy = normalize_date(self.edit.text())
        if tidy != self.edit.text():
            self.edit.setText(tidy)

    def value(self) -> Any:
        text = self.edit.text().strip()
        if self.spec.type == "date":
            return normalize_date(text)
        if self.spec.type == "int":
            return int(text) if text else None
        if self.spec.type == "number" and text:
            try:
                return float(unicodedata.normalize("NFKC", text).replace(",", ""))
            except ValueError:
                return text  # validation says what is wrong with it
        return text or (None if self.spec.type == "number" else text)

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.edit.textChanged.connect(lambda _t: callback())


class BoolEditor(Editor):
    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec)
        self.widget = self.focus = self.box = QCheckBox("是")

    def value(self) -> bool:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.box.toggled.connect(lambda _c: callback())


class ChoiceEditor(Editor):
    """A drop-down of fixed choices, or of records (id in the item data)."""

    def __init__(self, spec: FieldSpec, choices: Sequence[tuple[str, Any]] = (),
                 searchable: bool = False) -> None:
        super().__init__(spec)
        self.widget = self.focus = self.combo = QComboBox()
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        if searchable:  # long lists (schools): type part of a name to narrow the list
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            completer = QCompleter(self.combo.model(), self.combo)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            self.combo.setCompleter(completer)
            self.combo.lineEdit().setPlaceholderText("输入名称中的字查找")
        self.set_choices(choices or [(c, c) for c in spec.choices])

    def set_choices(self, choices: Sequence[tuple[str, Any]]) -> None:
        """Replace the entries, keeping the current value if it is still offered."""
        keep = self.value()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("（请选择）" if self.spec.required else "（不填）", None)
        for text, data in choices:
            self.combo.addItem(text, data)
        self.combo.blockSignals(False)
        self.set_value(keep)

    def value(self) -> Any:
        if self.combo.isEditable():
            index = self.combo.findText(self.combo.currentText().strip())
            return self.combo.itemData(index) if index > 0 else None
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        if index < 0 and self.spec.type == "choice":
            # A stored code no longer offered: show it rather than lose it silently.
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        # A reference to a record no longer listed (deleted) asks for a new choice.
        self.combo.setCurrentIndex(max(index, 0))

    def local_error(self) -> str | None:
        text = self.combo.currentText().strip()
        if self.combo.isEditable() and text and self.combo.findText(text) < 0:
            return f"没有名为“{text}”的{self.spec.label}，请从列表中选择"
        return None

    def on_change(self, callback: Callable[[], None]) -> None:
        self.combo.currentIndexChanged.connect(lambda _i: callback())
        if self.combo.isEditable():
            self.combo.editTextChanged.connect(lambda _t: callback())


class SchoolEditor(ChoiceEditor):
    """A school: a township drop-down narrows the (searchable) school drop-down."""

    def __init__(self, spec: FieldSpec, ws: Workspace) -> None:
        self.ws = ws
        self._narrowing = False
        super().__init__(spec, [(c.name, c.id) for c in browse.schools_in(ws)], searchable=True)
        self.township = QComboBox(toolTip="先选乡镇，学校列表只显示该乡镇的学校")
        self.township.addItem("全部乡镇", None)
        for choice in browse.townships(ws):
            self.township.addItem(choice.name, choice.id)
        self.township.currentIndexChanged.connect(self._narrow)
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.township)
        row.addWidget(self.combo, 1)

    def _narrow(self, _index: int) -> None:
        self._narrowing = True  # keep the chosen school only if it is in this township
        try:
            schools = browse.schools_in(self.ws, self.township.currentData())
            self.set_choices([(c.name, c.id) for c in schools])
        finally:
            self._narrowing = False

    def set_value(self, value: Any) -> None:
        township_combo = getattr(self, "township", None)  # None while constructing
        if value is not None and township_combo is not None and not self._narrowing:
            township = browse.township_of_school(self.ws, value)
            if township and township_combo.currentData() != township:
                township_combo.blockSignals(True)
                township_combo.setCurrentIndex(max(township_combo.findData(township), 0))
                township_combo.blockSignals(False)
                self._narrow(0)
        super().set_value(value)

    def inputs(self) -> list[QWidget]:
        return [self.township, *super().inputs()]


class ListEditor(Editor):
    """Several choices at once (特殊群体): a grid of check boxes."""

    COLUMNS = 4

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(spec)
        self.widget = self.focus = QFrame(objectName="checkGroup")
        grid = QGridLayout(self.widget)
        grid.setContentsMargins(4, 4, 4, 4)
        self.boxes = {c: QCheckBox(c) for c in spec.choices}
        for i, box in enumerate(self.boxes.values()):
            grid.addWidget(box, i // self.COLUMNS, i % self.COLUMNS)

    def value(self) -> list[str]:
        return [c for c, box in self.boxes.items() if box.isChecked()]

    def set_value(self, value: Any) -> None:
        for choice, box in self.boxes.items():
            box.setChecked(choice in (value or []))

    def inputs(self) -> list[QWidget]:
        return list(self.boxes.values())

    def on_change(self, callback: Callable[[], None]) -> None:
        for box in self.boxes.values():
            box.toggled.connect(lambda _c: callback())


def make_editor(spec: FieldSpec, ws: Workspace) -> Editor:
    if spec.type == "bool":
        return BoolEditor(spec)
    if spec.type == "list":
        return ListEditor(spec)
    if spec.type == "choice":
        return ChoiceEditor(spec)
    if spec.type == "ref" and spec.ref == "school":
        return SchoolEditor(spec, ws)
    if spec.type == "ref" and spec.ref == "aid_programme":  # one per school year: say which
        choices = [(f"{p['school_year']}学年 {p['name']}", p["id"])
                   for p in records.iter_records(ws, "aid_programme")]
        return ChoiceEditor(spec, sorted(choices, reverse=True))
    if spec.type == "ref" and spec.ref in browse.CHOOSABLE:
        choices = [(c.name, c.id) for c in browse.ref_choices(ws, spec.ref)]
        return ChoiceEditor(spec, choices, searchable=len(choices) > 30)
    # References to large kinds (visits, answers) are edited in their own screens; the
    # generic form shows the id as text.
    return TextEditor(spec)


def labelled(editor: Editor) -> tuple[QLabel, QWidget]:
    """The form row: a label (required fields marked *) and the widget with its error."""
    mark = '<span style="color:#b3261e">*</span>' if editor.spec.required else ""
    label = QLabel(f"{mark}{editor.spec.label}")
    label.setBuddy(editor.focus)
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(editor.widget)
    column.addWidget(editor.error)
    return label, box
