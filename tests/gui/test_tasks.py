"""Long jobs off the GUI thread: late progress dialog, cancel, errors in plain words."""

from __future__ import annotations

import threading
import time

import support
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from wushan_desk.gui.widgets import tasks
from wushan_desk.gui.widgets.dialogs import ErrorDialog
from wushan_desk.progress import Cancelled


def test_quick_job_delivers_its_result_without_a_dialog(qtbot, styled_app) -> None:
    results: list[object] = []
    threads: list[str] = []

    def job(progress, cancelled):
        threads.append(threading.current_thread().name)
        progress(1, 1, "完成")
        return 42

    task = tasks.run_task(None, "测试", job, results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)
    assert threads and threads[0] != threading.main_thread().name  # ran off the GUI thread
    assert task.done and task not in tasks._running


def test_slow_job_shows_progress_after_half_a_second_and_cancels(qtbot, styled_app) -> None:
    saw_cancel = threading.Event()
    outcome: list[str] = []

    def job(progress, cancelled):
        for i in range(400):
            if cancelled():
                saw_cancel.set()
                raise Cancelled
            progress(i, 400, f"正在处理第 {i} 项")
            time.sleep(0.01)
        return "finished"

    started = time.monotonic()
    task = tasks.run_task(None, "正在生成", job, outcome.append,
                          on_cancelled=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(task.dialog.isVisible, timeout=3000)
    assert time.monotonic() - started >= tasks.SHOW_AFTER_MS / 1000 - 0.05
    qtbot.waitUntil(lambda: "正在处理第" in task.dialog.labelText(), timeout=3000)
    cancel = task.dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "取消"
    cancel.click()
    qtbot.waitUntil(lambda: outcome == ["cancelled"], timeout=5000)
    assert saw_cancel.is_set() and task.done and task not in tasks._running


def test_failed_job_explains_itself_with_details_folded_away(qtbot, styled_app) -> None:
    def job(progress, cancelled):
        raise RuntimeError("disk exploded at offset 0x42")

    tasks.run_task(None, "测试", job, lambda _r: None, what="演示工作区没有建成")

    def error_dialog() -> ErrorDialog | None:
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, ErrorDialog) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: error_dialog() is not None, timeout=5000)
    dialog = error_dialog()
    assert dialog is not None
    main_text = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "演示工作区没有建成" in main_text
    assert "Traceback" not in main_text and "0x42" not in main_text
    assert not dialog.detail.isVisible()
    dialog.toggle.click()  # 详细信息
    assert dialog.detail.isVisible()
    assert "RuntimeError" in dialog.detail.toPlainText()
    assert dialog.toggle.text() == "详细信息"
    dialog.accept()


def test_errors_are_explained_in_the_users_terms() -> None:
    from wushan_desk.gui.widgets.dialogs import explain
    from wushan_desk.store.driver import sqlite3

    locked = explain(sqlite3.OperationalError("database is locked"), "没有保存")
    assert "另一个" in locked.why and locked.what == "没有保存"
    broken = explain(sqlite3.DatabaseError("file is not a database"), "无法打开")
    assert "损坏" in broken.why
    full = explain(OSError(28, "No space left on device"), "导出失败")
    assert "磁盘" in full.why and full.todo
    odd = explain(KeyError("x"), "操作没有完成")
    assert "意外" in odd.why and "详细信息" in odd.todo and "KeyError" in odd.detail


def _held_workspace(tmp_path):
    """A workspace, its window's connection, and another program holding its write lock."""


    from support import open_workspace

    db = tmp_path / "w.wsdb"
    support.new_workspace(db).close()
    ws = open_workspace(db, create=False, busy_ms=50)
    holder = support.raw_connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return ws, holder


def test_closing_waits_for_a_busy_workspace_and_says_so(qtbot, styled_app, tmp_path,
                                                        monkeypatch) -> None:
    """Typed changes are never dropped at exit: the window says what it waits for, the
    events keep flowing, and the write lands once the other program is done."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from wushan_desk.gui.widgets import background
    from wushan_desk.services import records

    monkeypatch.setattr(background, "QUIET_WAIT_S", 0.2)
    monkeypatch.setattr(background, "RETRY_S", 0.05)
    ws, holder = _held_workspace(tmp_path)
    school = {"name": "新学校", "type": "小学", "township_id": support.township()}
    background.writer_for(ws).submit(lambda w: records.put(w, "school", school))
    seen: list[str] = []

    def release() -> None:
        boxes = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QProgressDialog) and w.isVisible()]
        seen.extend(b.labelText() for b in boxes)
        holder.execute("ROLLBACK")

    QTimer.singleShot(600, release)
    background.close_for(ws)
    assert seen and "其他程序" in seen[0]
    assert any(s["name"] == "新学校" for s in records.iter_records(ws, "school"))
    ws.close()
    holder.close()


def test_the_user_may_give_up_unsaved_changes_after_a_second_question(
        qtbot, styled_app, tmp_path, monkeypatch) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from wushan_desk.gui.widgets import background, dialogs

    monkeypatch.setattr(background, "QUIET_WAIT_S", 0.2)
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: asked.append(a[2]) or True)
    ws, holder = _held_workspace(tmp_path)
    school = {"name": "新学校", "type": "小学", "township_id": support.township()}
    background.writer_for(ws).submit(lambda w: records_put(w, school))

    def cancel() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QProgressDialog) and w.isVisible():
                w.cancel()

    QTimer.singleShot(500, cancel)
    background.close_for(ws)  # returns: the user gave the change up
    assert asked and "放弃" in asked[0]
    holder.execute("ROLLBACK")
    holder.close()
    ws.close()


def records_put(ws, school) -> None:
    from wushan_desk.services import records

    records.put(ws, "school", school)


def test_a_job_running_when_its_window_closes_ends_first_and_reports_nowhere(
        qtbot, styled_app) -> None:
    """Closing a workspace (Session.close) stops the jobs reading it before it closes:
    a long county-wide check ended with the window gone and its widgets deleted, so its
    result must not reach them (the bench's probe aborted on exactly that)."""
    results: list[object] = []
    started = threading.Event()

    def job(progress, cancelled):
        started.set()
        time.sleep(0.3)  # a check that does not look at `cancelled`
        return "done"

    owner = QLabel()
    task = tasks.run_task(owner, "核查", job, results.append)
    assert started.wait(5)
    tasks.stop_all()
    assert task.thread.isFinished() and task.abandoned and task not in tasks._running
    owner.deleteLater()
    for _ in range(20):
        QApplication.processEvents()
        time.sleep(0.01)
    assert results == []  # delivered nowhere


def test_a_job_whose_window_is_deleted_meanwhile_reports_nowhere(qtbot, styled_app) -> None:
    """A tab closed while its job runs (a test's page torn down under the 资助核查 run
    once raised “already deleted” from the progress dialog in the next test)."""
    results: list[object] = []
    started = threading.Event()

    def job(progress, cancelled):
        started.set()
        time.sleep(0.3)
        return "done"

    owner = QLabel()
    task = tasks.run_task(owner, "核查", job, results.append)
    assert started.wait(5)
    owner.deleteLater()
    qtbot.waitUntil(lambda: task not in tasks._running, timeout=5000)
    assert task.abandoned and results == []
