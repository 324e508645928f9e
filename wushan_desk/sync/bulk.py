"""New rows in bulk: a first sync is mostly rows the receiver does not hold yet.

Each is judged like any other entry; then, instead of one write per row, consecutive new
rows of one table wait in a `CreationBatch` and are written with two `executemany` calls
(store/changes.insert_incoming). Order is kept: the batch is written before any entry
that takes the ordinary path, and before an entry of another table, so the change log
holds the package's entries in the package's order. While rows wait, the judge's lookups
see them (a re-check names an earlier visit of the same batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wushan_desk.domain import inspection as rules
from wushan_desk.store import changes
from wushan_desk.store.changes import Change, NewRow
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync.judge import Judge
from wushan_desk.sync.merge import MergeStats, merge_change, merge_snapshot
from wushan_desk.sync.payload import Snapshot

#: Rows held back at most (memory, and how much one flush writes at once).
BATCH_ROWS = 5000


def batchable(entry: Change | Snapshot) -> bool:
    """Could this entry create a whole new row (if the row turns out to be absent)?
    Changes to inspection records are judged against their siblings in the database (a
    finalize counts the signatures): they always take the ordinary path."""
    if isinstance(entry, Snapshot):
        return True
    kind = changes.table_kind(entry.table)
    return (entry.op == "upsert" and not entry.base and kind.name not in rules.VISIT_PARTS
            and set(kind.field_names) <= set(entry.data))


@dataclass
class CreationBatch:
    """New rows of one table waiting to be written together."""

    ws: Workspace
    source: str
    package_id: str
    stats: MergeStats
    judge: Judge  # its `staged` is the judge's view of the waiting rows
    table: str | None = None
    entries: dict[str, Change | Snapshot] = field(default_factory=dict)

    def holds(self, table: str, row_id: str) -> bool:
        return table == self.table and row_id in self.entries

    def add(self, entry: Change | Snapshot) -> None:
        if self.table not in (None, entry.table) or len(self.entries) >= BATCH_ROWS:
            self.flush()
        self.table = entry.table
        self.entries[entry.row_id] = entry
        values = _values(entry)
        if not values.pop("deleted", False):
            self.judge.staged[(entry.table, entry.row_id)] = values

    def flush(self) -> None:
        """Write every waiting row (any already in the log goes the ordinary way)."""
        if not self.entries or self.table is None:
            return
        table, entries = self.table, self.entries
        self.table, self.entries = None, {}
        self.judge.staged.clear()
        self.judge.written(table, entries)
        logged = changes.logged_rows(self.ws, table, entries)
        rows = [_new_row(e) for row_id, e in entries.items() if row_id not in logged]
        changes.insert_incoming(self.ws, table, rows, self.source)
        for _ in rows:
            self.stats.count(table, "added")
        for row_id in logged:
            entry = entries[row_id]
            if isinstance(entry, Snapshot):
                merge_snapshot(self.ws, entry, self.source, self.stats, self.package_id)
            else:
                merge_change(self.ws, entry, self.source, self.package_id, self.stats)


def _values(entry: Change | Snapshot) -> dict[str, Any]:
    if isinstance(entry, Change):
        return dict(entry.data)
    return {f: v for f, (v, _) in entry.fields.items()}


def _new_row(entry: Change | Snapshot) -> NewRow:
    if isinstance(entry, Change):
        fields = {f: (v, entry.stamp) for f, v in entry.data.items()}
        return NewRow(entry.row_id, entry.device, entry.stamp, fields, [entry])
    return NewRow(entry.row_id, entry.origin, entry.created, entry.fields, entry.as_changes())
