"""定稿 names what is missing (issue 12, item 2): unanswered items, photo-required items
without a photo and missing signatures, each by its number and text; the service refuses
while any is left, and the visit stays a draft."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from support import PHOTO, add_school, answer_all, full_answer, inspector, new_workspace

from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import attachments, inspection, records, templates
from wushan_desk.store.workspace import Workspace

DAY = dt.date(2026, 10, 12)


@pytest.fixture
def ws(tmp_path: Path):
    workspace = new_workspace(tmp_path / "w.wsdb")
    yield workspace
    workspace.close()


def routine_visit(ws: Workspace) -> str:
    """A draft visit with the county's shipped routine checklist (29 items, 7.3 照片)."""
    templates.ensure_builtin_templates(ws)
    return inspection.start_visit(ws, school_id=add_school(ws), date=DAY,
                                  template_id=templates.builtin_template_ids()["routine"],
                                  inspector_ids=[inspector(ws)])


def by_code(ws: Workspace, visit: str) -> dict[str, dict]:
    return {i["code"]: i for i in inspection.detail(ws, visit).items}


def test_finalize_refuses_and_names_the_missing_photo_and_the_unanswered_item(
        ws: Workspace) -> None:
    visit = routine_visit(ws)
    items = by_code(ws, visit)
    photo_item, skipped = items["7.3"], items["2.1"]
    assert photo_item["item_kind"] == rules.PHOTO and photo_item["photo_required"]
    for code, item in items.items():
        if code not in ("7.3", "2.1"):
            inspection.answer(ws, visit, item["id"], full_answer(item))
    inspection.answer(ws, visit, photo_item["id"], "已拍照")  # said so, but no photo
    inspection.sign(ws, visit, role="督学", name="向堃", on_paper=True, day=DAY)
    inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)

    with pytest.raises(ValidationError) as refused:
        inspection.finalize(ws, visit, DAY)
    message = refused.value.message
    assert f"2.1 {skipped['content'][:rules.SHORT_TEXT]}" in message and "（未填写）" in message
    assert "7.3 拍摄当日陪餐记录" in message and "（缺照片）" in message
    assert message.index("2.1") < message.index("7.3")  # in checklist order
    assert "未签名" not in message and "纸质" not in message  # both signed
    stored = records.get(ws, "visit", visit)
    assert stored["status"] == rules.DRAFT and stored["finalized_on"] is None

    problems = inspection.detail(ws, visit).problems
    assert [(p.number, p.kind, p.item_id) for p in problems] == [
        ("2.1", rules.UNANSWERED, skipped["id"]), ("7.3", rules.NO_PHOTO, photo_item["id"])]
    assert problems[1].text == photo_item["content"]  # the whole text for the editor's list

    answer_all(ws, visit)  # 2.1 answered, 7.3 photographed
    assert inspection.detail(ws, visit).problems == []
    assert inspection.finalize(ws, visit, DAY).locked


def test_missing_signatures_are_named_after_the_items(ws: Workspace) -> None:
    visit = routine_visit(ws)
    first = inspection.detail(ws, visit).items[0]
    with pytest.raises(ValidationError) as refused:
        inspection.finalize(ws, visit, DAY)
    message = refused.value.message
    assert message.startswith("还不能定稿") and f"1.1 {first['content'][:8]}" in message
    assert "还有 31 项没有填齐" in message  # 29 items and two signers
    assert "3.2 " in message and "3.3 " not in message  # the first 8 named
    answer_all(ws, visit)
    inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)
    with pytest.raises(ValidationError, match="督学签名（未签名）") as refused:
        inspection.finalize(ws, visit, DAY)
    assert "纸质记录" in refused.value.message  # the other way to sign
    records.put(ws, "visit", {"id": visit, "signed_on_paper": True})
    assert inspection.finalize(ws, visit, DAY).locked


ITEMS = [
    {"id": "a", "position": 1, "code": "1.1", "content": "课表", "item_kind": rules.YES_NO},
    {"id": "b", "position": 2, "content": "留样柜照片", "item_kind": rules.YES_NO,
     "photo_required": True},
    {"id": "c", "position": 3, "code": "7.3", "content": "陪餐记录照片",
     "item_kind": rules.PHOTO, "photo_required": True},
]
SIGNED = [{"role": rules.INSPECTOR}, {"role": rules.HEAD}]


def missing(answers: dict[str, dict], visit: dict | None = None,
            signatures: list[dict] = SIGNED) -> list[tuple[str, str, bool]]:
    visit = {"kind": "经常性", "signed_on_paper": False} | (visit or {})
    return [(p.number or p.text, p.kind, p.photo_too)
            for p in rules.finalize_problems(visit, reversed(ITEMS), answers, signatures)]


