"""The receiver judges every incoming change as a local write (issue 8, item 1).

The hostile device here is a real enrolled laptop whose workspace was written to behind
the app's back (the store layer, no validation), so its package is properly signed and
encrypted: only the receiver's judgement stands between it and the county's data. Each
refusal goes through the CLI: exit 3, a Chinese message naming the record and the rule,
the receiving workspace byte-for-byte as before and no backup taken.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from network import HUB, Network

from wushan_desk.cli import main
from wushan_desk.services import records
from wushan_desk.store import changes, sync_state
from wushan_desk.store.changes import Change
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync.scope import device_scope


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tamper(net: Network, party: str, table: str, row_id: str, values: dict[str, Any]) -> None:
    """Write to `party`'s workspace as a tampered copy of the app would: logged and
    stamped like any edit, but no validation at all."""
    with net.open(party) as ws:
        ws.conn.execute("PRAGMA foreign_keys = OFF")  # a dangling reference, too
        changes.write_local(ws, table, row_id, values)


def zone_rows(net: Network, party: str, table: str, inside: bool) -> list[dict[str, Any]]:
    """Rows of `table` at the hub inside (or outside) the zone of `party`'s centre."""
    with net.open(HUB) as hub:
        zone = device_scope(hub, net.ids[party])
        kind = changes.table_kind(table)
        return [changes.from_sql(kind, r) for r in sync_state.rows_of(hub, table, live=True)
                if zone.contains(hub, table, r) == inside]


def own_student(net: Network) -> dict[str, Any]:
    with net.open("dev0") as ws:
        return sorted(records.iter_records(ws, "student"), key=lambda r: r["id"])[0]


def other_school(net: Network) -> dict[str, Any]:
    with net.open(HUB) as hub:
        zone = device_scope(hub, net.ids["dev0"])
        return next(r for r in records.iter_records(hub, "school")
                    if not zone.township_in(r["township_id"]))


def own_township(net: Network) -> str:
    with net.open(HUB) as hub:
        return sorted(device_scope(hub, net.ids["dev0"]).township_ids)[0]


def bad_value(field: str, value: Any) -> Callable[[Network], None]:
    return lambda net: tamper(net, "dev0", "students", own_student(net)["id"], {field: value})


def edit_other_zone(net: Network) -> None:
    other = zone_rows(net, "dev0", "students", inside=False)[0]
    tamper(net, "dev0", "students", other["id"], other | {"class_name": "9班"})


def create_in_other_school(net: Network) -> None:
    me = own_student(net)
    tamper(net, "dev0", "students", str(uuid.uuid4()),
           {k: v for k, v in me.items() if k != "id"}
           | {"school_id": other_school(net)["id"], "resident_id": None, "name": "新生"})


def move_school_into_zone(net: Network) -> None:
    tamper(net, "dev0", "schools", other_school(net)["id"], {"township_id": own_township(net)})


def move_student_out(net: Network) -> None:
    tamper(net, "dev0", "students", own_student(net)["id"],
           {"school_id": other_school(net)["id"]})


def rename_centre(net: Network) -> None:
    with net.open("dev0") as ws:
        centre = next(sync_state.rows_of(ws, "centres", live=True))
    tamper(net, "dev0", "centres", centre["id"], {"name": "我的中心"})


def raise_aid_standard(net: Network) -> None:
    """A laptop paying its children more by changing the county's standard."""
    with net.open("dev0") as ws:
        standard = next(sync_state.rows_of(ws, "aid_standards", live=True))
    tamper(net, "dev0", "aid_standards", standard["id"], {"amount": 99999.0})


def far_future(net: Network) -> None:
    with net.open("dev0") as ws, ws.transaction():
        stamp = f"9999999999999-99999-{ws.device_id}"
        changes.apply_change(ws, Change("students", own_student(net)["id"], stamp,
                                        ws.device_id, "upsert", {"class_name": "8班"}, {}))


def dangling_school(net: Network) -> None:
    me = own_student(net)
    tamper(net, "dev0", "students", me["id"], {"school_id": str(uuid.uuid4())})


