"""Signed records never change silently (issue 8, item 5).

A draft visit is written only on the laptop where it was started; a finalized one changes
only by amendment. An incoming change to a finalized visit that is not an amendment is
kept as a conflict and the signed content stays; a laptop restored from a backup taken
before it finalized gets the signed content back from the hub.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from network import HUB, Network, draft_visit, table_state
from support import answer_all, make_template

from wushan_desk.cli import main
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import inspection, records, sync

DAY = dt.date(2026, 10, 12)


def start(net: Network) -> tuple[str, str]:
    """A draft visit on dev0 with one answer and an opinion; (visit id, first item id)."""
    with net.open(HUB) as hub:
        template = make_template(hub)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        visit = draft_visit(dev, template, DAY)
        item = inspection.detail(dev, visit).items[0]["id"]
        inspection.answer(dev, visit, item, "7")
        records.put(dev, "visit", {"id": visit, "summary": "师资配备齐全"})
    return visit, item


def sign_and_finalize(net: Network, visit: str) -> None:
    with net.open("dev0") as dev:
        answer_all(dev, visit)  # the first item keeps its 7
        inspection.sign(dev, visit, role="督学", name="向堃", png=b"\x89PNG-strokes")
        inspection.sign(dev, visit, role="校长（园长）", name="冉校长", on_paper=True)
        inspection.finalize(dev, visit, DAY)


def visit_state(net: Network, party: str, visit: str) -> dict[str, Any]:
    """The visit and its parts as logical values (tombstones included)."""
    with net.open(party) as ws:
        state = {"visit": table_state(ws, "visits", {visit})[visit]}
        for table in ("visit_answers", "findings", "visit_signatures"):
            state[table] = {k: v for k, v in table_state(ws, table).items()
                            if v["visit_id"] == visit}
        return state


def test_a_draft_is_written_only_where_it_was_started(net: Network, tmp_path: Path,
                                                      capsys) -> None:
    visit, item = start(net)
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        d = inspection.detail(hub, visit)
        assert d.read_only and "设备0" in (d.held_elsewhere or "")
        with pytest.raises(ValidationError, match="只能在那台电脑上"):
            inspection.answer(hub, visit, item, "5")
        with pytest.raises(ValidationError, match="只能在那台电脑上"):
            inspection.add_finding(hub, visit, description="县里加的问题", requirement="整改")
    edit = tmp_path / "edit.jsonl"
    edit.write_text(json.dumps({"id": visit, "summary": "县里改的意见"}), encoding="utf-8")
    before = hashlib.sha256(net.path(HUB).read_bytes()).hexdigest()
    assert main(["records", "put", "visit", str(edit), "--db", str(net.path(HUB))]) == 3
    assert "只能在那台电脑上" in capsys.readouterr().err
    assert hashlib.sha256(net.path(HUB).read_bytes()).hexdigest() == before
    # once signed, the county amends it, and the amendment reaches the laptop
    sign_and_finalize(net, visit)
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        assert not inspection.detail(hub, visit).held_elsewhere
        inspection.amend(hub, visit, "笔误", [("visit", {"id": visit, "summary": "师资齐全"})])
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        assert records.get(dev, "visit", visit)["summary"] == "师资齐全"
        assert sync.conflicts(dev) == []


def test_a_change_to_a_signed_visit_that_is_no_amendment_waits_as_a_conflict(
        net: Network, tmp_path: Path, capsys) -> None:
    """The laptop is restored from a copy made before it finalized; its user goes on
    with the draft. Both sides end with the signed content, the edits kept for review."""
    visit, item = start(net)
    net.exchange(rounds=1)
    shutil.copy(net.path("dev0"), tmp_path / "before-finalize.wsdb")
    sign_and_finalize(net, visit)
    net.exchange(rounds=1)
    signed = visit_state(net, HUB, visit)
    assert signed["visit"]["status"] == "已定稿"

    shutil.copy(tmp_path / "before-finalize.wsdb", net.path("dev0"))  # last week's copy
    with net.open("dev0") as dev:
        assert inspection.detail(dev, visit).visit["status"] == "草稿"
        inspection.answer(dev, visit, item, "3")
        records.put(dev, "visit", {"id": visit, "summary": "恢复后改的意见"})
        extra = inspection.add_finding(dev, visit, description="恢复后加的问题",
                                       requirement="整改")
    (package,) = net.export("dev0")
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 0
    (summary,) = json.loads(capsys.readouterr()[0])["packages"]
    assert summary["status"] == "applied" and summary["conflicts"] >= 2
    assert visit_state(net, HUB, visit)["visit"] == signed["visit"]
    assert main(["sync", "conflicts", "--db", str(net.path(HUB)), "--json"]) == 0
    waiting = json.loads(capsys.readouterr()[0])
    assert any("恢复后改的意见" in json.dumps(c, ensure_ascii=False) for c in waiting)

    net.exchange(rounds=2)
    at_hub, at_dev = visit_state(net, HUB, visit), visit_state(net, "dev0", visit)
    assert at_hub["visit"] == at_dev["visit"] == signed["visit"]
    assert at_dev["visit_answers"] == at_hub["visit_answers"] == signed["visit_answers"]
    live_findings = {k for k, v in at_dev["findings"].items() if not v["deleted"]}
    assert extra not in live_findings  # withdrawn on the laptop (the hub never had it)
    assert live_findings == {k for k, v in at_hub["findings"].items() if not v["deleted"]}
    with net.open("dev0") as dev:  # the laptop's user sees what was set aside
        waiting = {(c["kind"], c["field"]): c for c in sync.conflicts(dev)}
    assert waiting[("visit", "summary")]["local"] == "恢复后改的意见"
    assert waiting[("visit", "summary")]["incoming"] == "师资配备齐全"
    assert waiting[("visit_answer", "value")]["local"] == "3"
    with net.open(HUB) as hub:  # and the county keeps the finding for review
        kept = json.dumps(sync.conflicts(hub), ensure_ascii=False)
    assert "恢复后加的问题" in kept


def test_a_conflict_is_settled_only_by_a_value_that_may_be_written(
        net: Network, tmp_path: Path, capsys) -> None:
    """Keeping the set-aside edit of a signed visit would change it without amendment:
    refused, workspace untouched; keeping the signed value closes the conflict."""
    visit, _item = start(net)
    net.exchange(rounds=1)
    shutil.copy(net.path("dev0"), tmp_path / "before-finalize.wsdb")
    sign_and_finalize(net, visit)
    net.exchange(rounds=1)
    shutil.copy(tmp_path / "before-finalize.wsdb", net.path("dev0"))
    with net.open("dev0") as dev:
        records.put(dev, "visit", {"id": visit, "summary": "恢复后改的意见"})
    net.import_(HUB, *net.export("dev0"))
    with net.open(HUB) as hub:
        (conflict,) = [c for c in sync.conflicts(hub) if c["field"] == "summary"]
    db = str(net.path(HUB))
    before = hashlib.sha256(net.path(HUB).read_bytes()).hexdigest()
    code = main(["sync", "resolve", conflict["id"], "--keep", "incoming", "--db", db])
    err = capsys.readouterr().err
    assert code == 3 and "不能采用这个值" in err and "更正" in err
    assert hashlib.sha256(net.path(HUB).read_bytes()).hexdigest() == before
    assert main(["sync", "resolve", conflict["id"], "--keep", "local", "--db", db]) == 0
    with net.open(HUB) as hub:
        assert records.get(hub, "visit", visit)["summary"] == "师资配备齐全"
        assert not [c for c in sync.conflicts(hub) if c["field"] == "summary"]
