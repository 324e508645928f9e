"""修改记录 of one record, and the audit trail (filter, read, export to XLSX)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.services import audit
from wushan_desk.services.session import Workspace


def _table(headers: list[str], rows: list[list[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class HistoryDialog(QDialog):
    """Every change of one record: when, who, on which computer, which fields."""

    def __init__(self, ws: Workspace, kind_name: str, record_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("修改记录")
        self.resize(760, 420)
        rows = [[clock.minutes(_stamp_time(e["stamp"])), e["author"] or "（未记录）",
                 e["device_id"][:8] + ("（同步收到）" if e["received"] else ""),
                 "删除" if e["op"] == "delete" else "修改",
                 "已清除（移出责任区）" if e["purged"] else "；".join(
                     f"{label}：{old or '（空）'} → {new or '（空）'}"
                     for label, old, new in e["changes"])]
                for e in reversed(audit.history(ws, kind_name, record_id))]
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"共 {len(rows)} 次修改，最新的在上面。", objectName="hint"))
        self.table = _table(["时间", "修改人", "设备", "操作", "改动（原值 → 新值）"], rows)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _stamp_time(stamp: str) -> str:
    """The wall time in an HLC stamp (milliseconds), as an ISO moment."""
    import datetime as dt

    try:
        ms = int(stamp.split("-")[0])
        return dt.datetime.fromtimestamp(ms / 1000, clock.county_zone()).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


class AuditDialog(QDialog):
    """The audit trail with filters; 导出 writes what is shown to an XLSX file."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("审计记录")
        self.resize(980, 560)
        self.action = QComboBox()
        self.action.addItem("全部操作", None)
        for code, label in audit.ACTIONS.items():
            self.action.addItem(label, code)
        self.user = QLineEdit(placeholderText="用户名")
        self.since = QLineEdit(placeholderText="起始日期 YYYY-MM-DD")
        search = QPushButton("查询")
        export = QPushButton("导出 Excel…")
        bar = QHBoxLayout()
        for widget in (QLabel("操作："), self.action, QLabel("用户："), self.user,
                       QLabel("自："), self.since, search, export):
            bar.addWidget(widget)
        self.count = QLabel("", objectName="hint")
        self.table = _table(list(self.HEADERS), [])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)
        search.clicked.connect(self.refresh)
        export.clicked.connect(self.export)
        self.user.returnPressed.connect(self.refresh)
        self.refresh()

    HEADERS = ("时间", "用户", "角色", "操作", "对象", "说明", "设备")

    def filters(self) -> dict[str, str | None]:
        return {"action": self.action.currentData(), "login": self.user.text().strip() or None,
                "since": self.since.text().strip() or None}

    def refresh(self) -> None:
        found = audit.entries(self.ws, **self.filters())
        rows = [[clock.minutes(e.at), e.login or "—", e.role_label, e.action_label,
                 e.object_label, e.detail_text, e.device_id[:8]] for e in found]
        self.table.setRowCount(0)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.count.setText(f"共 {len(rows)} 条（最多显示 1000 条，最新的在上面）")

    def export(self, target: Path | None = None) -> Path | None:
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "导出审计记录", "审计记录.xlsx",
                                                  "Excel 文件 (*.xlsx)")
            if not name:
                return None
            target = Path(name)
        audit.export_xlsx(self.ws, target, **self.filters())
        return target
