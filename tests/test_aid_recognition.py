"""家庭经济困难认定: the steps, the lawful notice, locks, re-checks, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import support
from support import new_workspace

from wushan_desk import cli
from wushan_desk.domain import aid_recognition as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import RecordInvalid
from wushan_desk.services import aid, aid_report, records
from wushan_desk.services import aid_recognition as recognition

D = dt.date
YEAR = "2026-2027"
FAMILY = {"groups": ["低保", "残疾"], "household_size": 4, "household_income": 18000,
          "situation": "父亲残疾，母亲务农"}
MEMBERS = [{"name": "王大山", "relation": "父亲", "age": 45, "income": 12000, "health": "残疾"},
           {"name": "李秀", "relation": "母亲", "age": 40, "income": 6000}]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-alone workspace with the seeded calendar, a school and two students."""
    path = tmp_path_factory.mktemp("rec") / "w.wsdb"
    ws = new_workspace(path)
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    for name, rid in (("王超", "11010519491231002X"), ("李娜", None)):
        records.put(ws, "student", support.student_record(school, name=name, resident_id=rid))
    ws.close()
    return path


@pytest.fixture
def ws(seeded: Path, tmp_path: Path):
    ws = support.open_copy(seeded, tmp_path)
    yield ws
    ws.close()


def _student(ws, name: str = "王超") -> str:
    return next(s["id"] for s in records.iter_records(ws, "student") if s["name"] == name)


MONDAY = D(2026, 9, 28)


def _noticed(ws, start: D = MONDAY) -> str:
    """An application reviewed and on notice from `start` (the default end)."""
    rec = recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 10), facts=FAMILY,
                            members=MEMBERS)
    recognition.review(ws, rec, D(2026, 9, 20), "经民主评议，困难属实", "特别困难")
    recognition.post_notice(ws, rec, start, place="校务公开栏")
    return rec


def test_the_notice_lasts_five_working_days_by_the_holiday_calendar(ws) -> None:
    rec = _noticed(ws)  # Mon 28 Sep: 3 days, then 国庆 1-7 Oct, then Thu 8 and Fri 9 Oct
    assert recognition.get(ws, rec)["notice_to"] == "2026-10-09"
    other = recognition.apply(ws, _student(ws, "李娜"), YEAR, D(2026, 9, 10))
    recognition.review(ws, other, D(2026, 9, 20), "属实", "困难")
    # Thu 8 Oct, Fri 9, Sat 10 (调休上班), Mon 12, Tue 13: five working days
    with pytest.raises(ValidationError, match=r"只有 4 个工作日.*最早到 2026-10-13 结束"):
        recognition.post_notice(ws, other, D(2026, 10, 8), D(2026, 10, 12))
    recognition.post_notice(ws, other, D(2026, 10, 8), D(2026, 10, 13))
    assert recognition.get(ws, other)["status"] == rules.NOTICE


def test_a_recognition_is_decided_only_after_its_notice(ws) -> None:
    rec = _noticed(ws)
    with pytest.raises(ValidationError, match="公示期满后"):
        recognition.decide(ws, rec, D(2026, 10, 9), True)  # the notice's last day
    recognition.decide(ws, rec, D(2026, 10, 10), True)
    assert recognition.level_of(ws, _student(ws), YEAR) == "特别困难"
    assert [e["status"] for e in recognition.events(ws, rec)] == [
        "申请", "评议", "公示中", "已认定"]
    assert [m["name"] for m in recognition.members(ws, rec)] == ["王大山", "李秀"]


def test_a_notice_made_short_by_a_holiday_entered_later_cannot_be_decided(ws) -> None:
    rec = _noticed(ws, D(2026, 11, 16))  # Mon to Fri 20 Nov
    aid.set_day(ws, D(2026, 11, 18), "放假", "县内停课")
    with pytest.raises(ValidationError, match=r"只有 4 个工作日.*请重新公示"):
        recognition.decide(ws, rec, D(2026, 11, 23), True)
    recognition.decide(ws, rec, D(2026, 11, 23), False, "公示期不足，另行公示")  # 未通过: fine
    assert recognition.get(ws, rec)["status"] == rules.REJECTED


@pytest.mark.parametrize("step", ["skip-review", "skip-notice", "after-rejection",
                                  "out-of-order", "future"])
