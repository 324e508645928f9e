"""GUI fixtures: the app styled as in production, a main window on the demo county."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from wushan_desk.gui import appearance
from wushan_desk.gui.main_window import MainWindow
from wushan_desk.gui.people.page import PeoplePage
from wushan_desk.gui.widgets import background
from wushan_desk.store.workspace import Workspace


@pytest.fixture(autouse=True)
def writers_closed() -> Iterator[None]:
    """Each test's background writers finish and close their connections afterwards."""
    yield
    background.close_all()


@pytest.fixture
def styled_app(qapp: QApplication) -> QApplication:
    """Fonts, translations, text size (from this test's fresh settings) and stylesheet."""
    appearance.setup(qapp)
    return qapp


@pytest.fixture
def window(qtbot, styled_app: QApplication, demo_ws: Workspace) -> Iterator[MainWindow]:
    win = MainWindow(demo_ws)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def people(window: MainWindow) -> PeoplePage:
    window.go_to("学校与学生")
    page = window.pages["学校与学生"]
    assert isinstance(page, PeoplePage)
    page.ensure_loaded()
    return page
