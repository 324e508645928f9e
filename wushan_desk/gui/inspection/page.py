"""督导检查: the page the main window shows. Tabs 督导记录 (the visits), 整改跟踪 (open
findings, overdue first, with 复查), 覆盖情况 (schools visited fewer than twice this
term) and 检查表 (the checklists). A visit opens as a full page over the tabs; Esc
goes back (its answers are saved as they are typed).

The lists reuse ListPanel (search, filters, count, sortable remembered columns, Enter
opens, right-click menu). They hold a few thousand rows at most (a county's visits),
so they are read whole, filtered and sorted in memory, and paged into the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.gui import appearance
from wushan_desk.gui.inspection.coverage import CoverageView
from wushan_desk.gui.inspection.dialogs import VisitStartDialog
from wushan_desk.gui.inspection.editor import VisitEditor
from wushan_desk.gui.inspection.parts import (
    BACKGROUNDS,
    OVERDUE,
    RED,
    TONE_OF,
    finding_state,
    inspector_choices,
    qcolor,
    staff_names,
    term_label,
)
from wushan_desk.gui.inspection.templates import TemplateManager
from wushan_desk.gui.people.page import fill_combo
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.list_panel import ListPanel
from wushan_desk.gui.widgets.table_model import Column, LazyTableModel
from wushan_desk.services import browse, inspection, records
from wushan_desk.services.session import Workspace

Index = QModelIndex | QPersistentModelIndex


class ToneModel(LazyTableModel):
    """Rows carry `tones` (attr -> colour) and `overdue`: red rows, green 已定稿."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            return qcolor(self.row(index.row()).tones.get(self.columns[index.column()].attr))
        if index.isValid() and role == Qt.ItemDataRole.BackgroundRole \
                and self.row(index.row()).overdue:
            return QColor(BACKGROUNDS[RED])
        return super().data(index, role)


