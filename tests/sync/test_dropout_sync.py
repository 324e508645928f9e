"""A dropout case travels with its events, duties, visits and photos; zones hold."""

from __future__ import annotations

import datetime as dt

import pytest
from network import HUB, Network

from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import attachments, dropout, records, sync
from wushan_desk.sync import scope


def zone_student(net: Network, device: str, inside: bool = True) -> dict:
    with net.open(HUB) as hub:
        zone = scope.device_scope(hub, net.ids[device])
        return next(s for s in records.iter_records(hub, "student")
                    if scope.in_zone(hub, zone, "students", s) == inside)


def test_a_case_with_visits_and_a_photo_reaches_the_hub_and_back(net: Network) -> None:
    student = zone_student(net, "dev0")
    with net.open("dev0") as dev:
        case = dropout.open_case(dev, {"student_id": student["id"], "status": "疑似辍学",
                                       "opened_on": "2026-10-08"})
        dropout.add_duty(dev, case, "班主任", "谭老师", "13812345678")
        photo = attachments.add_bytes(dev, b"\x89PNG-visit", "家访.png",
                                      owner_kind="dropout_case", owner_id=case)
        dropout.add_visit(dev, case, dt.date(2026, 10, 9), "家访", "谭老师、村主任",
                          "家长答应送回", attachment_ids=[photo])
        dropout.change_status(dev, case, "劝返中", dt.date(2026, 10, 9))
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        assert records.get(hub, "dropout_case", case)["status"] == "劝返中"
        assert dropout.status(hub, case, dt.date(2026, 10, 8)).status == "疑似辍学"
        assert attachments.read(hub, photo) == b"\x89PNG-visit"
        dropout.change_status(hub, case, "已复学", dt.date(2026, 10, 20), placement="插班")
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        assert dropout.status(dev, case, dt.date(2026, 10, 31)).status == "已复学"
    with net.open("dev1") as other:  # another centre never holds the child's case
        assert records.get(other, "dropout_case", case) is None


def test_a_laptop_cannot_open_a_case_outside_its_zone(net: Network) -> None:
    student = zone_student(net, "dev0", inside=False)
    with net.open("dev0") as dev, pytest.raises(Exception, match="学籍名单上找不到"):
        dropout.open_case(dev, {"student_id": student["id"], "status": "辍学",
                                "opened_on": "2026-10-08"})


def test_the_hub_finds_one_child_opened_by_two_centres(net: Network, valid_id) -> None:
    """A child who lives in one centre's zone and was at school in another's: both open a
    case before they sync; the hub lists the pair (it cannot refuse: neither laptop
    could take its case back)."""
    child = {"name": "两地生", "sex": "男", "birth_date": "2014-06-01",
             "resident_id": valid_id("2014-06-01", 7), "status": "失学",
             "opened_on": "2026-10-08"}
    for device in ("dev0", "dev1"):
        with net.open(HUB) as hub:
            zone = scope.device_scope(hub, net.ids[device])
            township = sorted(zone.township_ids)[0]
        with net.open(device) as dev:
            dropout.open_case(dev, child | {"township_id": township})
            assert dropout.duplicates(dev) == []  # each laptop sees only its own
    for device in ("dev0", "dev1"):
        net.import_(HUB, *net.export(device))
    with net.open(HUB) as hub:
        (group,) = dropout.duplicates(hub)
    assert group.names == ("两地生", "两地生") and len(set(group.townships)) == 2


def test_the_same_case_moved_on_both_sides_does_not_lock_the_laptop_out(net: Network) -> None:
    student = zone_student(net, "dev0")
    with net.open("dev0") as dev:
        case = dropout.open_case(dev, {"student_id": student["id"], "status": "辍学",
                                       "opened_on": "2026-10-01"})
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        dropout.change_status(hub, case, "劝返中", dt.date(2026, 10, 5))
    with net.open("dev0") as dev:
        dropout.change_status(dev, case, "劝返中", dt.date(2026, 10, 6))
    for _ in range(2):  # both packages are taken, whichever comes first
        summaries = net.import_(HUB, *net.export("dev0"))
        assert all(s["status"] in ("applied", "unchanged") for s in summaries), summaries
        net.import_("dev0", *net.export(HUB, "dev0"))
    with net.open(HUB) as hub:
        assert records.get(hub, "dropout_case", case)["status"] == "劝返中"


def test_a_status_flip_without_its_own_event_is_refused_at_the_hub(net: Network,
                                                                   tmp_path) -> None:
    """A tampered laptop moves a case back to a status it once had, pointing at the old
    event as if it were new: the hub takes a status change only with the event written
    with it (the use case writes both in one transaction), and the hub stays as it was."""
    import hashlib

    import support

    from wushan_desk.store import changes

    student = zone_student(net, "dev0")
    with net.open("dev0") as dev:
        case = dropout.open_case(dev, {"student_id": student["id"], "status": "疑似辍学",
                                       "opened_on": "2026-09-01"})
        dropout.change_status(dev, case, "已复学", dt.date(2026, 9, 10), placement="插班")
        dropout.change_status(dev, case, "疑似辍学", dt.date(2026, 10, 10), note="又不来了")
    net.exchange(rounds=1)
    twin = Network(tmp_path / "twin", list(net.devices), dict(net.ids), {})
    (tmp_path / "twin").mkdir()
    support.copy_workspace(net.path("dev0"), twin.path("dev0"))
    with twin.open("dev0") as dev:
        stored = records.get(dev, "dropout_case", case)
        changes.write_local(dev, "dropout_cases", case,
                            stored | {"status": "已复学", "placement": "插班"})
    (package,) = twin.export("dev0")
    before = hashlib.sha256(net.path(HUB).read_bytes()).hexdigest()
    (summary,) = net.import_(HUB, package)
    assert summary["status"] == "rejected", summary
    assert hashlib.sha256(net.path(HUB).read_bytes()).hexdigest() == before
    with net.open(HUB) as hub:
        assert records.get(hub, "dropout_case", case)["status"] == "疑似辍学"


