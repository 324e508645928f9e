"""定稿 in the visit editor: check what is missing, list it, jump to it, then lock.

A mixin of VisitEditor (like Autosave and VisitFiles). 定稿 (button, or Ctrl+Shift+D)
first waits for the pending autosaves, then asks the service what is still missing
(VisitDetail.problems: unanswered items, photo-required items without
a photo, missing signatures). Anything missing is listed in a plain dialog, each line
with the item's number and text; double-click, Enter or 转到 selects that item in the
editor. Only a complete visit gets the confirmation and is finalized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import inspection as rules
from wushan_desk.gui.inspection.parts import AMBER, RED, AnswerRow, CheckRow, qcolor
from wushan_desk.gui.inspection.signature_pad import SignaturePanel
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.background import SerialWorker
from wushan_desk.gui.widgets.small import make_table
from wushan_desk.services import inspection
from wushan_desk.services.inspection import VisitDetail
from wushan_desk.services.session import Workspace

#: 定稿's shortcut: D for 定 (dìng); Shift because it locks the record.
FINALIZE_KEYS = "Ctrl+Shift+D"


class MissingDialog(QDialog):
    """What a visit still lacks before 定稿, one line each: 序号, 检查项目, 缺少.
    `chosen(Missing)` when the user picks a line (double-click, Enter or 转到)."""

    chosen = Signal(object)

    def __init__(self, problems: list[rules.Missing], parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="missingDialog")
        self.problems = problems
        self.setWindowTitle("还不能定稿")
        headline = QLabel(f"这份督导记录还不能定稿：还有 {len(problems)} 项需要补齐。",
                          objectName="dialogHeadline", wordWrap=True)
        hint = QLabel("双击一行（或选中后按 Enter、点“转到”）转到该项。补齐后再点“定稿”"
                      f"（{FINALIZE_KEYS}）。", wordWrap=True)
        self.table = self._table(problems)
        buttons = QDialogButtonBox()
        self.go_button = buttons.addButton("转到", QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.go_button, close):
            button.setAutoDefault(False)  # Enter in the list jumps, once
        self.go_button.clicked.connect(lambda: self.choose(self.table.currentRow()))
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(dialogs.beside_icon(
            self, QStyle.StandardPixmap.SP_MessageBoxInformation, headline, hint))
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._fit(problems)
        self.table.setFocus()

    def _fit(self, problems: list[rules.Missing]) -> None:
        """Tall enough to show every line (an item's text wraps at about 30 characters),
        but never taller than the screen: the list scrolls then."""
        char = max(self.fontMetrics().horizontalAdvance("中"), 1)
        line = self.fontMetrics().lineSpacing()
        rows = sum(max(1, -(-len(p.label(short=False)) // 30)) * line + 10 for p in problems)
        screen = self.screen().availableGeometry().height() if self.screen() else 728
        self.resize(min(46 * char, 1200), min(rows + 8 * line + 70, int(screen * 0.85)))

    def _table(self, problems: list[rules.Missing]) -> QTableWidget:
        table = make_table(("序号", "检查项目", "缺少"))
        table.setObjectName("missingList")
        table.setRowCount(len(problems))
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)  # the item's text takes the room, not 缺少
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for r, problem in enumerate(problems):
            text = problem.label() if problem.item_id is None else problem.text
            what = QTableWidgetItem(f"▲ {problem.what}")
            what.setForeground(qcolor(AMBER if problem.kind == rules.UNSIGNED else RED))
            for c, item in enumerate((QTableWidgetItem(problem.number), QTableWidgetItem(text),
                                      what)):
                item.setToolTip(problem.line(short=False))
                table.setItem(r, c, item)
        table.resizeRowsToContents()
        table.setCurrentCell(0, 0)
        table.activated.connect(lambda index: self.choose(index.row()))
        return table

    def choose(self, row: int) -> None:
        if 0 <= row < len(self.problems):
            self.accept()
            self.chosen.emit(self.problems[row])


class Finalizing:
    """定稿 of VisitEditor. A plain mixin: the attributes below are the editor's."""

    ws: Workspace
    visit_id: str
    d: VisitDetail
    changed: Signal
    tabs: QTabWidget
    checklist_scroll: QScrollArea
    opinion_tab: QWidget
    signatures: SignaturePanel
    rows: list[AnswerRow]
    missing_dialog: MissingDialog | None
    _writer: SerialWorker
    _dirty: dict[str, AnswerRow | CheckRow]

    if TYPE_CHECKING:  # provided by VisitEditor, Autosave and VisitFiles
        def save_now(self) -> None: ...

        def reload(self) -> None: ...

        def enter_row(self, row: AnswerRow | CheckRow) -> None: ...

        def _focus_row(self, row: AnswerRow | CheckRow) -> None: ...

        def _widget(self) -> QWidget: ...

    def finalize(self) -> None:
        """定稿: once every pending write is done, check what is missing, ask, lock."""
        if self.d.read_only:
            return
        self.save_now()
        self._writer.when_idle(self._finalize_saved)

    def _finalize_saved(self) -> bool:
        if self._dirty or self.d.read_only:
            return False  # a refused answer is marked in red: fix it first
        self.d = inspection.detail(self.ws, self.visit_id)  # as stored, after the autosaves
        if self.d.problems:
            self.show_missing(self.d.problems)
            return False
        got, top = self.d.total
        if not dialogs.confirm(
                self._widget(), "定稿", f"把这份督导记录定稿？（得分 {got:g} / {top:g}）", "定稿",
                "定稿后记录被锁定：检查结果、问题清单、督导意见和签名都不能再直接修改，"
                "之后只能点“更正”并写明理由来修改，每次更正都会留下记录。"):
            return False
        with dialogs.reported(self._widget(), "督导记录没有定稿") as outcome:
            inspection.finalize(self.ws, self.visit_id)
        if not outcome.ok:
            return False
        self.reload()
        self.changed.emit(self.visit_id)
        return True

    def show_missing(self, problems: list[rules.Missing]) -> MissingDialog:
        """List what is missing (window-modal, not blocking); a line picked is selected."""
        if self.missing_dialog is not None:
            self.missing_dialog.deleteLater()  # the list shown last time
        dialog = MissingDialog(problems, self._widget())
        dialog.chosen.connect(self.go_to)
        self.missing_dialog = dialog
        dialog.open()
        return dialog

    def go_to(self, problem: rules.Missing) -> None:
        """Select what is missing: the item's answer (or its 照片 button), or the
        signer's 签名 button on the 意见与签名 tab."""
        if problem.item_id is None:
            self.tabs.setCurrentWidget(self.opinion_tab)
            button = self.signatures.sign_button(problem.text)
            if button is not None:
                button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        row = next((r for r in self.rows if r.item["id"] == problem.item_id), None)
        if row is None:
            return
        self.tabs.setCurrentWidget(self.checklist_scroll)
        if problem.kind == rules.NO_PHOTO:  # the answer is there: the photo is not
            row.photos.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.enter_row(row)
        self._focus_row(row)  # marked and scrolled to, even before the window has focus
