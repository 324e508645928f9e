"""家庭经济困难学生认定申请表: everything the family signs, the school's part, the CLI.

Unlike the public notice, the form carries the full ID number, phone and address (it is
signed and filed); it is written only where asked, and only by an account that may see
full values. Uses the recognition tests' county (a school, 王超 and 李娜) and steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import support
from test_aid_recognition import (
    FAMILY,
    MEMBERS,
    YEAR,
    D,
    _noticed,
    _pdf_text,
    _student,
    seeded,
    ws,
)

from wushan_desk import cli
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import accounts, aid_application, audit, records
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.services.accounts import PermissionDenied

__all__ = ["seeded", "ws"]  # the recognition tests' county, a copy for each test

WANG_ID = "11010519491231002X"  # 王超's ID number in the seeded county
SIGNATURES = ("申请人（学生或监护人）", "班主任（评议小组）", "校长", "学校（公章）", "签名")


def _flat(text: str) -> str:
    """PDF text without the layout's spaces and line breaks (wrapped text joins up)."""
    return "".join(text.split())


def test_the_form_holds_what_the_family_signs_and_the_schools_review(ws, tmp_path) -> None:
    """Rare characters, the full ID number, phone and address, every member, the review
    opinion, the notice and the signature lines are all on the form."""
    student = _student(ws)
    records.put(ws, "student", {"id": student, "name": "王𠮷堃", "class_name": "3班",
                                "guardian_name": "王大山", "guardian_phone": "13912345678",
                                "hukou_type": "农村", "hukou_address": "骡坪镇茶园村三组"})
    rec = recognition.apply(ws, student, YEAR, D(2026, 9, 10), facts=FAMILY,
                            members=[*MEMBERS, {"name": "王堃", "relation": "祖父", "age": 78,
                                                "employer": "在家务农", "health": "慢性病"}])
    recognition.review(ws, rec, D(2026, 9, 20), "经民主评议，困难属实，同意认定", "特别困难")
    recognition.post_notice(ws, rec, D(2026, 9, 28), place="校务公开栏")
    out = tmp_path / "申请表.pdf"
    result = aid_application.application_form(ws, rec, out)
    assert out.exists() and result.pages in (1, 2)
    text = _flat(_pdf_text(out))
    for fact in ("家庭经济困难学生认定申请表", "巫山县骡坪镇中心小学", "王𠮷堃", WANG_ID,
                 "1949年12月31日", "13912345678", "骡坪镇茶园村三组", "3班", "农村",
                 "低保、残疾", "18,000元（人均4,500元）", "父亲残疾，母亲务农", "王大山", "李秀",
                 "王堃", "在家务农", "慢性病", "经民主评议，困难属实，同意认定", "特别困难",
                 "2026年9月28日至2026年10月9日（5个工作日）", "校务公开栏", *SIGNATURES):
        assert fact in text, fact
    assert "□不予认定" in text  # not decided yet: boxes to tick by hand
    assert recognition.get(ws, rec)["status"] == "公示中"  # printing changes nothing


def test_members_get_rows_to_fill_by_hand_and_long_text_wraps(ws, tmp_path) -> None:
    few = aid_application._members_table(MEMBERS)
    assert len(few.body) == aid_application.MEMBER_ROWS == 4
    assert [c.text for c in few.body[0]][:3] == ["王大山", "45", "父亲"]
    many = [{"name": f"成员{n}", "relation": "其他亲属"} for n in range(6)]
    assert len(aid_application._members_table(many).body) == 6
    situation = "祖父常年卧病在床，每月医药费八百余元；" * 12 + "家中无其他收入。"
    rec = recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 10),
                            facts={**FAMILY, "situation": situation})
    out = tmp_path / "申请表.pdf"
    assert aid_application.application_form(ws, rec, out).pages in (1, 2)
    text = _pdf_text(out)
    assert situation in _flat(text).replace("家庭陈述", "")  # whole, over several lines
    assert sum("卧病" in line for line in text.splitlines()) > 3  # not one overflowing line
    assert "□特别困难" in _flat(text)  # not reviewed yet: the level is ticked by hand


def test_a_missing_recognition_is_explained_and_nothing_written(ws, tmp_path) -> None:
    out = tmp_path / "申请表.pdf"
    with pytest.raises(ValidationError, match="找不到编号为“nope”的困难认定"):
        aid_application.application_form(ws, "nope", out)
    assert not out.exists()


def test_an_account_that_may_not_see_full_values_cannot_print_it(ws, tmp_path) -> None:
    rec = _noticed(ws)
    accounts.attach(ws, accounts.Actor("x", "chakan", "查看", "read_only", None))
    out = tmp_path / "申请表.pdf"
    with pytest.raises(PermissionDenied, match="无权查看完整的身份证号"):
        aid_application.application_form(ws, rec, out)
    assert not out.exists()


def test_the_form_from_the_cli(seeded: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.wsdb"
    support.copy_workspace(seeded, path)
    ws = support.open_workspace(path, create=False)
    rec = _noticed(ws)
    ws.close()
    out = tmp_path / "申请表.pdf"
    args = ["report", "aid-application", rec, "--db", str(path)]
    assert cli.main([*args, "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["file"] == str(out) and printed["pages"] in (1, 2)
    text = _flat(_pdf_text(out))
    assert all(s in text for s in ("王超", WANG_ID, "王大山", "李秀", "经民主评议，困难属实"))
    ws = support.open_workspace(path, create=False)
    printed_entries = audit.entries(ws, action="print", record_id=rec)
    ws.close()
    assert [e.detail for e in printed_entries] == [
        {"document": "家庭经济困难学生认定申请表", "file": "申请表.pdf"}]
    assert cli.main([*args[:2], "nope", *args[3:], "--out", str(tmp_path / "n.pdf")]) \
        == cli.EXIT_REJECTED
    assert "找不到编号为“nope”的困难认定" in capsys.readouterr().err
    assert not (tmp_path / "n.pdf").exists()
    assert cli.main([*args, "--out", str(tmp_path / "n.xlsx")]) == cli.EXIT_REJECTED
    assert ".pdf" in capsys.readouterr().err
