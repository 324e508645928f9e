"""督导检查表: shipped templates, immutability and versions, XLSX and JSON exchange, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import support
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from support import new_workspace

from wushan_desk.cli import main
from wushan_desk.domain import entities
from wushan_desk.domain import inspection as insp
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import records, templates
from wushan_desk.store.workspace import Workspace

TEMPLATE, ITEM = templates.TEMPLATE, templates.ITEM


@pytest.fixture
def ws(tmp_path: Path):
    ws = new_workspace(tmp_path / "t.wsdb", role="hub")
    yield ws
    ws.close()


def change_count(ws: Workspace) -> int:
    return ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]


def routine_id(ws: Workspace) -> str:
    templates.ensure_builtin_templates(ws)
    return templates.builtin_template_ids()["routine"]


def items_of(ws: Workspace, template_id: str) -> list[dict[str, Any]]:
    return templates.template_to_json(ws, template_id)["items"]


def custom_template() -> dict[str, Any]:
    """Every item kind, a photo-required scored item, choices, blank method and deadline."""
    base = {"deduction_rule": None, "method": None, "choices": [], "deadline_days": None}
    rows = [
        ("一般", "1", "制度上墙", insp.YES_NO, 5, {"method": "实地查看"}),
        ("一般", "2", "课表执行", insp.SCORE, 10, {"photo_required": True, "deadline_days": 7}),
        ("一般", "3", "课堂教学", insp.RATING, 5, {"method": "听课"}),
        ("其他", "4", "体育课节数", insp.NUMBER, None, {}),
        ("其他", "5", "其他情况", insp.TEXT, None, {"deduction_rule": "不计分"}),
        ("其他", "6", "大课间形式", insp.CHOICE, None, {"choices": ["跑操", "广播操", "其他"]}),
        ("其他", "7", "留样柜", insp.PHOTO, None, {"method": "实地查看"}),
    ]
    items = [
        {
            **base,
            "section": section,
            "code": code,
            "content": content,
            "item_kind": kind,
            "max_score": points,
            "photo_required": kind == insp.PHOTO,
            **extra,
        }
        for section, code, content, kind, points, extra in rows
    ]
    return {
        "name": "课后服务专项督导表",
        "template_kind": "专项督导",
        "default_deadline_days": 20,
        "note": "试用",
        "items": items,
    }


def header_row(sheet) -> int:
    for row in range(1, 20):
        if sheet.cell(row, 1).value == "类别":
            return row
    raise AssertionError("no header row")


# --- shipped templates ------------------------------------------------------------------


def test_builtin_templates_load_idempotently(tmp_path: Path, ws: Workspace) -> None:
    created = templates.ensure_builtin_templates(ws)
    expected = templates.builtin_template_ids()
    assert sorted(created) == sorted(expected.values()) and len(created) == 2
    before = change_count(ws)
    assert templates.ensure_builtin_templates(ws) == []
    assert change_count(ws) == before

    current = templates.current_templates(ws)
    assert [t["template_kind"] for t in current] == ["经常性督导", "开学专项督导"]
    for template in current:
        assert template["status"] == "已发布" and template["published_on"] == "2026-09-01"
        items = templates.template_items(ws, template["id"])
        assert templates.total_points(items) == 100
        assert [i["position"] for i in items] == list(range(1, len(items) + 1))
        for item in items:  # every stored item passes the domain rules as a draft would
            assert item["method"] in insp.METHODS and item["deadline_days"] in (7, 15, 30)
            assert item["content"].endswith("。") and "  " not in item["content"]
        sections: dict[str, int] = {}
        for item in items:
            sections[item["section"]] = sections.get(item["section"], 0) + 1
        assert all(2 <= n <= 5 for n in sections.values())

    routine = templates.template_items(ws, expected["routine"])
    assert len({i["section"] for i in routine}) == 8
    kinds = {i["item_kind"] for i in routine}
    assert {insp.SCORE, insp.YES_NO, insp.RATING, insp.NUMBER, insp.PHOTO} <= kinds
    text = "".join(i["content"] + (i["deduction_rule"] or "") for i in routine)
    for fact in ("60分钟", "90分钟", "10小时", "手机", "读物", "每周4节", "陪餐", "开齐", "开足"):
        assert fact in text
    photo = next(i for i in routine if i["item_kind"] == insp.PHOTO)
    assert photo["photo_required"] and "陪餐" in photo["content"]
    assert {i["deadline_days"] for i in routine if i["section"] == "校园及周边与交通安全"} == {7}

    # Another workspace makes identical rows (reference ids), items included.
    other = new_workspace(tmp_path / "other.wsdb")
    try:
        templates.ensure_builtin_templates(other)
        for template_id in expected.values():
            assert templates.template_to_json(other, template_id) == templates.template_to_json(
                ws, template_id
            )
            assert [i["id"] for i in templates.template_items(other, template_id)] == [
                i["id"] for i in templates.template_items(ws, template_id)
            ]
    finally:
        other.close()


def test_builtin_files_are_valid_json_templates() -> None:
    for path in templates.builtin_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        assert set(data) <= set(templates.TEMPLATE_KEYS)
        tpl, items = templates.parse_template_json(data)
        assert tpl["template_kind"] in insp.TEMPLATE_KINDS
        assert all(set(i) == set(templates.ITEM_KEYS) for i in data["items"])
        assert templates.total_points(items) == 100


# --- immutability and versions ---------------------------------------------------------


def test_published_template_is_immutable(ws: Workspace) -> None:
    old = routine_id(ws)
    item = templates.template_items(ws, old)[0]
    for kind, change in (
        (TEMPLATE, {"id": old, "name": "改名"}),
        (TEMPLATE, {"id": old, "status": "草稿"}),
        (ITEM, {"id": item["id"], "max_score": 9}),
        (
            ITEM,
            {
                **{k: item[k] for k in ("section", "content", "item_kind")},
                "template_id": old,
                "position": 99,
            },
        ),
    ):
        with pytest.raises(entities.RecordInvalid, match="另存为新版本"):
            records.put(ws, kind, change)
    with pytest.raises(ValidationError, match="已是“已发布”"):
        templates.publish(ws, old)

    new = templates.new_version(ws, old)
    draft = templates.get_template(ws, new)
    assert (draft["status"], draft["version"], draft["supersedes_id"]) == ("草稿", 2, old)
    assert items_of(ws, new) == items_of(ws, old)
    assert templates.get_template(ws, old)["status"] == "已发布"  # until the new one is
    first = templates.template_items(ws, new)[0]
    records.put(ws, ITEM, {"id": first["id"], "max_score": 3.5})  # a draft can be edited

    assert templates.publish(ws, new) == [old]
    assert templates.get_template(ws, old)["status"] == "已停用"
    assert templates.get_template(ws, new)["status"] == "已发布"
    assert templates.get_template(ws, new)["published_on"]
    assert next(t["id"] for t in templates.current_templates(ws)) == new
    assert templates.template_items(ws, old)[0]["max_score"] == 4  # the old one kept
    with pytest.raises(entities.RecordInvalid):
        records.put(ws, ITEM, {"id": first["id"], "max_score": 4})


def test_lifecycle_refusals(ws: Workspace) -> None:
    empty = records.put(
        ws, TEMPLATE, {"name": "空表", "template_kind": "专项督导", "version": 1, "status": "草稿"}
    ).id
    with pytest.raises(ValidationError, match="还没有检查项目"):
        templates.publish(ws, empty)
    with pytest.raises(ValidationError, match="还没有发布"):
        templates.retire(ws, empty)
    with pytest.raises(ValidationError, match="直接修改"):
        templates.new_version(ws, empty)
    with pytest.raises(ValidationError, match="找不到编号"):
        templates.get_template(ws, "not-an-id")
    old = routine_id(ws)
    templates.retire(ws, old)
    templates.retire(ws, old)  # idempotent
    assert templates.get_template(ws, old)["status"] == "已停用"
    assert all(t["id"] != old for t in templates.current_templates(ws))
    # an older draft cannot be published over a newer published version
    v2, v3 = templates.new_version(ws, old), templates.new_version(ws, old)
    templates.publish(ws, v3)
    with pytest.raises(ValidationError, match="更新的"):
        templates.publish(ws, v2)


# --- JSON -------------------------------------------------------------------------------


def test_json_round_trip(ws: Workspace, tmp_path: Path) -> None:
    first = templates.template_from_json(ws, custom_template())
    exported = templates.template_to_json(ws, first)
    assert exported["version"] == 1 and exported["status"] == "草稿"
    assert exported["items"][1]["photo_required"] is True
    assert exported["items"][6]["photo_required"] is True  # 照片 always needs one

    path = templates.export_file(ws, first, tmp_path / "t.json")
    again = templates.import_file(ws, path, publish=True)
    back = templates.template_to_json(ws, again)
    assert back["items"] == exported["items"]
    assert (back["version"], back["status"]) == (2, "已发布")
    for key in ("name", "template_kind", "default_deadline_days", "note"):
        assert back[key] == exported[key]
    # v1 is a draft, so v2 supersedes nothing; a third import supersedes published v2
    assert templates.get_template(ws, again)["supersedes_id"] is None
    third = templates.template_from_json(ws, exported)
    assert templates.get_template(ws, third)["supersedes_id"] == again


def test_json_rejected_with_item_numbers(ws: Workspace) -> None:
    data = custom_template()
    data["items"][1]["max_score"] = "很多"
    data["items"][2]["method"] = "巡查"
    data["items"][4]["contnet"] = "拼错的字段"
    data["items"][5]["choices"] = []
    before = change_count(ws)
    with pytest.raises(templates.TemplateInvalid) as caught:
        templates.template_from_json(ws, data)
    message = caught.value.message
    assert "第 2 项：分值应为数字" in message and "第 3 项：检查方法“巡查”" in message
    assert "第 5 项：未知字段“contnet”" in message and "第 6 项：选项题" in message
    assert caught.value.rows == [2, 3, 5, 6]
    with pytest.raises(templates.TemplateInvalid, match="类别应为"):
        templates.template_from_json(ws, {**custom_template(), "template_kind": "抽查"})
    with pytest.raises(templates.TemplateInvalid, match="JSON 对象"):
        templates.template_from_json(ws, ["not", "a", "template"])
    assert change_count(ws) == before


# --- XLSX -------------------------------------------------------------------------------


def test_xlsx_layout(ws: Workspace, tmp_path: Path) -> None:
    path = templates.template_to_xlsx(ws, routine_id(ws), tmp_path / "routine.xlsx")
    assert not list(tmp_path.glob("*.partial"))
    sheet = openpyxl.load_workbook(path).active
    header = header_row(sheet)
    assert tuple(c.value for c in sheet[header]) == templates.HEADERS
    assert sheet.cell(1, 1).value == "经常性督导检查表（第 1 版）"
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.cell(header + 1, 3).alignment.wrap_text
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["B"].width
    last = header + 29
    assert sheet.cell(last, 3).value and sheet.cell(last + 1, 3).value is None
    scores = [sheet.cell(r, c).value for r in range(header + 1, last + 1) for c in (10, 11)]
    assert scores == [None] * len(scores)  # 自评分 / 督导评分 are left to fill on paper


def test_xlsx_round_trip(ws: Workspace, tmp_path: Path) -> None:
    for source in (routine_id(ws), templates.template_from_json(ws, custom_template())):
        path = templates.template_to_xlsx(ws, source, tmp_path / "out.xlsx")
        copy = templates.template_from_xlsx(ws, path)
        assert items_of(ws, copy) == items_of(ws, source)
        old, new = templates.get_template(ws, source), templates.get_template(ws, copy)
        for key in ("name", "template_kind", "default_deadline_days", "note"):
            assert new[key] == old[key]
        assert (new["version"], new["status"]) == (old["version"] + 1, "草稿")
    renamed = templates.template_from_xlsx(ws, path, name="新的检查表")
    assert templates.get_template(ws, renamed)["version"] == 1


def test_malformed_xlsx_rejected_with_row_numbers(ws: Workspace, tmp_path: Path) -> None:
    path = templates.template_to_xlsx(ws, routine_id(ws), tmp_path / "bad.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    h = header_row(sheet)
    sheet.cell(h + 2, 4).value = "abc"
    sheet.cell(h + 4, 4).value = "五分"
    sheet.cell(h + 7, 6).value = "巡查"
    sheet.cell(h + 9, 3).value = None
    book.save(path)
    before = change_count(ws)
    templates_before = len(templates.list_templates(ws))
    with pytest.raises(templates.TemplateInvalid) as caught:
        templates.template_from_xlsx(ws, path)
    message = caught.value.message
    assert f"第 {h + 2} 行：分值应为数字" in message
    assert f"第 {h + 4} 行：分值应为数字" in message
    assert f"第 {h + 7} 行：检查方法“巡查”不是可选项" in message
    assert f"第 {h + 9} 行：内容不能为空" in message
    assert caught.value.rows == [h + 2, h + 4, h + 7, h + 9]
    assert change_count(ws) == before
    assert len(templates.list_templates(ws)) == templates_before


def test_xlsx_tolerates_county_sheets(ws: Workspace, tmp_path: Path) -> None:
    """No title, blank rows, spaces, full-width digits, points inside the content, a
    section heading row and a merged-looking blank 类别 all read as intended."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append([" 类 别 ", "序号", "内容及分值", "分值 ", "扣分标准", "检查方法", "题型"])
    sheet.append(["校园安全", None, None, None, None, None, None])  # a heading row
    sheet.append([None, "１", "  消防器材在有效期内（５分） ", None, "一处过期扣1分", " 实地查看 "])
    sheet.append([])
    sheet.append([None, "2", "门卫登记", None, None, "查阅资料", None])
    sheet.append(["课程", "3", "课表上墙", "３分", None, "查阅资料", "评分（须拍照）"])
    sheet.append(["课程", "4", "课堂教学", 4, None, "听课", "评级"])
    path = tmp_path / "county.xlsx"
    book.save(path)
    new = templates.template_from_xlsx(ws, path)
    template = templates.get_template(ws, new)
    assert (template["name"], template["template_kind"]) == ("county", "专项督导")
    items = templates.template_items(ws, new)
    got = [
        (
            i["section"],
            i["code"],
            i["content"],
            i["item_kind"],
            i["max_score"],
            i["method"],
            i["photo_required"],
        )
        for i in items
    ]
    assert got == [
        ("校园安全", "１", "消防器材在有效期内", "评分", 5.0, "实地查看", False),
        ("校园安全", "2", "门卫登记", "符合/不符合", None, "查阅资料", False),
        ("课程", "3", "课表上墙", "评分", 3.0, "查阅资料", True),
        ("课程", "4", "课堂教学", "评级", 4.0, "听课", False),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not a workbook", "不是 Excel 工作簿"),
        (b"PK\x03\x04" + b"\x00" * 200, "已损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, ".xls"),
    ],
)
def test_non_xlsx_rejected(ws: Workspace, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "checklist.xlsx"
    path.write_bytes(content)
    before = change_count(ws)
    with pytest.raises(ValidationError, match=message):
        templates.template_from_xlsx(ws, path)
    assert change_count(ws) == before


def test_sheet_without_header_or_items(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["姓名", "学校"])
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(ValidationError, match="找不到表头行"):
        templates.template_from_xlsx(ws, tmp_path / "other.xlsx")
    book.active.append(list(templates.HEADERS))
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(templates.TemplateInvalid, match="没有检查项目"):
        templates.template_from_xlsx(ws, tmp_path / "empty.xlsx")
    with pytest.raises(ValidationError, match="找不到文件"):
        templates.template_from_xlsx(ws, tmp_path / "missing.xlsx")


MEANINGFUL = st.sampled_from(
    [
        *insp.ITEM_KINDS,
        *insp.METHODS,
        "评分（须拍照）",
        "5",
        "５分",
        "0",
        "-1",
        "1e3",
        "nan",
        "101",
        "30天",
        "0.5",
        "跑操、广播操",
        "",
        " ",
        "（3分）",
        "类别",
        "内容及分值",
    ]
)
CELL = st.one_of(
    st.none(),
    MEANINGFUL,
    st.text(max_size=40).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=CELL,
    rows=st.lists(st.lists(CELL, min_size=11, max_size=11), min_size=0, max_size=6),
)
def test_arbitrary_cells_only_raise_validation_error(
    ws: Workspace, tmp_path: Path, title: Any, rows: list[list[Any]]
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(list(templates.HEADERS))
    for row in rows:
        sheet.append(row)
    path = tmp_path / "fuzz.xlsx"
    book.save(path)
    before = change_count(ws)
    try:
        template_id = templates.template_from_xlsx(ws, path)
    except ValidationError:
        assert change_count(ws) == before
    else:
        assert templates.get_template(ws, template_id)["status"] == "草稿"


# --- CLI --------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_export_import_publish(tmp_path: Path, capsys) -> None:
    db = tmp_path / "hub.wsdb"
    ws = new_workspace(db, role="hub")
    templates.ensure_builtin_templates(ws)
    ws.close()
    routine = templates.builtin_template_ids()["routine"]

    code, out, _ = run(capsys, "template", "list", "--db", str(db))
    listed = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [t["points"] for t in listed] == [100, 100]

    for suffix in ("xlsx", "json"):
        target = tmp_path / f"routine.{suffix}"
        code, out, _ = run(
            capsys, "template", "export", routine, "--out", str(target), "--db", str(db)
        )
        assert code == 0 and json.loads(out)["out"] == str(target) and target.exists()

    xlsx = str(tmp_path / "routine.xlsx")
    code, out, _ = run(capsys, "--db", str(db), "template", "import", xlsx)
    imported = json.loads(out)
    assert code == 0 and (imported["version"], imported["status"]) == (2, "草稿")
    assert (imported["items"], imported["points"]) == (29, 100)

    code, out, _ = run(capsys, "template", "publish", imported["id"], "--db", str(db))
    assert code == 0 and json.loads(out) == {"published": imported["id"], "retired": [routine]}

    code, out, _ = run(
        capsys, "template", "import", str(tmp_path / "routine.json"), "--publish", "--db", str(db)
    )
    assert code == 0 and (json.loads(out)["version"], json.loads(out)["status"]) == (3, "已发布")

    conn = support.raw_connect(db)
    try:
        v1, v2 = (
            conn.execute("SELECT status FROM checklist_templates WHERE id = ?", (i,)).fetchone()[0]
            for i in (routine, imported["id"])
        )
    finally:
        conn.close()
    assert (v1, v2) == ("已停用", "已停用")


def test_cli_rejections_exit_3(tmp_path: Path, capsys) -> None:
    db = tmp_path / "hub.wsdb"
    ws = new_workspace(db, role="hub")
    templates.ensure_builtin_templates(ws)
    routine = templates.builtin_template_ids()["routine"]
    path = templates.template_to_xlsx(ws, routine, tmp_path / "bad.xlsx")
    ws.close()
    book = openpyxl.load_workbook(path)
    h = header_row(book.active)
    book.active.cell(h + 3, 4).value = "x"
    book.save(path)
    (tmp_path / "notes.xlsx").write_text("not a workbook", encoding="utf-8")

    code, _, err = run(capsys, "template", "import", str(path), "--db", str(db))
    assert code == 3 and f"第 {h + 3} 行：分值应为数字" in err and err.count("\n") == 1
    code, _, err = run(capsys, "template", "import", str(tmp_path / "notes.xlsx"), "--db", str(db))
    assert code == 3 and "不是 Excel 工作簿" in err
    code, _, err = run(
        capsys, "template", "export", routine, "--out", str(tmp_path / "a.txt"), "--db", str(db)
    )
    assert code == 3 and ".xlsx 或 .json" in err
    code, _, err = run(capsys, "template", "publish", routine, "--db", str(db))
    assert code == 3 and "已发布" in err
    code, _, err = run(
        capsys, "template", "export", "nope", "--out", str(tmp_path / "a.json"), "--db", str(db)
    )
    assert code == 3 and "找不到编号" in err
    code, _, _ = run(capsys, "template", "bogus", "--db", str(db))
    assert code == 2


def test_a_checklist_typed_in_item_by_item_round_trips(tmp_path: Path) -> None:
    """Built through the record forms' path (records.put), one item of every kind:
    exported to XLSX and to JSON, each imports back to the same items; and what the
    import would refuse, the forms refuse too."""
    ws = new_workspace(tmp_path / "w.wsdb")
    try:
        template = records.put(ws, "checklist_template", {
            "name": "手工录入检查表", "template_kind": "专项督导", "version": 1,
            "status": "草稿", "default_deadline_days": 20}).id
        typed = [
            {"item_kind": "评分", "max_score": 10, "deduction_rule": "少一门扣2分"},
            {"item_kind": "符合/不符合", "max_score": 5, "method": "访谈"},
            {"item_kind": "评级", "max_score": 8},
            {"item_kind": "数值"},
            {"item_kind": "文本", "deadline_days": 7},
            {"item_kind": "选项", "choices": ["齐全", "部分", "无"]},
            {"item_kind": "照片", "photo_required": True},
        ]
        for position, extra in enumerate(typed, start=1):
            records.put(ws, "checklist_item", {"template_id": template, "position": position,
                                               "section": "一、专项", "code": f"1.{position}",
                                               "content": f"第{position}项", **extra})
        with pytest.raises(ValidationError, match="不计分"):
            records.put(ws, "checklist_item", {"template_id": template, "position": 9,
                                               "section": "一、专项", "content": "文本带分",
                                               "item_kind": "文本", "max_score": 3})
        with pytest.raises(ValidationError, match="两个可选项"):
            records.put(ws, "checklist_item", {"template_id": template, "position": 9,
                                               "section": "一、专项", "content": "一个选项",
                                               "item_kind": "选项", "choices": ["是"]})
        original = templates.template_to_json(ws, template)["items"]
        for suffix in (".xlsx", ".json"):
            out = templates.export_file(ws, template, tmp_path / f"t{suffix}")
            again = templates.import_file(ws, out, name=f"导回{suffix}")
            assert templates.template_to_json(ws, again)["items"] == original, suffix
    finally:
        ws.close()
