"""The main window: navigation on the left, the pages, menus and the status bar.

Sized for a 1366x768 laptop screen (with the Windows taskbar: 1366x728 free): the
navigation is narrow, lists scroll, and long paths in the status bar are elided.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wushan_desk import __version__
from wushan_desk.gui import appearance
from wushan_desk.gui.pages import HomePage, SettingsPage
from wushan_desk.services import workspace as workspace_service
from wushan_desk.services.session import Workspace

PAGES = ("首页", "督导检查", "控辍保学", "学生资助", "学校与学生", "同步", "报表", "设置")
APP_TITLE = "巫山教育督导"


class MainWindow(QMainWindow):
    """One open workspace; `openRequested(path)` when the user picks another file."""

    openRequested = Signal(Path)
    #: the user chose to restore this backup into the open workspace (gui/app.py does it)
    restoreRequested = Signal(Path)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.info = workspace_service.info(ws)
        self.setWindowTitle(f"{APP_TITLE} — {self.info.name}")
        self.nav = QListWidget(objectName="nav")
        self.stack = QStackedWidget()
        self.pages = _Pages(self)
        self._build_pages()
        self.nav.currentRowChanged.connect(self._show_page)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 8, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._build_status_bar()
        self.nav.setCurrentRow(0)
        free = self.screen().availableGeometry().size()  # 1093x582 on 1366x768 at 125%
        self.resize(QSize(min(1280, free.width()), min(720, free.height())))

    # -- pages -------------------------------------------------------------------------

    def _build_pages(self) -> None:
        """An empty slot per page: a page (and the modules behind it) is built when it is
        first shown, so the window appears without loading sync, reports or crypto."""
        for number, name in enumerate(PAGES, start=1):
            slot = QWidget(objectName=f"slot-{name}")
            QVBoxLayout(slot).setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(slot)
            item = QListWidgetItem(name)
            item.setToolTip(f"{name}（Ctrl+{number}）")
            self.nav.addItem(item)
        self._fit_nav()

    def _show_page(self, index: int) -> None:
        if index >= 0:
            self.pages[PAGES[index]]  # built on first use
            self.stack.setCurrentIndex(index)

    def _fit_nav(self) -> None:
        """As narrow as the longest page name allows, at the current text size."""
        self.nav.ensurePolished()  # the stylesheet sets the nav's font size
        width = max(self.nav.fontMetrics().horizontalAdvance(n) for n in PAGES) + 48
        self.nav.setFixedWidth(width)

    def _make_page(self, name: str) -> QWidget:
        """Build one page; its module is imported here, when the page is first shown."""
        if name == "首页":
            home = HomePage(self.ws)
            home.goTo.connect(self.go_to)
            return home
        if name == "学校与学生":
            from wushan_desk.gui.people.page import PeoplePage

            people = PeoplePage(self.ws)
            people.openVisit.connect(self.open_visit)
            return people
        if name == "督导检查":
            from wushan_desk.gui.inspection.page import InspectionPage

            return InspectionPage(self.ws)
        if name == "控辍保学":
            from wushan_desk.gui.dropout.page import DropoutPage

            return DropoutPage(self.ws)
        if name == "学生资助":
            from wushan_desk.gui.aid.page import AidPage

            return AidPage(self.ws)
        if name == "设置":
            settings = SettingsPage(self.ws, self.set_text_size)
            settings.backups.restoreRequested.connect(self.restoreRequested)
            return settings
        if name == "同步":
            from wushan_desk.gui.sync.page import SyncPage

            sync_page = SyncPage(self.ws)
            sync_page.openRequested.connect(self.openRequested)
            sync_page.dataImported.connect(self._reload_lists)
            sync_page.synced.connect(lambda text: self.status_labels["sync"].setText(
                f"上次同步：{text}"))
            return sync_page
        if name == "报表":
            from wushan_desk.gui.reports_page import ReportsPage

            reports = ReportsPage(self.ws)
            reports.goTo.connect(self.go_to)
            return reports
        raise KeyError(f"no page called {name!r}")

    def _reload_lists(self) -> None:
        """After an import the lists must show the new data (the home page reloads itself)."""
        from wushan_desk.gui.people.page import PeoplePage

        people = self.pages.built("学校与学生")
        if isinstance(people, PeoplePage):
            people.students.refresh()
            people.schools.refresh()

    def go_to(self, target: str) -> None:
        """Show a page by name; after a colon, the tab of that name ("学校与学生:学校",
        "控辍保学:月报")."""
        from PySide6.QtWidgets import QTabWidget

        from wushan_desk.gui.people.page import PeoplePage

        name, _, tab = target.partition(":")
        self.nav.setCurrentRow(PAGES.index(name))
        page = self.pages.built(name)
        if name == "学校与学生" and isinstance(page, PeoplePage):
            page.tabs.setCurrentWidget(page.schools if tab == "学校" else page.students)
            (page.schools if tab == "学校" else page.students).focus_search()
            return
        tabs = getattr(page, "tabs", None)
        if tab and isinstance(tabs, QTabWidget):
            for index in range(tabs.count()):
                if tabs.tabText(index).replace("&", "").startswith(tab):
                    tabs.setCurrentIndex(index)
                    break

    def open_visit(self, visit_id: str) -> None:
        """Show one visit in the 督导检查 page's editor (from a school's history)."""
        from wushan_desk.gui.inspection.page import InspectionPage

        self.go_to("督导检查")
        page = self.pages["督导检查"]
        if isinstance(page, InspectionPage):
            page.open_visit(visit_id)

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()]

    # -- menus ---------------------------------------------------------------------------

    def _action(self, menu: Any, text: str, slot: Callable[[], Any],
                shortcuts: list[QKeySequence | str] | None = None) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("文件(&F)")
        self._action(file_menu, "打开工作区…", self.choose_workspace,
                     [QKeySequence.StandardKey.Open])
        file_menu.addSeparator()
        self._action(file_menu, "退出", self.close, ["Ctrl+Q"])
        view = bar.addMenu("视图(&V)")
        for number, name in enumerate(PAGES, start=1):
            self._action(view, name, lambda _c=False, n=name: self.go_to(n),
                         [f"Ctrl+{number}", f"Alt+{number}"])
        view.addSeparator()
        sizes = view.addMenu("文字大小")
        self.size_actions = QActionGroup(self)
        current = appearance.text_size().key
        for size in appearance.TEXT_SIZES:
            action = self._action(sizes, size.label, lambda _c=False, k=size.key:
                                  self.set_text_size(k))
            action.setCheckable(True)
            action.setChecked(size.key == current)
            action.setData(size.key)
            self.size_actions.addAction(action)
        sizes.addSeparator()
        self._action(sizes, "放大", lambda: self._step_text_size(1), ["Ctrl+=", "Ctrl++"])
        self._action(sizes, "缩小", lambda: self._step_text_size(-1), ["Ctrl+-"])
        help_menu = bar.addMenu("帮助(&H)")
        self._action(help_menu, "关于", self.about, ["F1"])

    def _build_status_bar(self) -> None:
        info = self.info
        status = self.statusBar()
        path = str(info.path)
        place = QLabel(objectName="statusWorkspace", toolTip=f"工作区文件：{path}")
        elided = place.fontMetrics().elidedText(path, Qt.TextElideMode.ElideMiddle, 360)
        place.setText(f"工作区：{info.name}（{elided}）")
        self.status_labels = {
            "workspace": place,
            "role": QLabel(f"身份：{info.role_label}", objectName="statusRole"),
            "device": QLabel(f"设备：{info.device_id[:8]}", objectName="statusDevice",
                             toolTip=f"本机设备编号：{info.device_id}"),
            "sync": QLabel(f"上次同步：{info.last_sync or '尚未同步'}",
                           objectName="statusSync"),
        }
        user = self.ws.user
        self.status_labels["user"] = QLabel(
            f"用户：{user.login}（{user.role_label}）" if user else "用户：未加密，无账号",
            objectName="statusUser")
        status.addWidget(place, 1)
        for key in ("user", "role", "device", "sync"):
            status.addPermanentWidget(self.status_labels[key])

    def status_text(self) -> str:
        return "　".join(label.text() for label in self.status_labels.values())

    # -- actions -------------------------------------------------------------------------------

    def set_text_size(self, key: str) -> None:
        app = appearance.current()
        if app is not None:
            app.set_text_size(key)
        else:
            appearance.settings().setValue("appearance/text_size", key)
        for action in self.size_actions.actions():
            action.setChecked(action.data() == key)
        self._fit_nav()
        settings = self.pages.built("设置")
        if isinstance(settings, SettingsPage):
            settings.text_size.select(key)

    def _step_text_size(self, step: int) -> None:
        keys = [s.key for s in appearance.TEXT_SIZES]
        index = keys.index(appearance.text_size().key) + step
        self.set_text_size(keys[max(0, min(index, len(keys) - 1))])

    def choose_workspace(self) -> None:
        start = str(self.ws.path.parent)
        path, _ = QFileDialog.getOpenFileName(self, "打开工作区", start,
                                              "工作区文件 (*.wsdb);;所有文件 (*)")
        if path:
            self.openRequested.emit(Path(path))

    def about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "关于",
                          f"巫山教育督导桌面端　版本 {__version__}", parent=self)
        box.setInformativeText(
            "供巫山县各乡镇教育督导中心离线使用：督导检查、控辍保学、学生资助，"
            "通过数据包与县教委同步。\n"
            "界面字体：WushanSans（据 Noto Sans CJK SC，SIL OFL 1.1）。")
        box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
        box.exec()

    def closeEvent(self, event: Any) -> None:
        appearance.settings().setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)

    def restore_geometry(self) -> None:
        saved = appearance.settings().value("window/geometry")
        if saved is None or not self.restoreGeometry(saved):
            self.showMaximized() if self._small_screen() else self.show()
        else:
            self.show()

    def _small_screen(self) -> bool:
        screen = self.screen().availableGeometry()
        return screen.width() <= 1440 or screen.height() <= 800


class _Pages:
    """The window's pages by name, each built on first access into its slot."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._built: dict[str, QWidget] = {}

    def __getitem__(self, name: str) -> QWidget:
        page = self._built.get(name)
        if page is None:
            page = self._window._make_page(name)
            page.setObjectName(f"page-{name}")
            slot = self._window.stack.widget(PAGES.index(name))
            slot.layout().addWidget(page)
            self._built[name] = page
        return page

    def built(self, name: str) -> QWidget | None:
        """The page if it has been shown already (None: nothing to refresh)."""
        return self._built.get(name)

    def __contains__(self, name: object) -> bool:
        return name in PAGES

