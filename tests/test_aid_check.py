"""资助核查: each cross-check on a small hand-checked county, explanations, the CLI and
the report. (A child paid by two centres' schools: tests/sync/test_aid_sync.py.)"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
import support
from support import new_workspace

from wushan_desk import cli
from wushan_desk.domain import aid_check as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid, aid_check, aid_recognition, aid_roster, dropout, records

D = dt.date
YEAR, TERM = "2026-2027", "2026-2027-1"
TODAY = D(2026, 11, 28)
LIVING = "家庭经济困难学生生活补助（两免一补）"
MEALS = "农村义务教育学生营养改善计划"
CARD = "6222021001115555556"
IDS = {"王超": "11010519491231002X"}


NOTICE = D(2026, 9, 14)  # a Monday


def _recognise(ws, student: str, notice_from: dt.date = NOTICE) -> str:
    rec = aid_recognition.apply(ws, student, YEAR, D(2026, 9, 1))
    aid_recognition.review(ws, rec, D(2026, 9, 10), "属实", "困难")
    aid_recognition.post_notice(ws, rec, notice_from)  # a Monday: to the Friday
    aid_recognition.decide(ws, rec, notice_from + dt.timedelta(days=7), True)
    return rec


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One primary school and its pupils, each planted for one check:
    王超 recognised and paid (nothing wrong); 张敏 recognised, left off the 两免一补
    roster (认定未发放); 刘洋 recognised, paid, then revoked (发放未认定); 赵四 on the
    nutrition roster with an open dropout case, 钱五 after 转出 (在校状态异常仍发放);
    李娜 paid 120 school days (营养餐天数超过在校日); 孙丽's notice made short by a holiday
    entered after it was decided (公示不足五个工作日)."""
    path = tmp_path_factory.mktemp("check") / "w.wsdb"
    ws = new_workspace(path)
    aid.load_defaults(ws, YEAR)
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    sid = {name: records.put(ws, "student", support.student_record(
        school, name=name, resident_id=IDS.get(name))).id
        for name in ("王超", "张敏", "刘洋", "赵四", "钱五", "李娜", "孙丽")}
    recs = {name: _recognise(ws, sid[name]) for name in ("王超", "张敏", "刘洋")}
    recs["孙丽"] = _recognise(ws, sid["孙丽"], D(2026, 11, 2))
    programmes = {p["name"]: p["id"] for p in records.iter_records(ws, "aid_programme")}
    living = aid_roster.new_roster(ws, school, programmes[LIVING], TERM)
    meals = aid_roster.new_roster(ws, school, programmes[MEALS], TERM)
    for name in ("王超", "刘洋"):
        aid_roster.add_payment(ws, living, sid[name], boarding="走读", bank_card=CARD)
    for name, days in (("王超", 90), ("赵四", 90), ("钱五", 90), ("李娜", 120)):
        aid_roster.add_payment(ws, meals, sid[name], boarding="走读", days=days)
    aid_recognition.revoke(ws, recs["刘洋"], D(2026, 10, 20), "家庭收入核实后超标")
    dropout.open_case(ws, {"student_id": sid["赵四"], "status": "辍学",
                           "opened_on": "2026-10-09", "plan": "劝返"})
    dropout.record_enrolment_change(ws, sid["钱五"], "转出", D(2026, 9, 20))
    aid.set_day(ws, D(2026, 11, 4), "放假", "县里临时放假")  # 孙丽's notice: now 4 days
    ws.close()
    return path


@pytest.fixture
def ws(seeded: Path, tmp_path: Path):
    ws = support.open_copy(seeded, tmp_path)
    yield ws
    ws.close()


def _by_check(found) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {check: set() for check in rules.CHECKS}
    for f in found:
        out[f.check].add(f.student)
    return out


