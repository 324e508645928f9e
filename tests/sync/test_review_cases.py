"""Cases found in review: zones that move, slow clocks, re-issued enrolments, devices
writing what only the hub may write."""

from __future__ import annotations

from pathlib import Path

from network import HUB, Network, live_students
from support import open_workspace

from wushan_desk.services import browse, records, sync
from wushan_desk.store import changes, sync_state


def test_a_township_moved_to_another_centre_brings_its_students(net: Network) -> None:
    with net.open("dev0") as dev0:
        centre0 = dev0.state("centre_id")
        moved = next(r for r in records.iter_records(dev0, "centre_township")
                     if r["centre_id"] == centre0)
    with net.open(HUB) as hub:
        centre1 = next(r["centre_id"] for r in records.iter_records(hub, "device")
                       if r["id"] == net.ids["dev1"])
        schools = {s["id"] for s in records.iter_records(hub, "school")
                   if s["township_id"] == moved["township_id"]}
        expected = {sid for sid, s in live_students(hub).items() if s["school_id"] in schools}
        records.put(hub, "centre_township", {"id": moved["id"], "centre_id": centre1})
    assert expected
    net.exchange()
    with net.open("dev1") as dev1:
        assert moved["township_id"] in browse.working_zone(dev1)
        assert expected <= set(live_students(dev1))
    with net.open("dev0") as dev0:
        assert moved["township_id"] not in browse.working_zone(dev0)


def test_an_edit_on_a_laptop_with_a_slow_clock_still_wins(net: Network) -> None:
    with net.open("dev0") as dev:
        sid = sorted(live_students(dev))[0]
    slow = open_workspace(net.path("dev0"), create=False, wall=lambda: 1_000)  # 1970
    try:
        records.put(slow, "student", {"id": sid, "class_name": "慢钟班"})
    finally:
        slow.close()
    net.exchange()
    for party in (HUB, "dev0"):
        with net.open(party) as ws:
            assert records.get(ws, "student", sid)["class_name"] == "慢钟班"
            assert sync.conflicts(ws) == []


def test_a_device_joining_with_an_older_enrolment_package_misses_nothing(
        net: Network, tmp_path: Path) -> None:
    request = sync.device_init(tmp_path / "new.wsdb", "新设备", tmp_path)
    with net.open(HUB) as hub:
        centre = next(r["name"] for r in records.iter_records(hub, "centre"))
        first = sync.hub_enrol(hub, request, centre, tmp_path / "e1")
        sid = next(iter(browse.fetch_students(hub, browse.StudentQuery(
            zone=tuple(r["township_id"] for r in records.iter_records(hub, "centre_township")
                       if r["centre_id"] == sync.find_centre(hub, centre))), limit=1))).id
        records.put(hub, "student", {"id": sid, "class_name": "补发后改"})
        sync.hub_enrol(hub, request, centre, tmp_path / "e2")  # thought the first was lost
    new = open_workspace(tmp_path / "new.wsdb", create=False)
    try:
        assert sync.device_join(new, first.package).status == "applied"
    finally:
        new.close()
    with net.open(HUB) as hub:
        (package,) = [e.path for e in sync.export(hub, tmp_path / "out", first.device_id)]
    new = open_workspace(tmp_path / "new.wsdb", create=False)
    try:
        sync.import_packages(new, [package])
        assert records.get(new, "student", sid)["class_name"] == "补发后改"
    finally:
        new.close()


def test_a_device_cannot_write_what_only_the_hub_may(net: Network, capsys) -> None:
    with net.open("dev0") as dev:
        other = next(r for r in sync_state.rows_of(dev, "centre_townships")
                     if r["centre_id"] != dev.state("centre_id"))
        assert changes.write_local(dev, "centre_townships", other["id"],
                                   {"centre_id": dev.state("centre_id")})
    (package,) = net.export("dev0")
    (summary,) = net.import_(HUB, package)
    assert summary["status"] == "rejected" and summary["code"] == "bad-entry"
    assert "县级中心库管理" in summary["rejected"]
    with net.open(HUB) as hub:  # the zone at the hub is as it was
        assert records.get(hub, "centre_township", other["id"])["centre_id"] == other["centre_id"]
