"""学生资助, first part: programmes and standards as data, the working-day calendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import chinese_calendar
import pytest
import support
from hypothesis import given, settings
from hypothesis import strategies as st
from support import new_workspace

from wushan_desk import cli
from wushan_desk.domain import aid as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import RecordInvalid
from wushan_desk.services import aid, records

D = dt.date
YEAR = "2026-2027"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-alone workspace with the defaults of 2026-2027 and the seeded calendar."""
    path = tmp_path_factory.mktemp("aid") / "w.wsdb"
    ws = new_workspace(path)
    aid.load_defaults(ws, YEAR)
    aid.seed_calendar(ws)
    ws.close()
    return path


@pytest.fixture
def ws(seeded: Path, tmp_path: Path):
    ws = support.open_copy(seeded, tmp_path)
    yield ws
    ws.close()


def test_the_defaults_hold_domain_md_standards(ws) -> None:
    rows = aid.standards(ws, YEAR)
    by_key = {(r.programme[:6], r.section, r.level, r.boarding): r for r in rows}
    boarder = by_key[("家庭经济困难", "小学", "不分档", "住校")]
    assert (boarder.amount, boarder.basis, boarder.payment) == (1250, "按学期", 625)
    assert by_key[("家庭经济困难", "初中", "不分档", "走读")].amount == 750  # half of 1500
    assert by_key[("农村义务教育", "不分学段", "不分档", "不限")].amount == 5
    assert by_key[("普通高中免学", "高中", "不分档", "不限")].amount is None  # actual fee
    assert rows[0].programme.startswith("家庭经济困难")  # programme order kept
    assert aid.school_years(ws) == [YEAR]


def test_loading_the_defaults_again_creates_nothing_and_keeps_corrections(ws) -> None:
    standard = aid.standards(ws, YEAR)[0]
    aid.set_amount(ws, standard.id, 1300, "市级文件上调")
    assert aid.load_defaults(ws, YEAR) == 0
    again = {r.id: r for r in aid.standards(ws, YEAR)}
    assert again[standard.id].amount == 1300 and again[standard.id].note == "市级文件上调"
    assert aid.load_defaults(ws, "2027-2028") > 0  # another year: its own records
    assert aid.school_years(ws) == ["2027-2028", YEAR]


def test_rules_refuse_what_makes_no_sense(ws) -> None:
    daily = next(r for r in aid.standards(ws, YEAR) if r.basis == rules.PER_DAY)
    with pytest.raises(RecordInvalid, match="超过 100 元不合理"):
        aid.set_amount(ws, daily.id, 500)
    with pytest.raises(RecordInvalid, match="不需要登记为调休上班"):
        aid.set_day(ws, D(2026, 12, 2), "调休上班")  # a Wednesday
    with pytest.raises(ValidationError, match="学年应写成"):
        aid.load_defaults(ws, "2026-2028")
    with pytest.raises(RecordInvalid, match="学段"):
        records.put(ws, "aid_programme", {"school_year": YEAR, "name": "x", "stage": "大学",
                                          "basis": "按学年"})


def test_the_calendar_is_seeded_and_counts_working_days(ws) -> None:
    days = {d["date"]: d for d in aid.calendar(ws, 2026)}
    assert days["2026-10-01"]["kind"] == "放假" and days["2026-10-01"]["name"] == "国庆节"
    assert any(d["kind"] == "调休上班" for d in days.values())
    # the week of National Day 2026: holidays Thursday 1 to Wednesday 7 October
    assert aid.count_working_days(ws, D(2026, 9, 28), D(2026, 10, 9)).count == len(
        chinese_calendar.get_workdays(D(2026, 9, 28), D(2026, 10, 9)))
    # a notice posted on Monday 28 September lasts five working days: until after the holiday
    notice_end = rules.add_working_days(D(2026, 9, 28), 5, aid.exceptions(ws))
    assert notice_end > D(2026, 10, 7)
    assert aid.count_working_days(ws, D(2026, 9, 28), D(2026, 9, 30)).notice_ends == notice_end
    found = aid.count_working_days(ws, D(2027, 1, 4), D(2027, 1, 8))
    assert (found.count, found.unknown_years) == (5, (2027,))  # 2027 unknown: weekends only


@settings(max_examples=60, deadline=None)
@given(st.dates(D(2021, 1, 1), D(2026, 12, 31)), st.integers(0, 120))
def test_working_days_agree_with_the_state_council_schedule(start: dt.date, length: int) -> None:
    """Over every day chinesecalendar knows, the seeded exceptions give its count."""
    end = min(start + dt.timedelta(days=length), D(2026, 12, 31))
    known = _seeded_exceptions()
    assert rules.working_days(start, end, known) == len(
        chinese_calendar.get_workdays(start, end))


_CACHE: dict[str, str] = {}


def _seeded_exceptions() -> dict[str, str]:
    """The exceptions seed_calendar stores (computed once, without a workspace)."""
    if not _CACHE:
        from chinese_calendar import constants

        _CACHE.update({d.isoformat(): "放假" for d in constants.holidays if d.weekday() < 5})
        _CACHE.update({d.isoformat(): "调休上班" for d in constants.workdays
                       if d.weekday() >= 5})
    return _CACHE


def test_hand_entered_days_count_and_can_be_undone(ws) -> None:
    before = aid.count_working_days(ws, D(2027, 2, 1), D(2027, 2, 28)).count
    aid.set_day(ws, D(2027, 2, 8), "放假", "春节")
    assert aid.count_working_days(ws, D(2027, 2, 1), D(2027, 2, 28)).count == before - 1
    aid.set_day(ws, D(2027, 2, 8), None)
    assert aid.count_working_days(ws, D(2027, 2, 1), D(2027, 2, 28)).count == before


def test_the_cli(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.wsdb"
    support.copy_workspace(seeded, path)
    db = ["--db", str(path)]
    assert cli.main(["aid", "standards", "--year", YEAR, "--json", *db]) == 0
    rows = json.loads(capsys.readouterr().out)
    boarder = next(r for r in rows if r["section"] == "小学" and r["boarding"] == "住校")
    assert (boarder["amount"], boarder["payment"]) == (1250, 625)
    assert cli.main(["aid", "set-amount", boarder["id"], "abc", *db]) == cli.EXIT_REJECTED
    assert "金额应为数字" in capsys.readouterr().err
    assert cli.main(["aid", "set-amount", boarder["id"], "1300", *db]) == 0
    assert cli.main(["aid", "workdays", "2026-09-28", "2026-10-09", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["working_days"] == len(
        chinese_calendar.get_workdays(D(2026, 9, 28), D(2026, 10, 9)))
    assert cli.main(["aid", "day", "2027-02-08", "--kind", "放假", "--name", "春节", *db]) == 0
    assert cli.main(["aid", "calendar", "--year", "2027", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"date": "2027-02-08", "kind": "放假", "name": "春节", "source": "县教委录入"}]
    assert cli.main(["aid", "defaults", "--year", YEAR, *db]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0
