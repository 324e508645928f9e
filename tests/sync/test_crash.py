"""A process killed in the middle of an import leaves the workspace consistent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from network import HUB, Network
from support import open_workspace

from wushan_desk.services import records, workspace
from wushan_desk.store import changes

# POSIX only: on ALLOWED_SKIPS in tests/conftest.py (CI fails on any other skip)
pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
NEW_STUDENTS = 20_000


def big_package(net: Network) -> Path:
    """A package of 20,000 new students from dev0: long enough an import to interrupt."""
    with net.open("dev0") as ws:
        model = next(records.iter_records(ws, "student"))
        batch = [
            model | {"id": str(uuid.uuid4()), "resident_id": None, "student_number": None}
            for _ in range(NEW_STUDENTS)
        ]
        changes.insert_many(ws, "students", batch)
    (path,) = net.export("dev0")
    return path


def count_students(path: Path) -> int:
    ws = open_workspace(path, create=False)
    try:
        return len(list(records.iter_records(ws, "student")))
    finally:
        ws.close()


def test_sigkill_during_import_then_the_same_import_succeeds(net: Network, tmp_path: Path) -> None:
    package = big_package(net)
    hub = net.path(HUB)
    before = count_students(hub)
    backups = hub.parent / "backups"
    system_temp = tmp_path / "system-temp"  # the importer must not use it at all
    system_temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wushan_desk", "sync", "import", str(package), "--db", str(hub)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": os.getcwd(), "TMPDIR": str(system_temp)},
    )
    scratch = hub.with_name(hub.stem + ".tmp")
    deadline = time.monotonic() + 60
    while not (scratch.is_dir() and any(scratch.rglob("changes.jsonl"))) \
            and time.monotonic() < deadline:
        time.sleep(0.01)  # decrypted and unpacked beside the workspace: screening, merging
    time.sleep(0.5)
    assert proc.poll() is None, "import finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert list(system_temp.iterdir()) == []  # no plaintext in the system's temp folder

    ws = open_workspace(hub, create=False)  # opening wipes the dead import's plaintext
    try:
        assert workspace.check(ws).ok
        assert list(scratch.iterdir()) == []
    finally:
        ws.close()
    assert count_students(hub) == before  # all or nothing
    assert not list(backups.glob("hub-before-import-*.partial"))

    done = subprocess.run(
        [sys.executable, "-m", "wushan_desk", "sync", "import", str(package), "--db", str(hub)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    assert done.returncode == 0, done.stderr
    (summary,) = json.loads(done.stdout)["packages"]
    assert summary["status"] == "applied" and summary["added"] == NEW_STUDENTS
    assert count_students(hub) == before + NEW_STUDENTS
