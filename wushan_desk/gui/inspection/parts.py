"""Pieces of the 督导检查 screens: colours with meaning, the key-driven answer chooser,
one checklist row, one follow-up (复查) row, and small lookups the screens share.

Kept apart from visit_editor.py so the editor reads as the page it is. Nothing here
writes to the workspace: rows emit `changed`, and the editor saves (autosave).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import inspection as rules
from wushan_desk.gui.widgets.small import set_style_property
from wushan_desk.services import records
from wushan_desk.services.session import Workspace

# -- colours: always together with a text (ui-guide: never colour alone) -----------------

RED, GREEN, AMBER, GREY = "#b3261e", "#1e7b34", "#8a5a00", "#4a5766"
BACKGROUNDS = {RED: "#fdecea", GREEN: "#e6f4ea", AMBER: "#fff4dc"}
OVERDUE, CLOSED = "逾期", "已销号"

#: The tone of each answer or status word, shared by rows, lists and the history.
TONE_OF = {
    rules.YES: GREEN, rules.NO: RED, rules.NOT_APPLICABLE: GREY,
    "好": GREEN, "中": AMBER, "差": RED,
    rules.FIXED: GREEN, rules.PARTLY: AMBER, rules.NOT_FIXED: RED, rules.OPEN: AMBER,
    rules.FINAL: GREEN, rules.DRAFT: AMBER, OVERDUE: RED, CLOSED: GREEN,
}


def qcolor(tone: str | None) -> QColor | None:
    return QColor(tone) if tone else None


def set_tone(label: QLabel, tone: str | None, bold: bool = True) -> None:
    weight = "font-weight:bold;" if bold and tone else ""
    label.setStyleSheet(f"color:{tone};{weight}" if tone else "")


def mark_locked(widget: QWidget, locked: bool) -> None:
    """Give a read-only field the locked look (app.qss: [locked="true"], grey): a
    finalized record's fields should not look as if typing in them would work."""
    if widget.property("locked") != locked:
        set_style_property(widget, "locked", locked)


def term_label(term: str, short: bool = False) -> str:
    """“2026-2027学年第一学期” as people say it: “2026年秋季学期” (short: “2026秋季”)."""
    first, _last = rules.term_range(term)
    season = "秋季" if first.month == 9 else "春季"
    return f"{first.year}{season}" if short else f"{first.year}年{season}学期"


def score_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def inspector_choices(ws: Workspace) -> list[tuple[str, str]]:
    """(name, id) of every 责任督学, by name: the people who can do a visit."""
    people = [(s["name"], s["id"]) for s in records.iter_records(ws, "staff")
              if s.get("role") == "责任督学"]
    return sorted(people)


def staff_names(ws: Workspace) -> dict[str, str]:
    return {s["id"]: s["name"] for s in records.iter_records(ws, "staff", deleted=True)}


def finding_state(finding: Mapping[str, Any], today: dt.date) -> tuple[str, str]:
    """(text, tone) of a finding for lists: 逾期 beats the stored status."""
    status = finding.get("status") or rules.OPEN
    if status == rules.FIXED:
        closed = finding.get("closed_on") or ""
        return f"{CLOSED} {closed}".strip(), GREEN
    if rules.is_overdue(finding, today):
        return OVERDUE, RED
    return status, TONE_OF.get(status, AMBER)



# -- the key-driven chooser ------------------------------------------------------------

_KEY_CHOICE_QSS = """
QFrame#keyChoice { border: 1px solid #b8c2cc; border-radius: 3px; background: white; }
QFrame#keyChoice:focus { border: 2px solid #1f5fa8; }
QFrame#keyChoice QToolButton { border: none; padding: 2px 5px; color: #1d2733; }
QFrame#keyChoice QToolButton:checked { font-weight: bold; }
QFrame#keyChoice[locked="true"] { border-color: #d5dbe3; background: #eef1f5; }
QFrame#keyChoice[locked="true"] QToolButton { background: transparent; }
""" + "".join(
    f'QFrame#keyChoice QToolButton[tone="{tone}"]:checked {{ color: {tone}; '
    f"background: {BACKGROUNDS.get(tone, '#e9edf2')}; }}\n"
    for tone in (RED, GREEN, AMBER, GREY))

YES_NO_KEYS = {Qt.Key.Key_Y: rules.YES, Qt.Key.Key_1: rules.YES, Qt.Key.Key_N: rules.NO,
               Qt.Key.Key_2: rules.NO, Qt.Key.Key_Space: rules.NOT_APPLICABLE,
               Qt.Key.Key_3: rules.NOT_APPLICABLE}
