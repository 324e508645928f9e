"""Typing into widgets from tests, Chinese included."""

from __future__ import annotations

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def enter_text(qtbot, widget: QWidget, text: str) -> None:
    """ASCII as key presses, Chinese as an input method commits it (QTest cannot press
    keys for characters that are not on the keyboard)."""
    widget.setFocus()
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:
            event = QInputMethodEvent()
            event.setCommitString(char)
            QApplication.sendEvent(widget, event)
