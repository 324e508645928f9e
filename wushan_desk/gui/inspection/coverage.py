"""覆盖情况: schools with fewer than two routine (经常性) visits in a term, grouped by
township or by 责任督学, so a centre sees at once whose schools still need a visit.

Reads services.inspection.coverage; double-click (or Enter) on a school starts a new
visit of it (`openSchool(school id)`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.gui.inspection.parts import AMBER, RED, qcolor, term_label
from wushan_desk.gui.people.page import fill_combo
from wushan_desk.services import browse, inspection, records
from wushan_desk.services.session import Workspace

MINIMUM = 2  # 责任督学挂牌督导办法: at least two visits per school per term
NO_INSPECTOR = "（未安排督学）"


class CoverageView(QWidget):
    openSchool = Signal(str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.zone = browse.working_zone(ws)
        self.term = QComboBox(objectName="coverageTerm", toolTip="选择学期")
        self.by_township = QRadioButton("按乡镇", checked=True)
        self.by_inspector = QRadioButton("按督学")
        group = QButtonGroup(self)
        group.addButton(self.by_township)
        group.addButton(self.by_inspector)
        self.summary = QLabel(objectName="countLabel", wordWrap=True)
        self.tree = QTreeWidget(objectName="coverageTree")
        self.tree.setHeaderLabels(["学校", "乡镇", "本学期督导", "责任督学", "情况"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._activated)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = QLabel(objectName="emptyState", wordWrap=True, visible=False)
        top = QHBoxLayout()
        top.addWidget(QLabel("学期"))
        top.addWidget(self.term)
        top.addWidget(self.by_township)
        top.addWidget(self.by_inspector)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(QLabel("每所学校每学期至少两次经常性督导（专项督导和复查不计）。双击学校可直接新建督导。",
                                objectName="hint", wordWrap=True))
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        self._fill_terms()
        self.term.currentIndexChanged.connect(lambda _i: self.refresh())
        self.by_township.toggled.connect(lambda _on: self.refresh())

    def _fill_terms(self) -> None:
        current = rules.term_of(clock.today())
        terms = {v["term"] for v in records.iter_records(self.ws, "visit") if v.get("term")}
        terms.add(current)
        fill_combo(self.term, "", [(term_label(t), t) for t in sorted(terms, reverse=True)],
                   keep=self.term.currentData() or current)
        self.term.removeItem(0)  # a term is always chosen: there is no "all terms" coverage
        self.term.setCurrentIndex(max(self.term.findData(self.term.currentData() or current), 0))

    def refresh(self) -> None:
        term = self.term.currentData() or rules.term_of(clock.today())
        rows = inspection.coverage(self.ws, term, minimum=MINIMUM, zone=self.zone)
        total = len(browse.schools_in(self.ws)) if self.zone is None else None
        groups: dict[str, list[Any]] = {}
        for row in rows:
            keys = [row.township or "（未填乡镇）"] if self.by_township.isChecked() else (
                [n for n in row.inspectors if n] or [NO_INSPECTOR])
            for key in keys:
                groups.setdefault(key, []).append(row)
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for key in sorted(groups):
            schools = groups[key]
            parent = QTreeWidgetItem([f"{key}（{len(schools)} 所不足两次）"])
            parent.setFont(0, bold)
            parent.setFirstColumnSpanned(True)
            self.tree.addTopLevelItem(parent)
            for row in schools:
                state = "未督导" if row.visits == 0 else "不足两次"
                item = QTreeWidgetItem([row.school, row.township, f"{row.visits} 次",
                                        "、".join(n for n in row.inspectors if n) or "—", state])
                item.setData(0, Qt.ItemDataRole.UserRole, row.school_id)
                item.setForeground(4, qcolor(RED if row.visits == 0 else AMBER))
                item.setToolTip(0, "双击新建对该校的督导")
                parent.addChild(item)
            parent.setExpanded(True)
        where = f"，共 {total:,} 所学校" if total is not None else ""
        self.summary.setText(f"{term_label(term)}{where}：{len(rows):,} 所不足两次")
        self.empty.setText(f"{term_label(term)}每所学校都已督导两次以上。")
        self.empty.setVisible(not rows)
        self.tree.setVisible(bool(rows))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        school_id = item.data(0, Qt.ItemDataRole.UserRole)
        if school_id:
            self.openSchool.emit(school_id)
