"""发文字号 across the county: two laptops of one centre and another centre's finalize
visits offline; after sync every document number at the hub is different, each printed
on its document."""

from __future__ import annotations

import datetime as dt

from network import HUB, Network, draft_visit
from support import answer_all

from wushan_desk.domain import clock
from wushan_desk.services import (
    doc_numbers,
    inspection,
    inspection_report,
    records,
    sync,
    templates,
)


def enrol_second_laptop(net: Network) -> str:
    """A third device, in the same centre as dev0."""
    request = sync.device_init(net.path("dev2"), "设备2", net.folder / "out")
    with net.open(HUB) as hub:
        enrolled = sync.hub_enrol(hub, request, net.centres["dev0"], net.folder / "out")
    net.devices.append("dev2")
    net.ids["dev2"], net.centres["dev2"] = enrolled.device_id, net.centres["dev0"]
    with net.open("dev2") as ws:
        assert sync.device_join(ws, enrolled.package).status == "applied"
    return enrolled.device_id


def finalize_visits(ws, count: int, with_finding: bool) -> list[str]:
    routine = templates.builtin_template_ids()["routine"]
    day = clock.today() - dt.timedelta(days=1)
    done = []
    for _ in range(count):
        visit = draft_visit(ws, routine, day)
        answer_all(ws, visit)
        if with_finding:
            inspection.add_finding(ws, visit, description="台账不全", requirement="补齐")
        inspection.sign(ws, visit, role="督学", name="向堃", on_paper=True, day=day)
        inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True, day=day)
        inspection.finalize(ws, visit, day)
        done.append(visit)
    return done


def test_numbers_given_out_offline_by_three_laptops_never_collide(net: Network,
                                                                   tmp_path) -> None:
    enrol_second_laptop(net)
    codes = {}
    for party in ("dev0", "dev1", "dev2"):
        with net.open(party) as ws:
            codes[party] = doc_numbers.issuer_code(ws)
            finalize_visits(ws, 2, with_finding=party != "dev1")
    assert codes["dev2"] == codes["dev0"] + "二" and len(set(codes.values())) == 3
    net.exchange()
    with net.open(HUB) as hub:
        laptops = tuple(f"{code}〔" for code in codes.values())  # (the demo's: 巫督〔)
        numbers = [(v["opinion_no"], v["notice_no"]) for v in records.iter_records(hub, "visit")
                   if (v.get("opinion_no") or "").startswith(laptops)]
        flat = [n for pair in numbers for n in pair if n]
        assert len(numbers) == 6 and len(flat) == 10  # dev1's visits found no problem
        assert doc_numbers.duplicates(hub) == [] and len(set(flat)) == len(flat)
        year = clock.today().year
        assert f"{codes['dev2']}〔{year}〕1号" in flat and f"{codes['dev0']}〔{year}〕1号" in flat
        visit = next(v for v in records.iter_records(hub, "visit")
                     if (v.get("notice_no") or "").startswith(codes["dev2"]))
        out = tmp_path / "通知书.pdf"
        inspection_report.render(hub, visit["id"], out, "rectification")
        from pypdf import PdfReader

        text = PdfReader(out).pages[0].extract_text().replace(" ", "")
        assert visit["notice_no"] in text


def test_a_number_cannot_be_typed_in(net: Network) -> None:
    """Numbers are given out by 定稿 only: a user's edit of one is refused."""
    import pytest

    from wushan_desk.domain.errors import ValidationError

    with net.open("dev0") as ws:
        (visit,) = finalize_visits(ws, 1, with_finding=False)
        draft = inspection.start_visit(
            ws, school_id=records.get(ws, "visit", visit)["school_id"],
            template_id=templates.builtin_template_ids()["routine"],
            inspector_ids=records.get(ws, "visit", visit)["inspector_ids"],
            date=clock.today())
        with pytest.raises(ValidationError):
            records.put(ws, "visit", {"id": draft, "opinion_no": "巫督〔2026〕99号"})


def test_codes_are_given_by_the_hub_once_and_kept(net: Network) -> None:
    """The hub gives each laptop its code at enrolment; it travels on the device record
    and stays when the laptop's centre changes (the new centre's laptops keep theirs)."""
    second = enrol_second_laptop(net)
    with net.open(HUB) as hub:
        first_code = records.get(hub, "device", net.ids["dev0"])["doc_code"]
        assert records.get(hub, "device", second)["doc_code"] == first_code + "二"
        other_centre = records.get(hub, "device", net.ids["dev1"])["centre_id"]
        records.put(hub, "device", {"id": net.ids["dev0"], "centre_id": other_centre})
        assert records.get(hub, "device", net.ids["dev0"])["doc_code"] == first_code
    net.exchange()
    with net.open("dev0") as ws:
        assert doc_numbers.issuer_code(ws) == first_code


def test_numbers_are_not_given_again_after_the_visits_left_the_laptop(net: Network) -> None:
    """A school moving to another centre takes its visits (and their numbers) off the
    laptop; the laptop's next document still gets a new number."""
    from wushan_desk.store import purge

    with net.open("dev0") as ws:
        first = finalize_visits(ws, 2, with_finding=False)
        numbers = [records.get(ws, "visit", v)["opinion_no"] for v in first]
        leaving = []
        for v in first:  # what the zone purge does when the school leaves
            d = inspection.detail(ws, v)
            leaving += [("visit_answers", a["id"]) for a in d.answers.values()]
            leaving += [("visit_signatures", sig["id"]) for sig in d.signatures]
            leaving.append(("visits", v))
        with ws.transaction():
            purge.purge_rows(ws, leaving)
        assert all(records.get(ws, "visit", v) is None for v in first)
        (later,) = finalize_visits(ws, 1, with_finding=False)
        assert records.get(ws, "visit", later)["opinion_no"] not in numbers


def test_a_notice_whose_first_problem_came_with_an_amendment_gets_its_number(
        net: Network) -> None:
    with net.open("dev0") as ws:
        (visit,) = finalize_visits(ws, 1, with_finding=False)
        before = records.get(ws, "visit", visit)
        assert before["opinion_no"] and before["notice_no"] is None
        inspection.amend(ws, visit, "漏记了一个问题",
                         [("finding", {"visit_id": visit, "description": "台账不全",
                                       "requirement": "补齐", "severity": "一般",
                                       "deadline": (clock.today() + dt.timedelta(days=30))
                                       .isoformat(), "status": "待整改"})])
        after = records.get(ws, "visit", visit)
        assert after["opinion_no"] == before["opinion_no"]
        code = doc_numbers.issuer_code(ws)
        year = dt.date.fromisoformat(after["finalized_on"]).year
        assert after["notice_no"] == f"{code}〔{year}〕2号"
