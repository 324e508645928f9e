"""The visit editor: one school visit as a full page, fast with the keyboard on a small
screen, saving every answer as it changes so that a crash loses nothing.

Tabs follow the paper record: (复查结果,) 检查项目, 问题清单, 意见与签名, 更正记录.
A draft autosaves (debounced ~500 ms) through services.inspection. 定稿 (Ctrl+Shift+D)
lists what is still missing, or locks it (finalizing.py); after that 更正 asks for a
reason, collects the changes, and applies them all at once through
services.inspection.amend, which keeps the reason and the changes as history.
Photos and the printed documents are in files.py (a mixin of the editor); the rows and
dialogs in parts.py and dialogs.py.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.gui.inspection.amendment import AmendmentControl
from wushan_desk.gui.inspection.autosave import Autosave
from wushan_desk.gui.inspection.dialogs import (
    AmendDialog,
    FindingDialog,
    VisitStartDialog,
    template_title,
)
from wushan_desk.gui.inspection.files import Row, VisitFiles
from wushan_desk.gui.inspection.finalizing import FINALIZE_KEYS, Finalizing, MissingDialog
from wushan_desk.gui.inspection.parts import (
    AMBER,
    RED,
    TONE_OF,
    AnswerRow,
    CheckRow,
    Widths,
    finding_state,
    mark_locked,
    qcolor,
    set_tone,
    term_label,
)
from wushan_desk.gui.inspection.signature_pad import SignaturePanel
from wushan_desk.gui.printing import open_file
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.background import writer_for
from wushan_desk.gui.widgets.list_panel import make_action
from wushan_desk.gui.widgets.small import set_style_property
from wushan_desk.gui.widgets.tasks import Task
from wushan_desk.services import inspection, records
from wushan_desk.services.session import Workspace

AUTOSAVE_MS = 500

_ROWS_QSS = """
QFrame#answerRow { background: white; border-bottom: 1px solid #e1e6ec; }
QFrame#answerRow[current="true"] { background: #eef4fb; }
QLabel#sectionHeader { background: #e9edf2; font-weight: bold; padding: 4px 6px;
                       border-bottom: 1px solid #c5cdd7; color: #1d2733; }