def test_steps_follow_the_procedure(ws, step: str) -> None:
    rec = recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 10))
    if step == "skip-review":
        with pytest.raises(ValidationError, match="不能从“申请”改为“公示中”（可改为：评议"):
            recognition.post_notice(ws, rec, D(2026, 9, 28))
    elif step == "skip-notice":
        recognition.review(ws, rec, D(2026, 9, 20), "属实", "困难")
        with pytest.raises(ValidationError, match="不能从“评议”改为“已认定”"):
            recognition.decide(ws, rec, D(2026, 9, 21), True)
    elif step == "after-rejection":
        recognition.decide(ws, rec, D(2026, 9, 21), False, "收入超过标准")
        with pytest.raises(ValidationError, match=r"已办结（未通过），不能再办理"):
            recognition.review(ws, rec, D(2026, 9, 22), "属实", "困难")
    elif step == "out-of-order":
        with pytest.raises(ValidationError, match="不能早于上一次办理"):
            recognition.review(ws, rec, D(2026, 9, 1), "属实", "困难")
    else:
        with pytest.raises(ValidationError, match="不能晚于今天"):
            recognition.review(ws, rec, D(2099, 1, 1), "属实", "困难")
    assert len(recognition.events(ws, rec)) == 1 + (step == "skip-notice") + (
        step == "after-rejection")


def test_one_live_recognition_per_student_and_year(ws) -> None:
    first = recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 10))
    with pytest.raises(recognition.DuplicateRecognition, match="已有认定（申请"):
        recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 11))
    recognition.apply(ws, _student(ws), "2027-2028", D(2026, 9, 11))  # another year: fine
    recognition.revoke(ws, first, D(2026, 9, 12), "家长撤回申请")
    recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 13))  # the first is 撤销


def test_a_recheck_replaces_the_recognition_and_keeps_both(ws) -> None:
    rec = _noticed(ws)
    with pytest.raises(ValidationError, match="只能对本学年“已认定”"):
        recognition.recheck(ws, rec, D(2026, 10, 9), "父亲去世")
    recognition.decide(ws, rec, D(2026, 10, 10), True)
    again = recognition.recheck(ws, rec, D(2026, 11, 2), "父亲因病丧失劳动能力")
    assert recognition.members(ws, again)[0]["name"] == "王大山"  # facts carried over
    assert recognition.level_of(ws, _student(ws), YEAR) == "特别困难"  # still the old one
    recognition.review(ws, again, D(2026, 11, 4), "复核属实", "困难")
    recognition.post_notice(ws, again, D(2026, 11, 9))
    recognition.decide(ws, again, D(2026, 11, 16), True)
    assert recognition.get(ws, rec)["status"] == rules.REVOKED
    assert "复核认定为困难" in recognition.events(ws, rec)[-1]["note"]
    assert recognition.level_of(ws, _student(ws), YEAR) == "困难"
    assert {r.status for r in recognition.listing(ws, YEAR)} == {"撤销", "已认定"}


def test_a_decided_recognition_is_locked(ws) -> None:
    rec = _noticed(ws)
    recognition.decide(ws, rec, D(2026, 10, 10), True)
    with pytest.raises(RecordInvalid, match=r"已办结（已认定），不能修改"):
        recognition.update(ws, rec, {"household_income": 1000})
    member = recognition.members(ws, rec)[0]
    with pytest.raises(RecordInvalid, match="家庭成员不能再修改"):
        records.put(ws, "aid_household_member", {**member, "income": 1})
    with pytest.raises(ValidationError, match="不能再删除"):
        records.delete(ws, "aid_household_member", member["id"])
    with pytest.raises(ValidationError, match="档案，不能删除"):
        records.delete(ws, "aid_recognition", rec)
    events = recognition.events(ws, rec)
    with pytest.raises(ValidationError, match="历史记录"):
        records.put(ws, "aid_recognition_event", {"id": events[0]["id"], "note": "改"})


def test_the_status_changes_only_through_the_steps(ws) -> None:
    student = _student(ws)
    with pytest.raises(RecordInvalid, match="受理申请"):
        records.put(ws, "aid_recognition", {"student_id": student, "school_year": YEAR,
                                            "applied_on": "2026-09-10", "status": "已认定"})
    rec = recognition.apply(ws, student, YEAR, D(2026, 9, 10), facts=FAMILY)
    with pytest.raises(RecordInvalid, match="只能通过“办理”"):
        records.put(ws, "aid_recognition", {"id": rec, "status": "已认定"})
    with pytest.raises(ValidationError, match="状态和日期请通过“办理”"):
        recognition.update(ws, rec, {"notice_to": "2026-12-01"})
    recognition.update(ws, rec, {"household_income": 20000})
    assert recognition.get(ws, rec)["household_income"] == 20000


def test_the_countdown_and_notices_ending(ws) -> None:
    rec = _noticed(ws, D(2026, 11, 16))  # to Fri 20 Nov
    left = {r.id: r.notice_left for r in recognition.listing(ws, YEAR, today=D(2026, 11, 17))}
    assert left[rec] == 3  # Wed, Thu, Fri
    assert recognition.notices_ending(ws, 2, today=D(2026, 11, 17)) == []
    assert [r.id for r in recognition.notices_ending(ws, 2, today=D(2026, 11, 18))] == [rec]
    ended = recognition.notices_ending(ws, 2, today=D(2026, 11, 23))
    assert ended[0].notice_left == 0  # over: waits for the decision


