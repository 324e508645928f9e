"""The detail form: errors beside their fields, nothing written on error, good edits saved."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from wushan_desk.domain import entities
from wushan_desk.gui.people import record_form
from wushan_desk.gui.people.record_form import RecordForm
from wushan_desk.gui.widgets.form_fields import (
    ChoiceEditor,
    SchoolEditor,
    TextEditor,
    normalize_date,
)
from wushan_desk.services import browse, records
from wushan_desk.store.workspace import Workspace


def log_size(ws: Workspace) -> int:
    return ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]


def a_student(ws: Workspace) -> str:
    return ws.conn.execute(
        "SELECT id FROM students WHERE deleted = 0 AND resident_id IS NOT NULL "
        "ORDER BY rowid LIMIT 1").fetchone()[0]


def open_form(qtbot, ws: Workspace, record_id: str | None, **kw) -> RecordForm:
    form = RecordForm(ws, "student", record_id, **kw)
    qtbot.addWidget(form, before_close_func=lambda f: f.mark_clean())  # no question at teardown
    form.show()
    qtbot.waitExposed(form)
    return form


def text_editor(form: RecordForm, name: str) -> TextEditor:
    editor = form.editors[name]
    assert isinstance(editor, TextEditor)
    return editor


def test_form_masks_sensitive_fields_until_asked_with_a_purpose(
        qtbot, styled_app, demo_ws: Workspace) -> None:
    from wushan_desk.services import audit

    sid = a_student(demo_ws)
    form = open_form(qtbot, demo_ws, sid)
    record = records.get(demo_ws, "student", sid)
    assert record is not None
    rid = text_editor(form, "resident_id")
    assert "*" in rid.edit.text() and not rid.edit.isEnabled()
    assert form.windowTitle() == f"学生 · {record['name']}"
    assert not form.is_dirty()
    assert form.reveal("核对学籍")
    assert rid.edit.text() == record["resident_id"] and rid.edit.isEnabled()
    assert not form.is_dirty()
    viewed = [e for e in audit.entries(demo_ws, action="view-full") if e.record_id == sid]
    assert viewed and viewed[0].detail["purpose"] == "核对学籍"


def test_read_only_users_see_masked_values_and_cannot_save(
        qtbot, styled_app, demo_ws: Workspace, monkeypatch) -> None:
    from wushan_desk.gui.widgets import dialogs
    from wushan_desk.services import accounts

    reader = next(a for a in accounts.list_accounts(demo_ws) if a.role == "read_only")
    accounts.attach(demo_ws, reader)
    form = open_form(qtbot, demo_ws, a_student(demo_ws))
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, exc, _t: shown.append(exc.message))
    assert not form.save_button.isEnabled()
    assert not form.reveal("看看") and "无权" in shown[0]
    assert "*" in text_editor(form, "resident_id").edit.text()


def test_bad_id_number_is_refused_beside_its_field(qtbot, styled_app, demo_ws: Workspace) -> None:
    sid = a_student(demo_ws)
    before, stored = log_size(demo_ws), records.get(demo_ws, "student", sid)
    form = open_form(qtbot, demo_ws, sid)
    assert form.reveal("更正身份证号")
    rid = text_editor(form, "resident_id")
    rid.edit.setText(rid.edit.text()[:-1] + ("0" if rid.edit.text()[-1] != "0" else "1"))
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S
    assert form.isVisible()  # not closed: nothing was saved
    assert rid.error.isVisible() and "校验位" in rid.error.text()
    assert rid.edit.property("invalid") is True  # the red border, not colour alone
    assert form.focusWidget() is rid.edit
    assert form.general_error.isVisible()
    assert log_size(demo_ws) == before
    assert records.get(demo_ws, "student", sid) == stored
    rid.edit.setText(stored["resident_id"])  # fixing the field clears its error
    assert not rid.error.isVisible() and rid.edit.property("invalid") is False


def test_good_edit_is_saved(qtbot, styled_app, demo_ws: Workspace) -> None:
    sid = a_student(demo_ws)
    form = open_form(qtbot, demo_ws, sid)
    saved: list[str] = []
    form.saved.connect(saved.append)
    assert form.reveal("更新监护人电话")
    text_editor(form, "guardian_name").edit.setText("向大山")
    text_editor(form, "guardian_phone").edit.setText("138 1234 5678")
    assert form.is_dirty()
    assert form.save()
    assert saved == [sid] and not form.isVisible()
    record = records.get(demo_ws, "student", sid)
    assert record is not None
    assert record["guardian_name"] == "向大山"
    assert record["guardian_phone"] == "13812345678"  # normalised by the shared validation


def test_new_student_needs_the_required_fields(qtbot, styled_app, demo_ws: Workspace) -> None:
    before = log_size(demo_ws)
    form = open_form(qtbot, demo_ws, None)
    assert form.windowTitle() == "新建学生"
    assert not form.save()
    for name in ("name", "sex", "birth_date", "school_id", "grade"):
        assert form.editors[name].error.isVisible(), name
        assert "不能为空" in form.editors[name].error.text()
    assert log_size(demo_ws) == before


def test_new_student_through_the_form(qtbot, styled_app, demo_ws: Workspace) -> None:
    school = browse.schools_in(demo_ws)[0]
    form = open_form(qtbot, demo_ws, None, defaults={"school_id": school.id})
    text_editor(form, "name").edit.setText("谭小燚")
    sex = form.editors["sex"]
    assert isinstance(sex, ChoiceEditor)
    sex.combo.setCurrentIndex(sex.combo.findData("女"))
    text_editor(form, "birth_date").edit.setText("2016/9/1")
    grade = form.editors["grade"]
    assert isinstance(grade, ChoiceEditor)
    offered = [grade.combo.itemData(i) for i in range(1, grade.combo.count())]
    assert tuple(offered) == browse.grades_for(demo_ws, school.id)  # narrowed by school type
    grade.combo.setCurrentIndex(1)
    form.editors["special_groups"].boxes["留守儿童"].setChecked(True)  # type: ignore[attr-defined]
    assert form.save()
    found = browse.fetch_students(demo_ws, browse.StudentQuery(text="谭小燚"))
    assert [r.special_groups for r in found] == [("留守儿童",)]
    assert found[0].birth_date == "2016-09-01"


def test_school_choice_is_narrowed_by_township(qtbot, styled_app, demo_ws: Workspace) -> None:
    form = open_form(qtbot, demo_ws, a_student(demo_ws))
    school = form.editors["school_id"]
    assert isinstance(school, SchoolEditor)
    current = school.value()
    township = browse.township_of_school(demo_ws, current)
    assert school.township.currentData() == township
    names = {school.combo.itemText(i) for i in range(1, school.combo.count())}
    assert names == {c.name for c in browse.schools_in(demo_ws, township)}
    school.combo.setEditText("没有这所学校")
    assert school.local_error() and not form.save()


def test_escape_with_changes_asks_first(qtbot, styled_app, demo_ws: Workspace,
                                        monkeypatch) -> None:
    form = open_form(qtbot, demo_ws, a_student(demo_ws))
    answers = [record_form.KEEP_EDITING, record_form.DISCARD]
    asked: list[str] = []
    monkeypatch.setattr(record_form, "ask_unsaved",
                        lambda _parent: asked.append("?") or answers.pop(0))
    text_editor(form, "class_name").edit.setText("9班")
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert asked == ["?"] and form.isVisible()  # kept editing
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert asked == ["?", "?"] and not form.isVisible()  # discarded


def test_enter_moves_to_the_next_field(qtbot, styled_app, demo_ws: Workspace) -> None:
    form = open_form(qtbot, demo_ws, a_student(demo_ws))
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    name = text_editor(form, "name").edit
    name.setFocus()
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is form.editors["sex"].focus
    assert form.isVisible()


def test_form_scrolls_instead_of_growing_past_the_screen(qtbot, styled_app,
                                                         demo_ws: Workspace) -> None:
    form = open_form(qtbot, demo_ws, a_student(demo_ws))
    assert form.height() <= form.screen().availableGeometry().height()
    assert form.findChild(QScrollArea) is not None


def test_dates_are_tidied_as_typed() -> None:
    assert normalize_date("2016/9/1") == "2016-09-01"
    assert normalize_date("20160901") == "2016-09-01"
    assert normalize_date("2016年9月1日") == "2016-09-01"
    assert normalize_date("２０１６．９．１") == "2016-09-01"
    assert normalize_date("九月") == "九月"


def test_school_form_saves_an_edit(qtbot, styled_app, demo_ws: Workspace) -> None:
    school = browse.schools_in(demo_ws)[0]
    form = RecordForm(demo_ws, "school", school.id)
    qtbot.addWidget(form, before_close_func=lambda f: f.mark_clean())
    text_editor(form, "head").edit.setText("覃校长")
    form.editors["boarding"].set_value(True)
    assert form.save()
    record = records.get(demo_ws, "school", school.id)
    assert record is not None and record["head"] == "覃校长" and record["boarding"] is True


@pytest.mark.parametrize("kind", sorted(entities.KINDS))
def test_a_form_can_be_made_for_every_kind(qtbot, styled_app, demo_ws: Workspace,
                                           kind: str) -> None:
    form = RecordForm(demo_ws, kind)
    qtbot.addWidget(form)
    assert set(form.editors) == set(entities.kind(kind).field_names)
    assert not form.is_dirty()


def meanwhile(ws: Workspace, sid: str, **fields) -> None:
    """Another writer (an import, another window) changes the student under the form."""
    records.put(ws, "student", {"id": sid, **fields})


def test_a_field_changed_meanwhile_survives_the_save(qtbot, styled_app,
                                                     demo_ws: Workspace) -> None:
    sid = a_student(demo_ws)
    form = open_form(qtbot, demo_ws, sid)
    meanwhile(demo_ws, sid, guardian_name="新监护人")
    text_editor(form, "class_name").edit.setText("9班")
    assert form.save()
    stored = records.get(demo_ws, "student", sid)
    assert stored["class_name"] == "9班" and stored["guardian_name"] == "新监护人"


@pytest.mark.parametrize("choice", [record_form.THEIRS, record_form.MINE,
                                    record_form.KEEP_EDITING])
def test_the_same_field_changed_meanwhile_is_a_question(qtbot, styled_app, demo_ws: Workspace,
                                                        monkeypatch, choice: str) -> None:
    sid = a_student(demo_ws)
    form = open_form(qtbot, demo_ws, sid)
    meanwhile(demo_ws, sid, class_name="5班")
    text_editor(form, "class_name").edit.setText("6班")
    asked: list[list[str]] = []
    monkeypatch.setattr(record_form, "ask_meanwhile",
                        lambda parent, exc, lines: asked.append(lines) or choice)
    saved = form.save()
    assert asked == [["“班级”现在是 “5班”，你改成了 “6班”。"]]
    stored = records.get(demo_ws, "student", sid)["class_name"]
    if choice == record_form.MINE:
        assert saved and stored == "6班"
    else:
        assert not saved and form.isVisible() and stored == "5班"
        shown = text_editor(form, "class_name").edit.text()
        assert shown == ("5班" if choice == record_form.THEIRS else "6班")
        assert form.is_dirty() == (choice == record_form.KEEP_EDITING)


def test_a_name_the_print_fonts_lack_is_flagged_when_typed_and_still_saved(
        qtbot, styled_app, demo_ws: Workspace) -> None:
    """Leaving the field shows 打印字体缺少此字 under it at once (not at printing time,
    on site); the record saves all the same, and a printable name clears the warning."""
    sid = a_student(demo_ws)
    form = open_form(qtbot, demo_ws, sid)
    editor = text_editor(form, "guardian_name")
    rare = "\U00030000"  # Extension G: no vendored print face has it
    editor.edit.setFocus()
    editor.edit.setText(f"向{rare}山")
    editor.edit.editingFinished.emit()
    assert editor.error.isVisible() and "打印字体缺少此字" in editor.error.text()
    assert rare in editor.error.text()
    editor.edit.setText("向𪚥山")  # Extension B: printed from WushanExtB
    editor.edit.editingFinished.emit()
    assert not editor.error.isVisible()
    editor.edit.setText(f"向{rare}山")
    editor.edit.editingFinished.emit()
    assert form.save()
    assert records.get(demo_ws, "student", sid)["guardian_name"] == f"向{rare}山"