def searchable_combo(name: str, tip: str) -> QComboBox:
    """A long list (schools) that narrows as you type part of a name."""
    combo = QComboBox(objectName=name, toolTip=tip, editable=True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    combo.setMinimumContentsLength(16)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return combo


class MemoryList(ListPanel):
    """A ListPanel over rows read whole (`load`), filtered and sorted here."""

    def __init__(self, columns: Sequence[Column], hint: str, parent: QWidget | None = None) -> None:
        super().__init__(columns, hint, parent)
        self.model = ToneModel(columns, self.fetch_page, parent=self)
        self.model.sortRequested.connect(self._on_sort)
        self.table.setModel(self.model)
        self._rows: list[Any] = []
        self.today = clock.today()

    def load(self) -> list[Any]:
        raise NotImplementedError

    def count(self) -> int:
        self.today = clock.today()
        attr = self.order_by
        filled, empty = [], []
        for row in self.load():
            (empty if getattr(row, attr) in (None, "") else filled).append(row)
        filled.sort(key=lambda r: getattr(r, attr), reverse=self.descending)
        # Blanks (no score, no deadline) go last whichever way the column is sorted.
        self._rows = [replace(r, key=i) for i, r in enumerate(filled + empty)]
        return len(self._rows)

    def fetch_page(self, after: Any, limit: int) -> Sequence[Any]:
        start = 0 if after is None else after + 1
        return self._rows[start:start + limit]

    def filters_below(self) -> None:
        """Five filters beside the search box overflow 1366 px at 特大: give them a row
        of their own under it (ListPanel puts them in its top row)."""
        outer = self.layout()
        top = outer.itemAt(0).layout()
        top.removeItem(self.filters)
        self.filters.setParent(None)
        row = QHBoxLayout()
        row.addLayout(self.filters)
        row.addStretch(1)
        outer.insertLayout(1, row)

    def matches(self, *texts: str) -> bool:
        needle = self.search.text().strip()
        return not needle or any(needle in (t or "") for t in texts)


# -- 督导记录 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    id: str
    date: str
    school: str
    township: str
    kind: str
    inspectors: str
    status: str
    score: str
    score_value: float | None
    findings: int
    open_findings: int
    deadline: str
    term: str
    overdue: bool
    tones: dict[str, str] = field(default_factory=dict, compare=False)
    key: int = 0


VISIT_COLUMNS = (
    Column("日期", "date", "date", 6),
    Column("学校", "school", "school", 15),
    Column("乡镇", "township", "township", 6),
    Column("类型", "kind", "kind", 4),
    Column("督学", "inspectors", "inspectors", 8),
    Column("状态", "status", "status", 4),
    Column("得分", "score", "score_value", 5, align_right=True),
    Column("问题数", "findings", "findings", 4, align_right=True),
    Column("未整改", "open_findings", "open_findings", 4, align_right=True),
    Column("最早期限", "deadline", "deadline", 8),
)


class VisitList(MemoryList):
    noun = "督导记录"
    settings_key = "visits"
    stretch_last = False
    openVisit = Signal(str)
    newVisit = Signal()

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(VISIT_COLUMNS, "搜索学校、乡镇或督学（Ctrl+F）", parent)
        self.ws = ws
        self.zone = browse.working_zone(ws)
        self.school = searchable_combo("schoolFilter", "按学校筛选（可输入校名查找）")
        self.inspector = QComboBox(objectName="inspectorFilter", toolTip="按督学筛选")
        self.status = QComboBox(objectName="statusFilter", toolTip="按状态筛选")
        self.term = QComboBox(objectName="termFilter", toolTip="按学期筛选")
        self.overdue = QCheckBox("只看逾期", objectName="overdueFilter",
                                 toolTip="只看有问题超过整改期限未整改的督导记录")
        self.act_new.setText("新建督导")
        self.act_new.setToolTip("新建督导（Ctrl+N）")
        # (Lengths count Latin letters: a Chinese character is about two.)
        for combo, chars in ((self.inspector, 9), (self.status, 9), (self.term, 9)):
            combo.setMinimumContentsLength(chars)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for widget in (self.school, self.inspector, self.status, self.term, self.overdue):
            self.filters.addWidget(widget)
        self.filters_below()
        self.fill_filters()
        for combo in (self.school, self.inspector, self.status, self.term):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue.toggled.connect(lambda _on: self.refresh())

    def fill_filters(self) -> None:
        fill_combo(self.school, "全部学校", [(c.name, c.id) for c in browse.schools_in(self.ws)],
                   keep=self.school.currentData())
        fill_combo(self.inspector, "全部督学", inspector_choices(self.ws),
                   keep=self.inspector.currentData())
        fill_combo(self.status, "全部状态", [(s, s) for s in rules.VISIT_STATUSES],
                   keep=self.status.currentData())
        terms = {v["term"] for v in records.iter_records(self.ws, "visit") if v.get("term")}
        terms.add(rules.term_of(clock.today()))
        fill_combo(self.term, "全部学期",
                   [(term_label(t, short=True), t) for t in sorted(terms, reverse=True)],
                   keep=self.term.currentData())
        for i in range(1, self.term.count()):
            self.term.setItemData(i, term_label(self.term.itemData(i)),
                                  Qt.ItemDataRole.ToolTipRole)

    def restore_header(self) -> None:
        first_time = appearance.settings().value(f"{self.settings_key}/header") is None
        super().restore_header()
        if first_time:  # newest first, until the user sorts otherwise (then remembered)
            self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)

    def load(self) -> list[VisitRow]:
        names = staff_names(self.ws)
        out = []
        for v in inspection.list_visits(
                self.ws, self.today, school_id=self.school.currentData(),
                inspector_id=self.inspector.currentData(), status=self.status.currentData(),
                term=self.term.currentData(), overdue_only=self.overdue.isChecked(),
                zone=self.zone):
            deadline, overdue = v["earliest_deadline"], v["overdue"]
            people = "、".join(names.get(i, "") for i in v["inspector_ids"])
            if not self.matches(v["school"], v["township"], people):
                continue
            done = v["status"] == rules.FINAL
            tones = {"status": TONE_OF[v["status"]]}
            if overdue:
                tones |= {"deadline": RED, "open_findings": RED, "school": RED, "date": RED}
            score = (f"{v['total_score']:g}/{v['max_score']:g}"
                     if done and v["total_score"] is not None else "")
            out.append(VisitRow(
                id=v["id"], date=v["date"], school=v["school"], township=v["township"] or "",
                kind=v["kind"], inspectors=people, status=v["status"], score=score,
                score_value=v["total_score"] if done else None, findings=v["findings"],
                open_findings=v["open_findings"],
                deadline=f"{deadline}　{OVERDUE}" if overdue else deadline or "",
                term=v["term"] or "", overdue=overdue, tones=tones))
        return out

    def filtered(self) -> bool:
        return super().filtered() or self.overdue.isChecked() or any(
            c.currentData() is not None for c in (self.school, self.inspector, self.status,
                                                   self.term))

    def empty_text(self) -> str:
        if self.filtered():
            return "没有符合条件的督导记录。请换个关键字，或把筛选改回“全部”。"
        return "还没有督导记录，点击 新建督导（Ctrl+N）开始。"

    def open_record(self, record_id: str) -> None:
        self.openVisit.emit(record_id)

    def new_record(self) -> None:
        self.newVisit.emit()

    def delete_record(self, row: VisitRow) -> None:
        if row.status == rules.FINAL:
            dialogs.inform(self, "不能删除",
                           "已定稿的督导记录不能删除；如有错误，请打开后点“更正”。")
            return
        if dialogs.confirm(self, "删除督导记录",
                           f"删除 {row.date} {row.school} 的督导记录（草稿）？", "删除",
                           "删除后该记录不再出现在列表中，这次删除会同步到县教委。"):
            records.delete(self.ws, "visit", row.id)
            self.refresh()


