"""The browse lists without Qt: search (short and long text), filters, sorts, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wushan_desk.services import browse, records, workspace
from wushan_desk.store.derived import pinyin_key
from wushan_desk.store.workspace import Workspace


@pytest.fixture
def county(fresh_ws: Workspace, new_student: Callable[..., str],
           ) -> Iterator[tuple[Workspace, dict[str, str]]]:
    """Two schools in two townships and five students, one of them tombstoned."""
    ws, add_student = fresh_ws, new_student
    town = workspace.township_ids()
    ids = {
        "a": records.put(ws, "school", {"name": "骡坪镇中心小学", "type": "小学",
                                        "township_id": town["骡坪镇"]}).id,
        "b": records.put(ws, "school", {"name": "高唐初级中学", "type": "初中",
                                        "township_id": town["高唐街道"]}).id,
    }
    ids["王芳"] = add_student(ws, ids["a"], "王芳", "三年级", birth="2017-03-05", seq=12)
    ids["王小明"] = add_student(ws, ids["a"], "王小明", "一年级", birth="2019-06-01", seq=13)
    ids["李四"] = add_student(ws, ids["b"], "李四", "七年级", birth="2013-09-09", seq=15)
    ids["欧阳娜娜"] = add_student(ws, ids["b"], "欧阳娜娜", "八年级", birth="2012-01-20", seq=22,
                              guardian_phone="13812345678")
    ids["张三"] = add_student(ws, ids["a"], "张三", "三年级", birth="2017-04-04", seq=17)
    records.delete(ws, "student", ids["张三"])
    yield ws, ids


def names(ws: Workspace, q: browse.StudentQuery) -> list[str]:
    return [r.name for r in browse.fetch_students(ws, q)]


def test_one_and_two_character_search_uses_the_base_table(county) -> None:
    ws, _ = county
    assert sorted(names(ws, browse.StudentQuery(text="王"))) == ["王小明", "王芳"]
    assert names(ws, browse.StudentQuery(text="小明")) == ["王小明"]
    assert browse.count_students(ws, browse.StudentQuery(text="王")) == 2
    assert names(ws, browse.StudentQuery(text="赵")) == []


def test_three_or_more_characters_match_names_and_id_numbers(county, valid_id) -> None:
    ws, _ = county
    resident_id = valid_id
    assert names(ws, browse.StudentQuery(text="欧阳娜")) == ["欧阳娜娜"]
    assert names(ws, browse.StudentQuery(text="王小明")) == ["王小明"]
    # An ID prefix (area + birth year) and a full-width, spaced version of it.
    assert names(ws, browse.StudentQuery(text="5002372017")) == ["王芳"]
    assert names(ws, browse.StudentQuery(text="５００２３７ ２０１７")) == ["王芳"]
    # A student number (G + ID) and a lower-case prefix of it.
    number = "G" + resident_id("2013-09-09", 15)
    assert names(ws, browse.StudentQuery(text=number)) == ["李四"]
    assert names(ws, browse.StudentQuery(text="g500237201309")) == ["李四"]
    assert browse.count_students(ws, browse.StudentQuery(text="500237")) == 4


@pytest.mark.parametrize("text", ['"', 'a"b', "王 OR 李", "NEAR(王 李)", "*", "a*b^c", "'--"])
def test_search_text_is_never_read_as_fts_syntax(county, text: str) -> None:
    """Read as FTS syntax "王 OR 李" would find 王芳 and 李四 (or fail on a bare quote);
    as the literal text the user typed it finds nobody: no name contains it."""
    ws, _ = county
    assert browse.count_students(ws, browse.StudentQuery(text=text)) == 0
    assert browse.fetch_students(ws, browse.StudentQuery(text=text)) == []
    assert names(ws, browse.StudentQuery(text="王芳")) == ["王芳"]  # the same path finds text


def test_filters_by_township_school_and_grade(county) -> None:
    ws, ids = county
    town = workspace.township_ids()
    assert sorted(names(ws, browse.StudentQuery(township_id=town["高唐街道"]))) == [
        "李四", "欧阳娜娜"]
    assert sorted(names(ws, browse.StudentQuery(school_id=ids["a"]))) == ["王小明", "王芳"]
    assert names(ws, browse.StudentQuery(grade="三年级")) == ["王芳"]
    q = browse.StudentQuery(text="王", township_id=town["高唐街道"])
    assert names(ws, q) == [] and browse.count_students(ws, q) == 0
    assert [c.name for c in browse.schools_in(ws, town["骡坪镇"])] == ["骡坪镇中心小学"]
    assert browse.grades_for(ws, ids["b"]) == ("七年级", "八年级", "九年级")


def test_sorts_by_pinyin_and_by_teaching_order(county) -> None:
    ws, _ = county
    assert names(ws, browse.StudentQuery()) == ["李四", "欧阳娜娜", "王芳", "王小明"]
    assert names(ws, browse.StudentQuery(descending=True)) == ["王小明", "王芳", "欧阳娜娜", "李四"]
    # Code-point order would put 七 before 三; teaching order does not.
    by_grade = names(ws, browse.StudentQuery(order_by="grade"))
    assert by_grade == ["王小明", "王芳", "李四", "欧阳娜娜"]
    by_school = names(ws, browse.StudentQuery(order_by="school"))
    assert by_school == ["李四", "欧阳娜娜", "王小明", "王芳"]


#: surnames and phrases pypinyin reads as words, polyphones, rare and non-Chinese characters
NAME_CHARS = ("王李张欧阳司马诸葛曾单解仇朴区伟芳秀长乐重阳行朝藏了着地得"
              "中国人民银行重庆巫山𫖯𬌗·A1 ")


@settings(max_examples=300)
@given(name=st.text(alphabet=NAME_CHARS, max_size=8) | st.text(max_size=6))
def test_the_sort_key_is_pypinyins_reading_of_the_whole_name(name: str) -> None:
    """Read word by word (and remembered), as pypinyin reads the name at once."""
    from pypinyin import Style, lazy_pinyin

    whole = " ".join(lazy_pinyin(name, style=Style.TONE3, errors="default")) if name else ""
    assert pinyin_key(name) == whole


@pytest.mark.parametrize("order_by", ["name", "grade", "school", "birth_date", "guardian_phone"])
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_join_up_to_the_whole_list(county, order_by: str, descending: bool) -> None:
    ws, _ = county
    q = browse.StudentQuery(order_by=order_by, descending=descending)
    whole = browse.fetch_students(ws, q)
    paged: list[browse.StudentRow] = []
    page = browse.fetch_students(ws, q, limit=1)
    while page:
        paged += page
        page = browse.fetch_students(ws, q, limit=1, after=page[-1].key)
    assert [r.id for r in paged] == [r.id for r in whole]
    assert [r.id for r in browse.fetch_students(ws, q, offset=2)] == [r.id for r in whole[2:]]


def test_tombstoned_students_are_never_listed_or_counted(county) -> None:
    ws, ids = county
    assert "张三" not in names(ws, browse.StudentQuery())
    assert browse.count_students(ws, browse.StudentQuery()) == 4
    assert names(ws, browse.StudentQuery(text="张")) == []
    school_a = next(r for r in browse.fetch_schools(ws, browse.SchoolQuery()) if r.id == ids["a"])
    assert school_a.students == 2


def test_lists_mask_identifiers(county, valid_id) -> None:
    ws, _ = county
    resident_id = valid_id
    row = next(r for r in browse.fetch_students(ws, browse.StudentQuery(text="欧阳")))
    full = resident_id("2012-01-20", 22)
    assert row.resident_id == full[:6] + "********" + full[-4:]
    assert row.student_number == "G" + full[:6] + "********" + full[-4:]
    assert row.guardian_phone == "138****5678"
    assert full not in repr(row)


def test_schools_list_filters_sorts_and_counts(county) -> None:
    ws, ids = county
    town = workspace.township_ids()
    rows = browse.fetch_schools(ws, browse.SchoolQuery())
    assert [r.name for r in rows] == ["高唐初级中学", "骡坪镇中心小学"]
    assert browse.count_schools(ws, browse.SchoolQuery(township_id=town["骡坪镇"])) == 1
    assert [r.township for r in browse.fetch_schools(
        ws, browse.SchoolQuery(text="中心"))] == ["骡坪镇"]
    by_count = browse.fetch_schools(ws, browse.SchoolQuery(order_by="students", descending=True))
    assert [r.students for r in by_count] == [2, 2]
    records.delete(ws, "school", ids["b"])
    assert browse.count_schools(ws, browse.SchoolQuery()) == 1


def test_home_page_counts(county) -> None:
    ws, _ = county
    assert browse.counts(ws) == {"townships": 26, "schools": 2, "students": 4, "staff": 0}
    assert len(browse.townships(ws)) == 26
    assert browse.townships(ws)[0].name == "高唐街道"
