"""The small read-only tables of the 同步 screens (packages, devices, conflicts, history).

They hold a few hundred rows at most, so a QTableWidget with Qt's own sorting is enough;
what they need beyond it is to follow the text size: widths are given in characters and
rescaled, rows re-fitted, when the user switches 标准 / 大 / 特大.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
)

from wushan_desk.gui import appearance

#: Text colours that carry meaning together with words (ui-guide: never colour alone).
TONES = {"bad": "#b3261e", "warn": "#8a5a00", "ok": "#1e7b34"}


def table_item(text: str, tone: str = "plain", number: bool = False) -> QTableWidgetItem:
    """A cell; numbers sort as numbers and sit on the right."""
    item = QTableWidgetItem()
    if number:
        item.setData(Qt.ItemDataRole.DisplayRole, int(text))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item.setText(text)
        item.setToolTip(text)
    if tone in TONES:
        item.setForeground(QColor(TONES[tone]))
    return item


class Table(QTableWidget):
    """Rows selected whole, never edited, sortable; widths in characters of the font."""

    def __init__(self, headers: list[str], chars: list[int], min_rows: int = 3,
                 empty: str = "") -> None:
        super().__init__(0, len(headers))
        self.chars, self.min_rows = chars, min_rows
        # What to do when there is nothing to list (ui-guide: empty states say so).
        self.empty = QLabel(empty, self.viewport(), objectName="emptyState", wordWrap=True)
        self.empty.hide()
        self.setHorizontalHeaderLabels(headers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab goes on to the buttons; arrows move in rows
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        self._char = self._char_width()
        for i, n in enumerate(chars):
            header.resizeSection(i, n * self._char + 16)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # Qt's default is descending
        self._fit_rows()

    def _char_width(self) -> int:
        return max(self.fontMetrics().horizontalAdvance("中"), 1)

    def _fit_rows(self) -> None:
        """Row height from the font, and never so short that no row shows."""
        row = self.fontMetrics().height() + 12
        self.verticalHeader().setDefaultSectionSize(row)
        header = self.horizontalHeader().sizeHint().height()
        self.setMinimumHeight(header + row * self.min_rows + 2 * self.frameWidth() + 4)

    def changeEvent(self, event: Any) -> None:
        if event.type() == event.Type.FontChange and hasattr(self, "_char"):
            old, self._char = self._char, self._char_width()
            header = self.horizontalHeader()
            for i in range(header.count()):
                header.resizeSection(i, round(header.sectionSize(i) * self._char / old))
            self._fit_rows()
        super().changeEvent(event)

    def fill(self, rows: list[list[QTableWidgetItem]]) -> None:
        """Replace every row (sorting is paused so rows are not shuffled while filling)."""
        self.setSortingEnabled(False)
        self.setRowCount(len(rows))
        for r, items in enumerate(rows):
            for c, item in enumerate(items):
                self.setItem(r, c, item)
        self.setSortingEnabled(True)
        self.empty.setVisible(not rows and bool(self.empty.text()))
        self._place_empty()

    def _place_empty(self) -> None:
        self.empty.setGeometry(20, 16, max(self.viewport().width() - 40, 200),
                               max(self.viewport().height() - 32, 60))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_empty()

    def remember_columns(self, key: str) -> None:
        """Restore the widths the user left last time, and keep remembering them."""
        header = self.horizontalHeader()
        saved = appearance.settings().value(key)
        if isinstance(saved, QByteArray | bytes):
            header.restoreState(QByteArray(saved))
        header.sectionResized.connect(
            lambda *_a: appearance.settings().setValue(key, header.saveState()))
