"""导入台账: an existing 控辍保学 ledger from Excel, previewed before anything is written.

The file is read and every row checked off the GUI thread (a county ledger can hold
thousands of rows) inside a transaction that is rolled back: the dialog then shows how
the columns were understood and what each row would become, or every bad row with what
is wrong. Only 导入 writes, all rows or none (services/dropout_import).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from wushan_desk.domain.errors import UserError
from wushan_desk.gui.widgets.small import fill_table, make_table
from wushan_desk.gui.widgets.tasks import run_task
from wushan_desk.services.session import Workspace


def _job(ws: Workspace, path: Path, dry_run: bool) -> Any:
    def job(progress: Any, _cancelled: Any) -> Any:
        from wushan_desk.services import audit, dropout_import

        progress(0, 1, "正在检查台账……" if dry_run else "正在导入台账……")
        with ws.worker_session() as worker:
            if dry_run:
                return dropout_import.preview(worker, path)
            result = dropout_import.import_ledger(worker, path)
            audit.record_or_defer(worker, "import", kind="dropout_case", detail={
                "file": path.name, "records": result.cases})
            return result
    return job


class LedgerImportDialog(QDialog):
    """Preview first (columns understood, rows to be made, or the bad rows), then import."""

    def __init__(self, ws: Workspace, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.path = ws, path
        self.imported: Any = None
        self.setWindowTitle(f"导入台账 · {path.name}")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        self.summary = QLabel("正在检查……", wordWrap=True)
        self.columns = QLabel(objectName="hint", wordWrap=True)
        self.rows = make_table(("行号", "姓名", "状态"))
        self.error = QLabel(objectName="formError", wordWrap=True, visible=False)
        for widget in (self.summary, self.columns):
            layout.addWidget(widget)
        layout.addWidget(self.rows, 1)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = self.buttons.addButton("导入(&I)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setEnabled(False)
        self.buttons.accepted.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.task = run_task(self, "正在检查台账", _job(ws, path, True), self.show_preview,
                             on_error=self.show_refusal, what="台账没有检查完")

    def show_preview(self, result: Any) -> None:
        self.summary.setText(f"全部 {result.cases} 行都正确，将登记 {result.cases} 个案件。"
                             "点“导入”写入；有任何一行不对都不会写入。")
        self.columns.setText("列的对应：" + "；".join(
            f"{label} ← “{heading}”" for label, heading in result.columns.items()))
        fill_table(self.rows, [[str(r["row"]), r["name"], r["status"]] for r in result.rows])
        self.go.setEnabled(result.cases > 0)

    def show_refusal(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            from wushan_desk.gui.widgets import dialogs

            dialogs.show_error(self, exc, "台账没有导入")
            return
        self.summary.setText("台账没有导入，工作区没有任何改动。")
        self.error.setText(f"▲ {exc.message}")
        self.error.show()
        self.go.setEnabled(False)

    def run_import(self) -> None:
        self.go.setEnabled(False)

        def done(result: Any) -> None:
            self.imported = result
            self.accept()

        self.task = run_task(self, "正在导入台账", _job(self.ws, self.path, False), done,
                             on_error=self.show_refusal, what="台账没有导入")
