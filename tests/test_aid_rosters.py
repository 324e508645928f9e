"""发放花名册: payments by the rules, report and confirm, the lock, adjustments, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import support
from support import new_workspace

from wushan_desk import cli
from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import RecordInvalid
from wushan_desk.services import aid, aid_recognition, aid_roster, records

D = dt.date
YEAR, TERM = "2026-2027", "2026-2027-1"
CARD = "6222021001115555556"  # Luhn-valid
LIVING = "家庭经济困难学生生活补助（两免一补）"
MEALS, GRANT = "农村义务教育学生营养改善计划", "普通高中国家助学金"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county's standards and calendar, a primary school, two pupils: 王超 recognised
    困难, 李娜 not."""
    path = tmp_path_factory.mktemp("roster") / "w.wsdb"
    ws = new_workspace(path)
    aid.load_defaults(ws, YEAR)
    aid.seed_calendar(ws)
    school = support.add_school(ws)
    support.add_school(ws, "巫山县骡坪镇初级中学", "初中")
    ids = {}
    for name, rid in (("王超", "11010519491231002X"), ("李娜", None)):
        ids[name] = records.put(ws, "student", support.student_record(
            school, name=name, resident_id=rid)).id
    rec = aid_recognition.apply(ws, ids["王超"], YEAR, D(2026, 9, 1))
    aid_recognition.review(ws, rec, D(2026, 9, 10), "属实", "困难")
    aid_recognition.post_notice(ws, rec, D(2026, 9, 14))
    aid_recognition.decide(ws, rec, D(2026, 9, 21), True)
    ws.close()
    return path


@pytest.fixture
def ws(seeded: Path, tmp_path: Path):
    ws = support.open_copy(seeded, tmp_path)
    yield ws
    ws.close()


def _ids(ws) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    students = {s["name"]: s["id"] for s in records.iter_records(ws, "student")}
    schools = {s["name"]: s["id"] for s in records.iter_records(ws, "school")}
    programmes = {p["name"]: p["id"] for p in records.iter_records(ws, "aid_programme")}
    return students, schools, programmes


def _roster(ws, programme: str = LIVING, school: str = "巫山县骡坪镇中心小学") -> str:
    _, schools, programmes = _ids(ws)
    return aid_roster.new_roster(ws, schools[school], programmes[programme], TERM)


def test_a_payment_is_the_standard_for_the_childs_level_stage_and_boarding(ws) -> None:
    students, _, _ = _ids(ws)
    roster = _roster(ws)
    paid = aid_roster.add_payment(ws, roster, students["王超"], boarding="住校",
                                  bank_card=CARD, account_holder="王大山")
    stored = records.get(ws, "aid_payment", paid)
    assert (stored["standard"], stored["amount"]) == (625, 625)  # 1250 a year, per term
    line = aid_roster.view(ws, roster).lines[0]
    assert (line.card, line.problems) == ("**** 5556", ())
    with pytest.raises(RecordInvalid, match="与标准 625 不符"):
        records.put(ws, "aid_payment", {"id": paid, "amount": 600})
    records.put(ws, "aid_payment", {"id": paid, "amount": 600, "override_reason": "补扣餐费"})
    assert aid_roster.view(ws, roster).total == 600


def test_each_rule_is_explained(ws) -> None:
    students, _, _ = _ids(ws)
    living, grant = _roster(ws), _roster(ws, GRANT)
    with pytest.raises(aid_roster.RuleBroken, match="只发给认定的家庭经济困难学生"):
        aid_roster.add_payment(ws, living, students["李娜"], boarding="住校")
    with pytest.raises(aid_roster.RuleBroken, match="三年级不属于“普通高中国家助学金”的学段"):
        aid_roster.add_payment(ws, grant, students["王超"], boarding="不限", band="一档")
    with pytest.raises(RecordInvalid, match="银行卡号的校验位不对"):
        aid_roster.add_payment(ws, living, students["王超"], boarding="住校",
                               bank_card="6222021001115555555")
    meals = _roster(ws, MEALS)
    with pytest.raises(ValidationError, match="须填写在校天数"):
        aid_roster.add_payment(ws, meals, students["李娜"], boarding="走读")
    paid = aid_roster.add_payment(ws, meals, students["李娜"], boarding="走读", days=92)
    assert records.get(ws, "aid_payment", paid)["amount"] == 460  # 5 yuan a school day


