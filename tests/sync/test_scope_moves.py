"""Children follow their school (issue 8, item 4), through the CLI.

The county moves a school to another township, gives a township to another centre, or
transfers a child: the gaining laptop gets the children with their visits; the losing
laptop keeps nothing about them, not in its tables, its change log, its search index or
the free pages of its file; nothing is lost at the hub.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from network import HUB, Network, live_students
from support import answer_all, make_template, open_workspace

from wushan_desk.cli import main
from wushan_desk.services import browse, inspection, records, sync
from wushan_desk.sync.scope import device_scope


def import_cli(capsys, net: Network, party: str, packages: list[Path]) -> dict[str, Any]:
    code = main(["sync", "import", *map(str, packages), "--db", str(net.path(party))])
    out, err = capsys.readouterr()
    assert code == 0, err
    (summary,) = json.loads(out)["packages"]
    assert summary["status"] == "applied", summary
    return summary


def exchange_cli(capsys, net: Network, rounds: int = 2) -> dict[str, list[dict[str, Any]]]:
    seen: dict[str, list[dict[str, Any]]] = {p: [] for p in (HUB, *net.devices)}
    for _ in range(rounds):
        for dev in net.devices:
            seen[HUB].append(import_cli(capsys, net, HUB, net.export(dev)))
        for dev in net.devices:
            seen[dev].append(import_cli(capsys, net, dev, net.export(HUB, dev)))
    return seen


def zone_school(net: Network, party: str, with_ids: bool = True) -> dict[str, Any]:
    """A school of `party`'s zone with students who have ID numbers."""
    with net.open(HUB) as hub:
        zone = device_scope(hub, net.ids[party])
        students = list(live_students(hub).values())
        for school in records.iter_records(hub, "school"):
            if zone.township_in(school["township_id"]) and any(
                    s["school_id"] == school["id"] and (s["resident_id"] or not with_ids)
                    for s in students):
                return school
    raise AssertionError("no school with students in the zone")


def township_of(net: Network, party: str) -> str:
    with net.open(HUB) as hub:
        return sorted(device_scope(hub, net.ids[party]).township_ids)[0]


def children_of(net: Network, party: str, school_id: str) -> dict[str, dict[str, Any]]:
    with net.open(party) as ws:
        return {k: v for k, v in live_students(ws).items() if v["school_id"] == school_id}


def a_visit(net: Network, school_id: str) -> str:
    """A signed visit of the school, made on dev0 and synced."""
    with net.open(HUB) as hub:
        template = make_template(hub)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        person = records.put(dev, "staff", {"name": "向堃", "role": "责任督学"}).id
        visit = inspection.start_visit(dev, school_id=school_id, template_id=template,
                                       inspector_ids=[person], date=dt.date(2026, 10, 12))
        item = inspection.detail(dev, visit).items[0]["id"]
        inspection.answer(dev, visit, item, "7")
        answer_all(dev, visit)
        inspection.add_finding(dev, visit, description="课表缺书法课", requirement="开齐课程")
        inspection.sign(dev, visit, role="督学", name="向堃", png=b"\x89PNG-strokes")
        inspection.sign(dev, visit, role="校长（园长）", name="冉校长", on_paper=True)
        inspection.finalize(dev, visit, dt.date(2026, 10, 12))
    net.exchange(rounds=1)
    return visit


def file_bytes(path: Path) -> bytes:
    """The workspace file and its journal, as a disk-recovery tool would read them."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def assert_gone(net: Network, party: str, children: dict[str, dict[str, Any]]) -> None:
    """Nothing about these children is left anywhere in the party's workspace file."""
    ws = open_workspace(net.path(party), create=False)
    try:
        for sid in children:
            assert records.get(ws, "student", sid, deleted=True) is None
            logged = ws.conn.execute(
                "SELECT count(*) FROM change_log WHERE row_id = ? AND data <> '{}'",
                (sid,)).fetchone()[0]
            assert logged == 0
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        ws.close()
    raw = file_bytes(net.path(party))
    for child in children.values():
        for value in (child["resident_id"], child["guardian_phone"]):
            if value:
                assert value.encode() not in raw, value


def test_a_school_moved_to_another_township_takes_its_children_along(
        net: Network, capsys) -> None:
    school = zone_school(net, "dev0")
    visit = a_visit(net, school["id"])
    children = children_of(net, "dev0", school["id"])
    assert children and records.get(_ws(net, "dev0"), "visit", visit)
    with net.open(HUB) as hub:
        records.put(hub, "school", {"id": school["id"], "township_id": township_of(net, "dev1")})
    seen = exchange_cli(capsys, net)

    assert set(children_of(net, "dev1", school["id"])) == set(children)  # IDs included
    for sid, child in children.items():
        assert children_of(net, "dev1", school["id"])[sid]["resident_id"] == child["resident_id"]
    with net.open("dev1") as dev1:
        d = inspection.detail(dev1, visit)
        assert d.locked and d.findings and d.answers and d.signatures
    assert sum(s["purged"] for s in seen["dev0"]) > len(children)  # children and the visit
    assert_gone(net, "dev0", children)
    with net.open("dev0") as dev0:
        assert records.get(dev0, "visit", visit) is None
        listed = {s.id for s in browse.fetch_students(
            dev0, browse.StudentQuery(zone=tuple(browse.working_zone(dev0))), limit=10_000)}
        assert listed and not listed & set(children)
    with net.open(HUB) as hub:  # nothing is lost at the hub
        assert set(children) <= set(live_students(hub))
        assert inspection.detail(hub, visit).locked