"""



class VisitEditor(Autosave, AmendmentControl, Finalizing, VisitFiles, QWidget):
    """One visit; `closed` when the user goes back, `changed(visit id)` after writes,
    `openVisit(visit id)` to show another one (a 复查 just started)."""

    closed = Signal()
    changed = Signal(str)
    openVisit = Signal(str)

    def __init__(self, ws: Workspace, visit_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="visitEditor")
        self.ws, self.visit_id = ws, visit_id
        self.today = clock.today()
        self.d = inspection.detail(ws, visit_id)
        self.amending: tuple[str, str | None] | None = None  # (reason, by) while amending
        self.amend_findings: dict[str, dict[str, Any]] = {}  # id or "new-N" -> record
        self.amend_dialog: AmendDialog | None = None
        self.finding_dialog: FindingDialog | None = None
        self.missing_dialog: MissingDialog | None = None
        self.task: Task | None = None
        self._dirty: dict[str, Row] = {}
        self._summary_dirty = False
        self._rows_by_widget: dict[QObject, Row] = {}
        self._current: Row | None = None
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        self._writer = writer_for(ws)
        self.widths = Widths(self._char())
        self._build()
        self._shortcuts()
        self.reload()

    # -- building ------------------------------------------------------------------------

    def _char(self) -> int:
        return max(self.fontMetrics().horizontalAdvance("中"), 1)

    def _build(self) -> None:
        v, school = self.d.visit, self.d.school
        self.back = QToolButton(text="← 返回", toolTip="返回督导记录列表（Esc）；内容已自动保存")
        self.back.clicked.connect(self.close_editor)
        self.title = QLabel(f"{school.get('name', '')}　{v['date']}　{v['kind']}督导",
                            objectName="pageTitle")
        self.status = QLabel()
        self.save_state = QLabel(objectName="hint", openExternalLinks=False)
        self.save_state.linkActivated.connect(lambda link: open_file(Path(link), self))
        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        top.addWidget(self.status)
        top.addWidget(self.save_state)
        for button in self._action_buttons():
            top.addWidget(button)
        names = "、".join(p["name"] for p in self.d.inspectors) or "—"
        self.facts = QLabel(f"督学：{names}　检查表：{template_title(self.d.template)}　"
                            f"学期：{term_label(v['term'] or rules.term_of(self.today))}",
                            wordWrap=True)
        self.total = QLabel(objectName="visitTotal")
        facts = QHBoxLayout()
        facts.addWidget(self.facts, 1)
        facts.addWidget(self.total)
        self.banner = QLabel(objectName="notice", wordWrap=True, visible=False)
        self.apply_button = QPushButton("保存更正", visible=False, toolTip="保存更正（Ctrl+S）")
        self.cancel_amend = QPushButton("取消更正", visible=False)
        self.apply_button.clicked.connect(self.apply_amendment)
        self.cancel_amend.clicked.connect(self.cancel_amendment)
        banner = QHBoxLayout()
        banner.addWidget(self.banner, 1)
        banner.addWidget(self.apply_button)
        banner.addWidget(self.cancel_amend)
        self.tabs = QTabWidget(documentMode=True)
        self.check_rows: list[CheckRow] = []
        if v["kind"] == "复查" and v.get("follow_up_of"):
            self.tabs.addTab(self._build_checks(), "复查结果")
        self.rows: list[AnswerRow] = []
        self.section_labels: dict[str, QLabel] = {}
        self.tabs.addTab(self._build_checklist(), "检查项目")
        self.findings_tab = self._build_findings()
        self.tabs.addTab(self.findings_tab, "问题清单")
        self.opinion_tab = self._build_opinion()
        self.tabs.addTab(self.opinion_tab, "意见与签名")
        self.amendments = self._table(("日期", "更正人", "理由", "更正内容"))
        self.tabs.addTab(self.amendments, "更正记录")
        self.tabs.setTabToolTip(0, "Ctrl+Tab 切换页签")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addLayout(facts)
        layout.addLayout(banner)
        layout.addWidget(self.tabs, 1)

    def _action_buttons(self) -> list[QWidget]:
        self.act_print = make_action(self, "打印", "Ctrl+P",
                                     "打印督导意见书（先显示打印预览）")
        self.act_print_notice = make_action(self, "打印整改通知书", None, "打印整改通知书")
        self.act_export = make_action(self, "导出PDF", None, "把督导意见书保存为 PDF 文件")
        self.act_export_notice = make_action(self, "导出整改通知书", None, "把整改通知书保存为 PDF")
        self.act_print.triggered.connect(lambda: self.print_report("inspection"))
        self.act_print_notice.triggered.connect(lambda: self.print_report("rectification"))
        self.act_export.triggered.connect(lambda: self.export_dialog("inspection"))
        self.act_export_notice.triggered.connect(lambda: self.export_dialog("rectification"))
        buttons: list[QWidget] = []
        for main, extra in ((self.act_print, self.act_print_notice),
                            (self.act_export, self.act_export_notice)):
            button = QToolButton(defaultAction=main, objectName="listButton",
                                 popupMode=QToolButton.ToolButtonPopupMode.MenuButtonPopup)
            menu = QMenu(button)
            menu.addActions([main, extra])
            button.setMenu(menu)
            buttons.append(button)
        self.follow_button = QPushButton("复查", toolTip="对本次发现的问题发起复查")
        self.follow_button.clicked.connect(self.start_follow_up)
        self.act_finalize = make_action(self, "定稿", FINALIZE_KEYS,
                                        "检查各项是否填齐、签名是否齐全，然后定稿：锁定本记录")
        self.act_finalize.triggered.connect(self.finalize)
        self.finalize_button = QPushButton("定稿", toolTip=self.act_finalize.toolTip())
        self.finalize_button.clicked.connect(self.finalize)
        self.amend_button = QPushButton("更正", toolTip="修改已定稿的记录（须写明理由）")
        self.amend_button.clicked.connect(self.start_amendment)
        return [*buttons, self.follow_button, self.finalize_button, self.amend_button]

    def _scroll(self, body: QWidget) -> QScrollArea:
        body.setStyleSheet(_ROWS_QSS)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _build_checklist(self) -> QWidget:
        body = QWidget(objectName="checklistBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(0)
        legend = QLabel("键盘：符合 Y　不符合 N　不适用 空格（或 1/2/3）；评级 1 好 2 中 3 差；"
                        "评分直接输入数字；Enter 下一项，Tab 佐证说明；Ctrl+Shift+N 添加问题",
                        objectName="hint", wordWrap=True)
        column.addWidget(legend)
        section = None
        for number, item in enumerate(self.d.items, start=1):
            if item["section"] != section:
                section = item["section"]
                label = QLabel(section, objectName="sectionHeader")
                self.section_labels[section] = label
                column.addWidget(label)
            row = AnswerRow(item, number, self.widths)
            row.changed.connect(self._row_changed)
            row.photosRequested.connect(self._photos_menu)
            self._watch(row)
            self.rows.append(row)
            column.addWidget(row)
        if not self.d.items:
            column.addWidget(QLabel("这份检查表没有检查项目。", objectName="emptyState"))
        column.addStretch(1)
        self.checklist_scroll = self._scroll(body)
        return self.checklist_scroll

    def _build_checks(self) -> QWidget:
        body = QWidget(objectName="checksBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(0)
        original = records.get(self.ws, "visit", self.d.visit["follow_up_of"]) or {}
        column.addWidget(QLabel(
            f"复查 {original.get('date', '')} {original.get('kind', '')}督导发现的问题。"
            "结论：1 已整改（销号）　2 部分整改　3 未整改；Enter 下一个问题。",
            objectName="hint", wordWrap=True))
        checked = {c["finding_id"] for c in self._my_checks()}
        number = 0
        for finding in inspection.findings_of(self.ws, original.get("id", "")):
            if finding["status"] == rules.FIXED and finding["id"] not in checked:
                continue  # closed before this 复查: nothing to re-check
            number += 1
            row = CheckRow(finding, number, self.widths)
            row.changed.connect(self._row_changed)
            row.photosRequested.connect(self._photos_menu)
            self._watch(row)
            self.check_rows.append(row)
            column.addWidget(row)
        if not self.check_rows:
            column.addWidget(QLabel("被复查的督导记录没有待整改的问题。", objectName="emptyState"))
        column.addStretch(1)
        self.checks_scroll = self._scroll(body)
        return self.checks_scroll

    def _my_checks(self) -> list[dict[str, Any]]:
        return [c for c in records.iter_records(self.ws, "finding_check")
                if c["visit_id"] == self.visit_id]

    def _table(self, headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(True)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _build_findings(self) -> QWidget:
        self.findings = self._table(("序号", "问题", "程度", "整改要求", "整改期限", "责任人",
                                     "状态"))
        for column in (1, 3):
            self.findings.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.Stretch)
        self.findings.activated.connect(lambda index: self.edit_finding(index.row()))
        self.act_add_finding = make_action(self, "添加问题", "Ctrl+Shift+N")
        self.act_add_finding.triggered.connect(self.add_finding)
        add = QPushButton("添加问题", toolTip=self.act_add_finding.toolTip())
        add.clicked.connect(self.add_finding)
        edit = QPushButton("修改", toolTip="修改选中的问题（Enter 或双击）")
        edit.clicked.connect(lambda: self.edit_finding(self.findings.currentRow()))
        self.delete_finding_button = QPushButton("删除", toolTip="删除选中的问题（仅草稿）")
        self.delete_finding_button.clicked.connect(self.delete_finding)
        self.finding_buttons = [add, edit, self.delete_finding_button]
        self.findings_empty = QLabel("还没有记录问题。发现问题时点 添加问题（Ctrl+Shift+N）。",
                                     objectName="emptyState", wordWrap=True)
        bar = QHBoxLayout()
        for button in self.finding_buttons:
            bar.addWidget(button)
        bar.addStretch(1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(bar)
        layout.addWidget(self.findings_empty)
        layout.addWidget(self.findings, 1)
        return page

    def _build_opinion(self) -> QWidget:
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(QLabel("督导意见（对学校的总体评价和建议，自动保存）"))
        self.summary = QPlainTextEdit(objectName="summary", tabChangesFocus=True)
        self.summary.setFixedHeight(self.fontMetrics().height() * 6 + 12)
        self.summary.textChanged.connect(self._summary_changed)
        column.addWidget(self.summary)
        self.signatures = SignaturePanel(self.ws, self.visit_id)
        self.signatures.changed.connect(self._signed)
        column.addWidget(self.signatures)
        self.finalize_hint = QLabel(wordWrap=True, objectName="hint")
        self.finalize_bottom = QPushButton(
            "定稿…", toolTip=f"锁定本记录，之后只能更正（{FINALIZE_KEYS}）")
        self.finalize_bottom.clicked.connect(self.finalize)
        row = QHBoxLayout()
        row.addWidget(self.finalize_hint, 1)
        row.addWidget(self.finalize_bottom)
        column.addLayout(row)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in ((QKeySequence.StandardKey.Save, self.save_shortcut),
                           (QKeySequence(Qt.Key.Key_Escape), self.close_editor)):
            QShortcut(keys, self, activated=slot, context=context)
        for action in (self.act_print, self.act_add_finding, self.act_finalize):
            action.setShortcutContext(context)

    def _watch(self, row: Row) -> None:
        for widget in row.inputs():
            widget.installEventFilter(self)
            self._rows_by_widget[widget] = row

    # -- showing the stored state --------------------------------------------------------

    @property
    def editable(self) -> bool:
        return not self.d.read_only or self.amending is not None

    def reload(self) -> None:
        """Show the stored visit: answers, checks, findings, opinion, signatures, state."""
        self.d = inspection.detail(self.ws, self.visit_id)
        self._dirty.clear()
        self._summary_dirty = False
        self.amend_findings.clear()
        for row in self.rows:
            row.set_answer(self.d.answers.get(row.item["id"]))
            row.set_error(None)
        checks = {c["finding_id"]: c for c in self._my_checks()}
        for check_row in self.check_rows:
            finding = records.get(self.ws, "finding", check_row.finding["id"]) or check_row.finding
            check_row.set_check(checks.get(finding["id"]), finding, self.today)
        self.summary.blockSignals(True)
        self.summary.setPlainText(self.d.visit.get("summary") or "")
        self.summary.blockSignals(False)
        self._show_findings()
        self._show_amendments()
        self._show_state()
        self._update_totals()

    def _show_state(self) -> None:
        d, amending = self.d, self.amending is not None
        locked = d.read_only and not amending
        status = d.visit["status"]
        self.status.setText(f"● {status}" + ("（更正中）" if amending else ""))
        set_tone(self.status, TONE_OF[status])
        for row in [*self.rows, *self.check_rows]:
            row.set_read_only(locked or (amending and isinstance(row, CheckRow)))
        self.summary.setReadOnly(locked)
        mark_locked(self.summary, locked)
        self.signatures.refresh(d, locked=d.read_only or amending)
        self._opinion_tab_order()
        for button in self.finding_buttons:
            button.setEnabled(not locked)
        self.act_add_finding.setEnabled(not locked)
        self.delete_finding_button.setEnabled(not d.read_only)
        self.finalize_button.setVisible(not d.read_only)
        self.finalize_bottom.setVisible(not d.read_only)
        self.act_finalize.setEnabled(not d.read_only)
        self.amend_button.setVisible(d.locked and not amending)
        self.follow_button.setVisible(d.locked and d.visit["kind"] != "复查" and any(
            f["status"] != rules.FIXED for f in d.findings))
        self.apply_button.setVisible(amending)
        self.cancel_amend.setVisible(amending)
        if amending:
            self.banner.setText(f"ⓘ 正在更正，理由：{self.amending[0]}。改好后点“保存更正”"
                                "（Ctrl+S）；修改在保存前不会写入。")
        elif d.locked:
            self.banner.setText(f"ⓘ 本记录已于 {d.visit.get('finalized_on')} 定稿，不能直接修改。"
                                "如需修改，点“更正”并写明理由。")
        elif d.held_elsewhere:
            self.banner.setText(f"ⓘ {d.held_elsewhere}。这里只能查看。")
        self.banner.setVisible(d.read_only or amending)
        ok = not d.missing_signers
        self.finalize_hint.setText(
            "签名已齐全。定稿时会检查每一项是否填写、须拍照的项是否有照片；"
            "定稿后本记录锁定，之后只能“更正”。" if ok else
            "定稿前需要督学和校长（园长）签名，或勾选“已在纸质记录上签字”。")
        self.tabs.setTabVisible(self.tabs.indexOf(self.amendments), bool(d.amendments))

    def _update_totals(self) -> None:
        """Live subtotals and total from the answers as shown (scored like the service)."""
        shown = {row.item["id"]: row.local_answer() for row in self.rows}
        sections = rules.section_scores(self.d.items, shown)
        for s in sections:
            label = self.section_labels.get(s.section)
            if label is not None:
                label.setText(f"{s.section}　　小计 {s.got:g} / {s.top:g} 分"
                              f"　已评 {s.answered}/{s.items} 项" if s.items else s.section)
        got, top = round(sum(s.got for s in sections), 2), round(sum(s.top for s in sections), 2)
        answered = sum(1 for a in shown.values() if a["value"] not in (None, ""))
        self.total.setText(f"得分 {got:g} / {top:g}　已答 {answered}/{len(self.rows)} 项")
        self.total.setStyleSheet("font-weight:bold;")

    def _show_findings(self) -> None:
        rows = [f for f in self.d.findings if f["id"] not in self.amend_findings]
        rows += list(self.amend_findings.values())
        self._finding_rows = rows
        table = self.findings
        table.setRowCount(len(rows))
        for r, f in enumerate(rows):
            text, tone = finding_state(f, self.today)
            if f["id"].startswith("new-") or f["id"] in self.amend_findings:
                text, tone = "待保存（更正）", AMBER
            cells = (str(r + 1), f["description"], f["severity"], f["requirement"],
                     f["deadline"], f.get("responsible") or "", text)
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if (c in (4, 6) and tone == RED) or c == 6:
                    item.setForeground(qcolor(tone))
                table.setItem(r, c, item)
        table.resizeRowsToContents()
        self.findings_empty.setVisible(not rows)
        open_count = sum(1 for f in rows if f.get("status") != rules.FIXED)
        self.tabs.setTabText(self.tabs.indexOf(self.findings_tab),
                             f"问题清单（{len(rows)}）" if rows else "问题清单")
        self.total.setToolTip(f"{open_count} 个问题待整改" if open_count else "")

    def _show_amendments(self) -> None:
        table, rows = self.amendments, self.d.amendments
        table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            changes = "\n".join(json.loads(a["changes"] or "[]"))
            for c, value in enumerate((a["amended_on"], a.get("amended_by") or "", a["reason"],
                                       changes)):
                table.setItem(r, c, QTableWidgetItem(value))
        table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        self.tabs.setTabText(self.tabs.indexOf(self.amendments), f"更正记录（{len(rows)}）")

    # -- keyboard ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        row = self._rows_by_widget.get(watched)
        if row is not None and event.type() == QEvent.Type.FocusIn:
            self._focus_row(row)
        if (row is not None and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            self._next_row(row)
            return True
        return super().eventFilter(watched, event)

    def _focus_row(self, row: Row) -> None:
        if self._current is row:
            return
        for r, on in ((self._current, False), (row, True)):
            if r is not None:
                set_style_property(r, "current", on)
        self._current = row
        scroll = self.checks_scroll if isinstance(row, CheckRow) else self.checklist_scroll
        scroll.ensureWidgetVisible(row, 0, row.height() // 2 + 20)

    def _next_row(self, row: Row) -> None:
        rows: list[Any] = self.check_rows if isinstance(row, CheckRow) else self.rows
        index = rows.index(row)
        if index + 1 < len(rows):
            self.enter_row(rows[index + 1])

    def enter_row(self, row: Row) -> None:
        """Focus a row's answer as Tab would, its text selected: the next key typed
        answers the item (a score replaces “未评”)."""
        target = row.focus_target()
        target.setFocus(Qt.FocusReason.TabFocusReason)
        if hasattr(target, "selectAll"):
            target.selectAll()

    def focus_first(self) -> None:
        """The first item's answer (a 复查: the first re-check) takes the first key."""
        rows: list[Any] = self.check_rows or self.rows
        if rows:
            self.enter_row(rows[0])

    def _opinion_tab_order(self) -> None:
        """Tab on 意见与签名 goes down the screen: the opinion, each signer (the head's
        name before the head's 签名 button), 纸质签名, 定稿. The signer rows are rebuilt
        on each refresh, so the order is set again then."""
        chain = [self.summary, *self.signatures.focus_chain(), self.finalize_bottom]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange) \
                and hasattr(self, "rows"):
            self.widths = Widths(self._char())
            for row in [*self.rows, *self.check_rows]:
                row.apply_widths(self.widths)
            self.summary.setFixedHeight(self.fontMetrics().height() * 6 + 12)
        super().changeEvent(event)

    def close_editor(self) -> None:
        if self.amending is not None and self._pending_amendment() and not dialogs.confirm(
                self, "放弃更正", "更正的修改还没有保存。", "放弃修改",
                "放弃后，这次更正的修改都不会写入。要保存请点“取消”，再点“保存更正”。"):
            return
        self.amending = None
        self.save_now()
        self.closed.emit()

    # -- findings ------------------------------------------------------------------------

    def add_finding(self) -> FindingDialog | None:
        if not self.editable:
            return None
        row = self._current if isinstance(self._current, AnswerRow) else None
        text = (row.note_text() or "") if row else ""
        dialog = FindingDialog(self.ws, self.d.visit, self.d.items, self._save_finding,
                               item_id=row.item["id"] if row else None, description=text,
                               parent=self)
        return self._open_finding_dialog(dialog)

    def edit_finding(self, index: int) -> FindingDialog | None:
        if not self.editable or not 0 <= index < len(self._finding_rows):
            return None
        finding = self._finding_rows[index]
        dialog = FindingDialog(self.ws, self.d.visit, self.d.items,
                               lambda values: self._save_finding(values, finding),
                               finding=finding, parent=self)
        return self._open_finding_dialog(dialog)

    def _open_finding_dialog(self, dialog: FindingDialog) -> FindingDialog:
        self.finding_dialog = dialog
        dialog.open()
        return dialog

    def _save_finding(self, values: dict[str, Any], finding: dict[str, Any] | None = None) -> None:
        record = values | {"deadline": values["deadline"].isoformat()}
        if self.amending is not None:  # queued: the amendment writes it with the reason
            key = finding["id"] if finding else f"new-{len(self.amend_findings) + 1}"
            base = finding or {"visit_id": self.visit_id, "status": rules.OPEN}
            self.amend_findings[key] = {**base, **record, "id": key}
        elif finding is None:
            inspection.add_finding(self.ws, self.visit_id, **values)
        else:
            records.put(self.ws, "finding", {"id": finding["id"], **record})
        if self.amending is None:
            self.d = inspection.detail(self.ws, self.visit_id)
            self.changed.emit(self.visit_id)
        self._show_findings()
        self._show_state()

    def delete_finding(self) -> None:
        index = self.findings.currentRow()
        if self.d.read_only or not 0 <= index < len(self._finding_rows):
            return
        finding = self._finding_rows[index]
        if dialogs.confirm(self, "删除问题", f"删除问题“{finding['description']}”？", "删除"):
            records.delete(self.ws, "finding", finding["id"])
            self.reload()
            self.changed.emit(self.visit_id)

    # -- signatures, follow-up (定稿: finalizing.py) -----------------------------------------

    def _signed(self) -> None:
        self.d = inspection.detail(self.ws, self.visit_id)
        self._show_state()
        self.changed.emit(self.visit_id)

    def start_follow_up(self) -> VisitStartDialog:
        dialog = VisitStartDialog(self.ws, follow_up_of=self.visit_id, parent=self)
        dialog.accepted.connect(lambda: dialog.visit_id and self.openVisit.emit(dialog.visit_id))
        dialog.open()
        return dialog
