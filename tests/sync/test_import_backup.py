"""The backup an import takes: copied beside the import (SQLite's backup runs outside
Python's lock), holding the state before it, and never left behind by an import that
does not commit."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

from network import HUB, Network
from support import open_workspace
from test_judging import edit_other_zone

from wushan_desk.cli import main
from wushan_desk.services import records
from wushan_desk.store import backup


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copies(folder: Path) -> list[Path]:
    return [*folder.glob("*.wsdb"), *folder.glob("*.partial")] if folder.is_dir() else []


def edited_package(net: Network, party: str = "dev0") -> Path:
    with net.open(party) as ws:
        student = next(records.iter_records(ws, "student"))
        records.put(ws, "student", {"id": student["id"], "class_name": "9班"})
    (package,) = net.export(party)
    return package


def test_an_import_whose_backup_cannot_be_written_changes_nothing(
        net: Network, monkeypatch, capsys) -> None:
    package, hub = edited_package(net), net.path(HUB)
    before = digest(hub)
    full = namedtuple("usage", "total used free")(10**9, 10**9, 0)
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _: full)
    code = main(["sync", "import", str(package), "--db", str(hub)])
    out, err = capsys.readouterr()
    assert code != 0
    assert "磁盘空间不足" in out + err
    assert digest(hub) == before
    assert copies(backup.backups_dir(hub)) == []


def test_a_backup_abandoned_half_way_leaves_no_copy(net: Network, monkeypatch) -> None:
    steps: list[int] = []

    def held(stop):  # the copy waits after its first page until it is abandoned
        def check(status: int, remaining: int, total: int) -> None:
            steps.append(remaining)
            stop.wait(10)
            if stop.is_set():
                raise backup.BackupStopped()
        return check

    monkeypatch.setattr(backup, "_stopper", held)
    monkeypatch.setattr(backup, "COPY_PAGES", 1)
    with net.open(HUB) as ws, ws.transaction():  # as an import holds the write lock
        once = backup.BatchBackup(ws.path, ws.key)
        once.start()
        while not steps:
            time.sleep(0.01)
        once.abandon()
    assert steps[0] > 0  # stopped with pages still to copy
    assert copies(backup.backups_dir(hub_path := net.path(HUB))) == []
    monkeypatch.undo()
    with net.open(HUB) as ws:
        once = backup.BatchBackup(ws.path, ws.key)
        assert once() in copies(backup.backups_dir(hub_path))  # taken when wanted


def test_a_refused_package_then_a_good_one_make_one_backup_of_the_state_before(
        net: Network) -> None:
    """The first is refused while it is being merged (its backup was under way), the
    second is taken: the one backup left is the second's, of the hub before it."""
    edit_other_zone(net)  # dev0 edits a student of another centre's zone
    (bad,) = net.export("dev0")
    good = edited_package(net, "dev1")
    refused, taken = net.import_(HUB, bad, good)
    assert refused["status"] == "rejected" and taken["status"] == "applied"
    assert copies(backup.backups_dir(net.path(HUB))) == [Path(taken["backup"])]


def test_a_preview_takes_no_backup(net: Network) -> None:
    (previewed,) = net.import_(HUB, edited_package(net), dry_run=True)
    assert previewed["status"] == "preview"
    assert copies(backup.backups_dir(net.path(HUB))) == []


def test_a_partial_copy_a_killed_program_left_is_removed_when_the_workspace_opens(
        net: Network) -> None:
    hub = net.path(HUB)
    folder = backup.backups_dir(hub)
    folder.mkdir(exist_ok=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = folder / f"hub-before-import-20261207-010203-000000.{gone}.partial"
    old = folder / f"hub-before-import-20261206-010203-000000.{os.getpid() + 1}.partial"
    running = folder / f"hub-before-import-20261207-010204-000000.{os.getpid()}.partial"
    for partial in (dead, old, running):
        partial.write_bytes(b"half a copy")
    hours_ago = time.time() - backup.PARTIAL_STALE_S - 60
    os.utime(old, (hours_ago, hours_ago))
    open_workspace(hub, create=False).close()
    assert not old.exists() and running.exists()
    assert not dead.exists() or os.name != "posix"  # Windows: only by age
