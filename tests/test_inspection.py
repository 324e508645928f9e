"""督导检查: scoring, immutable checklists, lock and amendment, follow-up, overdue, coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from support import add_school, answer_all, inspector, make_template, new_workspace

from wushan_desk.domain import inspection as rules
from wushan_desk.domain.entities import RecordInvalid
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import inspection, records
from wushan_desk.store.workspace import Workspace

DAY = dt.date(2026, 10, 12)
PNG = b"\x89PNG\r\n\x1a\n" + b"signature strokes" * 20

@pytest.fixture
def ws(tmp_path: Path):
    workspace = new_workspace(tmp_path / "w.wsdb")
    yield workspace
    workspace.close()


def item_ids(ws: Workspace, visit: str) -> list[str]:
    return [i["id"] for i in inspection.detail(ws, visit).items]


def test_scoring_per_kind_of_item() -> None:
    score = {"item_kind": rules.SCORE, "max_score": 10}
    assert rules.score_answer(score, "7.5") == 7.5
    with pytest.raises(ValidationError):
        rules.score_answer(score, "11")
    assert rules.score_answer({"item_kind": rules.YES_NO, "max_score": 5}, "符合") == 5
    assert rules.score_answer({"item_kind": rules.YES_NO, "max_score": 5}, "不符合") == 0
    assert rules.score_answer({"item_kind": rules.YES_NO, "max_score": 5}, "不适用") is None
    assert rules.score_answer({"item_kind": rules.RATING, "max_score": 10}, "中") == 6
    assert rules.score_answer({"item_kind": rules.NUMBER}, "4") is None
    with pytest.raises(ValidationError):
        rules.score_answer({"item_kind": rules.CHOICE, "choices": ["齐全"]}, "没有")


def test_sections_and_total_count_unanswered_points_as_possible(ws: Workspace) -> None:
    template = make_template(ws)
    visit = inspection.start_visit(
        ws, school_id=add_school(ws), template_id=template, inspector_ids=[inspector(ws)], date=DAY
    )
    first, second, third, *_ = item_ids(ws, visit)
    inspection.answer(ws, visit, first, "8")
    inspection.answer(ws, visit, second, "不适用")
    inspection.answer(ws, visit, third, "好")
    d = inspection.detail(ws, visit)
    assert [(s.section, s.got, s.top) for s in d.sections] == [
        ("一、课程与教学", 8.0, 10.0),
        ("二、食堂与安全", 10.0, 10.0),
    ]
    assert d.total == (18.0, 20.0)
    inspection.answer(ws, visit, first, "9")  # changing an answer updates, not duplicates
    assert inspection.detail(ws, visit).total == (19.0, 20.0)


def test_published_checklist_is_immutable(ws: Workspace) -> None:
    template = make_template(ws)
    item = records.get(ws, "checklist_item", inspection.q.template_items(ws, template)[0]["id"])
    with pytest.raises(RecordInvalid, match="另存为新版本"):
        records.put(ws, "checklist_item", {"id": item["id"], "max_score": 20})
    with pytest.raises(RecordInvalid, match="另存为新版本"):
        records.put(ws, "checklist_template", {"id": template, "name": "改名"})
    with pytest.raises(ValidationError, match="已发布"):
        inspection.start_visit(
            ws,
            school_id=add_school(ws),
            template_id=make_template(ws, publish=False),
            inspector_ids=[inspector(ws)],
            date=DAY,
        )


def test_finalize_locks_and_amendment_keeps_history(ws: Workspace) -> None:
    template = make_template(ws)
    visit = inspection.start_visit(
        ws, school_id=add_school(ws), template_id=template, inspector_ids=[inspector(ws)], date=DAY
    )
    first = item_ids(ws, visit)[0]
    inspection.answer(ws, visit, first, "6", note="缺美术课")
    answer_all(ws, visit)  # 符合 5, 好 10 and the unscored ones
    with pytest.raises(ValidationError, match="督学签名"):
        inspection.finalize(ws, visit, DAY)
    inspection.sign(ws, visit, role="督学", name="向堃", png=PNG, day=DAY)
    inspection.sign(ws, visit, role="校长（园长）", name="冉校长", png=PNG, day=DAY)
    d = inspection.finalize(ws, visit, DAY)
    assert d.locked and d.visit["total_score"] == 21.0 and d.visit["max_score"] == 25.0
    with pytest.raises(RecordInvalid, match="更正"):
        inspection.answer(ws, visit, first, "10")
    with pytest.raises(RecordInvalid, match="更正"):
        records.put(ws, "visit", {"id": visit, "summary": "改个意见"})
    with pytest.raises(ValidationError, match="理由"):
        inspection.amend(ws, visit, " ", [])
    answer_id = d.answers[first]["id"]
    inspection.amend(
        ws, visit, "误将8分录为6分", [("visit_answer", {"id": answer_id, "value": "8"})], by="向堃"
    )
    after = inspection.detail(ws, visit)
    assert after.answers[first]["score"] == 8.0 and after.visit["total_score"] == 23.0
    (amendment,) = after.amendments
    assert amendment["reason"] == "误将8分录为6分"
    assert "开齐开足国家课程 结果：6 → 8" in amendment["changes"]
    assert after.locked
    # the signatures are images stored as attachments of the visit
    assert all(s["attachment_id"] for s in after.signatures)


def test_follow_up_closes_findings_and_overdue_uses_the_deadline(ws: Workspace) -> None:
    template = make_template(ws)
    school = add_school(ws)
    person = inspector(ws)
    visit = inspection.start_visit(
        ws, school_id=school, template_id=template, inspector_ids=[person], date=DAY
    )
    rating_item = item_ids(ws, visit)[2]
    safety = inspection.add_finding(
        ws,
        visit,
        description="陪餐记录缺9月份",
        requirement="补齐陪餐记录并每餐登记",
        item_id=rating_item,
    )
    other = inspection.add_finding(
        ws,
        visit,
        description="课表未开设书法课",
        requirement="按国家课程方案开齐课程",
        severity="较重",
    )
    deadlines = {f["id"]: f["deadline"] for f in inspection.detail(ws, visit).findings}
    assert deadlines[safety] == "2026-10-19"  # the item's 7 days
    assert deadlines[other] == "2026-11-11"  # the template's 30 days
    assert [f["overdue"] for f in inspection.open_findings(ws, dt.date(2026, 10, 19))] == [
        False,
        False,
    ]
    late = inspection.open_findings(ws, dt.date(2026, 10, 20))
    assert [(f["id"], f["overdue"]) for f in late] == [(safety, True), (other, False)]

    check = inspection.follow_up(ws, visit, date=dt.date(2026, 11, 5), inspector_ids=[person])
    inspection.record_check(ws, safety, check, rules.FIXED, day=dt.date(2026, 11, 5))
    inspection.record_check(ws, other, check, rules.PARTLY, day=dt.date(2026, 11, 5))
    remaining = inspection.open_findings(ws, dt.date(2026, 12, 1), school_id=school)
    assert [(f["id"], f["status"], f["overdue"]) for f in remaining] == [
        (other, rules.PARTLY, True)
    ]
    closed = records.get(ws, "finding", safety)
    assert closed["status"] == rules.FIXED and closed["closed_on"] == "2026-11-05"
    assert records.get(ws, "visit", check)["follow_up_of"] == visit


def test_coverage_lists_schools_with_fewer_than_two_visits(ws: Workspace) -> None:
    template = make_template(ws)
    person = inspector(ws)
    busy, quiet = add_school(ws, "巫山县骡坪镇中心小学"), add_school(ws, "巫山县骡坪镇茶园村小")
    for day in (DAY, DAY + dt.timedelta(days=30)):
        inspection.start_visit(
            ws, school_id=busy, template_id=template, inspector_ids=[person], date=day
        )
    inspection.start_visit(
        ws, school_id=quiet, template_id=template, inspector_ids=[person], date=DAY
    )
    rows = inspection.coverage(ws, rules.term_of(DAY))
    assert [(r.school, r.visits, r.inspectors) for r in rows] == [
        ("巫山县骡坪镇茶园村小", 1, ["向堃"])
    ]
    assert rules.term_of(DAY) == "2026-2027学年第一学期"
    assert rules.term_of(dt.date(2027, 3, 1)) == "2026-2027学年第二学期"


def finalized_visit(ws: Workspace) -> tuple[str, str, str]:
    """A finalized visit with one answer and one finding: (visit, answer id, finding)."""
    template = make_template(ws)
    visit = inspection.start_visit(ws, school_id=add_school(ws), template_id=template,
                                   inspector_ids=[inspector(ws)], date=DAY)
    answer = inspection.answer(ws, visit, item_ids(ws, visit)[0], "6")
    answer_all(ws, visit)
    finding = inspection.add_finding(ws, visit, description="缺书法课", requirement="开齐")
    inspection.sign(ws, visit, role="督学", name="向堃", on_paper=True, day=DAY)
    inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)
    inspection.finalize(ws, visit, DAY)
    return visit, answer, finding


def test_locks_hold_against_every_door(ws: Workspace) -> None:
    """Deleting, moving, direct puts and stray amendments cannot change a signed visit."""
    visit, answer, finding = finalized_visit(ws)
    draft = inspection.start_visit(ws, school_id=add_school(ws, "另一所学校"),
                                   template_id=records.get(ws, "visit", visit)["template_id"],
                                   inspector_ids=[inspector(ws)], date=DAY)
    before = ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    for kind, record_id in (("visit_answer", answer), ("finding", finding), ("visit", visit)):
        with pytest.raises(ValidationError):
            records.delete(ws, kind, record_id)
    with pytest.raises(RecordInvalid, match="改属"):
        records.put(ws, "visit_answer", {"id": answer, "visit_id": draft})
    with pytest.raises(RecordInvalid):
        records.put(ws, "finding", {"id": finding, "status": rules.FIXED,
                                    "closed_on": "2026-11-01"})
    with pytest.raises(RecordInvalid, match="定稿"):
        records.put(ws, "visit", {"id": draft, "status": rules.FINAL,
                                  "finalized_on": "2026-10-12"})
    with pytest.raises(RecordInvalid, match="总分"):
        records.put(ws, "visit", {"id": draft, "total_score": 99})
    other_answer = inspection.answer(ws, draft, item_ids(ws, draft)[0], "5")
    with pytest.raises(ValidationError, match="本次督导"):
        inspection.amend(ws, visit, "改别人的", [("visit_answer", {"id": other_answer,
                                                                  "value": "1"})])
    with pytest.raises(ValidationError, match="只能修改"):
        inspection.amend(ws, visit, "退回草稿", [("visit", {"id": visit, "status": "草稿"})])
    with pytest.raises(ValidationError, match="定稿"):
        inspection.sign(ws, visit, role="督学", name="向堃", png=b"\x89PNG")
    after_answer = ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    assert after_answer == before + 1  # only the draft's own answer above was written
    amendment = inspection.amend(ws, visit, "只改说明", [("visit_answer", {"id": answer,
                                                                        "note": "补充说明"})])
    assert records.get(ws, "visit_answer", answer)["score"] == 6.0  # the note alone
    with pytest.raises(RecordInvalid, match="不能修改"):
        records.put(ws, "visit_amendment", {"id": amendment, "reason": "换个理由"})
    with pytest.raises(ValidationError, match="只增不删"):
        records.delete(ws, "visit_amendment", amendment)


def test_one_answer_per_item_and_checks_belong_to_a_follow_up(ws: Workspace) -> None:
    visit, answer, finding = finalized_visit(ws)
    item = records.get(ws, "visit_answer", answer)["item_id"]
    assert answer == rules.answer_id(visit, item)
    with pytest.raises(RecordInvalid, match="只能有一个"):
        records.put(ws, "visit_answer", {"visit_id": visit, "item_id": item, "value": "9",
                                         "score": 9.0})
    routine = inspection.start_visit(ws, school_id=records.get(ws, "visit", visit)["school_id"],
                                     template_id=records.get(ws, "visit", visit)["template_id"],
                                     inspector_ids=[inspector(ws)], date=DAY)
    with pytest.raises(RecordInvalid, match="复查记录"):
        inspection.record_check(ws, finding, routine, rules.FIXED, day=DAY)


def test_follow_up_still_works_after_the_checklist_is_replaced(ws: Workspace) -> None:
    from wushan_desk.services import templates

    visit, _answer, finding = finalized_visit(ws)
    old = records.get(ws, "visit", visit)["template_id"]
    newer = templates.new_version(ws, old)
    templates.publish(ws, newer, dt.date(2026, 11, 1))
    assert records.get(ws, "checklist_template", old)["status"] == "已停用"
    check = inspection.follow_up(ws, visit, date=dt.date(2026, 11, 20),
                                 inspector_ids=records.get(ws, "visit", visit)["inspector_ids"])
    inspection.record_check(ws, finding, check, rules.FIXED, day=dt.date(2026, 11, 20))
    assert records.get(ws, "finding", finding)["status"] == rules.FIXED


def test_who_still_has_to_sign() -> None:
    assert rules.missing_signers([], on_paper=False) == ["督学", "校长（园长）"]
    assert rules.missing_signers([{"role": "校长（园长）"}], on_paper=False) == ["督学"]
    assert rules.missing_signers([{"role": "督学"}, {"role": "校长（园长）"}], False) == []
    assert rules.missing_signers([], on_paper=True) == []


def test_the_amendment_is_what_differs_from_the_signed_visit(ws: Workspace) -> None:
    template = make_template(ws)
    visit = inspection.start_visit(
        ws, school_id=add_school(ws), template_id=template, inspector_ids=[inspector(ws)], date=DAY
    )
    first, second, third, *_ = item_ids(ws, visit)
    inspection.answer(ws, visit, first, "8", "课表齐全")
    answer_all(ws, visit)
    records.put(ws, "visit", {"id": visit, "signed_on_paper": True, "summary": "良好"})
    inspection.finalize(ws, visit, DAY)
    # as a visit signed before every item had to be answered (an older version's) shows
    signed = inspection.detail(ws, visit)
    d = dataclasses.replace(signed, answers={first: signed.answers[first]})
    shown = [
        inspection.AnswerShown(first, "8", "课表齐全", []),  # as signed: left out
        inspection.AnswerShown(second, "不符合", None, []),  # new: names its item
        inspection.AnswerShown(third, None, None, []),  # still empty: left out
    ]
    edits = inspection.amendment_edits(d, shown, summary="良好")
    assert edits == [("visit_answer", {"visit_id": visit, "item_id": second, "value": "不符合",
                                       "note": None, "photo_ids": []})]
    changed = [inspection.AnswerShown(first, "6", "课表齐全", [])]
    assert inspection.amendment_edits(d, changed, summary="一般") == [
        ("visit_answer", {"id": rules.answer_id(visit, first), "value": "6",
                          "note": "课表齐全", "photo_ids": []}),
        ("visit", {"id": visit, "summary": "一般"}),
    ]
    inspection.amend(ws, visit, "录错", edits + inspection.amendment_edits(d, changed))
    after = inspection.detail(ws, visit)
    assert after.answers[second]["score"] == 0 and after.answers[first]["score"] == 6
    assert after.total == (16.0, 25.0)  # 6 + 0 + 好 10


def test_visits_list_marks_overdue_and_filters_by_term(ws: Workspace) -> None:
    template = make_template(ws)
    school = add_school(ws)
    autumn = inspection.start_visit(ws, school_id=school, template_id=template,
                                    inspector_ids=[inspector(ws)], date=DAY)
    spring = inspection.start_visit(ws, school_id=school, template_id=template,
                                    inspector_ids=[inspector(ws)], date=dt.date(2027, 3, 1))
    inspection.add_finding(ws, autumn, description="缺记录", requirement="补齐",
                           deadline=DAY + dt.timedelta(days=10))
    on_time = inspection.list_visits(ws, DAY + dt.timedelta(days=10))
    late = inspection.list_visits(ws, DAY + dt.timedelta(days=11))
    assert {v["id"]: v["overdue"] for v in on_time} == {autumn: False, spring: False}
    assert {v["id"]: v["overdue"] for v in late} == {autumn: True, spring: False}
    assert [v["id"] for v in inspection.list_visits(ws, DAY, term=rules.term_of(DAY))] == [autumn]
    assert [v["id"] for v in inspection.list_visits(
        ws, DAY + dt.timedelta(days=11), overdue_only=True)] == [autumn]
