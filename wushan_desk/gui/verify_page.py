"""核验报告: is a printed report genuine and current?

A USB barcode scanner types the QR text into the line edit like a keyboard and presses
Enter; a phone's scan can be pasted. Or the report's PDF is chosen. The check itself
(services/report_verify.py) reads device records and may build the document again from
the stored visit, so it runs on a worker thread with its own connection; the result is
shown in plain Chinese, green / amber / red with ✓ ▲ ✗ (never colour alone).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain.errors import UserError
from wushan_desk.gui.widgets.small import set_style_property
from wushan_desk.gui.widgets.tasks import Task, run_task
from wushan_desk.services.session import Workspace

MARKS = {"pass": "✓", "warn": "▲", "fail": "✗", "info": "·"}



class VerifyPage(QWidget):
    """Scan, paste or choose a report; the verdict appears below. `verdict` is the last."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.task: Task | None = None
        self.verdict: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "用扫码枪扫描报告最后一页右下角的二维码：先点一下下面的输入框，扫入后自动核验。"
            "也可以粘贴手机扫出的内容后按 Enter；手上只有电子版时，选择报告的 PDF 文件。",
            wordWrap=True, objectName="pageIntro"))
        row = QHBoxLayout()
        self.input = QLineEdit(placeholderText="扫码或粘贴二维码内容，按 Enter 核验",
                               clearButtonEnabled=True)
        self.input.setToolTip("报告二维码的内容，以 WSR1 开头")
        self.input.returnPressed.connect(self.verify_text)
        self.verify_button = QPushButton("核验", toolTip="核验输入框中的二维码内容（Enter）")
        self.verify_button.clicked.connect(self.verify_text)
        self.file_button = QPushButton("选择 PDF 文件…", toolTip="核验报告的 PDF 文件")
        self.file_button.clicked.connect(self.choose_file)
        row.addWidget(self.input, 1)
        row.addWidget(self.verify_button)
        row.addWidget(self.file_button)
        layout.addLayout(row)
        self.result = QFrame(objectName="verifyResult")
        box = QVBoxLayout(self.result)
        self.headline = QLabel(objectName="dialogHeadline", wordWrap=True)
        self.details = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.headline)
        box.addWidget(self.details)
        layout.addWidget(self.result)
        self.result.hide()
        self.empty = QLabel("还没有核验。扫描报告的二维码，或点击 选择 PDF 文件… 开始。",
                            objectName="emptyState", wordWrap=True)
        layout.addWidget(self.empty)
        layout.addStretch(1)

    # -- starting a check --------------------------------------------------------------

    def verify_text(self) -> None:
        """Verify what the line edit holds (Enter, or the 核验 button)."""
        text = self.input.text().strip()
        if not text:
            self._show("fail", "请先扫描或粘贴二维码内容",
                       ["输入框是空的：先点一下输入框，再用扫码枪扫描报告右下角的二维码。"])
            return
        from wushan_desk.services import report_verify

        self._start(lambda ws: report_verify.verify_qr(ws, text))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择要核验的报告", str(Path.home()),
                                              "PDF 文件 (*.pdf);;所有文件 (*)")
        if path:
            self.verify_file(Path(path))

    def verify_file(self, path: Path) -> None:
        """Verify a report's PDF file."""
        from wushan_desk.services import report_verify

        self._start(lambda ws: report_verify.verify_pdf(ws, path))

    def _start(self, check: Callable[[Workspace], Any]) -> None:
        if self.task is not None and not self.task.done:
            return  # a second Enter from the scanner while the first check runs

        def job(_progress: Any, _cancelled: Any) -> Any:
            with self.ws.worker_session() as worker:
                return check(worker)

        self.task = run_task(self, "正在核验报告", job, self.show_verdict,
                             on_error=self._failed, what="报告没有核验")

    # -- showing the outcome -----------------------------------------------------------------

    def show_verdict(self, verdict: Any) -> None:
        """Show a `report_verify.Verdict`: headline, findings, the report's facts."""
        self.verdict = verdict
        lines = [f"{MARKS[f.level]} {f.text}" for f in verdict.findings]
        facts = [f"报告编号：{verdict.report_id}", f"种类：{verdict.kind_name}",
                 f"校验码：{verdict.digest[:16]}"]
        if verdict.issued:
            facts.append(f"打印日期：{verdict.issued}")
        if verdict.device_name:
            facts.append(f"签发设备：{verdict.device_name}（{verdict.centre}）")
        self._show(verdict.result, verdict.headline, [*lines, "", "　".join(facts)])
        self.input.selectAll()  # the next scan replaces the text
        self.input.setFocus()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):  # unexpected: the usual dialog, logged
            from wushan_desk.gui.widgets import dialogs

            dialogs.show_error(self, exc, "报告没有核验")
            return
        self.verdict = None
        self._show("fail", "无法核验", [f"{MARKS['fail']} {exc.message}"])
        self.input.selectAll()
        self.input.setFocus()

    def _show(self, level: str, headline: str, lines: list[str]) -> None:
        self.headline.setText(f"{MARKS[level]} {headline}")
        self.details.setText("\n".join(lines))
        for widget in (self.result, self.headline):
            set_style_property(widget, "level", level)
        self.empty.hide()
        self.result.show()

    def level(self) -> str:
        """The look shown: pass, warn or fail ("" before the first check)."""
        return "" if self.result.isHidden() else str(self.result.property("level") or "")
