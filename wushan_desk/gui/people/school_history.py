"""One school's inspection history and its open findings, for the school's detail view.

`SchoolHistory(ws, school_id)`: the visits newest first (date, kind, status, score,
inspectors, problems) and the findings not yet rectified, overdue ones in red with the
word 逾期. Enter or double-click on a visit emits `openVisit(visit id)`; the embedding
screen decides where the editor opens.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.gui.inspection.parts import RED, TONE_OF, finding_state, qcolor, staff_names
from wushan_desk.services import inspection
from wushan_desk.services.session import Workspace


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class SchoolHistory(QWidget):
    openVisit = Signal(str)

    def __init__(self, ws: Workspace, school_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="schoolHistory")
        self.ws, self.school_id = ws, school_id
        self.visits = _table(["日期", "类型", "状态", "得分", "督学", "问题", "未整改"], 4)
        self.visits.activated.connect(self._open)
        self.findings = _table(["整改期限", "状态", "问题", "程度", "整改要求", "督导日期"], 2)
        self.findings.activated.connect(self._open_finding)
        self.visits_empty = QLabel("该校还没有督导记录。", objectName="hint")
        self.findings_empty = QLabel("该校没有待整改的问题。", objectName="hint")
        self.summary = QLabel(objectName="countLabel")
        visits_box, findings_box = QGroupBox("督导记录"), QGroupBox("待整改问题")
        for box, table, empty in ((visits_box, self.visits, self.visits_empty),
                                  (findings_box, self.findings, self.findings_empty)):
            column = QVBoxLayout(box)
            column.addWidget(empty)
            column.addWidget(table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(findings_box, 2)
        layout.addWidget(visits_box, 3)
        self._visit_ids: list[str] = []
        self._finding_visits: list[str] = []
        self.refresh()

    def refresh(self) -> None:
        today = clock.today()
        names = staff_names(self.ws)
        visits = inspection.list_visits(self.ws, today, school_id=self.school_id)
        self._visit_ids = [v["id"] for v in visits]
        self.visits.setRowCount(len(visits))
        for r, v in enumerate(visits):
            score = (f"{v['total_score']:g}/{v['max_score']:g}"
                     if v["status"] == rules.FINAL and v["total_score"] is not None else "")
            cells = (v["date"], v["kind"], v["status"], score,
                     "、".join(names.get(i, "") for i in v["inspector_ids"]),
                     str(v["findings"]), str(v["open_findings"]))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setForeground(qcolor(TONE_OF[v["status"]]))
                self.visits.setItem(r, c, item)
        findings = inspection.open_findings(self.ws, today, school_id=self.school_id)
        self._finding_visits = [f["visit_id"] for f in findings]
        self.findings.setRowCount(len(findings))
        overdue = 0
        for r, f in enumerate(findings):
            state, tone = finding_state(f, today)
            overdue += f["overdue"]
            cells = (f["deadline"], state, f["description"], f["severity"], f["requirement"],
                     f["visit_date"])
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1 or f["overdue"]:
                    item.setForeground(qcolor(tone if c == 1 else RED))
                self.findings.setItem(r, c, item)
        for table, empty, rows in ((self.visits, self.visits_empty, visits),
                                   (self.findings, self.findings_empty, findings)):
            table.setVisible(bool(rows))
            empty.setVisible(not rows)
        term = rules.term_of(today)
        this_term = sum(1 for v in visits if v["term"] == term and v["kind"] == "经常性")
        late = f"，其中 {overdue} 个逾期" if overdue else ""
        self.summary.setText(
            f"本学期经常性督导 {this_term} 次；待整改问题 {len(findings)} 个{late}")

    def _open(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self._visit_ids):
            self.openVisit.emit(self._visit_ids[index.row()])

    def _open_finding(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self._finding_visits):
            self.openVisit.emit(self._finding_visits[index.row()])