def test_a_case_closed_on_the_laptop_while_the_hub_edits_it_does_not_stop_sync(
        net: Network) -> None:
    """The laptop closes a case (已销号) while the county, not yet knowing, edits its plan
    and adds a responsible person: both keep the closed case as it was closed, the
    county's edit waits as a conflict, and every later package is still taken (it
    refused all of them before)."""
    from wushan_desk.store import sync_state

    student = zone_student(net, "dev0")
    with net.open("dev0") as dev:
        case = dropout.open_case(dev, {"student_id": student["id"], "status": "劝返中",
                                       "opened_on": "2026-09-01", "plan": "原方案"})
        dropout.change_status(dev, case, "送教上门", dt.date(2026, 9, 10))
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        dropout.change_status(dev, case, "已销号", dt.date(2026, 11, 1))
    with net.open(HUB) as hub:
        stored = records.get(hub, "dropout_case", case)
        records.put(hub, "dropout_case", stored | {"plan": "县里补充的一人一案"})
        dropout.add_duty(hub, case, "乡镇", "冉乡长")
    for _ in range(2):
        for summary in (*net.import_(HUB, *net.export("dev0")),
                        *net.import_("dev0", *net.export(HUB, "dev0"))):
            assert summary["status"] in ("applied", "unchanged"), summary
    with net.open("dev0") as dev:
        kept = records.get(dev, "dropout_case", case)
        assert kept["status"] == "已销号" and kept["plan"] == "原方案"
    with net.open(HUB) as hub:  # the case as closed, the county's edit for review
        kept = records.get(hub, "dropout_case", case)
        assert (kept["status"], kept["plan"]) == ("已销号", "原方案")
        assert any(c.row_id == case and c.field == "plan" for c in sync_state.conflicts(hub))
    with net.open(HUB) as hub, net.open("dev0") as dev:  # the county's duty on both
        assert _parts(dev, "dropout_duties", case) == _parts(hub, "dropout_duties", case)
        assert len(_parts(hub, "dropout_duties", case)) == 1


def _parts(ws, table: str, case: str) -> dict[str, bool]:
    """The case's duties or visits held here: id -> deleted."""
    return {row_id: bool(deleted) for row_id, deleted in
            ws.conn.execute(f"SELECT id, deleted FROM {table} WHERE case_id = ?", (case,))}


def test_a_visit_added_on_the_laptop_to_a_case_the_county_closed_comes_back_for_review(
        net: Network) -> None:
    """The county closes a case (已销号) while the laptop, not yet knowing, records a
    persuasion visit and a responsible person on it. A closed case is locked: the hub
    keeps both for review (content and a conflict) and withdraws them, so that the
    laptop ends with the case exactly as closed, the same parts as the hub, and every
    later package is still taken."""
    from wushan_desk.store import sync_state

    student = zone_student(net, "dev0")
    with net.open("dev0") as dev:
        case = dropout.open_case(dev, {"student_id": student["id"], "status": "劝返中",
                                       "opened_on": "2026-09-01", "plan": "原方案"})
        dropout.change_status(dev, case, "送教上门", dt.date(2026, 9, 10))
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        dropout.change_status(hub, case, "已销号", dt.date(2026, 11, 1))
    with net.open("dev0") as dev:
        visit = dropout.add_visit(dev, case, dt.date(2026, 11, 2), "家访", "班主任",
                                  "家长同意下周返校")
        dropout.add_duty(dev, case, "村(社区)", "向支书")
    for _ in range(2):
        for summary in (*net.import_(HUB, *net.export("dev0")),
                        *net.import_("dev0", *net.export(HUB, "dev0"))):
            assert summary["status"] in ("applied", "unchanged"), summary
    with net.open(HUB) as hub, net.open("dev0") as dev:
        for table in ("dropout_visits", "dropout_duties"):
            assert _parts(dev, table, case) == _parts(hub, table, case)
        assert _parts(hub, "dropout_visits", case)[visit] is True  # withdrawn
        (kept,) = hub.conn.execute("SELECT result FROM dropout_visits WHERE id = ?",
                                   (visit,)).fetchone()
        assert kept == "家长同意下周返校"  # its content kept at the county
        (waiting,) = [c for c in sync_state.conflicts(hub)
                      if c.row_id == visit and c.field == "deleted" and not c.resolved]
        with pytest.raises(ValidationError, match="已销号"):  # the lock holds here too
            sync.resolve(hub, waiting.id, "incoming")
        assert records.get(dev, "dropout_case", case)["status"] == "已销号"
        assert records.get(dev, "dropout_visit", visit) is None
