"""Restores lose nothing (issue 8, items 2 and 3), through the CLI.

A laptop reinstalled from last week's backup, a hub put back to its own backup taken
before an import, a workspace copied back by hand: each side recognises that one of them
went back, resends what the other lacks, and within two round trips both hold every
change either ever made. `sync status` says what the other side is known to lack.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import support
from network import HUB, Network, table_state

from wushan_desk.cli import main
from wushan_desk.services import records
from wushan_desk.store import backup

Edits = dict[str, tuple[str, str]]  # label -> (student id, class name written)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def students_of(net: Network, party: str) -> list[str]:
    with net.open(party) as ws:
        return sorted(r["id"] for r in records.iter_records(ws, "student"))


def edit(net: Network, party: str, sid: str, value: str) -> tuple[str, str]:
    with net.open(party) as ws:
        records.put(ws, "student", {"id": sid, "class_name": value})
    return sid, value


def class_of(net: Network, party: str, sid: str) -> str:
    with net.open(party) as ws:
        return records.get(ws, "student", sid)["class_name"]


def round_trip(net: Network) -> None:
    """dev0 to the hub, the hub back to dev0 (one round trip of one device)."""
    net.import_(HUB, *net.export("dev0"))
    net.import_("dev0", *net.export(HUB, "dev0"))


def assert_all_held(net: Network, edits: Edits) -> None:
    for label, (sid, value) in edits.items():
        for party in (HUB, "dev0"):
            assert class_of(net, party, sid) == value, (label, party)


def assert_same_zone(net: Network) -> None:
    """Every student of dev0's zone holds the same values at the hub and on dev0."""
    ids = set(students_of(net, "dev0"))
    with net.open(HUB) as hub, net.open("dev0") as dev:
        assert table_state(hub, "students", ids) == table_state(dev, "students", ids)


def status(capsys, net: Network, party: str) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "sync", "status", "--db", str(net.path(party)))
    assert code == 0
    return json.loads(out)


def test_backup_list_now_and_restore_through_the_cli(net: Network, capsys) -> None:
    db = str(net.path("dev0"))
    a, b = students_of(net, "dev0")[:2]
    edit(net, "dev0", a, "1班")
    code, out, _ = run(capsys, "backup", "now", "--db", db)
    taken = Path(out.strip())
    assert code == 0 and taken.exists()
    edit(net, "dev0", b, "2班")
    code, out, _ = run(capsys, "backup", "list", "--db", db, "--json")
    (listed,) = [b for b in json.loads(out) if b["file"] == taken.name]
    assert listed["reason_label"] == "手动备份" and listed["counts"]["students"] > 0
    code, out, err = run(capsys, "backup", "restore", taken.name, "--dry-run", "--db", db)
    assert code == 0 and "手动备份" in err and class_of(net, "dev0", b) == "2班"
    code, out, err = run(capsys, "restore", taken.name, "--db", db)
    assert code == 0, err
    safety = Path(json.loads(out)["safety_copy"])
    assert "before-restore" in safety.name and safety.exists()
    assert class_of(net, "dev0", a) == "1班" and class_of(net, "dev0", b) != "2班"
    # the state before the restore is itself a backup: restoring it undoes the restore
    assert run(capsys, "restore", safety.name, "--db", db)[0] == 0
    assert class_of(net, "dev0", b) == "2班"


@pytest.mark.parametrize("how", ["command", "file-copy"])
def test_a_device_restored_from_last_weeks_backup_loses_nothing(
        net: Network, tmp_path: Path, capsys, how: str) -> None:
    s = students_of(net, "dev0")
    edits: Edits = {"before": edit(net, "dev0", s[0], "备份前")}
    round_trip(net)
    week_ago = backup.take(net.path("dev0"), "manual", support.workspace_key(net.path("dev0")))
    edits["after backup, sent"] = edit(net, "dev0", s[1], "已发出")
    edits["hub, received"] = edit(net, HUB, s[2], "县里改")
    round_trip(net)

    if how == "command":
        assert run(capsys, "restore", str(week_ago), "--db", str(net.path("dev0")))[0] == 0
    else:  # copied back by hand: nothing told the workspace
        shutil.copy(week_ago, net.path("dev0"))
        for sidecar in ("-wal", "-shm"):
            Path(f"{net.path('dev0')}{sidecar}").unlink(missing_ok=True)
    assert class_of(net, "dev0", s[1]) != "已发出"  # gone on the laptop
    edits["after restore"] = edit(net, "dev0", s[3], "恢复后")
    if how == "command":  # the restored side knows at once: everything goes out again
        (hub_status,) = status(capsys, net, "dev0")
        assert (hub_status["pending"] > 0 and "尚未确认" in hub_status["state"]) \
            or hub_status["resend_all"] or hub_status["acked_seq"] == 0

    round_trip(net)
    round_trip(net)
    assert_all_held(net, edits)
    assert_same_zone(net)
    (hub_status,) = status(capsys, net, "dev0")
    dev_status = next(p for p in status(capsys, net, HUB) if p["device_id"] == net.ids["dev0"])
    assert hub_status["pending"] == 0 and not hub_status["resend_all"]
    assert not dev_status["resend_all"]