def test_each_check_finds_exactly_the_planted_children(ws) -> None:
    found = aid_check.findings(ws, today=TODAY)
    assert _by_check(found) == {
        rules.NOT_AT_SCHOOL: {"赵四", "钱五"},
        rules.TWO_SCHOOLS: set(),  # one workspace refuses it: see the sync test
        rules.RECOGNISED_UNPAID: {"张敏", "孙丽"},
        rules.PAID_UNRECOGNISED: {"刘洋"},
        rules.SHORT_NOTICE: {"孙丽"},
        rules.TOO_MANY_DAYS: {"李娜"},
    }
    short = next(f for f in found if f.check == rules.SHORT_NOTICE)
    assert "只有 4 个工作日" in short.detail and short.records[0][0] == "aid_recognition"
    revoked = next(f for f in found if f.check == rules.PAID_UNRECOGNISED)
    assert "的认定是“撤销”" in revoked.detail
    assert {k for k, _ in revoked.records} == {"aid_payment", "aid_recognition"}


def test_a_child_back_at_school_or_a_payment_returned_is_no_longer_a_finding(ws) -> None:
    students = {s["name"]: s["id"] for s in records.iter_records(ws, "student")}
    dropout.record_enrolment_change(ws, students["钱五"], "复学", D(2026, 9, 25))
    (absent,) = [f for f in aid_check.findings(ws, today=TODAY)
                 if f.check == rules.NOT_AT_SCHOOL]
    assert absent.student == "赵四"
    payment = next(i for k, i in absent.records if k == "aid_payment")
    roster = records.get(ws, "aid_payment", payment)["roster_id"]
    aid_roster.report(ws, roster, D(2026, 11, 1))
    aid_roster.confirm(ws, roster, D(2026, 11, 2))
    aid_roster.adjust(ws, payment, D(2026, 11, 5), "退回", "学生辍学，餐费退回")
    assert _by_check(aid_check.findings(ws, today=TODAY))[rules.NOT_AT_SCHOOL] == set()


def test_a_finding_explained_keeps_its_reason_and_is_still_listed(ws) -> None:
    (finding,) = [f for f in aid_check.findings(ws, today=TODAY)
                  if f.check == rules.PAID_UNRECOGNISED]
    with pytest.raises(ValidationError, match="原因"):
        aid_check.explain(ws, finding.key, "  ", TODAY)
    with pytest.raises(ValidationError, match="找不到这条核查发现"):
        aid_check.explain(ws, finding.key + "x", "已退回", TODAY)
    aid_check.explain(ws, finding.key, "已追回，见调整记录", TODAY, by="资助专干")
    (again,) = [f for f in aid_check.findings(ws, today=TODAY) if f.key == finding.key]
    assert again.explained and again.explanation["reason"] == "已追回，见调整记录"
    assert aid_check.counts(aid_check.findings(ws, today=TODAY))[rules.PAID_UNRECOGNISED] \
        == (0, 1)