NUMBER_KEYS = (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4)


def number_keys(options: Sequence[str]) -> dict[Qt.Key, str]:
    return dict(zip(NUMBER_KEYS, options, strict=False))



def lay_out_row(row: QWidget, texts: tuple[QWidget, ...], controls: tuple[QWidget, ...]) -> None:
    """A checklist row: its texts stacked on the left, its controls in a line on the right."""
    text = QVBoxLayout()
    text.setSpacing(0)
    for label in texts:
        text.addWidget(label)
    line = QHBoxLayout(row)
    line.setContentsMargins(6, 3, 6, 3)
    line.addLayout(text, 1)
    for widget in controls:
        line.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)

class KeyChoice(QFrame):
    """A row of toggle buttons answered by keys (Y/N/空格, 1/2/3); Delete clears.

    One focus stop per item: the buttons themselves never take focus, so Tab goes
    from item to note to the next item, and a key press answers at once.
    """

    changed = Signal()

    def __init__(self, options: Sequence[str], keys: Mapping[Qt.Key, str], tip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="keyChoice")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet(_KEY_CHOICE_QSS)
        self.setToolTip(tip)
        self.keys = dict(keys)
        self._value: str | None = None
        self._read_only = False
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 1, 2, 1)
        row.setSpacing(1)
        self.buttons: dict[str, QToolButton] = {}
        for option in options:
            button = QToolButton(text=option, checkable=True, toolTip=tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setProperty("tone", TONE_OF.get(option, GREY))
            button.clicked.connect(lambda _c=False, o=option: self._clicked(o))
            self.buttons[option] = button
            row.addWidget(button)

    def value(self) -> str | None:
        return self._value

    def set_value(self, value: str | None, *, emit: bool = False) -> None:
        self._value = value if value in self.buttons else None
        for option, button in self.buttons.items():
            button.setChecked(option == self._value)
        if emit:
            self.changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for button in self.buttons.values():
            button.setEnabled(not read_only or button.isChecked())
        mark_locked(self, read_only)

    def _clicked(self, option: str) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._read_only:
            self.set_value(self._value)
            return
        self.set_value(None if option == self._value else option, emit=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if not self._read_only and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            if key in self.keys:
                self.set_value(self.keys[key], emit=True)
                return
            if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.set_value(None, emit=True)
                return
        super().keyPressEvent(event)


class ScoreSpin(QDoubleSpinBox):
    """0..max in steps of 0.5; below 0 shows “未评” (no answer yet)."""

    UNSET = -0.5

    def __init__(self, top: float) -> None:
        super().__init__()
        self.setDecimals(1)
        self.setRange(self.UNSET, top)
        self.setSingleStep(0.5)
        self.setSpecialValueText("未评")
        self.setValue(self.UNSET)
        self.setToolTip(f"输入得分，0 到 {top:g} 分；↑↓ 每次 0.5 分")

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"  # 8 rather than 8.0: as people write scores on paper

    def answer(self) -> str | None:
        return None if self.value() < 0 else f"{self.value():g}"

    def set_answer(self, value: str | None) -> None:
        try:
            self.setValue(float(value) if value not in (None, "") else self.UNSET)
        except ValueError:
            self.setValue(self.UNSET)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # a digit typed over “未评” replaces it: appended to it, the key would be lost
        text = event.text()
        if self.value() < 0 and len(text) == 1 and text in "0123456789.":
            self.lineEdit().selectAll()
        super().keyPressEvent(event)


# -- one checklist item ----------------------------------------------------------------


class Widths:
    """Column widths of the rows, in characters of the current font (text size)."""

    def __init__(self, char: int) -> None:
        self.answer, self.score, self.note, self.photos = 12 * char, 4 * char, 12 * char, 4 * char


class AnswerRow(QFrame):
    """Content, points, method and deduction rule; the answer; points earned; evidence
    note; photos. `changed(row)` on every edit; the editor saves it (debounced)."""

    changed = Signal(object)
    photosRequested = Signal(object)

    def __init__(self, item: dict[str, Any], number: int, widths: Widths,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="answerRow")
        self.item = item
        self.kind = item["item_kind"]
        self.answer_id: str | None = None
        self.photo_ids: list[str] = []
        top = float(item.get("max_score") or 0)
        points = f"（{top:g}分）" if rules.is_scored(item) else ""
        self.number = rules.item_number(item, number)
        self.content = QLabel(f"{self.number}. {item['content']}{points}", wordWrap=True)
        extra = [item.get("method") or "", self.kind]
        if item.get("deduction_rule"):
            extra.append(f"扣分标准：{item['deduction_rule']}")
        self.detail = QLabel("　".join(e for e in extra if e), wordWrap=True,
                             objectName="hint")
        self.error = QLabel(objectName="fieldError", wordWrap=True, visible=False)
        self.input = self._make_input(top)
        self.score = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.note = QLineEdit(placeholderText="佐证说明", toolTip="看到的情况、查阅的材料")
        self.note.textChanged.connect(lambda _t: self._edited())
        self.photos = QToolButton(text="照片", toolTip="添加或查看照片")
        self.photos.clicked.connect(lambda: self.photosRequested.emit(self))
        if self.kind != rules.PHOTO:  # photo items need them: others keep Tab short
            self.photos.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        lay_out_row(self, (self.content, self.detail, self.error),
                    (self.input, self.score, self.note, self.photos))
        self.apply_widths(widths)

    def _make_input(self, top: float) -> QWidget:
        kind = self.kind
        if kind == rules.YES_NO:
            widget: QWidget = KeyChoice((rules.YES, rules.NO, rules.NOT_APPLICABLE),
                                        YES_NO_KEYS, "Y 或 1 符合，N 或 2 不符合，空格或 3 不适用，"
                                        "Delete 清除")
        elif kind == rules.RATING:
            widget = KeyChoice(rules.RATINGS, number_keys(rules.RATINGS),
                               "1 好，2 中，3 差，Delete 清除")
        elif kind == rules.CHOICE and len(self.item.get("choices") or []) <= 4:
            options = self.item["choices"]
            hint = "，".join(f"{i} {o}" for i, o in enumerate(options, start=1))
            widget = KeyChoice(options, number_keys(options), f"{hint}，Delete 清除")
        elif kind == rules.CHOICE:
            widget = QComboBox()
            widget.addItem("（未选）", None)
            for option in self.item["choices"]:
                widget.addItem(option, option)
            widget.currentIndexChanged.connect(lambda _i: self._edited())
            return widget
        elif kind == rules.SCORE:
            widget = ScoreSpin(top)
            widget.valueChanged.connect(lambda _v: self._edited())
            return widget
        elif kind == rules.PHOTO:
            return QLabel("须拍照，点“照片”添加", objectName="hint", wordWrap=True)
        else:
            widget = QLineEdit(placeholderText="数值" if kind == rules.NUMBER else "填写情况")
            if kind == rules.NUMBER:
                widget.setValidator(QRegularExpressionValidator(
                    QRegularExpression(r"-?\d{0,9}(\.\d{0,3})?"), widget))
            widget.textChanged.connect(lambda _t: self._edited())
            return widget
        widget.changed.connect(self._edited)
        return widget

    def apply_widths(self, widths: Widths) -> None:
        self.input.setFixedWidth(widths.answer)
        self.score.setFixedWidth(widths.score)
        self.note.setFixedWidth(widths.note)
        self.photos.setMinimumWidth(widths.photos)

    # -- values --------------------------------------------------------------------------

    def value(self) -> str | None:
        widget = self.input
        if isinstance(widget, KeyChoice):
            return widget.value()
        if isinstance(widget, ScoreSpin):
            return widget.answer()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QLineEdit):
            return widget.text().strip() or None
        return f"照片{len(self.photo_ids)}张" if self.photo_ids else None

    def note_text(self) -> str | None:
        return self.note.text().strip() or None

    def local_answer(self) -> dict[str, Any]:
        """The answer as shown, scored like the service will (for live totals)."""
        value = self.value()
        try:
            score = rules.score_answer(self.item, value)
        except ValueError:
            score = None
        return {"value": value, "score": score}

    def set_answer(self, answer: Mapping[str, Any] | None) -> None:
        """Show a stored answer without emitting `changed` (it is not an edit)."""
        answer = answer or {}
        self.answer_id = answer.get("id")
        self.photo_ids = list(answer.get("photo_ids") or [])
        self.blockSignals(True)
        widget, value = self.input, answer.get("value")
        for w in (widget, self.note):
            w.blockSignals(True)
        if isinstance(widget, KeyChoice):
            widget.set_value(value)
        elif isinstance(widget, ScoreSpin):
            widget.set_answer(value)
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(widget.findData(value), 0))
        elif isinstance(widget, QLineEdit):
            widget.setText(value or "")
        self.note.setText(answer.get("note") or "")
        for w in (widget, self.note):
            w.blockSignals(False)
        self.blockSignals(False)
        self.show_score()

    def show_score(self) -> None:
        got = self.local_answer()["score"]
        self.score.setText(f"{got:g}分" if got is not None else "")
        self.photos.setText(f"照片 {len(self.photo_ids)}" if self.photo_ids else "照片")

    def _edited(self) -> None:
        self.show_score()
        self.changed.emit(self)

    def set_read_only(self, read_only: bool) -> None:
        widget = self.input
        if isinstance(widget, KeyChoice):
            widget.set_read_only(read_only)
        elif isinstance(widget, ScoreSpin):
            widget.setReadOnly(read_only)
            widget.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons if read_only
                                    else QDoubleSpinBox.ButtonSymbols.UpDownArrows)
        elif isinstance(widget, QComboBox):
            widget.setEnabled(not read_only)
        elif isinstance(widget, QLineEdit):
            widget.setReadOnly(read_only)
        self.note.setReadOnly(read_only)
        for field in (widget, self.note):
            mark_locked(field, read_only)

    def set_error(self, message: str | None) -> None:
        self.error.setText(f"▲ 没有保存：{message}" if message else "")
        self.error.setVisible(bool(message))

    def focus_target(self) -> QWidget:
        return self.photos if self.kind == rules.PHOTO else self.input

    def inputs(self) -> list[QWidget]:
        """Widgets whose Enter moves on to the next item."""
        return [self.input, self.note, self.photos]


