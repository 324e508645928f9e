"""督导检查 screens: a visit made, answered by keyboard, signed on the pad, finalized,
amended and printed; follow-up closes a finding; overdue shows as 逾期; small screens."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import support
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from typing_helpers import enter_text

from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.gui import appearance, printing
from wushan_desk.gui.inspection.editor import VisitEditor
from wushan_desk.gui.inspection.page import InspectionPage
from wushan_desk.gui.inspection.parts import RED, KeyChoice, ScoreSpin
from wushan_desk.gui.inspection.signature_pad import HEAD, SignatureDialog
from wushan_desk.gui.people.school_history import SchoolHistory
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import attachments, inspection, records, workspace
from wushan_desk.store.workspace import Workspace

TODAY = clock.today()
SCHOOL = "巫山县骡坪镇中心小学"
ITEMS = [
    {"section": "一、课程与教学", "content": "开齐开足国家课程", "item_kind": rules.SCORE,
     "max_score": 10, "deduction_rule": "少开一门扣2分", "method": "查阅资料"},
    {"section": "一、课程与教学", "content": "一二年级不布置书面作业", "item_kind": rules.YES_NO,
     "max_score": 5, "method": "访谈"},
    {"section": "二、食堂与安全", "content": "陪餐记录完整", "item_kind": rules.RATING,
     "max_score": 10, "method": "实地查看", "deadline_days": 7},
    {"section": "二、食堂与安全", "content": "每周体育课节数", "item_kind": rules.NUMBER,
     "method": "查阅资料"},
]


@pytest.fixture
def ws(fresh_ws: Workspace) -> Workspace:
    """A checklist (published), a school and two 责任督学."""
    template = records.put(fresh_ws, "checklist_template", {
        "name": "经常性督导检查表", "template_kind": "经常性督导", "version": 1,
        "status": "草稿", "default_deadline_days": 30}).id
    for position, item in enumerate(ITEMS, start=1):
        records.put(fresh_ws, "checklist_item",
                    {"template_id": template, "position": position, **item})
    records.put(fresh_ws, "checklist_template",
                {"id": template, "status": "已发布", "published_on": "2026-09-01"})
    township = workspace.township_ids()["骡坪镇"]
    records.put(fresh_ws, "school", {"name": SCHOOL, "type": "小学", "township_id": township,
                                     "head": "冉校长"})
    for name in ("向堃", "谭明"):
        records.put(fresh_ws, "staff", {"name": name, "role": "责任督学"})
    return fresh_ws


def ids(ws: Workspace, kind: str) -> list[str]:
    return [r["id"] for r in records.iter_records(ws, kind)]


@pytest.fixture
def page(qtbot, styled_app, ws: Workspace) -> Iterator[InspectionPage]:
    widget = InspectionPage(ws)
    qtbot.addWidget(widget)
    widget.resize(1200, 650)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    yield widget
    if widget.editor is not None:
        widget.editor.amending = None  # nothing to ask at teardown
        widget.editor.save_now()
        qtbot.waitUntil(lambda: widget.editor.saved, timeout=5000)


def draw_signature(dialog: SignatureDialog) -> None:
    pad = dialog.pad
    points = [QPoint(40 + x * 6, 90 + int(35 * math.sin(x / 3))) for x in range(80)]
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, pos=points[0])
    for p in points[1:]:
        QTest.mouseMove(pad, p)
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=points[-1])
    assert not pad.is_empty() and dialog.ok_button.isEnabled()
    dialog.ok_button.click()


def ctrl(qtbot, widget: QWidget, key: Qt.Key, shift: bool = False) -> None:
    mods = Qt.KeyboardModifier.ControlModifier
    if shift:
        mods |= Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(widget, key, mods)


def activate(qtbot, widget: QWidget) -> None:
    """Offscreen Qt does not give the window back its activation when a dialog closes;
    a real desktop does. Shortcuts need an active window."""
    widget.window().activateWindow()
    qtbot.waitUntil(widget.window().isActiveWindow)


def wait_saved(qtbot, editor: VisitEditor) -> None:
    qtbot.waitUntil(lambda: editor.saved, timeout=5000)


def test_visit_from_new_to_amended_and_printed(qtbot, page: InspectionPage, ws: Workspace,
                                               monkeypatch, tmp_path: Path) -> None:
    assert "新建督导" in page.visits.empty_text()
    ctrl(qtbot, page.visits.table, Qt.Key.Key_N)  # 新建督导
    start = page.start_dialog
    assert start is not None and start.isVisible()
    start.school.combo.lineEdit().selectAll()  # as when Tab enters the field
    enter_text(qtbot, start.school.combo.lineEdit(), SCHOOL)
    start.inspectors.setFocus()
    start.inspectors.setCurrentRow(0)
    qtbot.keyClick(start.inspectors, Qt.Key.Key_Space)  # tick 谭明 (sorted by name)
    assert start.head.text() == "冉校长"  # from the school record
    ctrl(qtbot, start, Qt.Key.Key_S)
    editor = page.editor
    assert editor is not None and page.stack.currentWidget() is editor
    visit_id = editor.visit_id
    activate(qtbot, editor)

    # answer with the keyboard: a score, 符合 by Y, a rating by its number key
    score, yes_no, rating, number = editor.rows
    assert isinstance(score.input, ScoreSpin) and isinstance(yes_no.input, KeyChoice)
    score.input.setFocus()
    score.input.selectAll()
    qtbot.keyClicks(score.input, "7.5")
    qtbot.keyClick(score.input, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is yes_no.input  # Enter moves to the next item
    qtbot.keyClick(yes_no.input, Qt.Key.Key_Y)
    qtbot.keyClick(yes_no.input, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is rating.input
    qtbot.keyClick(rating.input, Qt.Key.Key_2)  # 中: 60 % of 10
    enter_text(qtbot, rating.note, "9月份缺3天")
    number.input.setFocus()
    qtbot.keyClicks(number.input, "4")
    assert "得分 18.5 / 25" in editor.total.text()  # live, before anything is saved
    assert "小计 12.5 / 15" in editor.section_labels["一、课程与教学"].text()
    wait_saved(qtbot, editor)  # autosave: no button
    d = inspection.detail(ws, visit_id)
    assert {i: a["value"] for i, a in d.answers.items()} == {
        score.item["id"]: "7.5", yes_no.item["id"]: "符合", rating.item["id"]: "中",
        number.item["id"]: "4"}
    assert d.answers[rating.item["id"]]["note"] == "9月份缺3天"
    assert d.total == (18.5, 25.0)

    # a finding from the current item (Ctrl+Shift+N): its deadline is the item's 7 days
    rating.input.setFocus()
    ctrl(qtbot, rating.input, Qt.Key.Key_N, shift=True)
    finding = editor.finding_dialog
    assert finding is not None and finding.item.currentData() == rating.item["id"]
    assert finding.description.toPlainText() == "9月份缺3天"
    enter_text(qtbot, finding.requirement, "补齐陪餐记录")
    activate(qtbot, finding)
    ctrl(qtbot, finding, Qt.Key.Key_S)
    assert not finding.isVisible()
    (stored,) = inspection.detail(ws, visit_id).findings
    assert stored["deadline"] == (TODAY + dt.timedelta(days=7)).isoformat()
    assert editor.findings.rowCount() == 1

    # sign on the pad: each inspector, then the head; the PNGs are attachments
    draw_signature(editor.signatures.sign("督学", "谭明"))
    head = editor.signatures.sign(HEAD, None)
    assert head.name.text() == "冉校长" and not head.name.isReadOnly()
    draw_signature(head)
    signatures = inspection.detail(ws, visit_id).signatures
    assert {(s["role"], s["name"]) for s in signatures} == {("督学", "谭明"), (HEAD, "冉校长")}
    png = attachments.read(ws, signatures[0]["attachment_id"])
    assert png.startswith(b"\x89PNG")
    assert QImage.fromData(png).size().width() == 600

    # 定稿 asks first, then locks everything
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: asked.append(a[2]) or True)
    editor.finalize_button.click()
    qtbot.waitUntil(lambda: bool(asked))  # after the queued autosaves
    assert asked and "定稿" in asked[0]
    assert inspection.detail(ws, visit_id).locked
    assert "已定稿" in editor.status.text() and editor.amend_button.isVisible()
    qtbot.keyClick(yes_no.input, Qt.Key.Key_N)
    assert yes_no.value() == "符合" and score.input.isReadOnly()
    assert not editor.act_add_finding.isEnabled()

    # 更正: a reason, then the change, applied as one amendment
    editor.amend_button.click()
    amend = editor.amend_dialog
    assert amend is not None
    activate(qtbot, amend)
    ctrl(qtbot, amend, Qt.Key.Key_S)
    assert amend.isVisible() and "理由" in amend.error.text()  # a reason is required
    enter_text(qtbot, amend.reason, "误将8分录为7.5分")
    ctrl(qtbot, amend, Qt.Key.Key_S)
    assert editor.amending is not None and not score.input.isReadOnly()
    activate(qtbot, editor)
    score.input.setFocus()
    score.input.selectAll()
    qtbot.keyClicks(score.input, "8")
    assert inspection.detail(ws, visit_id).answers[score.item["id"]]["value"] == "7.5"  # not yet
    ctrl(qtbot, score.input, Qt.Key.Key_S)
    after = inspection.detail(ws, visit_id)
    assert after.answers[score.item["id"]]["value"] == "8" and after.visit["total_score"] == 19
    (amendment,) = after.amendments
    assert amendment["reason"] == "误将8分录为7.5分"
    assert editor.amendments.isVisibleTo(editor) or editor.tabs.isTabVisible(
        editor.tabs.indexOf(editor.amendments))
    assert "7.5 → 8" in editor.amendments.item(0, 3).text()

    # 打印 / 导出PDF
    editor.export_pdf(tmp_path / "督导意见书.pdf")
    qtbot.waitUntil(lambda: editor.task is not None and editor.task.done, timeout=20_000)
    assert (tmp_path / "督导意见书.pdf").read_bytes().startswith(b"%PDF")
    editor.print_report("rectification")  # 整改通知书: made off the GUI thread, previewed
    qtbot.waitUntil(lambda: editor.print_preview is not None, timeout=20_000)
    preview = editor.print_preview
    qtbot.waitUntil(lambda: preview.page_count() >= 1, timeout=5000)
    assert preview.pdf.name == f"{SCHOOL}-整改通知书-{TODAY}.pdf"
    assert preview.pdf.read_bytes().startswith(b"%PDF") and preview.failure is None
    assert preview.pdf.parent == printing.viewing_folder()  # private, removed at exit
    preview.close()

    activate(qtbot, editor)
    qtbot.keyClick(editor.tabs, Qt.Key.Key_Escape)  # back to the list
    assert page.editor is None and page.stack.currentWidget() is page.tabs
    assert page.visits.count_label.text() == "共 1 条"
    row = page.visits.model.row(0)
    assert (row.status, row.score, row.school) == ("已定稿", "19/25", SCHOOL)


def overdue_visit(ws: Workspace) -> tuple[str, str]:
    """A finalized visit 40 days ago with one finding, now 10 days past its deadline."""
    school = ids(ws, "school")[0]
    person = ids(ws, "staff")[0]
    template = ids(ws, "checklist_template")[0]
    day = TODAY - dt.timedelta(days=40)
    visit = inspection.start_visit(ws, school_id=school, template_id=template,
                                   inspector_ids=[person], date=day)
    finding = inspection.add_finding(ws, visit, description="陪餐记录缺9月份",
                                     requirement="补齐陪餐记录", deadline=TODAY - dt.timedelta(10))
    support.answer_all(ws, visit)
    records.put(ws, "visit", {"id": visit, "signed_on_paper": True})
    inspection.finalize(ws, visit, day)
    return visit, finding


def test_overdue_stands_out_and_follow_up_closes_it(qtbot, page: InspectionPage,
                                                    ws: Workspace) -> None:
    _visit, finding = overdue_visit(ws)
    page.refresh()
    page.visits.overdue.setChecked(True)
    assert page.visits.count_label.text() == "共 1 条"
    row = page.visits.model.row(0)
    assert "逾期" in row.deadline
    index = page.visits.model.index(0, 9)
    assert page.visits.model.data(index, Qt.ItemDataRole.ForegroundRole).name() == RED

    page.tabs.setCurrentWidget(page.findings)
    page.findings.overdue.setChecked(True)
    assert page.findings.model.rowCount() == 1
    assert page.findings.model.row(0).state == "逾期"
    page.findings.table.selectRow(0)
    page.findings.act_new.trigger()  # 复查
    start = page.start_dialog
    assert start is not None and start.windowTitle() == "复查"
    assert start.inspectors.chosen() == [ids(ws, "staff")[0]]  # the original's inspectors
    activate(qtbot, start)
    ctrl(qtbot, start, Qt.Key.Key_S)
    editor = page.editor
    assert editor is not None and editor.tabs.tabText(0) == "复查结果"
    activate(qtbot, editor)
    (check,) = editor.check_rows
    assert check.state.text() == "逾期"
    assert QApplication.focusWidget() is check.input
    qtbot.keyClick(check.input, Qt.Key.Key_1)  # 已整改
    enter_text(qtbot, check.note, "已补齐")
    wait_saved(qtbot, editor)
    closed = records.get(ws, "finding", finding)
    assert closed["status"] == rules.FIXED and closed["closed_on"] == TODAY.isoformat()
    assert "已销号" in check.state.text()
    checks = [c for c in records.iter_records(ws, "finding_check") if c["finding_id"] == finding]
    assert len(checks) == 1 and checks[0]["note"] == "已补齐"  # edits update one record
    editor.close_editor()
    assert page.findings.model.rowCount() == 0
    assert "没有" in page.findings.empty_label.text()


def test_photos_are_downscaled_attachments(qtbot, page: InspectionPage, ws: Workspace,
                                           tmp_path: Path) -> None:
    visit = inspection.start_visit(ws, school_id=ids(ws, "school")[0],
                                   template_id=ids(ws, "checklist_template")[0],
                                   inspector_ids=ids(ws, "staff")[:1], date=TODAY)
    editor = page.open_visit(visit)
    big = QImage(3000, 2000, QImage.Format.Format_RGB32)
    big.fill(Qt.GlobalColor.darkGreen)
    source = tmp_path / "canteen.png"
    assert big.save(str(source))
    row = editor.rows[0]
    task = editor.add_photos(row, [source])
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    wait_saved(qtbot, editor)
    (photo,) = inspection.detail(ws, visit).answers[row.item["id"]]["photo_ids"]
    stored = QImage.fromData(attachments.read(ws, photo))
    assert stored.width() == 1600 and 1066 <= stored.height() <= 1067
    assert records.get(ws, "attachment", photo)["mime"] == "image/jpeg"
    assert row.photos.text() == "照片 1"


def test_school_history_and_coverage(qtbot, page: InspectionPage, ws: Workspace) -> None:
    visit, _finding = overdue_visit(ws)
    history = SchoolHistory(ws, ids(ws, "school")[0])
    qtbot.addWidget(history)
    assert history.visits.rowCount() == 1 and history.visits.item(0, 2).text() == "已定稿"
    assert history.findings.item(0, 1).text() == "逾期"
    assert history.findings.item(0, 2).foreground().color().name() == RED
    opened: list[str] = []
    history.openVisit.connect(opened.append)
    history.visits.activated.emit(history.visits.model().index(0, 0))
    assert opened == [visit]
    page.tabs.setCurrentWidget(page.coverage)
    texts = [page.coverage.tree.topLevelItem(0).child(0).text(c) for c in (0, 4)]
    if rules.term_of(TODAY - dt.timedelta(days=40)) == rules.term_of(TODAY):
        assert texts == [SCHOOL, "不足两次"]
    else:
        assert texts == [SCHOOL, "未督导"]


def test_screens_fit_a_small_laptop_at_the_largest_text(qtbot, page: InspectionPage,
                                                       ws: Workspace) -> None:
    appearance.current().set_text_size("xlarge")
    try:
        visit, _finding = overdue_visit(ws)
        editor = page.open_visit(visit)
        room = 1366 - 160  # the navigation at 特大
        assert page.minimumSizeHint().width() <= room
        assert editor.minimumSizeHint().height() <= 600
        dialog = editor.signatures.sign("督学", "向堃")
        assert dialog.sizeHint().height() <= 728 and dialog.sizeHint().width() <= 1366
        dialog.reject()
        start = page.new_visit()
        assert start.sizeHint().height() <= 728
        start.reject()
    finally:
        appearance.current().set_text_size("standard")


def test_amending_findings_and_the_opinion(qtbot, page: InspectionPage, ws: Workspace,
                                           monkeypatch) -> None:
    visit, _finding = overdue_visit(ws)
    editor = page.open_visit(visit)
    assert editor.finding_buttons[0].isEnabled() is False  # locked
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    editor._begin_amending("期限写错", "向堃")
    dialog = editor.edit_finding(0)
    assert dialog is not None
    dialog.responsible.setText("刘主任")
    dialog.accept_values()
    dialog = editor.add_finding()
    assert dialog is not None
    dialog.description.setPlainText("厨房没有留样记录")
    dialog.requirement.setPlainText("每餐留样并登记")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)  # Enter moves on
    assert QApplication.focusWidget() is not dialog.description
    dialog.accept_values()
    assert editor.findings.rowCount() == 2 and "待保存" in editor.findings.item(1, 6).text()
    editor.summary.setPlainText("总体良好")
    assert len(inspection.detail(ws, visit).findings) == 1  # nothing written yet
    assert editor.apply_amendment()
    after = inspection.detail(ws, visit)
    assert {f["responsible"] for f in after.findings} == {"刘主任", None}
    assert after.visit["summary"] == "总体良好" and after.locked
    (amendment,) = after.amendments
    assert amendment["amended_by"] == "向堃" and "新增问题" in amendment["changes"]
    shown = editor.amendments.item(0, 3).text()
    assert "问题“陪餐记录缺9月份” 学校责任人：（空） → 刘主任" in shown and "督导意见" in shown


def test_template_manager_versions_a_checklist(qtbot, page: InspectionPage, ws: Workspace,
                                               monkeypatch) -> None:
    manager = page.templates
    page.tabs.setCurrentWidget(manager)
    assert manager.list.rowCount() == 1 and manager.items.topLevelItemCount() == 2
    assert manager.can_author  # a demo workspace authors its checklists
    assert not manager.buttons["publish"].isEnabled()  # already published
    manager.buttons["new_version"].click()
    assert manager.list.rowCount() == 2
    manager.list.selectRow(next(r for r in range(2) if manager.list.item(r, 3).text() == "草稿"))
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    manager.buttons["publish"].click()
    statuses = sorted(manager.list.item(r, 3).text() for r in range(2))
    assert statuses == ["已停用", "已发布"]
    start = page.new_visit()
    assert start.template.count() == 1 and "第2版" in start.template.itemText(0)
    start.reject()


def test_autosave_waits_for_a_busy_workspace_without_freezing(
        qtbot, page: InspectionPage, ws: Workspace) -> None:
    """Another program holds the write lock: the editor says 等待保存 and stays usable;
    the answer is written once the lock is released."""
    import time

    visit = inspection.start_visit(ws, school_id=ids(ws, "school")[0],
                                   template_id=ids(ws, "checklist_template")[0],
                                   inspector_ids=ids(ws, "staff")[:1], date=TODAY)
    editor = page.open_visit(visit)
    holder = support.raw_connect(ws.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        score = editor.rows[0]
        score.input.setFocus()
        score.input.selectAll()
        started = time.perf_counter()
        qtbot.keyClicks(score.input, "6")
        editor.save_now()
        assert time.perf_counter() - started < 0.5  # the GUI thread did not wait
        assert "等待保存" in editor.save_state.text() and not editor.saved
        qtbot.wait(300)
        assert "等待保存" in editor.save_state.text()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    wait_saved(qtbot, editor)
    assert "已保存" in editor.save_state.text()
    assert inspection.detail(ws, visit).answers[editor.rows[0].item["id"]]["value"] == "6"


def test_a_draft_started_on_another_computer_is_shown_read_only(qtbot, page: InspectionPage,
                                                                ws: Workspace) -> None:
    """A draft arrived from another laptop (here: written through the merge path with
    that laptop as its origin) can be looked at, not filled in or finalized here."""
    from wushan_desk.domain.hlc import Stamp
    from wushan_desk.store import changes

    other = "0d000000-0000-4000-8000-000000000001"
    stamp = str(Stamp(1_790_000_000_000, 0, other))
    visit = "0d000000-0000-4000-8000-0000000000aa"
    record = {"school_id": ids(ws, "school")[0], "date": TODAY.isoformat(), "kind": "经常性督导",
              "template_id": ids(ws, "checklist_template")[0],
              "inspector_ids": ids(ws, "staff")[:1], "term": None, "status": rules.DRAFT,
              "summary": "别处的草稿", "follow_up_of": None, "head_name": None,
              "signed_on_paper": False, "finalized_on": None, "total_score": None,
              "max_score": None}
    with ws.transaction():
        seq = changes.log_change(ws, changes.Change("visits", visit, stamp, other, "upsert",
                                                    record, {}), source=other)
        changes.write_fields(ws, "visits", visit, seq, {k: (v, stamp) for k, v in record.items()},
                             origin=other, created=stamp, current=None)
    editor = page.open_visit(visit)
    assert editor.banner.isVisible() and "只能查看" in editor.banner.text()
    assert "只能在那台电脑上" in editor.banner.text()
    assert editor.summary.isReadOnly() and not editor.finalize_button.isVisible()
    assert not editor.amend_button.isVisible() and not editor.act_add_finding.isEnabled()
    assert editor.rows and all(row.note.isReadOnly() for row in editor.rows)


# -- 定稿 names what is missing; the editor's small frictions (issue 12, item 2) --------

CANTEEN = [
    {"section": "七、食堂、饮水与宿舍", "code": "7.1", "content": "校领导陪餐并逐餐登记",
     "item_kind": rules.YES_NO, "max_score": 5},
    {"section": "七、食堂、饮水与宿舍", "code": "7.2", "content": "食品留样48小时并登记",
     "item_kind": rules.YES_NO, "max_score": 5, "photo_required": True},
    {"section": "七、食堂、饮水与宿舍", "code": "7.3",
     "content": "拍摄当日陪餐记录（含陪餐人签名）和食品留样柜。", "item_kind": rules.PHOTO,
     "photo_required": True},
]


def canteen_visit(ws: Workspace) -> str:
    """A draft visit with a checklist numbered 7.1-7.3 (7.2 须拍照, 7.3 a 照片 item):
    7.1 answered, the inspector signed on paper, the head not yet."""
    template = records.put(ws, "checklist_template", {
        "name": "食堂专项检查表", "template_kind": "专项督导", "version": 1, "status": "草稿"}).id
    for position, item in enumerate(CANTEEN, start=1):
        records.put(ws, "checklist_item", {"template_id": template, "position": position, **item})
    records.put(ws, "checklist_template",
                {"id": template, "status": "已发布", "published_on": "2026-09-01"})
    visit = inspection.start_visit(ws, school_id=ids(ws, "school")[0], template_id=template,
                                   inspector_ids=ids(ws, "staff")[:1], date=TODAY)
    first = inspection.detail(ws, visit).items[0]
    inspection.answer(ws, visit, first["id"], rules.YES)
    inspection.sign(ws, visit, role="督学", name="向堃", on_paper=True)
    return visit


def shown_missing(dialog) -> list[tuple[str, str, str]]:
    table = dialog.table
    return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]


def test_finalize_lists_what_is_missing_and_jumps_to_each(qtbot, page: InspectionPage,
                                                          ws: Workspace, monkeypatch) -> None:
    visit = canteen_visit(ws)
    editor = page.open_visit(visit)
    _done, photo_needed, photo_item = editor.rows
    editor.tabs.setCurrentWidget(editor.opinion_tab)  # 定稿 is pressed here, often
    activate(qtbot, editor)
    assert "Ctrl+Shift+D" in editor.finalize_button.toolTip()
    ctrl(qtbot, editor.summary, Qt.Key.Key_D, shift=True)  # 定稿
    qtbot.waitUntil(lambda: editor.missing_dialog is not None
                    and editor.missing_dialog.isVisible())
    missing = editor.missing_dialog
    assert shown_missing(missing) == [
        ("7.2", "食品留样48小时并登记", "▲ 未填写，须拍照"),
        ("7.3", "拍摄当日陪餐记录（含陪餐人签名）和食品留样柜。", "▲ 缺照片"),
        ("", "校长（园长）签名", "▲ 未签名")]
    assert "还有 3 项需要补齐" in missing.findChild(QLabel, "dialogHeadline").text()
    assert not dialogs._open  # a plain list, not the red 出错了 box
    assert not inspection.detail(ws, visit).locked

    # Enter on a line selects that item in the editor: 7.3's photos
    activate(qtbot, missing)
    missing.table.setCurrentCell(1, 1)
    qtbot.keyClick(missing.table, Qt.Key.Key_Return)
    assert not missing.isVisible()
    assert editor.tabs.currentWidget() is editor.checklist_scroll
    activate(qtbot, editor)
    assert editor._current is photo_item and QApplication.focusWidget() is photo_item.photos

    # 转到 on an unanswered item: its answer takes the next key
    missing = editor.show_missing(inspection.detail(ws, visit).problems)
    missing.table.setCurrentCell(0, 0)
    missing.go_button.click()
    activate(qtbot, editor)
    assert editor._current is photo_needed
    assert QApplication.focusWidget() is photo_needed.input
    qtbot.keyClick(photo_needed.input, Qt.Key.Key_Y)
    assert photo_needed.value() == rules.YES

    # double-click on the signature: the head's 签名 button on 意见与签名
    missing = editor.show_missing(inspection.detail(ws, visit).problems)
    qtbot.waitExposed(missing)
    rect = missing.table.visualItemRect(missing.table.item(2, 1))
    for click in (QTest.mouseClick, QTest.mouseDClick):  # (QTest sends no first press)
        click(missing.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not missing.isVisible() and editor.tabs.currentWidget() is editor.opinion_tab
    activate(qtbot, editor)
    assert QApplication.focusWidget() is editor.signatures.sign_button(HEAD)

    # everything there: Ctrl+Shift+D asks, then locks
    wait_saved(qtbot, editor)
    support.answer_all(ws, visit)  # the photos (the file dialog is tested elsewhere)
    inspection.sign(ws, visit, role=HEAD, name="冉校长", on_paper=True)
    editor.reload()
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: asked.append(a[2]) or True)
    activate(qtbot, editor)
    ctrl(qtbot, editor.rows[0].input, Qt.Key.Key_D, shift=True)
    qtbot.waitUntil(lambda: bool(asked))
    assert inspection.detail(ws, visit).locked and not editor.finalize_button.isVisible()
    assert not editor.act_finalize.isEnabled()


def test_the_first_key_in_a_new_visit_answers_the_first_item(qtbot, page: InspectionPage,
                                                             ws: Workspace) -> None:
    ctrl(qtbot, page.visits.table, Qt.Key.Key_N)  # 新建督导
    start = page.start_dialog
    assert start is not None
    start.school.combo.lineEdit().selectAll()
    enter_text(qtbot, start.school.combo.lineEdit(), SCHOOL)
    start.inspectors.setFocus()
    start.inspectors.setCurrentRow(0)
    qtbot.keyClick(start.inspectors, Qt.Key.Key_Space)
    ctrl(qtbot, start, Qt.Key.Key_S)
    editor = page.editor
    assert editor is not None
    activate(qtbot, editor)
    first = editor.rows[0]
    assert isinstance(first.input, ScoreSpin) and first.number == "1"
    assert QApplication.focusWidget() is first.input
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_7)  # over “未评”
    assert first.value() == "7"
    first.input.setValue(ScoreSpin.UNSET)  # clicked into later: a digit still replaces 未评
    first.input.lineEdit().setCursorPosition(1)
    qtbot.keyClick(first.input, Qt.Key.Key_8)
    assert first.value() == "8"
    wait_saved(qtbot, editor)


def test_tab_goes_down_the_opinion_page_and_sign_buttons_stay_put(
        qtbot, page: InspectionPage, ws: Workspace) -> None:
    visit = inspection.start_visit(ws, school_id=ids(ws, "school")[0],
                                   template_id=ids(ws, "checklist_template")[0],
                                   inspector_ids=ids(ws, "staff")[:1], date=TODAY)
    editor = page.open_visit(visit)
    editor.tabs.setCurrentWidget(editor.opinion_tab)
    activate(qtbot, editor)
    panel = editor.signatures
    editor.summary.setFocus()
    order = []
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    inspector_button, head_button = panel.buttons.values()
    assert order == [inspector_button, panel.head_name, head_button, panel.on_paper,
                     editor.finalize_bottom]

    def places() -> list[tuple[int, int]]:
        QApplication.processEvents()
        return [(b.mapTo(panel, QPoint(0, 0)).x(), b.width()) for b in panel.buttons.values()]

    appearance.current().set_text_size("xlarge")  # where “重新签名” is wider than a button
    try:
        panel.refresh(inspection.detail(ws, visit), locked=False)
        before = places()
        draw_signature(panel.sign("督学", "向堃"))
        assert [b.text() for b in panel.buttons.values()] == ["重新签名", "签名…"]
        assert places() == before  # the state and the button text changed, not the places
    finally:
        appearance.current().set_text_size("standard")


def test_a_finalized_visit_looks_locked(qtbot, page: InspectionPage, ws: Workspace) -> None:
    draft = inspection.start_visit(ws, school_id=ids(ws, "school")[0],
                                   template_id=ids(ws, "checklist_template")[0],
                                   inspector_ids=ids(ws, "staff")[:1], date=TODAY)
    editor = page.open_visit(draft)
    assert not any(w.property("locked") for row in editor.rows for w in (row.input, row.note))
    visit, _finding = overdue_visit(ws)
    editor = page.open_visit(visit)
    fields = [w for row in editor.rows for w in (row.input, row.note)]
    assert all(w.property("locked") is True for w in fields)
    assert editor.summary.property("locked") and editor.signatures.head_name.property("locked")