def test_no_programme_pays_a_child_twice_in_a_term(ws) -> None:
    students, _, _ = _ids(ws)
    roster = _roster(ws)
    aid_roster.add_payment(ws, roster, students["王超"], boarding="住校")
    with pytest.raises(aid_roster.RuleBroken, match="本学期已在这份花名册上"):
        aid_roster.add_payment(ws, roster, students["王超"], boarding="住校")
    elsewhere = _roster(ws, school="巫山县骡坪镇初级中学")
    with pytest.raises(aid_roster.RuleBroken, match="本学期已在“巫山县骡坪镇中心小学”"):
        aid_roster.add_payment(ws, elsewhere, students["王超"], boarding="住校")
    with pytest.raises(ValidationError, match="已有“家庭经济困难学生生活补助"):
        _roster(ws)  # one roster per school, programme and term


def test_a_confirmed_roster_is_locked_and_takes_dated_adjustments(ws) -> None:
    students, _, _ = _ids(ws)
    roster = _roster(ws)
    paid = aid_roster.add_payment(ws, roster, students["王超"], boarding="住校", bank_card=CARD)
    aid_roster.report(ws, roster, D(2026, 10, 8))
    from wushan_desk.services import work_queue

    waiting = [w for w in work_queue.work_queue(ws, D(2026, 10, 9))
               if "等待县教委确认" in w.what]
    assert waiting[0].count == 1
    assert waiting[0].names == ("巫山县骡坪镇中心小学·家庭经济困难学生生活补助",)
    with pytest.raises(RecordInvalid, match="已报送县教委"):
        records.put(ws, "aid_payment", {"id": paid, "boarding": "走读"})
    aid_roster.confirm(ws, roster, D(2026, 10, 10))
    for attempt in (lambda: records.put(ws, "aid_payment", {"id": paid, "amount": 1}),
                    lambda: records.put(ws, "aid_roster", {"id": roster, "note": "改"})):
        with pytest.raises(RecordInvalid, match="已确认"):
            attempt()
    with pytest.raises(ValidationError, match="花名册已确认"):
        aid_roster.remove_payment(ws, paid)
    with pytest.raises(ValidationError, match="花名册已确认，不能再列入学生"):
        aid_roster.add_payment(ws, roster, students["李娜"], boarding="住校")
    # a later change of standard leaves the confirmed roster as it was
    standard = next(s for s in aid.standards(ws, YEAR) if s.programme == LIVING)
    aid.set_amount(ws, standard.id, 1500)
    assert aid_roster.view(ws, roster).total == 625
    aid_roster.adjust(ws, paid, D(2026, 11, 3), "退回", "卡号已注销，银行退回")
    assert aid_roster.view(ws, roster).lines[0].status == rules.RETURNED
    assert aid_roster.view(ws, roster).total == 0
    aid_roster.adjust(ws, paid, D(2026, 11, 10), "补发", "家长提供新卡后补发")
    assert aid_roster.mark_paid(ws, roster, D(2026, 11, 12)) == 1
    assert aid_roster.view(ws, roster).lines[0].status == rules.PAID


def test_the_county_confirms_only_a_roster_that_keeps_the_rules(ws) -> None:
    students, _, _ = _ids(ws)
    roster = _roster(ws)
    aid_roster.add_payment(ws, roster, students["王超"], boarding="住校")
    rec = aid_recognition.listing(ws, YEAR)[0]
    aid_recognition.revoke(ws, rec.id, D(2026, 10, 1), "家庭情况核实不符")
    assert "没有认定" in aid_roster.view(ws, roster).lines[0].problems[0]  # shown inline
    with pytest.raises(aid_roster.RuleBroken, match=r"还有 1 人不符合发放规则.*王超"):
        aid_roster.confirm(ws, roster, D(2026, 10, 10))
    ws.set_state("role", "centre")
    with pytest.raises(aid.NotAtHub):
        aid_roster.confirm(ws, roster, D(2026, 10, 10))
    with pytest.raises(RecordInvalid, match="由县教委在县级中心库确认"):
        records.put(ws, "aid_roster", {"id": roster, "status": "已确认",
                                       "confirmed_on": "2026-10-10"})


