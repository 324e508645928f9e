"""报表: every document the app prints today, where in the app each one starts, and the
command that makes it in a script. Each document is printed from the record it is about
(a visit, a case, a township's board), so this page points there instead of repeating
the forms; `goTo(page[:tab])` asks the window to switch. Its second tab, 核验报告, checks
a printed report's QR code or PDF (gui/verify_page.py)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.gui.verify_page import VerifyPage
from wushan_desk.services.session import Workspace


@dataclass(frozen=True)
class Document:
    """One printable document: what it is, its formats, where to start it."""

    name: str
    formats: str
    where: str  # the steps in the app, in the words on its buttons
    page: str  # the page (and tab) the 去 button shows
    command: str  # the CLI that makes it


DOCUMENTS = (
    Document("督导意见书", "PDF", "督导检查 → 督导记录 → 打开一次督导 → 打印（Ctrl+P）",
             "督导检查:督导记录", "wushan-desk report inspection VISIT_ID --out 文件.pdf"),
    Document("整改通知书", "PDF", "督导检查 → 督导记录 → 打开一次督导 → 打印 ▾ → 打印整改通知书",
             "督导检查:督导记录", "wushan-desk report rectification VISIT_ID --out 文件.pdf"),
    Document("限期返校通知书", "PDF", "控辍保学 → 台账 → 双击案件 → 限期返校通知书…",
             "控辍保学:台账", "wushan-desk report return-notice CASE_ID --out 文件.pdf"),
    Document("控辍保学台账", "PDF、Excel", "控辍保学 → 汇总 → 选中乡镇 → 导出所选乡镇台账…",
             "控辍保学:汇总",
             "wushan-desk report dropout-ledger --township 乡镇 --out 文件.pdf|.xlsx"),
    Document("控辍保学月报", "PDF、Excel", "控辍保学 → 月报 → 选月份 → 导出月报…",
             "控辍保学:月报", "wushan-desk report dropout-monthly --out 文件.pdf|.xlsx"),
    Document("督导检查表", "Excel、JSON",
             "督导检查 → 检查表 → 选中一个版本 → 导出…（县级中心库）",
             "督导检查:检查表", "wushan-desk template export TEMPLATE_ID --out 文件.xlsx"),
    Document("审计记录", "Excel", "设置 → 审计记录… → 导出 Excel…", "设置",
             "wushan-desk account audit --out 文件.xlsx"),
)


class ReportsPage(QWidget):
    """Two tabs: the list of documents, each with a button to the page where it starts,
    and 核验报告 (`verify`). "报表:核验" shows the second."""

    goTo = Signal(str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addWidget(QLabel("报表", objectName="pageTitle"))
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs)
        documents = QWidget()
        self.tabs.addTab(documents, "可打印的文书")
        self.verify = VerifyPage(ws)
        self.tabs.addTab(self.verify, "核验报告")
        layout = QVBoxLayout(documents)
        layout.addWidget(QLabel(
            "本程序能打印和导出的文书如下。每份文书都从它所属的记录打印（一次督导、一个案件、"
            "一个乡镇），打印前先显示预览，可直接打印，也可另存为 PDF。", wordWrap=True,
            objectName="pageIntro"))
        box = QGroupBox("可以打印的文书")
        grid = QGridLayout(box)
        for column, title in enumerate(("文书", "格式", "在哪里打印", "")):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        self.buttons: dict[str, QPushButton] = {}
        for row, document in enumerate(DOCUMENTS, start=1):
            grid.addWidget(QLabel(document.name), row, 0)
            grid.addWidget(QLabel(document.formats), row, 1)
            where = QLabel(document.where, wordWrap=True, toolTip=f"命令行：{document.command}")
            grid.addWidget(where, row, 2)
            button = QPushButton(f"去{document.page.partition(':')[0]}", objectName="quickLink")
            button.clicked.connect(lambda _c=False, p=document.page: self.goTo.emit(p))
            grid.addWidget(button, row, 3)
            self.buttons[document.name] = button
        grid.setColumnStretch(2, 1)
        layout.addWidget(box)
        layout.addWidget(QLabel(
            "学生资助的花名册、公示和月报、学期报表将在后续版本提供。命令行的写法见各行的提示"
            "（鼠标停在“在哪里打印”上）。", wordWrap=True, objectName="hint"))
        layout.addWidget(self._verify_box())
        layout.addStretch(1)

    def _verify_box(self) -> QGroupBox:
        """核验报告: where a printed report is checked (the second tab)."""
        box = QGroupBox("核验报告")
        row = QGridLayout(box)
        row.addWidget(QLabel(
            "报告最后一页右下角的二维码带有打印设备的签名。扫码或选择 PDF 文件，可以核验报告"
            "是否真实、是否被改动、库中记录是否已更正。命令行：wushan-desk verify 文件.pdf",
            wordWrap=True), 0, 0)
        self.verify_button = QPushButton("核验…", objectName="quickLink",
                                         toolTip="扫码或选择 PDF 核验报告")
        self.verify_button.clicked.connect(self.show_verify)
        row.addWidget(self.verify_button, 0, 1)
        row.setColumnStretch(0, 1)
        return box

    def show_verify(self) -> None:
        """Switch to 核验报告 with the cursor in its input, ready for the scanner."""
        self.tabs.setCurrentWidget(self.verify)
        self.verify.input.setFocus()
