"""Start-up: vendored fonts, stylesheet, first-start dialog, refusing bad workspaces."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from wushan_desk import paths
from wushan_desk.gui import app as gui_app
from wushan_desk.gui import appearance, first_start
from wushan_desk.gui.first_start import FirstStartDialog
from wushan_desk.gui.main_window import MainWindow
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import workspace

VENDORED = sorted(p for p in paths.fonts_dir().glob("*") if p.suffix.lower() in (".ttf", ".otf"))


def test_vendored_chinese_font_is_the_default(styled_app: QApplication) -> None:
    assert VENDORED
    current = appearance.current()
    assert current is not None and current.family is not None
    assert current.family in QFontDatabase.families()
    assert current.families[current.family] in VENDORED
    assert QApplication.font().family() == current.family
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(
        current.family)
    assert "Kai" not in current.family  # a Kai face is for print, not the UI


def test_fonts_folder_may_be_missing_or_empty(styled_app, tmp_path: Path) -> None:
    assert appearance.register_fonts(tmp_path / "none") == {}
    assert appearance.register_fonts(tmp_path) == {}
    appearance.choose_ui_family({})  # a system fallback or None, never an error


def test_stylesheet_is_applied_with_the_text_size(styled_app: QApplication) -> None:
    sheet = styled_app.styleSheet()
    assert "QListWidget#nav" in sheet and "@base@" not in sheet and "@title@" not in sheet
    assert styled_app.font().pointSize() == appearance.text_size().points


def test_first_start_offers_the_demo_a_hub_and_joining(qtbot, styled_app) -> None:
    dialog = FirstStartDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.demo_button.isEnabled()
    assert dialog.hub_button.isEnabled() and dialog.join_button.isEnabled()


def test_first_start_builds_and_opens_the_demo(qtbot, styled_app, monkeypatch) -> None:
    monkeypatch.setattr(first_start, "DEMO_SCALE", 0.01)
    dialog = FirstStartDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.demo_button.click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=60_000)
    assert dialog.chosen == paths.demo_workspace() and dialog.chosen.exists()
    again = FirstStartDialog()  # a second start opens the existing demo at once
    qtbot.addWidget(again)
    again.demo_button.click()
    assert again.result() == QDialog.DialogCode.Accepted and again.task is None


def test_run_refuses_a_file_that_is_not_a_workspace(styled_app, tmp_path: Path,
                                                    monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error",
                        lambda _p, exc, what, **_k: shown.append(f"{what}: {exc}"))
    bogus = tmp_path / "notes.wsdb"
    bogus.write_text("not a database", encoding="utf-8")
    assert gui_app.run(bogus) == 3
    assert shown and "无法打开工作区" in shown[0]
    assert bogus.read_text(encoding="utf-8") == "not a database"
    assert gui_app.run(tmp_path / "missing.wsdb") == 3
    assert not (tmp_path / "missing.wsdb").exists()


def test_run_opens_the_default_workspace(qtbot, styled_app, monkeypatch) -> None:
    workspace.create(paths.default_workspace(), "demo", "默认工作区").close()
    seen: list[str] = []

    def fake_exec(*_args: object) -> int:
        # Stands in for the event loop (a real exec/quit in a test breaks later tests).
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        seen.extend(w.info.name for w in windows)
        for w in windows:
            w.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert gui_app.run(None) == 0
    assert seen == ["默认工作区"]


def test_run_without_any_workspace_asks_first(styled_app, monkeypatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(FirstStartDialog, "exec",
                        lambda self: asked.append(True) or QDialog.DialogCode.Rejected)
    assert not paths.default_workspace().exists()
    assert gui_app.run(None) == 0
    assert asked == [True]


def test_a_second_window_on_the_same_workspace_is_refused(qtbot, styled_app, tmp_path: Path,
                                                          monkeypatch) -> None:
    path = tmp_path / "w.wsdb"
    workspace.create(path, "demo", "测试").close()
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_problem",
                        lambda _p, problem, **_k: shown.append(problem.why))
    first, second = gui_app.Session(), gui_app.Session()
    try:
        assert first.open(path) == 0
        assert second.open(path) == 3 and second.window is None
        assert shown and "另一个窗口" in shown[0]
        first.close()
        assert second.open(path) == 0  # free again once the first window is closed
    finally:
        first.close()
        second.close()


def test_a_second_window_by_another_spelling_of_the_path_is_refused(
        qtbot, styled_app, tmp_path: Path, monkeypatch) -> None:
    """A link (on Windows also an 8.3 short name) reaches the same workspace."""
    path = tmp_path / "w.wsdb"
    workspace.create(path, "demo", "测试").close()
    alias = tmp_path / "别名.wsdb"
    alias.symlink_to(path)
    monkeypatch.setattr(dialogs, "show_problem", lambda *_a, **_k: None)
    first, second = gui_app.Session(), gui_app.Session()
    try:
        assert first.open(path) == 0
        assert second.open(alias) == 3 and second.window is None
    finally:
        first.close()
        second.close()
