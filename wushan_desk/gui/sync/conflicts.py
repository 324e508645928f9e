"""冲突: the hub's review of fields edited on two sides at once.

The engine has already picked a winner (当前采用) so that every party holds the same
data; this screen lets a person look at both values, who wrote them and when, and keep
one. A resolution is itself a change that syncs back to the devices, so it is confirmed
first. Sensitive values are masked in the list and shown in full in the detail below,
where the supervisor decides.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import entities
from wushan_desk.gui.sync.table import Table, table_item
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import browse, records, sync
from wushan_desk.services.session import Workspace

HEADERS = ["记录", "字段", "本机值", "本机修改", "对方值", "对方修改", "当前采用"]
EMPTY = "没有待处理的冲突。两台电脑修改了同一项时，会在这里列出，由您决定保留哪个值。"


def display(ws: Workspace, kind_name: str, field: str, value: Any) -> str:
    """A stored value in words: names instead of ids, 是/否, lists joined."""
    if field == "deleted":
        return "已删除" if value else "未删除"
    if value is None or value == "" or value == []:
        return "（空）"
    spec = entities.kind(kind_name).field(field)
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type == "ref" and spec.ref:
        target = records.get(ws, spec.ref, str(value), deleted=True) or {}
        return str(target.get(entities.kind(spec.ref).title_field) or value)
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def masked(kind_name: str, field: str, text: str) -> str:
    """The list's form of a sensitive value (the rule lives in services.browse)."""
    return text if text == "（空）" else browse.mask_field(kind_name, field, text)


class ConflictsView(QWidget):
    """Open conflicts, a detail of the selected one, 保留本机 / 采用对方."""

    resolved = Signal()

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.items: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(QLabel(
            "两边改了同一项：已暂用较新的值（当前采用），另一个值存在这里。请核对后决定，"
            "结果会同步给各设备。", wordWrap=True, objectName="hint"))
        self.table = Table(HEADERS, [8, 6, 8, 15, 8, 15, 5], min_rows=2, empty=EMPTY)
        self.table.itemSelectionChanged.connect(self._show_detail)
        split = QSplitter(Qt.Orientation.Vertical, childrenCollapsible=False)
        split.addWidget(self.table)
        split.addWidget(self._detail_box())
        split.setStretchFactor(0, 1)
        layout.addWidget(split, 1)

    def _detail_box(self) -> QGroupBox:
        self.box = box = QGroupBox("详情")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.detail: dict[str, QLabel] = {}
        for key, label in (("old", "原来的值"), ("local", "本机的值"), ("incoming", "对方的值")):
            self.detail[key] = QLabel(wordWrap=True)
            self.detail[key].setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{label}：", self.detail[key])
        self.keep_local = QPushButton("保留本机(&L)", objectName="keepLocal",
                                      toolTip="以本机的值为准（Alt+L）")
        self.keep_incoming = QPushButton("采用对方(&O)", objectName="keepIncoming",
                                         toolTip="改用对方的值（Alt+O）")
        self.keep_local.clicked.connect(lambda: self.resolve_current("local"))
        self.keep_incoming.clicked.connect(lambda: self.resolve_current("incoming"))
        buttons = QVBoxLayout()
        buttons.addWidget(self.keep_local)
        buttons.addWidget(self.keep_incoming)
        buttons.addStretch(1)
        row = QHBoxLayout(box)
        row.addLayout(form, 1)
        row.addLayout(buttons)
        return box

    def refresh(self) -> None:
        selected = self.current()
        self.items = sync.conflicts(self.ws)
        self.table.fill([self._row(i, c) for i, c in enumerate(self.items)])
        row = next((r for r in range(self.table.rowCount())
                    if selected and self._conflict_at(r)["id"] == selected["id"]), 0)
        if self.items:
            self.table.selectRow(row)
        self._show_detail()

    def count(self) -> int:
        return len(self.items)

    def _row(self, index: int, c: dict[str, Any]) -> list[Any]:
        local = masked(c["kind"], c["field"], display(self.ws, c["kind"], c["field"], c["local"]))
        incoming = masked(c["kind"], c["field"],
                          display(self.ws, c["kind"], c["field"], c["incoming"]))
        texts = [f"{c['kind_label']} {c['record']}", c["field_label"], local,
                 f"{c['local_by']} {c['local_at']}", incoming,
                 f"{c['incoming_by']} {c['incoming_at']}",
                 "本机" if c["winner"] == "local" else "对方"]
        items = [table_item(t) for t in texts]
        items[0].setData(Qt.ItemDataRole.UserRole, index)
        return items

    def _conflict_at(self, row: int) -> dict[str, Any]:
        return self.items[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]

    def current(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        return self._conflict_at(row) if 0 <= row < self.table.rowCount() else None

    def _show_detail(self) -> None:
        c = self.current()
        for button in (self.keep_local, self.keep_incoming):
            button.setEnabled(c is not None)
        if c is None:
            self.box.setTitle("详情")
            for label in self.detail.values():
                label.setText("—")
            return
        def shown(value: Any) -> str:
            return display(self.ws, c["kind"], c["field"], value)

        chosen = {"local": "", "incoming": ""}
        chosen[c["winner"]] = "（当前采用）"
        self.box.setTitle(f"详情：{c['kind_label']}“{c['record']}”的“{c['field_label']}”")
        original = shown(c["original"]) if c["original_known"] else "（本机没有记录）"
        self.detail["old"].setText(original)
        for side in ("local", "incoming"):
            self.detail[side].setText(f"{shown(c[side])}{chosen[side]}　—　"
                                      f"{c[side + '_by']}，{c[side + '_at']}")

    def resolve_current(self, keep: str) -> None:
        c = self.current()
        if c is None:
            return
        value = display(self.ws, c["kind"], c["field"], c[keep])
        verb = "保留本机" if keep == "local" else "采用对方"
        what = f"{c['kind_label']}“{c['record']}”的“{c['field_label']}”"
        if not dialogs.confirm(
                self, verb, f"把{what}定为“{value}”？", verb,
                "这个决定会作为一次新的修改，在下次导出时同步给相关的督导中心设备。"):
            return
        sync.resolve(self.ws, c["id"], keep)  # one small transaction: fine on the GUI thread
        self.refresh()
        self.resolved.emit()