# -- 整改跟踪 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingRow:
    id: str
    visit_id: str
    deadline: str
    state: str
    school: str
    description: str
    severity: str
    requirement: str
    responsible: str
    visit_date: str
    overdue: bool
    tones: dict[str, str] = field(default_factory=dict, compare=False)
    key: int = 0


FINDING_COLUMNS = (
    Column("整改期限", "deadline", "deadline", 6),
    Column("状态", "state", "state", 4),
    Column("学校", "school", "school", 11),
    Column("问题", "description", "description", 16),
    Column("程度", "severity", "severity", 3),
    Column("整改要求", "requirement", "requirement", 14),
    Column("责任人", "responsible", "responsible", 4),
    Column("督导日期", "visit_date", "visit_date", 6),
)


class FindingList(MemoryList):
    noun = "待整改问题"
    settings_key = "open_findings"
    openVisit = Signal(str)
    followUp = Signal(str)  # the visit whose findings are re-checked

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(FINDING_COLUMNS, "搜索学校、问题或整改要求（Ctrl+F）", parent)
        self.ws = ws
        self.zone = browse.working_zone(ws)
        self.school = searchable_combo("schoolFilter", "按学校筛选（可输入校名查找）")
        self.overdue = QCheckBox("只看逾期", objectName="overdueFilter",
                                 toolTip="只看超过整改期限仍未整改的问题")
        self.filters.addWidget(self.school)
        self.filters.addWidget(self.overdue)
        fill_combo(self.school, "全部学校", [(c.name, c.id) for c in browse.schools_in(ws)])
        self.school.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue.toggled.connect(lambda _on: self.refresh())
        # ListPanel's 新建 becomes 复查 here: findings are made in visits, re-checked here.
        self.act_new.setText("复查")
        self.act_new.setShortcut("Ctrl+R")
        self.act_new.setToolTip("对选中问题所在的督导记录发起复查（Ctrl+R）")
        self.act_open.setToolTip("打开发现该问题的督导记录（Enter 或双击）")
        self.hide_action(self.act_delete)

    def load(self) -> list[FindingRow]:
        out = []
        for f in inspection.open_findings(self.ws, self.today,
                                          school_id=self.school.currentData(), zone=self.zone):
            if self.overdue.isChecked() and not f["overdue"]:
                continue
            if not self.matches(f["school"], f["description"], f["requirement"]):
                continue
            state, tone = finding_state(f, self.today)
            tones = {"state": tone} | ({"deadline": RED, "school": RED, "description": RED}
                                       if f["overdue"] else {})
            out.append(FindingRow(
                id=f["id"], visit_id=f["visit_id"], deadline=f["deadline"], state=state,
                school=f["school"], description=f["description"], severity=f["severity"],
                requirement=f["requirement"], responsible=f.get("responsible") or "",
                visit_date=f["visit_date"], overdue=f["overdue"], tones=tones))
        return out

    def filtered(self) -> bool:
        return super().filtered() or self.overdue.isChecked() or \
            self.school.currentData() is not None

    def empty_text(self) -> str:
        if self.filtered():
            return "没有符合条件的待整改问题。请换个关键字，或把筛选改回“全部”。"
        return "没有待整改的问题。督导中发现的问题会列在这里，直到复查销号。"

    def context_actions(self) -> list[Any]:
        return [self.act_open, self.act_new, self.act_refresh]

    def open_record(self, record_id: str) -> None:
        row = self.model.row(self.model.row_of(record_id) or 0)
        self.openVisit.emit(row.visit_id)

    def new_record(self) -> None:
        row = self.current_row()
        if 0 <= row < self.model.rowCount():
            self.followUp.emit(self.model.row(row).visit_id)
        else:
            dialogs.inform(self, "复查", "请先在列表中选中要复查的问题。")


