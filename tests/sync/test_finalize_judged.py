"""The receiver takes a visit arriving finalized only if 定稿 would have finalized it
(issue 12, item 2): every item answered, the photos it needs, its signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from network import HUB, Network, draft_visit
from support import make_template

from wushan_desk.cli import main
from wushan_desk.domain import inspection as rules
from wushan_desk.services import inspection, records

DAY = dt.date(2026, 10, 12)


def finalized_behind_the_use_case(net: Network, **extra: str) -> str:
    """A signed visit with one item of three answered, finalized on dev0 by writing the
    record directly (a tampered app, or the version before), with `extra` fields."""
    with net.open(HUB) as hub:
        template = make_template(hub)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        visit = draft_visit(dev, template, DAY)
        inspection.answer(dev, visit, inspection.detail(dev, visit).items[0]["id"], "7")
        inspection.sign(dev, visit, role="督学", name="向堃", on_paper=True)
        inspection.sign(dev, visit, role="校长（园长）", name="冉校长", on_paper=True)
        token = rules.FINALIZING.set(True)
        try:
            records.put(dev, "visit", {"id": visit, "status": rules.FINAL,
                                       "finalized_on": DAY.isoformat(), "total_score": 7.0,
                                       "max_score": 25.0, **extra})
        finally:
            rules.FINALIZING.reset(token)
    return visit


def test_a_visit_finalized_with_items_missing_is_refused_by_the_hub(net: Network,
                                                                    capsys) -> None:
    # a tampered copy of the app finalizes it behind the finalize use case's back
    finalized_behind_the_use_case(net, opinion_no="巫督〔2026〕1号")
    (package,) = net.export("dev0")
    before = hashlib.sha256(net.path(HUB).read_bytes()).hexdigest()
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    (summary,) = json.loads(capsys.readouterr().out)["packages"]
    assert summary["code"] == "rule-broken", summary
    assert "督导记录" in summary["rejected"] and "检查项目填齐" in summary["rejected"]
    assert hashlib.sha256(net.path(HUB).read_bytes()).hexdigest() == before


def test_a_visit_finalized_by_the_version_before_is_judged_by_its_rule(net: Network) -> None:
    """0.4.0 finalized a signed visit with items unanswered (and gave no document
    number): a laptop not upgraded yet is not locked out of the hub by it."""
    visit = finalized_behind_the_use_case(net)  # what 0.4.0's finalize wrote
    (summary,) = net.import_(HUB, *net.export("dev0"))
    assert summary["status"] == "applied", summary
    with net.open(HUB) as hub:
        assert records.get(hub, "visit", visit)["status"] == rules.FINAL
