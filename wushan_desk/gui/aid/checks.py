"""资助核查 tab: every cross-check finding, with the records involved and its explanation.

The checks read every payment of the workspace (about 100,000 at the county), so they
run off the GUI thread in a worker session of their own, when the tab is first shown
and on 重新核查; filters (school year, check, only those still open) apply to the last
result. A finding is explained with a reason (标为已说明), still listed, as explained;
查看记录 opens the recognition or roster it names in its own tab.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import aid_check as rules
from wushan_desk.domain import clock
from wushan_desk.gui.widgets import dialogs
from wushan_desk.gui.widgets.small import fill_table, make_table
from wushan_desk.services import aid, aid_check
from wushan_desk.services.session import Workspace

COLUMNS = ("核查项", "学校", "学生", "学期或学年", "情况", "说明")
DETAIL_CHARS = 34  # the width of 情况, in characters: 1366 px leaves room for 说明
#: Record kinds 查看记录 can open, in the order it prefers them.
OPENABLE = ("aid_recognition", "aid_roster", "aid_payment")


class ChecksTab(QWidget):
    """The findings of the last check, filtered; `open_record(kind, id)` shows one."""

    def __init__(self, ws: Workspace, open_record: Callable[[str, str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.open_record = ws, open_record
        self.found: list[aid_check.Finding] = []
        self.shown: list[aid_check.Finding] = []
        self.task: Any = None
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = QComboBox()
        self.year.addItem("全部学年", None)
        for year in sorted(aid.school_years(ws), reverse=True):
            self.year.addItem(f"{year}学年", year)
        self.check = QComboBox()
        self.check.addItem("全部核查项", None)
        for check in rules.CHECKS:
            self.check.addItem(check, check)
        self.open_only = QCheckBox("只看待说明(&W)")
        for label, widget in (("学年：", self.year), ("核查项：", self.check)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.open_only)
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (("run", "重新核查(&K)"), ("explain", "标为已说明(&X)…"),
                          ("open", "查看记录(&O)"), ("export", "导出(&E)…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, k=key: self.act(k))
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        column.addLayout(bar)
        self.summary = QLabel("尚未核查。", objectName="hint", wordWrap=True)
        column.addWidget(self.summary)
        self.table = make_table(COLUMNS)
        self.table.setWordWrap(True)
        column.addWidget(self.table, 1)
        self.meaning = QLabel(objectName="hint", wordWrap=True)
        column.addWidget(self.meaning)
        self.year.currentIndexChanged.connect(lambda _i: self.run())
        self.check.currentIndexChanged.connect(lambda _i: self.show_found())
        self.open_only.toggled.connect(lambda _on: self.show_found())
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.started = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.started:
            self.started = True
            self.run()

    def run(self) -> None:
        """Check again, off the GUI thread; the list fills when it is done."""
        from wushan_desk.gui.widgets.tasks import run_task

        year, today = self.year.currentData(), clock.today()

        def job(progress: Any, _cancelled: Any) -> list[aid_check.Finding]:
            progress(0, 1, "正在核查资助数据……")
            with self.ws.worker_session() as worker:
                return aid_check.findings(worker, school_year=year, today=today)

        def done(found: list[aid_check.Finding]) -> None:
            self.found = found
            self.show_found()

        self.summary.setText("正在核查……")
        self.task = run_task(self, "正在核查资助数据", job, done, what="资助核查没有完成")

    def show_found(self, keep: str | None = None) -> None:
        check, open_only = self.check.currentData(), self.open_only.isChecked()
        self.shown = [f for f in self.found if check in (None, f.check)
                      and not (open_only and f.explained)]
        fill_table(self.table, [[f.check, f.school, f.student, f.period, f.detail,
                                 _explained(f)] for f in self.shown])
        # the situation wraps in a column of its own width, so that 说明 stays in view
        self.table.setColumnWidth(4, DETAIL_CHARS * self.fontMetrics().horizontalAdvance("国"))
        self.table.resizeRowsToContents()
        self.summary.setText("；".join(
            f"{name} {open_}条待说明" + (f"、{done}条已说明" if done else "")
            for name, (open_, done) in aid_check.counts(self.found).items())
            + f"。共 {len(self.found)} 条。")
        keys = [f.key for f in self.shown]
        if keep in keys:
            self.table.selectRow(keys.index(keep))
        self.show_selected()

    def selected(self) -> aid_check.Finding | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) and self.table.selectedItems() \
            else None

    def show_selected(self) -> None:
        finding = self.selected()
        self.meaning.setText(f"{finding.check}：{rules.MEANING[finding.check]}。"
                             if finding else "")
        for key in ("explain", "open"):
            self.buttons[key].setEnabled(finding is not None)

    def act(self, key: str) -> bool:
        """Run one button's action; True if it did something."""
        if key == "run":
            self.run()
            return True
        if key == "export":
            return self.export()
        finding = self.selected()
        if finding is None:
            return False
        if key == "open":
            kind, record_id = next(((k, i) for want in OPENABLE for k, i in finding.records
                                    if k == want), finding.records[0])
            self.open_record(kind, record_id)
            return True
        reason, ok = QInputDialog.getText(self, "标为已说明", f"{finding.detail}\n\n原因：")
        if not ok:
            return False
        with dialogs.reported(self, "说明没有保存") as outcome:
            aid_check.explain(self.ws, finding.key, reason, clock.today(), finding=finding)
        if not outcome.ok:
            return False
        self.found = [aid_check.with_explanation(self.ws, f) if f.key == finding.key else f
                      for f in self.found]
        self.show_found(keep=finding.key)
        return True

    def export(self) -> bool:
        """The findings shown, as .pdf or .xlsx, written off the GUI thread."""
        from wushan_desk.gui.widgets.tasks import run_task
        from wushan_desk.services import aid_check_report

        name, _ = QFileDialog.getSaveFileName(self, "导出核查结果", "学生资助核查情况.xlsx",
                                              "Excel 表格 (*.xlsx);;PDF 文件 (*.pdf)")
        if not name:
            return False
        path, shown, year, today = Path(name), list(self.shown), self.year.currentData(), \
            clock.today()

        def job(progress: Any, _cancelled: Any) -> int:
            from wushan_desk.services import audit, permissions

            progress(0, 1, "正在导出……")
            with self.ws.worker_session() as worker:
                permissions.require(worker, "export")  # children's names leave the app
                count = aid_check_report.export(worker, shown, path, day=today,
                                                school_year=year)
                audit.record_or_defer(worker, "export", kind="aid_explanation",
                                      detail={"document": "学生资助核查情况",
                                              "file": path.name, "rows": count})
                return count

        def done(count: int) -> None:
            dialogs.inform(self, "已导出", f"已导出 {count} 条核查结果：{path}")

        self.task = run_task(self, "正在导出核查结果", job, done, what="核查结果没有导出")
        return True


def _explained(f: aid_check.Finding) -> str:
    if f.explanation is None:
        return "待说明"
    return f"已说明：{f.explanation['reason']}"