def test_the_cli(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.wsdb"
    support.copy_workspace(seeded, path)
    db = ["--db", str(path)]
    assert cli.main(["records", "list", "student", *db]) == 0
    student = next(json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()
                   if "王超" in line)
    proof = tmp_path / "低保证.jpg"
    proof.write_bytes(b"\xff\xd8\xff\xe0 scan")
    assert cli.main(["aid", "apply", student, "--year", YEAR, "--date", "2026-09-10",
                     "--groups", "低保、残疾", "--household-size", "4", "--income", "18000",
                     "--member", "王大山,父亲,45,12000", "--file", str(proof), *db]) == 0
    rec = capsys.readouterr().out.strip()
    assert cli.main(["aid", "review", rec, "--date", "2026-09-20", "--level", "特别困难",
                     "--result", "属实", *db]) == 0
    before = support.file_digest(path)
    assert cli.main(["aid", "notice", rec, "--from", "2026-10-08", "--to", "2026-10-12",
                     *db]) == cli.EXIT_REJECTED
    assert "最早到 2026-10-13 结束" in capsys.readouterr().err
    assert support.file_digest(path) == before  # refused: nothing written
    assert cli.main(["aid", "notice", rec, "--from", "2026-10-08", *db]) == 0
    assert "至 2026-10-13" in capsys.readouterr().out
    assert cli.main(["aid", "recognitions", "--year", YEAR, "--json", *db]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["name"], row["status"], row["groups"]) == ("王超", "公示中", ["低保", "残疾"])
    assert cli.main(["aid", "decide", rec, "--date", "2026-10-14", *db]) == 0
    assert cli.main(["aid", "show", rec, *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "已认定" and shown["members"][0]["relation"] == "父亲"
    assert [e["status"] for e in shown["events"]][-1] == "已认定"
    assert cli.main(["records", "list", "attachment", *db]) == 0
    assert "低保证.jpg" in capsys.readouterr().out
    assert cli.main(["aid", "recognitions", "--school", "不存在的学校", *db]) == cli.EXIT_REJECTED
    assert "没有名为“不存在的学校”的学校" in capsys.readouterr().err


def _pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_the_public_notice_shows_name_grade_and_level_only(ws, tmp_path: Path) -> None:
    """The notice PDF, scanned: the child's name, grade and level are there; the ID
    number, birth date, phone, address and any ID- or phone-shaped number are not."""
    import re

    student = records.get(ws, "student", _student(ws))
    records.put(ws, "student", {"id": student["id"], "guardian_phone": "13912345678",
                                "hukou_address": "重庆市巫山县骡坪镇茶园村三组",
                                "class_name": "3班"})
    rec = _noticed(ws, D(2026, 11, 16))
    out = tmp_path / "公示.pdf"
    result = aid_report.public_notice(ws, "巫山县骡坪镇中心小学", YEAR, out)
    assert result.pages == 1
    text = _pdf_text(out)
    body = "\n".join(line for line in text.splitlines()
                     if "报告编号" not in line and "校验码" not in line)
    assert "王超" in body and "三年级" in body and "特别困难" in body
    assert "2026年11月16日至2026年11月20日（5个工作" in body.replace(" ", "")
    for secret in ("11010519491231002X", "1949-12-31", "1949年12月31日", "19491231",
                   "13912345678", "茶园村", "3班", "低保", "残疾", "18000", "王大山"):
        assert secret not in body, secret
    assert not re.search(r"\d{17}[\dXx]|1[3-9]\d{9}|\d{16,19}", body.replace(" ", ""))
    assert recognition.get(ws, rec)["status"] == rules.NOTICE  # printing changes nothing


def test_no_notice_to_print_is_explained(ws, tmp_path: Path) -> None:
    recognition.apply(ws, _student(ws), YEAR, D(2026, 9, 10))  # not on notice yet
    with pytest.raises(ValidationError, match="没有公示中的困难认定"):
        aid_report.public_notice(ws, "巫山县骡坪镇中心小学", YEAR, tmp_path / "n.pdf")
    assert not (tmp_path / "n.pdf").exists()


def test_the_notice_from_the_cli(seeded: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.wsdb"
    support.copy_workspace(seeded, path)
    ws = support.open_workspace(path, create=False)
    _noticed(ws)
    ws.close()
    out = tmp_path / "公示.pdf"
    args = ["report", "aid-notice", "--school", "巫山县骡坪镇中心小学", "--year", YEAR,
            "--db", str(path)]
    assert cli.main([*args, "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["pages"] == 1
    assert "王超" in _pdf_text(out)
    assert cli.main([*args, "--out", str(tmp_path / "n.xlsx")]) == cli.EXIT_REJECTED
    assert ".pdf" in capsys.readouterr().err
