"""The common shape of every list screen (ui-guide, "Lists").

A search box on top that filters as you type (debounced), filters beside it, the count
of rows ("共 1,234 条"), sortable columns whose widths are remembered, Enter or
double-click opens a record, and a right-click menu with the toolbar's actions.
Subclasses say which query to run and which filters to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui import appearance
from wushan_desk.gui.widgets.background import reader_for
from wushan_desk.gui.widgets.table_model import Column, LazyTableModel
from wushan_desk.services.session import Workspace

SEARCH_DELAY_MS = 250


def make_action(parent: QWidget, text: str, shortcut: QKeySequence | str | None = None,
                tip: str = "") -> QAction:
    """An action whose tooltip shows its shortcut (ui-guide: shortcuts in tooltips)."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text}（{keys}）")
    elif tip:
        action.setToolTip(tip)
    parent.addAction(action)
    return action


class ListPanel(QWidget):
    """Search box + filters + count + table + actions, for one kind of record."""

    noun = "记录"  # 学生, 学校: used in the count and empty-state texts
    ws: Workspace  # set by lists that count in the background
    settings_key = "list"
    stretch_last = True  # False when the last column holds numbers
    default_descending = False  # the first column's order until the user picks one

    def __init__(self, columns: Sequence[Column], search_hint: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.order_by, self.descending = columns[0].sort, self.default_descending
        self.search = QLineEdit(placeholderText=search_hint, clearButtonEnabled=True)
        self.search.setObjectName("searchBox")
        self.search.setMinimumWidth(200)
        self.count_label = QLabel(objectName="countLabel")
        self._counting = 0  # the latest count asked for; older answers are dropped
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        self.model = LazyTableModel(columns, self.fetch_page, parent=self)
        self.model.sortRequested.connect(self._on_sort)
        self.table = self._make_table()
        self.empty_label = QLabel(self.table.viewport(), objectName="emptyState",
                                  wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self._make_actions()
        self.filters = QHBoxLayout()
        self._layout()

    # -- building --------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.activated.connect(lambda index: self.open_row(index.row()))  # Enter, double-click
        header = table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(self.stretch_last)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return table

    def _make_actions(self) -> None:
        self.act_open = make_action(self, "打开", None, "打开选中的记录（Enter 或双击）")
        self.act_new = make_action(self, "新建", QKeySequence.StandardKey.New)
        self.act_delete = make_action(self, "删除", QKeySequence.StandardKey.Delete)
        self.act_refresh = make_action(self, "刷新", QKeySequence.StandardKey.Refresh)
        self.act_find = make_action(self, "查找", QKeySequence.StandardKey.Find)
        self.act_open.triggered.connect(lambda: self.open_row(self.current_row()))
        self.act_new.triggered.connect(self.new_record)
        self.act_delete.triggered.connect(self._delete_current)
        self.act_refresh.triggered.connect(self.refresh)
        self.act_find.triggered.connect(self.focus_search)
        # Delete only when the table has focus: in the search box it deletes characters.
        self.act_delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.addAction(self.act_delete)
        self.removeAction(self.act_delete)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addLayout(self.filters)
        top.addWidget(self.count_label)
        top.addStretch(0)
        for action in (self.act_new, self.act_open, self.act_delete):
            button = QToolButton(defaultAction=action, objectName="listButton")
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def hide_action(self, action: QAction) -> None:
        """Take an action of the toolbar out (a list with no such thing: a read-only
        list has no 新建 or 删除)."""
        action.setEnabled(False)
        action.setVisible(False)
        for button in self.findChildren(QToolButton):
            if button.defaultAction() is action:
                button.hide()

    def restore_header(self) -> None:
        """Column widths, order and sort from last time, else defaults; then load."""
        header = self.table.horizontalHeader()
        self._char = self._char_width()
        for i, column in enumerate(self.model.columns):
            header.resizeSection(i, column.width * self._char + 16)
        store = appearance.settings()
        saved = store.value(f"{self.settings_key}/header")
        restored = isinstance(saved, QByteArray | bytes) and header.restoreState(QByteArray(saved))
        if not restored:
            header.setSortIndicator(0, Qt.SortOrder.DescendingOrder if self.default_descending
                                    else Qt.SortOrder.AscendingOrder)
        else:  # widths were saved at some text size: scale them to the current one
            self._scale_columns(int(store.value(f"{self.settings_key}/char", self._char)))
        header.sectionResized.connect(self._save_header)
        header.sectionMoved.connect(self._save_header)
        header.sortIndicatorChanged.connect(self._save_header)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fit_rows()
        # Enabling sorting sorts by the indicator, which asks us to refresh: the first load.
        self.table.setSortingEnabled(True)

    def _char_width(self) -> int:
        return max(self.table.fontMetrics().horizontalAdvance("中"), 1)

    def _scale_columns(self, old_char: int) -> None:
        """Keep each column as many characters wide when the text size changes."""
        if old_char <= 0 or old_char == self._char:
            return
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        for i in range(header.count()):
            header.resizeSection(i, round(header.sectionSize(i) * self._char / old_char))
        header.blockSignals(False)
        self._save_header()

    def _save_header(self, *_args: Any) -> None:
        store = appearance.settings()
        store.setValue(f"{self.settings_key}/header", self.table.horizontalHeader().saveState())
        store.setValue(f"{self.settings_key}/char", self._char)

    def _fit_rows(self) -> None:
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)

    def changeEvent(self, event: Any) -> None:
        if event.type() == event.Type.FontChange and hasattr(self, "_char"):
            old, self._char = self._char, self._char_width()
            self._scale_columns(old)
            self._fit_rows()
        super().changeEvent(event)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_empty_label()

    # -- what subclasses provide ---------------------------------------------------------

    def fetch_page(self, after: Any, limit: int) -> Sequence[Any]:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def count_job(self) -> Callable[[Workspace], int] | None:
        """The count as a job for the background reader (lists of many thousand rows,
        where counting a search could take longer than a keystroke); None: `count()`
        runs here, for small lists."""
        return None

    def filtered(self) -> bool:
        """True if a search text or filter narrows the list (for the empty-state text)."""
        return bool(self.search.text().strip())

    def empty_text(self) -> str:
        if self.filtered():
            return f"没有找到符合条件的{self.noun}。请换个关键字，或把筛选改回“全部”。"
        return f"还没有{self.noun}信息，点击 新建 添加。"

    def open_record(self, record_id: str) -> None:
        raise NotImplementedError

    def new_record(self) -> None:
        raise NotImplementedError

    def delete_record(self, row: Any) -> None:
        raise NotImplementedError

    # -- behaviour -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload from the first page and re-count (search, filter, sort, F5).

        The first page is one small keyset query; a count that could be slow runs on
        the background reader, and the label says "共 … 条" until it arrives.
        """
        self._debounce.stop()
        job = self.count_job()
        total = self.count() if job is None else None  # small lists load in count()
        self.model.reset(self.fetch_page)
        has_rows = self.model.rowCount() > 0
        self.empty_label.setText(self.empty_text())
        self.empty_label.setVisible(not has_rows)
        self._place_empty_label()
        self.act_open.setEnabled(has_rows)
        self.act_delete.setEnabled(has_rows)
        self._counting += 1
        if total is not None:
            self._show_count(total)
        elif self.model.complete:  # everything is on screen already: no need to count
            self._show_count(self.model.rowCount())
        else:
            self.count_label.setText("共 … 条")
            asked = self._counting
            reader_for(self.ws).submit(job, lambda total: self._counted(total, asked), owner=self)

    def _counted(self, total: int, asked: int) -> None:
        if asked == self._counting:  # a newer search has not replaced this one
            self._show_count(total)

    def _show_count(self, total: int) -> None:
        self.count_label.setText(f"共 {total:,} 条")

    @property
    def counted(self) -> bool:
        """The count label shows the count of what is listed now."""
        return "…" not in self.count_label.text()

    def reload_keeping(self, record_id: str | None) -> None:
        """Refresh, then select `record_id` again if it is on the first pages."""
        self.refresh()
        row = self.model.row_of(record_id) if record_id else None
        if row is not None:
            self.table.selectRow(row)

    def _search_now(self) -> None:
        """Enter in the search box: search at once and go to the first row, so that
        name, Enter, Enter opens a student without touching the mouse."""
        if self._debounce.isActive():
            self.refresh()
        if self.model.rowCount():
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.table.selectRow(0)

    def _on_sort(self, order_by: str, descending: bool) -> None:
        self.order_by, self.descending = order_by, descending
        self.refresh()

    def _place_empty_label(self) -> None:
        viewport = self.table.viewport()
        self.empty_label.setGeometry(20, 20, max(viewport.width() - 40, 100), 80)

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.open_record(self.model.row(row).id)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _delete_current(self) -> None:
        row = self.current_row()
        if 0 <= row < self.model.rowCount():
            self.delete_record(self.model.row(row))

    def context_actions(self) -> list[QAction]:
        return [self.act_open, self.act_new, self.act_delete, self.act_refresh]

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
        menu = QMenu(self)
        for action in self.context_actions():
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        self.act_open.setEnabled(index.isValid())
        self.act_delete.setEnabled(index.isValid())
        menu.exec(self.table.viewport().mapToGlobal(pos))
        self.act_open.setEnabled(self.model.rowCount() > 0)
        self.act_delete.setEnabled(self.model.rowCount() > 0)
