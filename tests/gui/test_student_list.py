"""The students and schools lists: search as you type, filters, sorting, lazy paging."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from typing_helpers import enter_text

from wushan_desk.gui.people.page import PeoplePage, StudentList
from wushan_desk.gui.widgets import dialogs
from wushan_desk.services import browse, records
from wushan_desk.services.browse import StudentQuery


def count_text(n: int) -> str:
    return f"共 {n:,} 条"


def shows_count(qtbot, panel, n: int) -> None:
    """The count label says `n` (a large list counts in the background: wait for it)."""
    qtbot.waitUntil(lambda: panel.count_label.text() == count_text(n), timeout=3000)


def type_search(qtbot, panel: StudentList, text: str) -> int:
    """Type into the search box like a user; wait for the debounced refresh."""
    expected = browse.count_students(panel.ws, StudentQuery(text=text))
    panel.search.clear()
    enter_text(qtbot, panel.search, text)
    qtbot.waitUntil(lambda: panel.count_label.text() == count_text(expected), timeout=3000)
    qtbot.waitUntil(lambda: not panel._debounce.isActive(), timeout=3000)
    return expected


def sample(panel: StudentList) -> tuple[str, str]:
    """A name and an ID number from the data, for searching."""
    name, rid = panel.ws.conn.execute(
        "SELECT name, resident_id FROM students WHERE deleted = 0 AND length(name) >= 3 "
        "AND resident_id IS NOT NULL ORDER BY rowid LIMIT 1").fetchone()
    return name, rid


def test_list_loads_lazily_and_counts_everything(qtbot, people: PeoplePage) -> None:
    panel = people.students
    total = browse.count_students(panel.ws, StudentQuery())
    shows_count(qtbot, panel, total)
    assert 0 < panel.model.rowCount() <= max(panel.model.page_size, total)
    assert panel.model.rowCount() == min(total, panel.model.page_size)
    if total > panel.model.page_size:  # scrolling to the end fetches the next page
        assert panel.model.canFetchMore()
        panel.model.fetchMore()
        assert panel.model.rowCount() == min(total, 2 * panel.model.page_size)


def test_typing_narrows_the_list(qtbot, people: PeoplePage) -> None:
    panel = people.students
    total = panel.model.rowCount()
    name, rid = sample(panel)
    surname = type_search(qtbot, panel, name[0])  # one character: the base-table fallback
    assert 0 < surname < browse.count_students(panel.ws, StudentQuery())
    assert panel.model.rowCount() == min(surname, panel.model.page_size)
    assert all(name[0] in panel.model.row(i).name for i in range(panel.model.rowCount()))
    full = type_search(qtbot, panel, name)  # three or more: the trigram index
    assert 1 <= full <= surname
    assert name in [panel.model.row(i).name for i in range(panel.model.rowCount())]
    prefix = type_search(qtbot, panel, rid[:10])  # an ID prefix: area code + birth year
    assert prefix >= 1 and panel.model.rowCount() == min(prefix, panel.model.page_size)
    exact = type_search(qtbot, panel, rid)
    assert exact == 1 and panel.model.rowCount() == 1
    assert panel.model.row(0).resident_id == rid[:6] + "********" + rid[-4:]  # masked
    nothing = type_search(qtbot, panel, "不存在的名字")
    assert nothing == 0 and panel.model.rowCount() == 0
    assert panel.empty_label.isVisible() and "没有找到" in panel.empty_label.text()
    panel.search.clear()
    qtbot.waitUntil(lambda: panel.model.rowCount() == total, timeout=3000)


def test_township_filter_narrows_and_narrows_the_schools(qtbot, people: PeoplePage) -> None:
    panel = people.students
    town = next(c for c in browse.townships(panel.ws)
                if browse.count_students(panel.ws, StudentQuery(township_id=c.id)))
    panel.township.setCurrentIndex(panel.township.findData(town.id))
    expected = browse.count_students(panel.ws, StudentQuery(township_id=town.id))
    shows_count(qtbot, panel, expected)
    assert expected < browse.count_students(panel.ws, StudentQuery())
    schools = {c.id for c in browse.schools_in(panel.ws, town.id)}
    offered = {panel.school.itemData(i) for i in range(1, panel.school.count())}
    assert offered == schools
    school = browse.schools_in(panel.ws, town.id)[0]
    panel.school.setCurrentIndex(panel.school.findData(school.id))
    rows = [panel.model.row(i) for i in range(panel.model.rowCount())]
    assert all(r.school == school.name for r in rows)
    panel.township.setCurrentIndex(0)  # all townships: the chosen school stays chosen
    assert panel.school.currentData() == school.id
    shows_count(qtbot, panel, browse.count_students(panel.ws, StudentQuery(school_id=school.id)))


def test_clicking_headers_sorts(qtbot, people: PeoplePage) -> None:
    panel = people.students
    header = panel.table.horizontalHeader()
    ids_by_name = [r.id for r in browse.fetch_students(panel.ws, StudentQuery())]
    assert [panel.model.row(i).id for i in range(len(ids_by_name[:50]))] == ids_by_name[:50]
    panel.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    desc = [r.id for r in browse.fetch_students(panel.ws, StudentQuery(descending=True))]
    assert [panel.model.row(i).id for i in range(50)] == desc[:50]
    grade_col = next(i for i, c in enumerate(panel.model.columns) if c.sort == "grade")
    x = header.sectionViewportPosition(grade_col) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert panel.order_by == "grade"
    grades = [panel.model.row(i).grade for i in range(panel.model.rowCount())]
    order = [browse.codes.GRADE_ORDER[g] for g in grades]
    assert order == sorted(order) or order == sorted(order, reverse=True)


def test_delete_asks_then_tombstones(qtbot, people: PeoplePage, monkeypatch) -> None:
    panel = people.students
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text, *_a: asked.append(text) or True)
    before = browse.count_students(panel.ws, StudentQuery())
    row = panel.model.row(0)
    panel.table.selectRow(0)
    panel.act_delete.trigger()
    assert asked and row.name in asked[0]
    shows_count(qtbot, panel, before - 1)
    assert records.get(panel.ws, "student", row.id) is None
    assert records.get(panel.ws, "student", row.id, deleted=True) is not None  # tombstone


def test_schools_tab_lists_schools_and_shows_their_students(qtbot, people: PeoplePage) -> None:
    schools = people.schools
    total = browse.count_schools(schools.ws, browse.SchoolQuery())
    shows_count(qtbot, schools, total)
    people.tabs.setCurrentWidget(schools)
    schools.table.selectRow(0)
    school = schools.model.row(0)
    schools.act_students.trigger()
    assert people.tabs.currentWidget() is people.students
    assert people.students.school.currentData() == school.id
    shows_count(qtbot, people.students, school.students)


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_enter_opens_the_detail_form(qtbot, people: PeoplePage, key: Qt.Key) -> None:
    from wushan_desk.gui.people.record_form import RecordForm

    panel = people.students
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    qtbot.keyClick(panel.table, key)
    forms = panel.findChildren(RecordForm)
    assert len(forms) == 1 and forms[0].isVisible()
    assert forms[0].record_id == panel.model.row(0).id
    forms[0].close()


def test_keyboard_shortcuts_find_new_and_refresh(qtbot, window, people: PeoplePage) -> None:
    from wushan_desk.gui.people.record_form import RecordForm

    panel = people.students
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    school = browse.schools_in(panel.ws)[0]
    panel.school.setCurrentIndex(panel.school.findData(school.id))
    qtbot.keyClick(panel.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    forms = panel.findChildren(RecordForm)
    assert len(forms) == 1 and forms[0].windowTitle() == "新建学生"
    assert forms[0].editors["school_id"].value() == school.id  # preset from the filter
    forms[0].close()
    records.delete(panel.ws, "student", panel.model.row(0).id)  # changed behind the list
    qtbot.keyClick(panel.table, Qt.Key.Key_F5)
    expected = browse.count_students(panel.ws, StudentQuery(school_id=school.id))
    shows_count(qtbot, panel, expected)


def test_column_widths_are_remembered(qtbot, people: PeoplePage, demo_ws) -> None:
    header = people.students.table.horizontalHeader()
    header.resizeSection(5, 333)
    again = PeoplePage(demo_ws)
    qtbot.addWidget(again)
    again.ensure_loaded()
    assert again.students.table.horizontalHeader().sectionSize(5) == 333


def test_right_click_offers_the_toolbar_actions(people: PeoplePage) -> None:
    texts = [a.text() for a in people.students.context_actions() if a is not None]
    assert texts[:3] == ["打开", "新建", "删除"]
    school_texts = [a.text() for a in people.schools.context_actions() if a is not None]
    assert "查看本校学生" in school_texts and "打开" in school_texts


def test_enter_in_the_search_box_goes_to_the_first_match(qtbot, people: PeoplePage) -> None:
    panel = people.students
    name, _ = sample(panel)
    panel.search.setText(name)
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert not panel._debounce.isActive()  # searched at once, not 250 ms later
    assert panel.table.currentIndex().row() == 0
    assert name in panel.model.row(0).name


def test_a_slow_count_does_not_hold_the_window(qtbot, people: PeoplePage, monkeypatch) -> None:
    """Counting a broad search of 60,000 students on an old laptop may take longer than a
    keystroke: the first page shows at once, the count follows from the background."""
    import time

    panel = people.students
    real = browse.count_students

    def slow_count(ws, q):  # an old laptop's disk
        time.sleep(0.6)
        return real(ws, q)

    monkeypatch.setattr(browse, "count_students", slow_count)
    panel.search.setText("5002")
    started = time.perf_counter()
    panel.refresh()
    assert time.perf_counter() - started < 0.3
    assert panel.model.rowCount() > 0 and not panel.counted
    shows_count(qtbot, panel, real(panel.ws, StudentQuery(text="5002")))
