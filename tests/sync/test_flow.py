"""Enrolment, exchange, merge, conflicts, receipts and scope, end to end on real files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from network import HUB, Network, live_students

from wushan_desk.cli import main
from wushan_desk.domain.entities import RecordInvalid
from wushan_desk.services import browse, records, sync
from wushan_desk.store import sync_state


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def a_student(net: Network, party: str) -> str:
    with net.open(party) as ws:
        return sorted(live_students(ws))[0]


def field_of(net: Network, party: str, sid: str, name: str):
    with net.open(party) as ws:
        record = records.get(ws, "student", sid, deleted=True)
        return record[name] if record else None


def put(net: Network, party: str, record: dict) -> None:
    with net.open(party) as ws:
        records.put(ws, "student", record)


def test_enrolment_gives_each_device_only_its_scope(net: Network) -> None:
    with net.open(HUB) as hub:
        everyone = live_students(hub)
        school_township = {r["id"]: r["township_id"] for r in sync_state.rows_of(hub, "schools")}
    held = {}
    for dev in net.devices:
        with net.open(dev) as ws:
            students = live_students(ws)
            zone = {
                r["township_id"]
                for r in records.iter_records(ws, "centre_township")
                if r["centre_id"] == ws.state("centre_id")
            }
            assert students and zone
            assert all(school_township[s["school_id"]] in zone for s in students.values())
            assert ws.state("role") == "centre" and ws.state("hub_id") == net.ids[HUB]
            # reference data is county-wide
            assert len(list(records.iter_records(ws, "township"))) == 26
            assert len(list(records.iter_records(ws, "school"))) == len(school_township)
            held[dev] = set(students)
    assert not held["dev0"] & held["dev1"]
    expected = {sid for sid, s in everyone.items() if school_township[s["school_id"]] in zone}
    assert held["dev1"] == expected


def test_edits_on_different_fields_both_survive_everywhere(net: Network) -> None:
    sid = a_student(net, "dev0")
    put(net, "dev0", {"id": sid, "guardian_phone": "13900001111"})
    put(net, HUB, {"id": sid, "class_name": "8班"})
    net.exchange()
    for party in (HUB, "dev0"):
        assert field_of(net, party, sid, "guardian_phone") == "13900001111"
        assert field_of(net, party, sid, "class_name") == "8班"
    with net.open(HUB) as hub:
        assert sync.conflicts(hub) == []


def test_same_field_conflict_has_one_winner_and_resolution_syncs_back(net: Network, capsys) -> None:
    sid = a_student(net, "dev0")
    original = field_of(net, HUB, sid, "class_name")
    put(net, "dev0", {"id": sid, "class_name": "9班"})
    put(net, HUB, {"id": sid, "class_name": "8班"})  # later stamp: wins everywhere
    net.exchange()
    assert (
        field_of(net, HUB, sid, "class_name") == field_of(net, "dev0", sid, "class_name") == "8班"
    )
    with net.open(HUB) as hub:
        (conflict,) = sync.conflicts(hub)
    assert conflict["local"] == "8班" and conflict["incoming"] == "9班"
    assert conflict["incoming_by"] == "设备0" and conflict["winner"] == "local"
    assert conflict["original_known"] and conflict["original"] == original  # both began here
    code = main(
        ["sync", "resolve", conflict["id"], "--keep", "incoming", "--db", str(net.path(HUB))]
    )
    assert code == 0
    capsys.readouterr()
    net.exchange()
    for party in (HUB, "dev0"):
        assert field_of(net, party, sid, "class_name") == "9班"
        with net.open(party) as ws:
            assert sync.conflicts(ws) == []  # the device's copy was superseded by the resolution


def test_receipts_stop_resending_and_report_progress(net: Network) -> None:
    sid = a_student(net, "dev0")
    put(net, "dev0", {"id": sid, "class_name": "3班"})
    first = net.export("dev0")
    net.import_(HUB, *first)
    net.import_("dev0", *net.export(HUB, "dev0"))  # carries the hub's receipt
    with net.open("dev0") as ws:
        (hub_status,) = sync.peers(ws)
    assert hub_status.pending == 0 and hub_status.acked_at
    (again,) = net.export("dev0")
    with net.open(HUB) as hub:
        (summary,) = sync.import_packages(hub, [again])
    assert summary.status == "applied" and summary.added + summary.changed == 0


def test_reimport_is_a_noop_and_leaves_the_file_unchanged(net: Network) -> None:
    put(net, "dev0", {"id": a_student(net, "dev0"), "class_name": "5班"})
    (package,) = net.export("dev0")
    (first,) = net.import_(HUB, package)
    assert first["status"] == "applied" and first["changed"] == 1
    before = digest(net.path(HUB))
    (second,) = net.import_(HUB, package)
    assert second["status"] == "unchanged" and second["applied"] == 0
    assert digest(net.path(HUB)) == before


def test_dry_run_previews_without_writing(net: Network) -> None:
    sid = a_student(net, "dev0")
    put(net, "dev0", {"id": sid, "class_name": "6班"})
    put(net, HUB, {"id": sid, "class_name": "7班"})
    (package,) = net.export("dev0")
    before = digest(net.path(HUB))
    (preview,) = net.import_(HUB, package, dry_run=True)
    assert preview["status"] == "preview" and preview["conflicts"] == 1
    assert digest(net.path(HUB)) == before
    assert field_of(net, HUB, sid, "class_name") == "7班"
    (applied,) = net.import_(HUB, package)
    assert applied["status"] == "applied" and applied["conflicts"] == 1


def test_lost_and_out_of_order_packages_cost_nothing(net: Network) -> None:
    sid = a_student(net, "dev0")
    put(net, "dev0", {"id": sid, "class_name": "1班"})
    (lost,) = net.export("dev0")  # this USB stick is never seen again
    put(net, "dev0", {"id": sid, "guardian_name": "向大山"})
    (second,) = net.export("dev0")
    net.import_(HUB, second)
    assert field_of(net, HUB, sid, "class_name") == "1班"  # carried again
    assert field_of(net, HUB, sid, "guardian_name") == "向大山"
    (late,) = net.import_(HUB, lost)  # turns up after all
    assert late["status"] == "applied" and late["changed"] == 0


def test_delete_and_edit_elsewhere_is_a_conflict_not_a_resurrection(net: Network) -> None:
    sid = a_student(net, "dev0")
    with net.open(HUB) as hub:
        records.delete(hub, "student", sid)
    put(net, "dev0", {"id": sid, "class_name": "2班"})
    net.exchange()
    for party in (HUB, "dev0"):
        with net.open(party) as ws:
            assert records.get(ws, "student", sid) is None  # still deleted everywhere
    assert field_of(net, HUB, sid, "class_name") == "2班"  # the edit is kept in the record
    with net.open(HUB) as hub:
        (conflict,) = sync.conflicts(hub)
        assert conflict["field"] == "deleted"
        sync.resolve(hub, conflict["id"], "incoming")  # restore it
    net.exchange()
    for party in (HUB, "dev0"):
        with net.open(party) as ws:
            assert records.get(ws, "student", sid)["class_name"] == "2班"


def test_transfer_moves_the_student_to_the_new_centre(net: Network) -> None:
    """A transfer to another centre's school is made at the county: the gaining device
    gets the student, the losing one no longer lists them; a device cannot do it itself."""
    sid = a_student(net, "dev0")
    with net.open("dev1") as ws:
        zone = {
            r["township_id"]
            for r in records.iter_records(ws, "centre_township")
            if r["centre_id"] == ws.state("centre_id")
        }
        target = next(
            s
            for s in records.iter_records(ws, "school")
            if s["township_id"] in zone and s["type"] == "小学"
        )
    transfer = {"id": sid, "school_id": target["id"], "grade": "一年级", "class_name": "转入班"}
    with net.open("dev0") as ws, pytest.raises(RecordInvalid, match="县教委"):
        records.put(ws, "student", transfer)
    put(net, HUB, transfer)
    net.exchange()
    with net.open("dev1") as ws:
        moved = records.get(ws, "student", sid)
    with net.open(HUB) as hub:
        at_hub = records.get(hub, "student", sid)
    assert moved == at_hub and moved["class_name"] == "转入班"
    with net.open("dev0") as ws:
        zone = browse.working_zone(ws)
        shown = browse.fetch_students(ws, browse.StudentQuery(zone=zone), limit=10_000)
        assert zone and sid not in {row.id for row in shown}


def test_conflict_listing_masks_sensitive_values(net: Network, capsys) -> None:
    sid = a_student(net, "dev0")
    put(net, "dev0", {"id": sid, "guardian_phone": "13900001111"})
    put(net, HUB, {"id": sid, "guardian_phone": "13800002222"})
    net.exchange()
    assert main(["sync", "conflicts", "--db", str(net.path(HUB))]) == 0
    out = capsys.readouterr().out
    assert "138****2222" in out and "139****1111" in out and "13800002222" not in out