#: case -> (how the device is tampered with, the code, words the message must hold)
CASES: dict[str, tuple[Callable[[Network], None], str, tuple[str, ...]]] = {
    "id-number-123": (bad_value("resident_id", "123"), "bad-entry", ("身份证", "学生")),
    "grade-graduate": (bad_value("grade", "研究生"), "bad-entry", ("年级", "研究生")),
    "phone-abc": (bad_value("guardian_phone", "abc"), "bad-entry", ("电话",)),
    "control-characters": (bad_value("name", "张\x07三"), "bad-entry", ("姓名",)),
    "edit-other-zone": (edit_other_zone, "out-of-zone", ("不在本中心的责任区内", "不能修改")),
    "create-other-zone": (create_in_other_school, "out-of-zone", ("新生", "不能在本机新建")),
    "move-school-in": (move_school_into_zone, "out-of-zone", ("移入或移出",)),
    "move-student-out": (move_student_out, "out-of-zone", ("移入或移出", "县教委")),
    "hub-only-table": (rename_centre, "bad-entry", ("县级中心库",)),
    "aid-standard": (raise_aid_standard, "bad-entry", ("县级中心库", "资助标准")),
    "far-future-stamp": (far_future, "bad-entry", ("日期",)),
    "dangling-reference": (dangling_school, "rule-broken", ("学校", "不存在")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hub_refuses_what_a_user_could_not_write(net: Network, case: str, capsys) -> None:
    make, code, words = CASES[case]
    make(net)
    (package,) = net.export("dev0")
    before = digest(net.path(HUB))
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    out, err = capsys.readouterr()
    (summary,) = json.loads(out)["packages"]
    assert summary["code"] == code, summary
    assert "设备0" in summary["rejected"] and "整个同步包都没有导入" in summary["rejected"]
    for word in words:
        assert word in summary["rejected"], summary["rejected"]
    assert "[unexpected]" not in err
    assert digest(net.path(HUB)) == before
    assert not list((net.path(HUB).parent / "backups").glob("hub-*"))


def test_each_change_is_judged_against_what_the_package_changed_before_it(
        net: Network, capsys) -> None:
    """The judge remembers the records it looked up, but not past a change to them: a
    school made a 初中 earlier in the package has no 一年级, for a student edited after
    (while one edited before, in the same school, was judged against the 小学)."""
    with net.open("dev0") as ws:
        pupils = sorted((s for s in records.iter_records(ws, "student")
                         if s["grade"] == "一年级"), key=lambda s: s["id"])
        school = records.get(ws, "school", pupils[0]["school_id"])
        first, last = [s for s in pupils if s["school_id"] == school["id"]][:2]
    assert school["type"] == "小学"
    tamper(net, "dev0", "students", first["id"], {"class_name": "7班"})
    tamper(net, "dev0", "schools", school["id"], {"type": "初中"})
    tamper(net, "dev0", "students", last["id"], {"class_name": "8班"})
    (package,) = net.export("dev0")
    before = digest(net.path(HUB))
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    (summary,) = json.loads(capsys.readouterr()[0])["packages"]
    assert summary["code"] == "rule-broken" and last["name"] in summary["rejected"]
    assert "一年级" in summary["rejected"], summary["rejected"]
    assert digest(net.path(HUB)) == before


def test_one_bad_change_refuses_the_good_ones_with_it(net: Network, capsys) -> None:
    me = own_student(net)
    with net.open("dev0") as ws:
        records.put(ws, "student", {"id": me["id"], "class_name": "5班"})
    bad_value("grade", "研究生")(net)
    (package,) = net.export("dev0")
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    with net.open(HUB) as hub:
        assert records.get(hub, "student", me["id"])["class_name"] == me["class_name"]


def test_an_honest_package_after_the_refusal_still_lands(net: Network, capsys) -> None:
    """The refused package leaves the peer state as it was: fixing the laptop (here: a
    corrective edit) and exporting again brings the good changes over."""
    me = own_student(net)
    bad_value("grade", "研究生")(net)
    (bad,) = net.export("dev0")
    assert main(["sync", "import", str(bad), "--db", str(net.path(HUB))]) == 3
    with net.open("dev0") as ws:
        records.put(ws, "student", {"id": me["id"], "grade": me["grade"], "class_name": "6班"})
    for package in net.export("dev0"):
        bad.unlink(missing_ok=True)
        code = main(["sync", "import", str(package), "--db", str(net.path(HUB))])
    # the new package still carries the bad line (the log holds it): refused again
    assert code == 3
    capsys.readouterr()


def test_device_refuses_a_bad_hub_package(net: Network, capsys) -> None:
    """Defence in depth: a device judges the hub's package the same way."""
    sid = own_student(net)["id"]
    tamper(net, HUB, "students", sid, {"resident_id": "123"})
    (package,) = net.export(HUB, "dev0")
    before = digest(net.path("dev0"))
    assert main(["sync", "import", str(package), "--db", str(net.path("dev0"))]) == 3
    (summary,) = json.loads(capsys.readouterr()[0])["packages"]
    assert summary["code"] == "bad-entry" and "身份证" in summary["rejected"]
    assert digest(net.path("dev0")) == before


def test_the_hub_can_still_save_every_student_after_an_exchange(net: Network) -> None:
    """Nothing a device sends leaves a record the hub itself could not save."""
    with net.open("dev0") as ws:
        for student in list(records.iter_records(ws, "student"))[:5]:
            records.put(ws, "student", {"id": student["id"], "class_name": "3班"})
    net.exchange()
    with net.open(HUB) as hub:
        for student in records.iter_records(hub, "student"):
            records.put(hub, "student", student)


def _ws_opens(ws: Workspace) -> bool:
    return ws.schema_version > 0


def test_an_attachment_without_owner_yet_belongs_to_its_device(net: Network) -> None:
    """A photo saved before the record it will belong to (a signature drawn first) is the
    creating device's: the hub accepts it, with its bytes."""
    from wushan_desk.services import attachments

    with net.open("dev0") as ws:
        photo = attachments.add_bytes(ws, b"\x89PNG-photo", "现场.png")
    (summary,) = net.import_(HUB, *net.export("dev0"))
    assert summary["status"] == "applied", summary
    with net.open(HUB) as hub:
        assert attachments.read(hub, photo) == b"\x89PNG-photo"
