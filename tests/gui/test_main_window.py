"""The main window: navigation, status bar, placeholders, fitting a 1366x768 screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget

from wushan_desk.gui import appearance
from wushan_desk.gui.main_window import PAGES, MainWindow
from wushan_desk.gui.pages import HomePage, SettingsPage
from wushan_desk.services import browse, workspace

IN_DEVELOPMENT = "正在开发中"  # what a page not built yet would say

FREE_ON_1366x768 = QSize(1366, 728)  # the Windows taskbar takes ~40 px


def test_window_shows_navigation_and_status_bar(window: MainWindow) -> None:
    names = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert names == ["首页", "督导检查", "控辍保学", "学生资助", "学校与学生", "同步", "报表",
                     "设置"]
    info = workspace.info(window.ws)
    text = window.status_text()
    assert f"工作区：{info.name}" in text
    assert window.ws.path.name in text
    assert f"身份：{info.role_label}" in text
    assert f"设备：{info.device_id[:8]}" in text
    assert "上次同步：尚未同步" in text
    assert window.current_page() == "首页"


def test_number_shortcuts_switch_pages(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "学校与学生"
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.AltModifier)
    assert window.current_page() == "设置"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "首页"


def test_every_page_is_built(window: MainWindow) -> None:
    for name in PAGES:
        texts = " ".join(label.text() for label in window.pages[name].findChildren(QLabel))
        assert IN_DEVELOPMENT not in texts, name


def test_the_reports_page_leads_to_where_each_document_prints(window: MainWindow) -> None:
    from wushan_desk.gui.reports_page import DOCUMENTS, ReportsPage

    window.go_to("报表")
    page = window.pages["报表"]
    assert isinstance(page, ReportsPage)
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert all(d.name in texts for d in DOCUMENTS) and IN_DEVELOPMENT not in texts
    for name, where, tab in (("控辍保学月报", "控辍保学", "月报"),
                             ("督导检查表", "督导检查", "检查表"),
                             ("审计记录", "设置", None)):
        window.go_to("报表")
        page.buttons[name].click()
        assert window.current_page() == where
        if tab:
            tabs = window.pages[where].tabs
            assert tabs.tabText(tabs.currentIndex()).replace("&", "").startswith(tab)


def test_home_page_shows_the_workspace_counts(qtbot, window: MainWindow) -> None:
    home = window.pages["首页"]
    assert isinstance(home, HomePage)
    qtbot.waitUntil(lambda: home.counts is not None)  # counted in the background
    counts = browse.counts(window.ws)
    texts = [label.text() for label in home.findChildren(QLabel)]
    assert f"{counts['students']:,}" in texts and "在册学生" in texts
    assert f"{counts['schools']:,}" in texts
    assert not home.empty.isVisible()


def test_minimum_size_fits_a_1366x768_laptop(window: MainWindow) -> None:
    window.go_to("学校与学生")
    hint = window.minimumSizeHint()
    assert hint.width() <= FREE_ON_1366x768.width()
    assert hint.height() <= FREE_ON_1366x768.height()
    window.resize(FREE_ON_1366x768)
    assert window.width() <= 1366 and window.height() <= 728


def test_text_size_is_applied_everywhere_and_remembered(qapp, window: MainWindow) -> None:
    settings = window.pages["设置"]
    assert isinstance(settings, SettingsPage)
    standard = qapp.font().pointSize()
    window.set_text_size("xlarge")
    assert qapp.font().pointSize() > standard
    table = window.pages["学校与学生"].students.table  # type: ignore[attr-defined]
    assert table.font().pointSize() == qapp.font().pointSize()
    longest = window.nav.fontMetrics().horizontalAdvance("学校与学生")
    assert window.nav.width() > longest  # the navigation grew with its text
    assert appearance.text_size().key == "xlarge"
    assert window.minimumSizeHint().width() <= 1366
    window.set_text_size("standard")
    assert qapp.font().pointSize() == standard


def test_pages_are_listed_in_the_view_menu_with_shortcuts(window: MainWindow) -> None:
    view = next(a.menu() for a in window.menuBar().actions() if a.text().startswith("视图"))
    page_actions = [a for a in view.actions() if a.text() in PAGES]
    assert [a.shortcut().toString() for a in page_actions] == [f"Ctrl+{i}" for i in range(1, 9)]


def test_a_school_history_opens_its_visit_on_the_inspection_page(window: MainWindow,
                                                                 qtbot) -> None:
    from wushan_desk.gui.people.school_history import SchoolHistory
    from wushan_desk.store import inspection_queries

    visit = inspection_queries.visits(window.ws, limit=1)[0]
    people = window.pages["学校与学生"]
    people.show_school_history(visit["school_id"])
    history = people.findChild(SchoolHistory)
    assert history is not None and history.school_id == visit["school_id"]
    history.openVisit.emit(visit["id"])
    assert window.current_page() == "督导检查"
    editor = window.pages["督导检查"].findChild(QWidget, "visitEditor")
    assert editor is not None and editor.visit_id == visit["id"]
