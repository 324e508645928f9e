"""Small helpers shared by pages and dialogs: plain read-only tables, dates, save buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a property app.qss styles by (`[invalid="true"]`, `[level="pass"]` ...) and
    let the style see it: Qt does not restyle a widget when a property changes."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def make_table(headers: tuple[str, ...] | list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def date_of(edit: QDateEdit) -> dt.date:
    value = edit.date()
    return dt.date(value.year(), value.month(), value.day())


def save_buttons(dialog: QDialog, save: Callable[[], object]) -> QDialogButtonBox:
    """保存 and 取消 for a form; Ctrl+Enter saves from any field (typing top to bottom,
    the hands stay on the keyboard)."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(save)
    buttons.rejected.connect(dialog.reject)
    QShortcut(QKeySequence("Ctrl+Return"), dialog, activated=save)
    return buttons