# -- the page -------------------------------------------------------------------------------


class InspectionPage(QWidget):
    """The 督导检查 page: `InspectionPage(ws, parent)`; the lists load on first show."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.visits = VisitList(ws)
        self.findings = FindingList(ws)
        self.coverage = CoverageView(ws)
        self.templates = TemplateManager(ws)
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.addTab(self.visits, "督导记录")
        self.tabs.addTab(self.findings, "整改跟踪")
        self.tabs.addTab(self.coverage, "覆盖情况")
        self.tabs.addTab(self.templates, "检查表")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.editor: VisitEditor | None = None
        self.start_dialog: VisitStartDialog | None = None
        self.visits.openVisit.connect(self.open_visit)
        self.visits.newVisit.connect(self.new_visit)
        self.findings.openVisit.connect(self.open_visit)
        self.findings.followUp.connect(self.follow_up)
        self.coverage.openSchool.connect(self.new_visit_for)
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._loaded = False

    def ensure_loaded(self) -> None:
        """Run the first queries when the page is first shown, not at start-up."""
        if not self._loaded:
            self._loaded = True
            self.visits.restore_header()
            self.findings.restore_header()

    def showEvent(self, event: Any) -> None:
        self.ensure_loaded()
        super().showEvent(event)

    def _tab_shown(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.coverage:
            self.coverage.refresh()
        elif current is self.templates:
            self.templates.refresh()

    def refresh(self) -> None:
        if self._loaded:
            self.visits.fill_filters()
            self.visits.refresh()
            self.findings.refresh()
        self._tab_shown()

    # -- visits --------------------------------------------------------------------------

    def open_visit(self, visit_id: str) -> VisitEditor:
        self._drop_editor()
        editor = VisitEditor(self.ws, visit_id)
        editor.closed.connect(self.close_editor)
        editor.openVisit.connect(self.open_visit)
        self.editor = editor
        self.stack.addWidget(editor)
        self.stack.setCurrentWidget(editor)
        editor.focus_first()
        return editor

    def close_editor(self) -> None:
        visit_id = self.editor.visit_id if self.editor else None
        self.stack.setCurrentWidget(self.tabs)
        self._drop_editor()
        self.refresh()
        if self.tabs.currentWidget() is self.visits:
            self.visits.reload_keeping(visit_id)
            self.visits.table.setFocus()

    def _drop_editor(self) -> None:
        if self.editor is not None:
            self.editor.save_now()
            self.stack.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None

    def new_visit(self, school_id: str | None = None) -> VisitStartDialog:
        dialog = VisitStartDialog(self.ws, school_id=school_id, parent=self)
        dialog.accepted.connect(lambda: dialog.visit_id and self.open_visit(dialog.visit_id))
        self.start_dialog = dialog
        dialog.open()
        return dialog

    def new_visit_for(self, school_id: str) -> None:
        self.new_visit(school_id)

    def follow_up(self, visit_id: str) -> VisitStartDialog | None:
        """Re-check a visit's findings: reopen a draft 复查 of it if one exists."""
        drafts = sorted((v["date"], v["id"]) for v in records.iter_records(self.ws, "visit")
                        if v.get("follow_up_of") == visit_id and v["status"] == rules.DRAFT)
        if drafts:
            self.open_visit(drafts[-1][1])
            return None
        dialog = VisitStartDialog(self.ws, follow_up_of=visit_id, parent=self)
        dialog.accepted.connect(lambda: dialog.visit_id and self.open_visit(dialog.visit_id))
        self.start_dialog = dialog
        dialog.open()
        return dialog

