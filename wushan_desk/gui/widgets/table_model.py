"""A read-only table model that fetches its rows a page at a time as the view scrolls.

Never loads a whole table: the view asks `canFetchMore`/`fetchMore` when the user nears
the bottom, and each call runs one small keyset query (a few ms at 60,000 students).
Sorting by a header click only records the order and asks the owner to refresh, since
the database, not the model, does the sorting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from wushan_desk.services.browse import PAGE_SIZE, Key

Index = QModelIndex | QPersistentModelIndex
#: Fetches the page after `key` (None: the first page), at most `limit` rows.
Fetch = Callable[[Key | None, int], Sequence[Any]]


@dataclass(frozen=True)
class Column:
    header: str
    attr: str  # attribute of the row object shown
    sort: str  # sort name passed to the query
    width: int  # default width in characters of the UI font
    align_right: bool = False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


class LazyTableModel(QAbstractTableModel):
    """Rows from `fetch`, page by page; `sortRequested(sort name, descending)`."""

    sortRequested = Signal(str, bool)

    def __init__(self, columns: Sequence[Column], fetch: Fetch, page_size: int = PAGE_SIZE,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.page_size = page_size
        self._fetch = fetch
        self._rows: list[Any] = []
        self._exhausted = False

    # -- loading ---------------------------------------------------------------------

    def reset(self, fetch: Fetch | None = None) -> None:
        """Drop every row and load the first page again (e.g. after a filter change)."""
        self.beginResetModel()
        if fetch is not None:
            self._fetch = fetch
        self._rows = []
        self._exhausted = False
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt API
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt API
        if parent.isValid() or self._exhausted:
            return
        after = self._rows[-1].key if self._rows else None
        page = list(self._fetch(after, self.page_size))
        self._exhausted = len(page) < self.page_size
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    @property
    def complete(self) -> bool:
        """Every row is loaded (the last page came back short)."""
        return self._exhausted

    def row(self, index: int) -> Any:
        return self._rows[index]

    def row_of(self, record_id: str) -> int | None:
        """The loaded row showing `record_id`, if it is loaded."""
        return next((i for i, r in enumerate(self._rows) if r.id == record_id), None)

    # -- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _text(getattr(self._rows[index.row()], column.attr))
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.columns):
            self.sortRequested.emit(self.columns[column].sort,
                                    order == Qt.SortOrder.DescendingOrder)
