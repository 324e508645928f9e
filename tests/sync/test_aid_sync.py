"""学生资助 standards and the calendar travel from the hub; devices cannot change them."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
import support
from network import HUB, Network

from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid, records
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.store import changes, sync_state

D = dt.date
YEAR = "2026-2027"


def test_a_centre_laptop_shows_the_standards_but_cannot_change_them(net: Network) -> None:
    """Standards come from the hub with the packages; a device changes none of them."""
    with net.open("hub") as hub:  # the demo county has the defaults: the county edits one
        aid.set_amount(hub, aid.standards(hub, YEAR)[0].id, 1300)
        aid.set_day(hub, D(2027, 2, 8), "放假", "春节")
        at_hub = aid.standards(hub, YEAR)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        rows = aid.standards(dev, YEAR)
        assert rows == at_hub and rows[0].amount == 1300
        assert [d["date"] for d in aid.calendar(dev, 2027)] == ["2027-02-08"]
        assert aid.count_working_days(dev, D(2026, 9, 28), D(2026, 10, 9)).count == len(
            chinese_calendar.get_workdays(D(2026, 9, 28), D(2026, 10, 9)))
        digest = support.file_digest(net.path("dev0"))
        with pytest.raises(aid.NotAtHub, match="县教委在县级中心库维护"):
            aid.set_amount(dev, rows[0].id, 1)
        with pytest.raises(aid.NotAtHub):
            aid.set_day(dev, D(2027, 2, 8), "放假")
    assert support.file_digest(net.path("dev0")) == digest


def _zone_student(net: Network, device: str, inside: bool = True) -> dict:
    from wushan_desk.services import records
    from wushan_desk.sync import scope

    with net.open(HUB) as hub:
        zone = scope.device_scope(hub, net.ids[device])
        return next(s for s in records.iter_records(hub, "student")
                    if scope.in_zone(hub, zone, "students", s) == inside)


def _recognised(ws, student_id: str) -> str:
    rec = recognition.apply(ws, student_id, YEAR, D(2026, 9, 10),
                            members=[{"name": "王大山", "relation": "父亲", "income": 9000}])
    recognition.review(ws, rec, D(2026, 9, 20), "经民主评议，困难属实", "特别困难")
    recognition.post_notice(ws, rec, D(2026, 9, 28), place="校务公开栏")
    return rec


def test_a_recognition_travels_to_the_hub_and_stays_in_its_zone(net: Network) -> None:
    student = _zone_student(net, "dev0")
    with net.open("dev0") as dev:
        rec = _recognised(dev, student["id"])
    net.exchange(rounds=1)
    with net.open(HUB) as hub:  # the county decides once the notice is over
        assert recognition.get(hub, rec)["notice_to"] == "2026-10-09"
        recognition.decide(hub, rec, D(2026, 10, 12), True)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        assert recognition.level_of(dev, student["id"], YEAR) == "特别困难"
        assert [e["status"] for e in recognition.events(dev, rec)] == [
            "申请", "评议", "公示中", "已认定"]
    with net.open("dev1") as other:
        assert records.get(other, "aid_recognition", rec) is None
        assert rec not in {r.id for r in recognition.listing(other)}


def test_a_laptop_cannot_recognise_a_child_of_another_zone(net: Network) -> None:
    student = _zone_student(net, "dev0", inside=False)
    with net.open("dev0") as dev, pytest.raises(ValidationError, match="学籍名单上找不到"):
        recognition.apply(dev, student["id"], YEAR, D(2026, 9, 10))


def test_a_recognition_flipped_without_its_event_is_refused(net: Network, tmp_path) -> None:
    """A tampered laptop writes 已认定 straight into the record (no notice, no event):
    the hub refuses the package and stays byte for byte as it was."""
    student = _zone_student(net, "dev0")
    with net.open("dev0") as dev:
        rec = recognition.apply(dev, student["id"], YEAR, D(2026, 9, 10))
        stored = records.get(dev, "aid_recognition", rec)
        changes.write_local(dev, "aid_recognitions", rec,
                            stored | {"status": "已认定", "level": "特别困难"})
    before = support.file_digest(net.path(HUB))
    (summary,) = net.import_(HUB, *net.export("dev0"))
    assert summary["status"] == "rejected" and "认定状态只能通过" in summary["rejected"]
    assert support.file_digest(net.path(HUB)) == before


def test_a_recognition_decided_on_the_laptop_keeps_what_was_decided(net: Network) -> None:
    """The laptop decides while the county, not yet knowing, corrects the family's income:
    the record stays as decided everywhere, the county's edit waits at the hub as a
    conflict for a person, and every package is still taken."""
    student = _zone_student(net, "dev0")
    with net.open("dev0") as dev:
        rec = _recognised(dev, student["id"])
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        recognition.decide(dev, rec, D(2026, 10, 12), True)
    with net.open(HUB) as hub:
        recognition.update(hub, rec, {"household_income": 30000})
    for _ in range(2):
        for summary in (*net.import_(HUB, *net.export("dev0")),
                        *net.import_("dev0", *net.export(HUB, "dev0"))):
            assert summary["status"] in ("applied", "unchanged"), summary
    for party in (HUB, "dev0"):  # both hold what was decided
        with net.open(party) as ws:
            kept = recognition.get(ws, rec)
            assert (kept["status"], kept.get("household_income")) == ("已认定", None)
    with net.open(HUB) as hub:  # the county's correction waits for a person
        assert any(c.row_id == rec and c.field == "household_income"
                   and c.local_value == 30000 for c in sync_state.conflicts(hub))


def test_a_member_added_on_the_laptop_after_the_county_decided_is_withdrawn(
        net: Network) -> None:
    """The county decides a recognition while the laptop, not yet knowing, adds a
    household member and corrects another's income. The decided record is locked: the
    hub keeps both edits for review and restates what was decided, so that the laptop
    ends with the same members as the hub (the added one withdrawn, the income back)."""
    student = _zone_student(net, "dev0")
    with net.open("dev0") as dev:
        rec = _recognised(dev, student["id"])
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        recognition.decide(hub, rec, D(2026, 10, 12), True)
    with net.open("dev0") as dev:
        (father,) = recognition.members(dev, rec)
        recognition.set_members(dev, rec, [father | {"income": 12000},
                                           {"name": "王小河", "relation": "兄弟姐妹"}])
    for _ in range(2):
        for summary in (*net.import_(HUB, *net.export("dev0")),
                        *net.import_("dev0", *net.export(HUB, "dev0"))):
            assert summary["status"] in ("applied", "unchanged"), summary
    held = {}
    for party in (HUB, "dev0"):
        with net.open(party) as ws:
            assert recognition.get(ws, rec)["status"] == "已认定"
            held[party] = {(m["name"], m.get("income")) for m in recognition.members(ws, rec)}
    assert held[HUB] == held["dev0"] == {("王大山", 9000)}
    with net.open(HUB) as hub:  # what the laptop wrote waits for a person
        waiting = {(c.field, c.incoming_value) for c in sync_state.conflicts(hub)
                   if c.table == "aid_household_members" and not c.resolved}
        assert ("income", 12000) in waiting and ("deleted", False) in waiting


MEALS = "农村义务教育学生营养改善计划"
SPRING = "2026-2027-2"


def _meal_roster(net: Network, report: bool = True) -> tuple[str, str]:
    """A nutrition roster on dev0 with one of its pupils, reported unless `report` is
    false (a draft); (roster, payment)."""
    from wushan_desk.domain import codes
    from wushan_desk.services import aid_roster
    from wushan_desk.sync import scope

    with net.open(HUB) as hub:
        zone = scope.device_scope(hub, net.ids["dev0"])
        pupil = next(s for s in records.iter_records(hub, "student")
                     if s["grade"] in codes.PRIMARY and scope.in_zone(hub, zone, "students", s))
        programme = next(p["id"] for p in records.iter_records(hub, "aid_programme")
                         if p["name"] == MEALS and p["school_year"] == YEAR)
    with net.open("dev0") as dev:
        # (the spring term: the demo has every school's autumn roster)
        roster = aid_roster.new_roster(dev, pupil["school_id"], programme, SPRING)
        payment = aid_roster.add_payment(dev, roster, pupil["id"], boarding="走读", days=90)
        if report:
            aid_roster.report(dev, roster, D(2026, 10, 8))
    return roster, payment


def test_a_roster_reported_on_the_laptop_is_confirmed_at_the_county(net: Network) -> None:
    from wushan_desk.services import aid_roster

    roster, payment = _meal_roster(net)
    with net.open("dev0") as dev, pytest.raises(aid.NotAtHub):
        aid_roster.confirm(dev, roster, D(2026, 10, 10))
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        assert aid_roster.view(hub, roster).total == 450
        aid_roster.confirm(hub, roster, D(2026, 10, 10))
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        assert aid_roster.view(dev, roster).roster["status"] == "已确认"
        aid_roster.adjust(dev, payment, D(2026, 10, 20), "发放完成", "银行代发")
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        assert aid_roster.view(hub, roster).lines[0].status == "已发放"
    with net.open("dev1") as other:
        assert records.get(other, "aid_roster", roster) is None


def test_a_laptop_that_confirms_its_own_roster_is_refused(net: Network) -> None:
    """A tampered laptop writes 已确认 into its roster: the hub refuses the package."""
    roster, _ = _meal_roster(net)
    with net.open("dev0") as dev:
        stored = records.get(dev, "aid_roster", roster)
        changes.write_local(dev, "aid_rosters", roster,
                            stored | {"status": "已确认", "confirmed_on": "2026-10-10"})
    before = support.file_digest(net.path(HUB))
    (summary,) = net.import_(HUB, *net.export("dev0"))
    assert summary["status"] == "rejected" and "县级中心库确认" in summary["rejected"]
    assert support.file_digest(net.path(HUB)) == before


@pytest.mark.parametrize("confirmed", [True, False])
def test_a_payment_added_on_a_restored_laptop_to_a_confirmed_roster_is_withdrawn(
        net: Network, tmp_path, confirmed: bool) -> None:
    """The laptop is put back to a copy from before it reported its roster, which the
    county has confirmed since (or holds as reported), and lists another child on the
    draft it holds. The roster's lines are locked: the hub keeps the new payment for
    review and withdraws it, and both end with the same payments (before, a reported
    roster refused every package until the county confirmed or sent it back)."""
    from wushan_desk.services import aid_roster

    roster, payment = _meal_roster(net, report=False)
    support.copy_workspace(net.path("dev0"), tmp_path / "draft.wsdb")
    with net.open("dev0") as dev:
        aid_roster.report(dev, roster, D(2026, 10, 8))
    net.exchange(rounds=1)
    if confirmed:
        with net.open(HUB) as hub:
            aid_roster.confirm(hub, roster, D(2026, 10, 10))
    net.exchange(rounds=1)
    support.copy_workspace(tmp_path / "draft.wsdb", net.path("dev0"))  # the restore
    with net.open("dev0") as dev:
        assert aid_roster.view(dev, roster).roster["status"] == "草稿"
        school = records.get(dev, "aid_roster", roster)["school_id"]
        listed = {line.student_id for line in aid_roster.view(dev, roster).lines}
        other = next(s for s in records.iter_records(dev, "student")
                     if s["school_id"] == school and s["id"] not in listed
                     and s["grade"] == records.get(dev, "student", next(iter(listed)))["grade"])
        added = aid_roster.add_payment(dev, roster, other["id"], boarding="走读", days=90)
    for _ in range(3):
        for summary in (*net.import_(HUB, *net.export("dev0")),
                        *net.import_("dev0", *net.export(HUB, "dev0"))):
            assert summary["status"] in ("applied", "unchanged"), summary
    for party in (HUB, "dev0"):
        with net.open(party) as ws:
            view = aid_roster.view(ws, roster)
            assert view.roster["status"] == ("已确认" if confirmed else "已报送"), party
            assert [line.id for line in view.lines] == [payment], party
            assert view.total == 450, party
    with net.open(HUB) as hub:  # the payment the laptop listed waits for a person
        assert any(c.row_id == added and c.field == "deleted" and not c.resolved
                   for c in sync_state.conflicts(hub))


def test_a_child_paid_by_two_centres_schools_is_found_at_the_county(net: Network) -> None:
    """A child on dev0's nutrition roster moves to a school of dev1's zone, whose roster
    lists the child for the same term: neither laptop can see it, the hub's 资助核查
    can; the county's explanation reaches the laptop that holds the child now. dev0
    keeps its roster's line and loses the child's record (before, its import failed on
    the payment's reference to the child it purged, for good)."""
    from wushan_desk.domain import aid_check as checks
    from wushan_desk.services import aid_check, aid_roster

    roster, payment = _meal_roster(net)
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        child = records.get(hub, "aid_payment", payment)["student_id"]
        other = _zone_student(net, "dev1")
        school = records.get(hub, "school", other["school_id"])
        pupil = records.get(hub, "student", child)
        grade = "三年级" if school["type"] == "小学" else pupil["grade"]
        records.put(hub, "student", {"id": child, "school_id": school["id"], "grade": grade})
        programme = records.get(hub, "aid_roster", roster)["programme_id"]
    net.exchange(rounds=1)
    with net.open("dev1") as dev:
        theirs = aid_roster.new_roster(dev, school["id"], programme, SPRING)
        aid_roster.add_payment(dev, theirs, child, boarding="走读", days=88)
        assert not [f for f in aid_check.findings(dev) if f.check == checks.TWO_SCHOOLS
                    and f.student_id == child]
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        (found,) = [f for f in aid_check.findings(hub) if f.check == checks.TWO_SCHOOLS
                    and f.student_id == child]
        assert len(found.records) == 2
        aid_check.explain(hub, found.key, "已核实：转学后重复申报，原校已退回", D(2026, 12, 1))
    net.exchange(rounds=1)
    with net.open("dev1") as dev:  # the child's centre
        kept = [e for e in records.iter_records(dev, "aid_explanation")
                if e["finding_key"] == found.key]
        assert kept and kept[0]["reason"].startswith("已核实")
    with net.open("dev0") as dev:  # the school that paid first keeps its roster's line,
        view = aid_roster.view(dev, roster)  # not the child's record (it left with them)
        assert [(line.name, line.amount) for line in view.lines] == [("（已转往其他督导中心）",
                                                                       450)]
        assert records.get(dev, "student", child, deleted=True) is None
