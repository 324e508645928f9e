"""The printed 督导意见书 and 整改通知书 of a visit: real PDFs, read back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import add_school, answer_all, inspector, make_template, new_workspace

from wushan_desk.cli import main
from wushan_desk.services import dropout, dropout_report, inspection, records, templates

DAY = dt.date(2026, 10, 12)
LONG = (
    "食堂陪餐记录自九月中旬起缺失，部分餐次无校领导签字，留样记录不完整，"
    "冷藏设施温度记录未每日登记，学生营养餐公示栏未按月更新资金使用情况。"
) * 2


@pytest.fixture
def visit(tmp_path: Path):
    ws = new_workspace(tmp_path / "w.wsdb")
    school = add_school(ws, "巫山县𠮷祥乡䶮村小学")
    template = make_template(ws)
    visit = inspection.start_visit(
        ws, school_id=school, template_id=template, inspector_ids=[inspector(ws, "向堃")], date=DAY
    )
    items = inspection.detail(ws, visit).items
    inspection.answer(ws, visit, items[0]["id"], "8", note="缺书法课")
    inspection.answer(ws, visit, items[2]["id"], "中")
    records.put(ws, "visit", {"id": visit, "summary": "学校课程开设基本规范，食堂管理需加强。"})
    inspection.add_finding(
        ws,
        visit,
        description=LONG,
        requirement="建立陪餐台账，每餐登记" * 8,
        severity="较重",
        responsible="冉校长",
    )
    yield ws, visit
    ws.close()


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_inspection_report_prints_facts_scores_findings_and_pages(visit, tmp_path: Path) -> None:
    ws, visit_id = visit
    out = tmp_path / "意见书.pdf"
    code = main(["report", "inspection", visit_id, "--out", str(out), "--db", str(ws.path)])
    assert code == 0
    text = text_of(out)
    assert "巫山县𠮷祥乡䶮村小学督导意见书（草稿）" in text.replace("\n", "")
    assert "向堃" in text and "2026年10月12日" in text
    assert "合计" in text and "14" in text  # 8 + 6 (中 = 60 % of 10)
    flat = text.replace("\n", "").replace(" ", "")
    assert LONG.replace(" ", "") in flat  # the long finding wraps but prints in full
    pages = len(PdfReader(out).pages)
    assert f"—{pages}—" in flat  # GB/T 9704's page numbers
    fonts = {
        str(f)
        for page in PdfReader(out).pages
        for f in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts


def test_finalized_report_has_signatures_and_rectification_notice(
    visit, tmp_path: Path, capsys
) -> None:
    ws, visit_id = visit
    png = Path(__file__).parent / "fixtures" / "signature.png"
    inspection.sign(ws, visit_id, role="督学", name="向堃", png=png.read_bytes(), day=DAY)
    inspection.sign(ws, visit_id, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)
    answer_all(ws, visit_id)
    inspection.finalize(ws, visit_id, DAY)
    out = tmp_path / "意见书.pdf"
    assert main(["report", "inspection", visit_id, "--out", str(out), "--db", str(ws.path)]) == 0
    text = text_of(out).replace("\n", "")
    assert "（草稿）" not in text and "冉校长（纸质签名）" in text
    assert any(page.images for page in PdfReader(out).pages)  # the captured signature
    notice = tmp_path / "通知书.pdf"
    capsys.readouterr()
    assert (
        main(["report", "rectification", visit_id, "--out", str(notice), "--db", str(ws.path)]) == 0
    )
    assert json.loads(capsys.readouterr().out)["pages"] >= 1
    assert "督导整改通知书" in text_of(notice)


def test_rectification_without_findings_is_refused(tmp_path: Path, capsys) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    visit_id = inspection.start_visit(
        ws,
        school_id=add_school(ws),
        template_id=make_template(ws),
        inspector_ids=[inspector(ws)],
        date=DAY,
    )
    ws.close()
    out = tmp_path / "x.pdf"
    assert (
        main(
            [
                "report",
                "rectification",
                visit_id,
                "--out",
                str(out),
                "--db",
                str(tmp_path / "w.wsdb"),
            ]
        )
        == 3
    )
    assert "不需要整改通知书" in capsys.readouterr().err and not out.exists()


def draft_marked_pages(path: Path) -> list[bool]:
    return ["草稿·未定稿" in page.extract_text().replace(" ", "") for page in PdfReader(path).pages]


def test_every_page_of_an_unfinished_document_is_marked_draft(visit, tmp_path: Path) -> None:
    """The 督导意见书 and the 整改通知书 of a draft visit say 草稿 on every page, and
    lose the mark once the visit is finalized."""
    ws, visit_id = visit
    for kind in ("inspection", "rectification"):
        out = tmp_path / f"{kind}.pdf"
        assert main(["report", kind, visit_id, "--out", str(out), "--db", str(ws.path)]) == 0
        marks = draft_marked_pages(out)
        assert marks and all(marks), (kind, marks)
    inspection.sign(ws, visit_id, role="督学", name="向堃", on_paper=True, day=DAY)
    inspection.sign(ws, visit_id, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)
    answer_all(ws, visit_id)
    inspection.finalize(ws, visit_id, DAY)
    for kind in ("inspection", "rectification"):
        out = tmp_path / f"{kind}-final.pdf"
        assert main(["report", kind, visit_id, "--out", str(out), "--db", str(ws.path)]) == 0
        assert not any(draft_marked_pages(out)), kind


def test_a_return_notice_is_a_draft_until_it_is_issued(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    from support import student_record

    from wushan_desk.domain import ids

    first17 = "50023720150301002"  # 2: a girl
    student = records.put(ws, "student", student_record(
        add_school(ws), birth_date="2015-03-01", resident_id=first17
        + ids.resident_id_check_char(first17), sex="女")).id
    case = dropout.open_case(ws, {"student_id": student, "status": "辍学",
                                  "opened_on": "2026-09-10"})
    draft, issued = tmp_path / "draft.pdf", tmp_path / "issued.pdf"
    dropout_report.return_notice(ws, case, draft)
    dropout_report.return_notice(ws, case, issued, deadline=DAY + dt.timedelta(days=10),
                                 issue_on=DAY)
    assert all(draft_marked_pages(draft)) and not any(draft_marked_pages(issued))
    closing = text_of(issued).replace(" ", "")
    assert "2026年10月12日" in closing  # 成文日期: the day it was issued


NOTE = "现场查看了记录本和照片，部分记录缺失"


def test_a_routine_visit_of_29_items_prints_on_three_pages_as_an_official_document(
    tmp_path: Path,
) -> None:
    """The routine checklist answered in full, with notes and a finding: at most three
    pages; 落款 with the centre and the day it was finalized; the notice's 版记."""
    ws = new_workspace(tmp_path / "w.wsdb")
    templates.ensure_builtin_templates(ws)
    routine = templates.builtin_template_ids()["routine"]
    visit_id = inspection.start_visit(ws, school_id=add_school(ws, "巫山县骡坪镇中心小学"),
                                      template_id=routine, inspector_ids=[inspector(ws)],
                                      date=DAY)
    items = inspection.detail(ws, visit_id).items
    assert len(items) == 29
    for item in items[:4]:
        value = "1" if item["item_kind"] == "评分" else "不符合"
        inspection.answer(ws, visit_id, item["id"], value, note=NOTE)
    answer_all(ws, visit_id)
    records.put(ws, "visit", {"id": visit_id, "summary": "学校办学总体规范，安全管理需加强。"})
    inspection.add_finding(ws, visit_id, description="安全台账不全", requirement="补齐台账",
                           severity="一般", responsible="校长")
    inspection.sign(ws, visit_id, role="督学", name="向堃", on_paper=True, day=DAY)
    inspection.sign(ws, visit_id, role="校长（园长）", name="冉校长", on_paper=True, day=DAY)
    inspection.finalize(ws, visit_id, DAY + dt.timedelta(days=1))
    out, notice = tmp_path / "意见书.pdf", tmp_path / "通知书.pdf"
    assert main(["report", "inspection", visit_id, "--out", str(out), "--db", str(ws.path)]) == 0
    assert main(["report", "rectification", visit_id, "--out", str(notice),
                 "--db", str(ws.path)]) == 0
    assert len(PdfReader(out).pages) <= 3
    last = PdfReader(out).pages[-1].extract_text().replace(" ", "").replace("\n", "")
    assert "2026年10月13日" in last  # 成文日期: finalized the day after the visit
    notice_text = text_of(notice).replace(" ", "").replace("\n", "")
    assert "2026年10月13日印发" in notice_text and "2026年10月12日" in notice_text
    assert NOTE in text_of(out).replace("\n", "")
