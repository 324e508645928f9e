"""What the 同步 page shows: this device and its peers, and the package history.

"对方已收到截至" is the receipt the other side sent back: everything up to then has
arrived, so a lost stick after that costs nothing. A device sees one peer (its hub); the
hub sees a row per enrolled device.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui.sync.table import Table, table_item
from wushan_desk.services import workspace as workspace_service
from wushan_desk.services.session import Workspace
from wushan_desk.services.sync_view import (
    PeerRow,
    ledger_rows,
    my_centre,
    my_fingerprint,
    peer_rows,
)

PENDING_TIP = "本机有、对方还没有确认收到的修改条数；下次导出会带上它们"


class LedgerView(QWidget):
    """同步记录: every package written or imported, newest first, sortable."""

    HEADERS: ClassVar = ["时间", "方向", "对方", "类型", "修改数", "附件数", "状态", "文件"]

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.count = QLabel(objectName="countLabel")
        self.table = Table(self.HEADERS, [8, 3, 9, 4, 4, 4, 9, 30],
                           empty="还没有同步记录。导出或导入同步包后，会在这里逐条列出。")
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.remember_columns("sync/ledger_header")  # newest first, unless changed
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("每一个导出和导入的同步包。点列标题可以排序。", objectName="hint"), 1)
        top.addWidget(self.count)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        rows = ledger_rows(self.ws)
        items = []
        for r in rows:
            file = table_item(r.file)
            file.setToolTip(f"{r.file}\n包编号：{r.package_id}")
            items.append([table_item(r.time), table_item(r.direction), table_item(r.peer),
                          table_item(r.kind), table_item(str(r.changes), number=True),
                          table_item(str(r.files), number=True),
                          table_item(r.status, "ok" if "对方已收到" in r.status else "plain"),
                          file])
        self.table.fill(items)
        self.count.setText(f"共 {len(rows):,} 条")


def _pending_text(p: PeerRow) -> str:
    return "全部（对方曾回退）" if p.resend_all else f"{p.pending:,} 条"


def _form(box: QGroupBox, names: list[tuple[str, str]]) -> dict[str, QLabel]:
    form = QFormLayout(box)
    labels = {}
    for key, text in names:
        labels[key] = QLabel(wordWrap=True)
        labels[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(f"{text}：", labels[key])
    return labels


class DeviceStatus(QWidget):
    """A centre device: itself, and what the county hub has received from it."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        me, hub = QGroupBox("本机"), QGroupBox("县教委中心库")
        self.me = _form(me, [("name", "设备名称"), ("centre", "督导中心"), ("fp", "本机指纹")])
        self.hub = _form(hub, [("name", "名称"), ("acked", "对方已收到截至"),
                               ("pending", "待发送的修改"), ("export", "上次导出"),
                               ("import", "上次导入")])
        self.hub["pending"].setToolTip(PENDING_TIP)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(me, 1)
        row.addWidget(hub, 1)

    def refresh(self) -> None:
        info = workspace_service.info(self.ws)
        self.me["name"].setText(info.name)
        self.me["centre"].setText(my_centre(self.ws) or "—")
        self.me["fp"].setText(my_fingerprint(self.ws))
        peers = peer_rows(self.ws)
        p: PeerRow | None = peers[0] if peers else None
        self.hub["name"].setText(p.name if p else "—")
        self.hub["acked"].setText(p.acked if p else "—")
        self.hub["pending"].setText(_pending_text(p) if p else "—")
        self.hub["pending"].setToolTip(f"{p.state}\n{PENDING_TIP}" if p else PENDING_TIP)
        self.hub["export"].setText(p.last_export if p else "—")
        self.hub["import"].setText(p.last_import if p else "—")

    def acked_text(self) -> str:
        return self.hub["acked"].text()


class HubStatus(QWidget):
    """The hub: itself, and one row per enrolled device with its receipt."""

    HEADERS: ClassVar = ["设备", "督导中心", "对方已收到截至", "待发送", "上次导出", "上次导入"]

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.rows: list[PeerRow] = []
        self.me = QLabel(objectName="pageIntro", wordWrap=True)
        self.me.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(objectName="notice", wordWrap=True)
        self.table = Table(self.HEADERS, [10, 10, 9, 4, 9, 9], min_rows=2,
                           empty="还没有登记任何设备。点 登记设备… 选择督导中心交来的入网申请。")
        self.table.horizontalHeaderItem(3).setToolTip(PENDING_TIP + "（未按设备范围筛选，是上限）")
        self.buttons = QHBoxLayout()  # the page puts its device actions here
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.me)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.buttons)

    def refresh(self, conflicts: int) -> None:
        info = workspace_service.info(self.ws)
        self.me.setText(f"本机：{info.name}（县级中心库）　指纹：{my_fingerprint(self.ws)}")
        self.notice.setText(f"ⓘ 有 {conflicts} 处冲突待处理，请到“冲突”页核对。")
        self.notice.setVisible(conflicts > 0)
        selected = self.selected()
        self.rows = peer_rows(self.ws)
        items = []
        for index, r in enumerate(self.rows):
            row: list[Any] = [table_item(r.name), table_item(r.centre), table_item(r.acked),
                              table_item("全部", "warn") if r.resend_all
                              else table_item(str(r.pending), number=True),
                              table_item(r.last_export), table_item(r.last_import)]
            row[0].setData(Qt.ItemDataRole.UserRole, index)
            for item in row:
                item.setToolTip(r.state)
            items.append(row)
        self.table.fill(items)
        for r in range(self.table.rowCount()):
            if selected and self._row_at(r).device_id == selected.device_id:
                self.table.selectRow(r)

    def _row_at(self, row: int) -> PeerRow:
        return self.rows[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]

    def selected(self) -> PeerRow | None:
        row = self.table.currentRow()
        return self._row_at(row) if 0 <= row < self.table.rowCount() else None
