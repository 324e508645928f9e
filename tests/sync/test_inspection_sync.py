"""Inspections travel through the same packages: checklists hub -> devices, visits back."""

from __future__ import annotations

import datetime as dt

from network import HUB, Network, draft_visit
from support import answer_all, make_template

from wushan_desk.domain import inspection as rules
from wushan_desk.services import attachments, inspection, records

DAY = dt.date(2026, 10, 12)


def test_checklist_goes_out_and_the_signed_visit_comes_back(net: Network) -> None:
    with net.open(HUB) as hub:
        template = make_template(hub)
    net.exchange()
    with net.open("dev0") as dev:
        assert records.get(dev, "checklist_template", template)["status"] == "已发布"
        visit = draft_visit(dev, template, DAY)
        first = inspection.detail(dev, visit).items[0]["id"]
        inspection.answer(dev, visit, first, "7")
        answer_all(dev, visit)  # full marks on the others: 5 and 10
        finding = inspection.add_finding(dev, visit, description="课表缺书法课",
                                         requirement="开齐课程")
        inspection.sign(dev, visit, role="督学", name="向堃", png=b"\x89PNG-strokes")
        inspection.sign(dev, visit, role="校长（园长）", name="冉校长", on_paper=True)
        inspection.finalize(dev, visit, DAY)
    net.exchange()
    with net.open(HUB) as hub:
        at_hub = inspection.detail(hub, visit)
        assert at_hub.locked and at_hub.visit["total_score"] == 22.0
        assert [f["id"] for f in at_hub.findings] == [finding]
        assert {s["role"] for s in at_hub.signatures} == {"督学", "校长（园长）"}
        image = next(s for s in at_hub.signatures if s["attachment_id"])
        assert attachments.read(hub, image["attachment_id"]) == b"\x89PNG-strokes"
    with net.open("dev1") as other:  # another centre never sees this school's visit
        assert records.get(other, "visit", visit) is None
        assert records.get(other, "checklist_template", template) is not None
    # the hub's follow-up result reaches the device
    with net.open(HUB) as hub:
        check = inspection.follow_up(hub, visit, date=DAY + dt.timedelta(days=20),
                                     inspector_ids=at_hub.visit["inspector_ids"])
        inspection.record_check(hub, finding, check, rules.FIXED, day=DAY + dt.timedelta(days=20))
    net.exchange()
    with net.open("dev0") as dev:
        assert records.get(dev, "finding", finding)["status"] == rules.FIXED