def test_what_counts_as_missing() -> None:
    photo = {"photo_ids": ["p1"]}
    assert missing({}) == [("1.1", rules.UNANSWERED, False),
                           ("2", rules.UNANSWERED, True),  # no 序号: its place; a photo too
                           ("7.3", rules.NO_PHOTO, False)]
    done = {"a": {"value": rules.NO}, "b": {"value": rules.YES} | photo, "c": photo}
    assert missing(done) == []
    # 不适用 needs no photo, except on a 照片 item, whose answer is the photo
    assert missing(done | {"b": {"value": rules.NOT_APPLICABLE}}) == []
    assert missing(done | {"c": {"value": rules.NOT_APPLICABLE}}) == [
        ("7.3", rules.NO_PHOTO, False)]
    assert missing(done | {"b": {"value": rules.YES}}) == [("2", rules.NO_PHOTO, False)]
    assert missing(done | {"a": {"value": ""}}) == [("1.1", rules.UNANSWERED, False)]
    # a 复查 re-checks findings: its checklist is optional, what it answers is judged
    assert missing({}, {"kind": "复查"}) == []
    assert missing({"b": {"value": rules.YES}}, {"kind": "复查"}) == [
        ("2", rules.NO_PHOTO, False)]
    # signers after the items; 纸质签名 stands for both
    assert missing(done, signatures=[{"role": rules.HEAD}]) == [
        (rules.INSPECTOR, rules.UNSIGNED, False)]
    assert missing(done, {"signed_on_paper": True}, signatures=[]) == []


def test_a_missing_item_reads_as_a_supervisor_would_say_it() -> None:
    (problem,) = rules.finalize_problems(
        {"kind": "经常性", "signed_on_paper": True},
        [{"id": "c", "position": 1, "code": "7.3", "item_kind": rules.PHOTO,
          "content": "拍摄当日陪餐记录（含陪餐人签名）和食品留样柜。"}], {}, [])
    assert problem.line() == "7.3 拍摄当日陪餐记录（含陪餐人签名）…（缺照片）"
    whole = "7.3 拍摄当日陪餐记录（含陪餐人签名）和食品留样柜。（缺照片）"
    assert problem.line(short=False) == whole
    unsigned = rules.Missing(rules.UNSIGNED, rules.HEAD)
    assert unsigned.line() == "校长（园长）签名（未签名）"


def test_a_photo_answer_is_what_the_editor_saves(ws: Workspace) -> None:
    """The editor saves a 照片 item's photos with the value “照片N张”: that answers it."""
    visit = routine_visit(ws)
    item = by_code(ws, visit)["7.3"]
    photo = attachments.add_bytes(ws, PHOTO, "陪餐.jpg", owner_kind="visit_answer",
                                  owner_id=rules.answer_id(visit, item["id"]))
    inspection.answer(ws, visit, item["id"], "照片1张", photo_ids=[photo])
    assert "7.3" not in [p.number for p in inspection.detail(ws, visit).problems]


def test_demo_history_finalizes_only_complete_visits(ws: Workspace) -> None:
    """The demo writes its records directly: each finalized visit must still be one 定稿
    would accept, its photos stored attachments of their answers."""
    import random

    from wushan_desk.domain import entities
    from wushan_desk.services import demo_inspections as demo
    from wushan_desk.store import changes

    templates.ensure_builtin_templates(ws)
    made = {stem: demo.Template(tid, kind, templates.template_items(ws, tid), 30)
            for (stem, tid), kind in zip(sorted(templates.builtin_template_ids().items()),
                                         ("经常性督导", "开学专项督导"), strict=True)}
    rng = random.Random(5)
    history = demo.History(rng, lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           made["routine"], made["term_start"], photo=demo.store_photo(ws))
    out: dict[str, list[dict]] = {}
    for kind, record in history.for_school({"id": add_school(ws), "head": "冉校长"},
                                           [inspector(ws)]):
        out.setdefault(kind, []).append(record)
    for kind in ("attachment", "visit", "visit_answer", "visit_signature"):
        changes.insert_many(ws, entities.kind(kind).table, out[kind])
    finals = [v for v in out["visit"] if v["status"] == rules.FINAL and v["kind"] != "复查"]
    assert finals
    for visit in finals:
        assert inspection.detail(ws, visit["id"]).problems == [], visit["date"]
    photographed = [a for a in out["visit_answer"] if a["photo_ids"]]
    assert photographed and {a["value"] for a in photographed} == {"照片1张"}
    assert attachments.read(ws, photographed[0]["photo_ids"][0]) == demo.demo_png()
