"""The visit editor's autosave: what was typed is queued on the background writer.

A mixin of VisitEditor (like VisitFiles): rows report their edits, a short timer
gathers them, and each answer, re-check and the opinion is written by the workspace's
background writer, so the window never waits for the workspace. "等待保存…" while
writes are queued, "已保存" when they are done, red beside an item the rules refuse.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.gui.inspection.parts import (
    AMBER,
    GREEN,
    RED,
    AnswerRow,
    CheckRow,
    finding_state,
    set_tone,
)
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.background import SerialWorker
from wushan_desk.services import inspection, records
from wushan_desk.services.inspection import VisitDetail
from wushan_desk.services.session import Workspace

Row = AnswerRow | CheckRow


class Autosave:
    """Autosave of VisitEditor. A plain mixin: the attributes below are the editor's."""

    ws: Workspace
    visit_id: str
    d: VisitDetail
    today: dt.date
    amending: tuple[str, str | None] | None
    changed: Signal
    save_state: QLabel
    summary: QPlainTextEdit
    check_rows: list[CheckRow]
    _writer: SerialWorker
    _timer: QTimer
    _dirty: dict[str, Row]
    _summary_dirty: bool

    if TYPE_CHECKING:  # provided by VisitEditor and AmendmentControl
        editable: bool

        def _update_totals(self) -> None: ...

        def apply_amendment(self) -> bool: ...

    def _row_changed(self, row: Row) -> None:
        if not self.editable:
            return
        key = row.item["id"] if isinstance(row, AnswerRow) else row.finding["id"]
        self._dirty[key] = row
        self._update_totals()
        if self.amending is None:
            self.save_state.setText("正在编辑…")
            self._timer.start()

    def _summary_changed(self) -> None:
        if not self.editable:
            return
        self._summary_dirty = True
        if self.amending is None:
            self._timer.start()

    def save_shortcut(self) -> None:
        if self.amending is not None:
            self.apply_amendment()
        else:
            self.save_now()

    def save_now(self) -> None:
        """Queue every pending answer, check and the opinion on the background writer
        (never waiting here for the workspace); the label shows 等待保存 until they
        are written. A refused one stays pending, marked in red beside its item."""
        self._timer.stop()
        if self.amending is not None or self.d.read_only:
            return
        for key, row in list(self._dirty.items()):
            del self._dirty[key]
            self._writer.submit(self._row_job(row), lambda _r, row=row: row.set_error(None),
                                lambda exc, key=key, row=row: self._refused(key, row, exc))
        if self._summary_dirty:
            self._summary_dirty = False
            summary = {"id": self.visit_id, "summary": self.summary.toPlainText().strip()}
            self._writer.submit(lambda ws: records.put(ws, "visit", summary),
                                failed=self._summary_refused)
        if self._writer.pending:
            self.save_state.setText("等待保存…")
            set_tone(self.save_state, AMBER, bold=False)
            self._writer.when_idle(self._saved)

    @property
    def saved(self) -> bool:
        """Nothing typed is waiting: no pending edit, no queued write, no refusal."""
        return not (self._dirty or self._summary_dirty or self._timer.isActive()
                    or self._writer.pending)

    def _row_job(self, row: Row) -> Any:
        """The write of one row, with its values taken now (the user may type on)."""
        if isinstance(row, AnswerRow):
            row.answer_id = rules.answer_id(self.visit_id, row.item["id"])
            args = (self.visit_id, row.item["id"], row.value(), row.note_text(),
                    list(row.photo_ids))
            return lambda ws: inspection.answer(ws, *args)
        result, finding_id = row.value(), row.finding["id"]
        if result is None:
            if row.note_text():
                raise_later = ValidationError("请先选择复查结论（1 已整改，2 部分整改，3 未整改）")

                def refuse(_ws: Workspace) -> None:
                    raise raise_later

                return refuse
            return lambda _ws: None
        # one re-check per finding per 复查: its id is fixed on the first save, so a
        # change later in the same visit corrects that record instead of adding one
        row.check_id = row.check_id or str(uuid.uuid4())
        day = dt.date.fromisoformat(self.d.visit["date"])
        args2 = (finding_id, self.visit_id, result)
        kwargs = {"day": day, "note": row.note_text(), "photo_ids": list(row.photo_ids),
                  "check_id": row.check_id}
        return lambda ws: inspection.record_check(ws, *args2, **kwargs)

    def _refused(self, key: str, row: Row, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            row.set_error(exc.message)
            self._dirty.setdefault(key, row)  # stays pending until corrected
            return
        self._dirty.setdefault(key, row)
        dialogs.show_error(self, exc, "检查结果没有保存")

    def _summary_refused(self, exc: BaseException) -> None:
        self._summary_dirty = True
        dialogs.show_error(self, exc, "督导意见没有保存")

    def _saved(self) -> None:
        """All queued writes are done: say so, and refresh the re-check states."""
        failed = len(self._dirty)
        now = clock.now().strftime("%H:%M:%S")
        self.save_state.setText(f"有 {failed} 项没有保存，见红字" if failed else f"✓ 已保存 {now}")
        set_tone(self.save_state, RED if failed else GREEN, bold=False)
        for row in self.check_rows:
            if row.check_id:
                finding = records.get(self.ws, "finding", row.finding["id"]) or row.finding
                text, tone = finding_state(finding, self.today)
                row.state.setText(text.replace(" ", "\n"))
                set_tone(row.state, tone)
        self.changed.emit(self.visit_id)

    def hideEvent(self, event: Any) -> None:
        if self._dirty or self._summary_dirty:
            self.save_now()  # leaving the page or closing the window: nothing waits
        super().hideEvent(event)
