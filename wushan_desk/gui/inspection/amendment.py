"""The visit editor's amendment control: 更正 of a finalized visit, with its reason.

A mixin of VisitEditor: after 更正 and a reason, edits stay on screen (nothing is
written) until 保存更正 hands them to `inspection.amend`, which judges what differs from
the visit as signed and keeps the reason in the history; 取消更正 drops them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QScrollArea, QTabWidget

from wushan_desk.gui.inspection.dialogs import AmendDialog
from wushan_desk.gui.inspection.parts import AnswerRow, CheckRow
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import inspection
from wushan_desk.services.inspection import VisitDetail
from wushan_desk.services.session import Workspace

Row = AnswerRow | CheckRow


class AmendmentControl:
    """Amendment of VisitEditor. A plain mixin: the attributes below are the editor's."""

    ws: Workspace
    visit_id: str
    d: VisitDetail
    amending: tuple[str, str | None] | None
    amend_findings: dict[str, dict[str, Any]]
    amend_dialog: AmendDialog | None
    changed: Signal
    banner: QLabel
    save_state: QLabel
    summary: QPlainTextEdit
    tabs: QTabWidget
    checklist_scroll: QScrollArea
    _dirty: dict[str, Row]
    _summary_dirty: bool

    if TYPE_CHECKING:  # provided by VisitEditor
        def reload(self) -> None: ...

        def _show_state(self) -> None: ...

        def focus_first(self) -> None: ...

    def start_amendment(self) -> AmendDialog:
        dialog = AmendDialog([p["name"] for p in self.d.inspectors], parent=self)
        dialog.accepted.connect(lambda: self._begin_amending(*dialog.result_values()))
        self.amend_dialog = dialog
        dialog.open()
        return dialog

    def _begin_amending(self, reason: str, by: str | None) -> None:
        self.amending = (reason, by)
        self._show_state()
        self.tabs.setCurrentWidget(self.checklist_scroll)
        self.focus_first()

    def _pending_amendment(self) -> list[tuple[str, dict[str, Any]]]:
        """What the amendment would change, as the service judges it."""
        shown = [inspection.AnswerShown(row.item["id"], row.value(), row.note_text(),
                                        list(row.photo_ids))
                 for row in self._dirty.values() if isinstance(row, AnswerRow)]
        findings = [{k: v for k, v in finding.items() if k != "id" or not key.startswith("new-")}
                    for key, finding in self.amend_findings.items()]
        summary = self.summary.toPlainText().strip() if self._summary_dirty else None
        return inspection.amendment_edits(self.d, shown, findings, summary)

    def apply_amendment(self) -> bool:
        if self.amending is None:
            return False
        edits = self._pending_amendment()
        if not edits:
            self.banner.setText("ⓘ 还没有修改任何内容。修改后再点“保存更正”，或点“取消更正”。")
            return False
        reason, by = self.amending
        with dialogs.reported(self, "更正没有保存") as outcome:
            inspection.amend(self.ws, self.visit_id, reason, edits, by=by)
        if not outcome.ok:
            return False
        self.amending = None
        self.reload()
        self.save_state.setText("✓ 更正已保存")
        self.changed.emit(self.visit_id)
        return True

    def cancel_amendment(self) -> None:
        if self._pending_amendment() and not dialogs.confirm(
                self, "取消更正", "更正的修改还没有保存。", "放弃修改", "放弃后记录保持原样。"):
            return
        self.amending = None
        self.reload()