@pytest.mark.parametrize("how", ["command", "file-copy"])
def test_a_hub_restored_from_its_before_import_backup_loses_nothing(
        net: Network, capsys, how: str) -> None:
    s = students_of(net, "dev0")
    edits: Edits = {"device, imported": edit(net, "dev0", s[0], "设备改")}
    (package,) = net.export("dev0")
    (summary,) = net.import_(HUB, package)
    before_import = Path(summary["backup"])
    assert "before-import" in before_import.name
    edits["hub, sent"] = edit(net, HUB, s[1], "县里改")
    net.import_("dev0", *net.export(HUB, "dev0"))

    if how == "command":
        assert run(capsys, "restore", before_import.name, "--db", str(net.path(HUB)))[0] == 0
    else:
        shutil.copy(before_import, net.path(HUB))
        for sidecar in ("-wal", "-shm"):
            Path(f"{net.path(HUB)}{sidecar}").unlink(missing_ok=True)
    assert class_of(net, HUB, s[0]) != "设备改"  # the import is undone at the hub
    edits["hub, after restore"] = edit(net, HUB, s[2], "恢复后县里改")

    round_trip(net)
    round_trip(net)
    assert_all_held(net, edits)
    assert_same_zone(net)


def test_restore_refuses_what_is_not_this_workspaces_backup(net: Network, tmp_path: Path,
                                                            capsys) -> None:
    db = net.path("dev0")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    other = backup.take(net.path("dev1"), "manual", support.workspace_key(net.path("dev1")))
    junk = tmp_path / "照片.wsdb"
    junk.write_bytes(b"\xff\xd8\xff\xe0JFIF" * 100)
    for target, words in ((str(other), "另一台电脑"), (str(junk), "不是巫山教育督导工作区"),
                          (str(db), "当前的工作区文件本身"), ("不存在.wsdb", "找不到备份")):
        code, _, err = run(capsys, "restore", target, "--db", str(db))
        assert code == 3 and words in err and "[bad-backup]" in err, (target, err)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_an_old_hub_package_delivered_late_is_outdated_on_a_laptop(net: Network,
                                                                   capsys) -> None:
    """A laptop never takes a hub package older than one it has taken (the hub may have
    been put back since and used its numbers again); what it lacks comes next time."""
    s = students_of(net, "dev0")
    edit(net, HUB, s[0], "旧包")
    (old,) = net.export(HUB, "dev0")
    edit(net, HUB, s[1], "新包")
    (new,) = net.export(HUB, "dev0")
    (taken,) = net.import_("dev0", new)
    assert taken["status"] == "applied"
    before = table_state_digest(net, "dev0")
    code, out, _ = run(capsys, "sync", "import", str(old), "--db", str(net.path("dev0")))
    (late,) = json.loads(out)["packages"]
    assert code == 0 and late["status"] == "outdated" and late["applied"] == 0
    assert table_state_digest(net, "dev0") == before
    assert class_of(net, "dev0", s[0]) == "旧包"  # the newer package carried it as well
    from wushan_desk.services.sync_view import summary_note, summary_status
    from wushan_desk.sync.importer import ImportSummary

    shown = ImportSummary(file=str(old), status="outdated")
    assert summary_status(shown)[0] == "已作废，未导入" and "没有导入" in summary_note(shown)


def table_state_digest(net: Network, party: str) -> str:
    with net.open(party) as ws:
        return hashlib.sha256(json.dumps(table_state(ws, "students"), sort_keys=True,
                                         default=str).encode()).hexdigest()


def test_an_old_full_package_taken_late_purges_nothing(net: Network) -> None:
    """A full package says "this is all of your zone"; one that is not taken must not
    make the laptop drop what it holds."""
    from dataclasses import replace

    from wushan_desk.store import sync_state

    with net.open(HUB) as hub, hub.transaction():
        peer = sync_state.peer(hub, net.ids["dev0"])
        sync_state.save_peer(hub, replace(peer, resend_all=True))
    (old,) = net.export(HUB, "dev0")
    (new,) = net.export(HUB, "dev0")
    held = students_of(net, "dev0")
    assert held and net.import_("dev0", new)[0]["status"] == "applied"
    (late,) = net.import_("dev0", old)
    assert late["status"] == "outdated" and late["purged"] == 0
    assert students_of(net, "dev0") == held