# -- one finding re-checked in a 复查 ------------------------------------------------------

CHECK_KEYS = number_keys(rules.CHECK_RESULTS)


class CheckRow(QFrame):
    """An original finding: what, requirement, deadline, state; the re-check result
    (1 已整改, 2 部分整改, 3 未整改), evidence note and photos."""

    changed = Signal(object)
    photosRequested = Signal(object)

    def __init__(self, finding: dict[str, Any], number: int, widths: Widths,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="answerRow")
        self.finding = finding
        self.check_id: str | None = None
        self.photo_ids: list[str] = []
        self.content = QLabel(f"{number}. {finding['description']}（{finding['severity']}）",
                              wordWrap=True)
        self.detail = QLabel(f"整改要求：{finding['requirement']}　期限：{finding['deadline']}"
                             + (f"　责任人：{finding['responsible']}"
                                if finding.get("responsible") else ""),
                             wordWrap=True, objectName="hint")
        self.state = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.error = QLabel(objectName="fieldError", wordWrap=True, visible=False)
        self.input = KeyChoice(rules.CHECK_RESULTS, CHECK_KEYS,
                               "1 已整改（销号），2 部分整改，3 未整改，Delete 清除")
        self.input.changed.connect(lambda: self.changed.emit(self))
        self.note = QLineEdit(placeholderText="复查佐证说明")
        self.note.textChanged.connect(lambda _t: self.changed.emit(self))
        self.photos = QToolButton(text="照片", toolTip="添加或查看照片")
        self.photos.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.photos.clicked.connect(lambda: self.photosRequested.emit(self))
        lay_out_row(self, (self.content, self.detail, self.error),
                    (self.input, self.state, self.note, self.photos))
        self.apply_widths(widths)

    def apply_widths(self, widths: Widths) -> None:
        self.input.setFixedWidth(round(widths.answer * 1.4))
        self.state.setFixedWidth(round(widths.score * 2))
        self.note.setFixedWidth(widths.note)
        self.photos.setMinimumWidth(widths.photos)

    def value(self) -> str | None:
        return self.input.value()

    def note_text(self) -> str | None:
        return self.note.text().strip() or None

    def set_check(self, check: Mapping[str, Any] | None, finding: Mapping[str, Any],
                  today: dt.date) -> None:
        """Show this visit's stored check (if any) and the finding's current state."""
        check = check or {}
        self.finding = dict(finding)
        self.check_id = check.get("id")
        self.photo_ids = list(check.get("photo_ids") or [])
        for w in (self.input, self.note):
            w.blockSignals(True)
        self.input.set_value(check.get("result"))
        self.note.setText(check.get("note") or "")
        for w in (self.input, self.note):
            w.blockSignals(False)
        text, tone = finding_state(finding, today)
        self.state.setText(text.replace(" ", "\n"))
        set_tone(self.state, tone)
        self.photos.setText(f"照片 {len(self.photo_ids)}" if self.photo_ids else "照片")

    def set_read_only(self, read_only: bool) -> None:
        self.input.set_read_only(read_only)
        self.note.setReadOnly(read_only)
        mark_locked(self.note, read_only)

    def set_error(self, message: str | None) -> None:
        self.error.setText(f"▲ 没有保存：{message}" if message else "")
        self.error.setVisible(bool(message))

    def focus_target(self) -> QWidget:
        return self.input

    def inputs(self) -> list[QWidget]:
        return [self.input, self.note, self.photos]