def test_a_township_given_to_another_centre_leaves_the_old_laptop(net: Network, capsys) -> None:
    with net.open(HUB) as hub:
        link = next(r for r in records.iter_records(hub, "centre_township")
                    if r["township_id"] == township_of(net, "dev0"))
        centre1 = records.get(hub, "device", net.ids["dev1"])["centre_id"]
        schools = {s["id"] for s in records.iter_records(hub, "school")
                   if s["township_id"] == link["township_id"]}
    children = {k: v for k, v in live_students(_ws(net, "dev0")).items()
                if v["school_id"] in schools}
    assert children
    with net.open(HUB) as hub:
        records.put(hub, "centre_township", {"id": link["id"], "centre_id": centre1})
    exchange_cli(capsys, net)
    assert set(children) <= set(live_students(_ws(net, "dev1")))
    assert_gone(net, "dev0", children)


def test_a_transferred_child_leaves_the_old_laptop(net: Network, capsys) -> None:
    school = zone_school(net, "dev0")
    sid, child = next((k, v) for k, v in children_of(net, "dev0", school["id"]).items()
                      if v["resident_id"])
    target = zone_school(net, "dev1", with_ids=False)
    with net.open(HUB) as hub:
        records.put(hub, "student", {"id": sid, "school_id": target["id"]})
    exchange_cli(capsys, net)
    assert children_of(net, "dev1", target["id"])[sid]["resident_id"] == child["resident_id"]
    assert_gone(net, "dev0", {sid: child})


def test_an_edit_not_yet_sent_waits_and_reaches_the_hub(net: Network, capsys) -> None:
    """The laptop edited a child the county transfers meanwhile: the purge waits until
    the hub has the edit (kept there for review: the child is no longer the centre's)."""
    school = zone_school(net, "dev0")
    sid, child = next(iter(children_of(net, "dev0", school["id"]).items()))
    with net.open("dev0") as dev0:
        records.put(dev0, "student", {"id": sid, "guardian_name": "新监护人"})
    with net.open(HUB) as hub:
        records.put(hub, "school", {"id": school["id"], "township_id": township_of(net, "dev1")})
    first = import_cli(capsys, net, "dev0", net.export(HUB, "dev0"))
    assert first["purged"] == 0 and sid in children_of(net, "dev0", school["id"])
    exchange_cli(capsys, net)
    with net.open(HUB) as hub:
        waiting = [c for c in sync.conflicts(hub) if c["record_id"] == sid]
    assert [c["incoming"] for c in waiting] == ["新监护人"]
    assert_gone(net, "dev0", {sid: child})


def _ws(net: Network, party: str):
    """A read for one assertion (closed when garbage collected)."""
    return open_workspace(net.path(party), create=False)


def test_a_transferred_child_takes_their_dropout_case_along(net: Network, capsys) -> None:
    """The case follows the child (not the school they left): the old laptop purges both,
    the new centre's laptop gets the case with its events."""
    import datetime as dt

    from wushan_desk.services import dropout

    school = zone_school(net, "dev0")
    sid, child = next((k, v) for k, v in children_of(net, "dev0", school["id"]).items()
                      if v["resident_id"])
    with net.open("dev0") as dev0:
        case = dropout.open_case(dev0, {"student_id": sid, "status": "疑似辍学",
                                        "opened_on": "2026-10-01"})
        dropout.add_visit(dev0, case, dt.date(2026, 10, 3), "家访", "谭老师", "已联系家长")
    exchange_cli(capsys, net)
    target = zone_school(net, "dev1", with_ids=False)
    with net.open(HUB) as hub:
        records.put(hub, "student", {"id": sid, "school_id": target["id"]})
    exchange_cli(capsys, net)  # no crash on the old laptop: case and child leave together
    with net.open("dev0") as dev0:
        assert records.get(dev0, "dropout_case", case) is None
    with net.open("dev1") as dev1:
        assert records.get(dev1, "dropout_case", case)["status"] == "疑似辍学"
        assert dropout.timeline(dev1, case)
    assert_gone(net, "dev0", {sid: child})


def test_a_transferred_child_takes_their_hardship_recognition_along(net: Network,
                                                                     capsys) -> None:
    """The recognition, its household members, its events and its evidence follow the
    child to the new centre's laptop, and leave the old one."""
    from wushan_desk.services import aid_recognition as recognition
    from wushan_desk.services import attachments

    school = zone_school(net, "dev0")
    sid, child = next((k, v) for k, v in children_of(net, "dev0", school["id"]).items()
                      if v["resident_id"])
    with net.open("dev0") as dev0:
        rec = recognition.apply(dev0, sid, "2026-2027", dt.date(2026, 9, 10),
                                members=[{"name": "王大山", "relation": "父亲"}])
        proof = attachments.add_bytes(dev0, b"\x89PNG-proof", "低保证.png",
                                      owner_kind="aid_recognition", owner_id=rec)
        recognition.review(dev0, rec, dt.date(2026, 9, 20), "属实", "困难")
    exchange_cli(capsys, net)
    target = zone_school(net, "dev1", with_ids=False)
    with net.open(HUB) as hub:
        records.put(hub, "student", {"id": sid, "school_id": target["id"]})
    exchange_cli(capsys, net)
    with net.open("dev0") as dev0:
        assert records.get(dev0, "aid_recognition", rec) is None
        assert rec not in {r.id for r in recognition.listing(dev0)}
    with net.open("dev1") as dev1:
        assert recognition.get(dev1, rec)["status"] == "评议"
        assert [m["name"] for m in recognition.members(dev1, rec)] == ["王大山"]
        assert len(recognition.events(dev1, rec)) == 2
        assert attachments.read(dev1, proof) == b"\x89PNG-proof"
    assert_gone(net, "dev0", {sid: child})