def test_the_cli(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.wsdb"
    support.copy_workspace(seeded, path)
    db = ["--db", str(path)]
    assert cli.main(["aid", "roster-new", "--school", "巫山县骡坪镇中心小学", "--programme",
                     LIVING, "--term", TERM, *db]) == 0
    roster = capsys.readouterr().out.strip()
    assert cli.main(["records", "list", "student", *db]) == 0
    ids = {json.loads(x)["name"]: json.loads(x)["id"]
           for x in capsys.readouterr().out.splitlines()}
    before = support.file_digest(path)
    assert cli.main(["aid", "pay", roster, ids["李娜"], "--boarding", "住校", *db]) == 3
    assert "只发给认定的家庭经济困难学生" in capsys.readouterr().err
    assert support.file_digest(path) == before
    assert cli.main(["aid", "pay", roster, ids["王超"], "--boarding", "住校", "--card", CARD,
                     "--holder", "王大山", *db]) == 0
    payment = capsys.readouterr().out.strip()
    assert cli.main(["aid", "roster-report", roster, "--date", "2026-10-08", *db]) == 0
    assert cli.main(["aid", "roster-confirm", roster, "--date", "2026-10-10", *db]) == 0
    assert cli.main(["aid", "adjust", payment, "--kind", "退回", "--reason", "卡号注销",
                     "--date", "2026-11-03", *db]) == 0
    capsys.readouterr()
    assert cli.main(["aid", "roster", roster, "--json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "已确认" and shown["total"] == 0
    assert shown["lines"][0]["card"] == "**** 5556" and shown["lines"][0]["status"] == "退回"
    assert CARD not in json.dumps(shown)
    assert cli.main(["aid", "rosters", "--term", TERM, "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)[0]["payments"] == 1


def test_a_long_roster_prints_with_running_totals_and_exports(ws, tmp_path: Path) -> None:
    """45 pupils on the nutrition roster: three pages, each with its subtotal and the
    running total, the signature lines at the end, cards masked; the XLSX has the total."""
    import subprocess

    from openpyxl import load_workbook

    from wushan_desk.services import aid_report

    _, schools, _ = _ids(ws)
    roster = _roster(ws, MEALS)
    for n in range(45):
        pupil = records.put(ws, "student", support.student_record(
            schools["巫山县骡坪镇中心小学"], name=f"学生{n:02d}", resident_id=None)).id
        aid_roster.add_payment(ws, roster, pupil, boarding="走读", days=90, bank_card=CARD)
    out = tmp_path / "花名册.pdf"
    assert aid_report.roster_export(ws, roster, out) == 45
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout.replace(" ", "")
    assert text.count("本页小计") == 3 and "累计9000元" in text and "累计20250元（合计）" in text
    assert "共45人，发放金额合计20,250.00元" in text and "（草稿，未确认）" in text
    assert "经办人" in text and "校长" in text and "学校（公章）" in text
    assert CARD not in text and "****5556" in text
    sheet = load_workbook(tmp_path / "x.xlsx" if aid_report.roster_export(
        ws, roster, tmp_path / "x.xlsx") else None).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["序号", "姓名"] and values[-1][5] == 20250
    assert all(CARD not in str(v) for row in values for v in row)


def test_a_version_12_workspace_upgrades_and_then_purges_a_paid_child(
        tmp_path: Path) -> None:
    """db/0013 rebuilds aid_payments without the foreign key to the child (with foreign
    keys off, checked before the commit): a roster made before it keeps its payments and
    adjustments, and a paid child who left the zone can then be purged."""
    from wushan_desk.store import migrations, purge

    db = tmp_path / "v12.wsdb"
    ws = support.old_workspace(db, 12)
    try:
        aid.load_defaults(ws, YEAR)
        school = support.add_school(ws)
        child = records.put(ws, "student", support.student_record(school, name="王超")).id
        roster = _roster(ws, MEALS)
        paid = aid_roster.add_payment(ws, roster, child, boarding="走读", days=90)
        aid_roster.report(ws, roster, D(2026, 10, 8))
        aid_roster.confirm(ws, roster, D(2026, 10, 9))
        aid_roster.adjust(ws, paid, D(2026, 10, 20), "发放完成", "银行代发")
    finally:
        ws.close()
    ws = support.open_workspace(db)
    try:
        assert ws.schema_version == migrations.latest_version()
        assert [(x.name, x.amount, x.status) for x in aid_roster.view(ws, roster).lines] \
            == [("王超", 450, "已发放")]
        assert purge.purge_rows(ws, [("students", child)]) == 1  # no foreign key stops it
        assert [(x.name, x.amount) for x in aid_roster.view(ws, roster).lines] \
            == [(rules.ELSEWHERE, 450)]
        from wushan_desk.services import workspace

        assert workspace.check(ws).ok
    finally:
        ws.close()