def test_the_cli_lists_findings_as_json_and_takes_an_explanation(ws, capsys) -> None:
    path = ws.path
    ws.close()
    db = ["--db", str(path)]
    assert cli.main(["aid", "check", "--json", *db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {f["kind"] for f in listed} == set(rules.CHECKS) - {rules.TWO_SCHOOLS}
    late = next(f for f in listed if f["kind"] == rules.TOO_MANY_DAYS)
    assert late["student"]["name"] == "李娜" and late["records"][0]["kind"] == "aid_payment"
    assert late["explained"] is None
    assert cli.main(["aid", "explain", late["key"], "--reason", "录入错误，已改为 92 天",
                     "--date", "2026-11-28", *db]) == 0
    capsys.readouterr()
    assert cli.main(["aid", "check", "--json", "--open", "--kind", rules.TOO_MANY_DAYS,
                     *db]) == 0
    assert json.loads(capsys.readouterr().out) == []
    before = support.file_digest(path)
    assert cli.main(["aid", "explain", "不存在", "--reason", "x", *db]) != 0
    assert "找不到这条核查发现" in capsys.readouterr().err
    assert support.file_digest(path) == before


@pytest.mark.parametrize("suffix", [".pdf", ".xlsx"])
def test_the_report_lists_every_finding_without_id_numbers(ws, tmp_path, suffix) -> None:
    path = ws.path
    ws.close()
    out = tmp_path / f"check{suffix}"
    assert cli.main(["report", "aid-check", "--out", str(out), "--db", str(path)]) == 0
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(out, read_only=True).active
        text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    else:
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                              capture_output=True, text=True).stdout.replace(" ", "")
    for name in ("赵四", "钱五", "张敏", "刘洋", "孙丽", "李娜"):
        assert name in text
    assert IDS["王超"] not in text and CARD not in text


def test_the_payment_list_pages_by_key_and_filters(ws) -> None:
    """发放明细 (services/aid_payments): pages of 2 walk the same rows as one page, in
    name order; the search, term and school filters; cards masked; adjustments applied."""
    from wushan_desk.services import aid_payments as ap

    whole = ap.fetch_payments(ws, ap.PaymentQuery())
    assert ap.count_payments(ws, ap.PaymentQuery()) == len(whole) == 6
    walked, after = [], None
    while page := ap.fetch_payments(ws, ap.PaymentQuery(), 2, after=after):
        walked += page
        after = page[-1].key
    assert [r.id for r in walked] == [r.id for r in whole]
    assert ap.count_payments(ws, ap.PaymentQuery(text="王超")) == 2
    assert ap.count_payments(ws, ap.PaymentQuery(term="2025-2026-2")) == 0
    assert ap.count_payments(ws, ap.PaymentQuery(term=TERM)) == 6
    school = records.get(ws, "aid_roster", whole[0].roster_id)["school_id"]
    assert ap.count_payments(ws, ap.PaymentQuery(school_id=school)) == 6
    other = support.add_school(ws, "巫山县骡坪镇初级中学", "初中")
    assert ap.count_payments(ws, ap.PaymentQuery(school_id=other)) == 0
    assert {r.card for r in whole} == {"**** 5556", ""}
    (zhao,) = ap.fetch_payments(ws, ap.PaymentQuery(text="赵四"))
    roster = zhao.roster_id
    aid_roster.report(ws, roster, D(2026, 11, 1))
    aid_roster.confirm(ws, roster, D(2026, 11, 2))
    aid_roster.adjust(ws, zhao.id, D(2026, 11, 5), "退回", "学生辍学")
    (zhao,) = ap.fetch_payments(ws, ap.PaymentQuery(text="赵四"))
    assert zhao.status == "退回"


@pytest.mark.parametrize("order_by", ["entered", "name", "term", "school", "status"])
def test_the_payment_list_keeps_a_child_no_longer_held_in_every_order(ws, order_by) -> None:
    """A payment whose child left with their school's move has no student row here: it
    sorts as a blank name and every page still follows (a NULL key lost the rest)."""
    from wushan_desk.services import aid_payments as ap
    from wushan_desk.store import purge

    students = {s["name"]: s["id"] for s in records.iter_records(ws, "student")}
    for name in ("王超", "李娜"):  # their recognitions go with them
        recs = [r["id"] for r in records.iter_records(ws, "aid_recognition")
                if r["student_id"] == students[name]]
        parts = [(t, row_id) for t in ("aid_recognition_events", "aid_household_members")
                 for (row_id,) in ws.conn.execute(
                     f"SELECT id FROM {t} WHERE recognition_id IN "
                     f"({','.join('?' * len(recs)) or 'NULL'})", recs)]
        purge.purge_rows(ws, [*parts, *(("aid_recognitions", r) for r in recs),
                              ("students", students[name])])
    for descending in (False, True):
        query = ap.PaymentQuery(order_by=order_by, descending=descending)
        walked, after = [], None
        while page := ap.fetch_payments(ws, query, 2, after=after):
            walked += page
            after = page[-1].key
        assert len(walked) == ap.count_payments(ws, query) == 6
        assert sum(r.name == "（已转往其他督导中心）" for r in walked) == 3


def test_a_rosters_lines_are_checked_at_once_as_each_alone(ws) -> None:
    """view() checks a draft roster's lines in a few queries (roster_problems); each
    line's problems are those payment_problems finds for it alone."""
    from wushan_desk.store import aid_queries

    problems = 0
    for roster in aid_roster.rosters(ws):
        stored = {p["id"]: p for p in aid_queries.payments(ws, roster["id"])}
        for line in aid_roster.view(ws, roster["id"]).lines:
            assert line.problems == tuple(aid_roster.payment_problems(ws, stored[line.id]))
            problems += bool(line.problems)
    assert problems == 1  # 刘洋's recognition was revoked after the listing
