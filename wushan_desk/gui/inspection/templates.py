"""检查表: the checklists of this workspace, every version, and the items of the chosen
one grouped by section. On the county hub (and in the demo) it also publishes, makes a
new version, retires, imports and exports (XLSX or JSON) through services.templates;
a centre's laptop receives checklists by sync and only views them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wushan_desk.domain import inspection as rules
from wushan_desk.gui import appearance
from wushan_desk.gui.inspection.parts import AMBER, GREEN, GREY, qcolor, score_text
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import templates
from wushan_desk.services.session import Workspace

STATUS_TONES = {"已发布": GREEN, "草稿": AMBER, "已停用": GREY}
AUTHORING_ROLES = ("hub", "demo")


class TemplateManager(QWidget):
    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.can_author = ws.state("role") in AUTHORING_ROLES
        self.list = QTableWidget(0, 6, objectName="templateList")
        self.list.setHorizontalHeaderLabels(
            ["名称", "类别", "版本", "状态", "发布日期", "项目/满分"])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.list.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.itemSelectionChanged.connect(self._show_items)
        self.items = QTreeWidget(objectName="templateItems")
        self.items.setHeaderLabels(["序号", "内容及要求", "题型", "分值", "方法", "扣分标准"])
        self.items.setWordWrap(True)
        self.items.setAlternatingRowColors(True)
        header = self.items.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("还没有检查表。县教委发布的检查表会随同步下发。",
                            objectName="emptyState", wordWrap=True, visible=False)
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text, tip in (
                ("publish", "发布", "发布这个草稿：之后不能修改，新督导可以使用"),
                ("new_version", "另存为新版本", "复制为下一版本的草稿，原版本不变"),
                ("retire", "停用", "新督导不能再用这个版本（已用它的督导记录不变）"),
                ("import", "导入…", "从 XLSX 或 JSON 文件导入检查表（成为草稿）"),
                ("export", "导出…", "把选中的检查表保存为 XLSX 或 JSON 文件")):
            button = QPushButton(text, toolTip=tip, visible=self.can_author)
            button.clicked.connect(lambda _c=False, k=key: self.act(k))
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        note = "" if self.can_author else "检查表由县教委制定和发布，本机只能查看。"
        bar.addWidget(QLabel(note, objectName="hint"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.items)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self._rows: list[dict[str, Any]] = []

    def refresh(self) -> None:
        keep = self.current()
        self._rows = templates.list_templates(self.ws)
        self.list.setRowCount(len(self._rows))
        for r, t in enumerate(self._rows):
            points = f" / {score_text(t['points'])} 分" if t.get("points") else ""
            size = f"{t['items']} 项{points}"
            for c, text in enumerate((t["name"], t["template_kind"], f"第 {t['version']} 版",
                                      t["status"], t.get("published_on") or "", size)):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setForeground(qcolor(STATUS_TONES.get(t["status"])))
                self.list.setItem(r, c, item)
        self.empty.setVisible(not self._rows)
        index = next((i for i, t in enumerate(self._rows) if keep and t["id"] == keep["id"]), 0)
        if self._rows:
            self.list.selectRow(index)
        self._show_items()

    def current(self) -> dict[str, Any] | None:
        row = self.list.currentRow()
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def _show_items(self) -> None:
        self.items.clear()
        template = self.current()
        status = template["status"] if template else None
        for key, allowed in (("publish", status == "草稿"),
                             ("new_version", status in ("已发布", "已停用")),
                             ("retire", status == "已发布"), ("export", template is not None)):
            self.buttons[key].setEnabled(allowed)
        if template is None:
            return
        sections: dict[str, QTreeWidgetItem] = {}
        for n, item in enumerate(templates.template_items(self.ws, template["id"]), start=1):
            section = sections.get(item["section"])
            if section is None:
                section = QTreeWidgetItem([item["section"]])
                section.setFirstColumnSpanned(True)
                self.items.addTopLevelItem(section)
                section.setExpanded(True)
                sections[item["section"]] = section
            points = score_text(item.get("max_score")) if rules.is_scored(item) else ""
            child = QTreeWidgetItem([item.get("code") or str(n), item["content"], item["item_kind"],
                                     points, item.get("method") or "",
                                     item.get("deduction_rule") or ""])
            child.setToolTip(1, item["content"])
            section.addChild(child)

    def act(self, key: str) -> None:
        template, service = self.current(), templates
        with dialogs.reported(self, "检查表操作没有完成"):
            if key == "publish" and template and dialogs.confirm(
                    self, "发布检查表", f"发布“{template['name']}”第 {template['version']} 版？",
                    "发布", "发布后这个版本不能再修改；同名的旧版本会停用，"
                    "已用旧版本的督导记录不变。"):
                service.publish(self.ws, template["id"])
            elif key == "new_version" and template:
                service.new_version(self.ws, template["id"])
            elif key == "retire" and template and dialogs.confirm(
                    self, "停用检查表", f"停用“{template['name']}”第 {template['version']} 版？",
                    "停用", "停用后新督导不能再选它；已经用它的督导记录不受影响。"):
                service.retire(self.ws, template["id"])
            elif key == "import":
                self._import()
            elif key == "export" and template:
                self._export(template)
        self.refresh()

    def _folder(self) -> str:
        return str(appearance.settings().value("templates/dir", "") or QStandardPaths.
                   writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "导入检查表", self._folder(),
                                              "检查表 (*.xlsx *.json);;所有文件 (*)")
        if name:
            appearance.settings().setValue("templates/dir", str(Path(name).parent))
            templates.import_file(self.ws, Path(name))

    def _export(self, template: dict[str, Any]) -> None:
        default = Path(self._folder()) / f"{template['name']}-第{template['version']}版.xlsx"
        name, _ = QFileDialog.getSaveFileName(self, "导出检查表", str(default),
                                              "Excel 文件 (*.xlsx);;JSON 文件 (*.json)")
        if name:
            appearance.settings().setValue("templates/dir", str(Path(name).parent))
            templates.export_file(self.ws, template["id"], Path(name))
            dialogs.inform(self, "导出完成", f"已保存到：{name}")
