"""The printed 督导意见书 and 整改通知书 of a visit: real PDFs, read back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import add_school, inspector, make_template, new_workspace

from wushan_desk.cli import main
from wushan_desk.services import inspection, records

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
    assert f"第 {pages} 页 共 {pages} 页".replace(" ", "") in flat
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
