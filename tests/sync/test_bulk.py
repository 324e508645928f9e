"""A first sync writes new rows in bulk (issue 8, item 7): the same result as one by one.

The bulk path (sync/bulk.py, store/changes.insert_incoming, the search index brought up to
date once at the end) must leave exactly what the ordinary path leaves: rows, versions,
change log, search index, schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import support
from network import HUB, Network
from support import open_workspace

from wushan_desk.services import browse, records, sync, workspace
from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import bulk, importer


def state(ws: Workspace) -> dict[str, Any]:
    """Every synced row with its versions and origin, and the log's entries (not seqs)."""
    tables = {}
    for table in changes.synced_tables(ws):
        cur = ws.conn.execute(f"SELECT * FROM {table} ORDER BY id")
        tables[table] = [{k: v for k, v in r.items() if k != "seq"}
                         for r in changes.dict_rows(cur)]
    log = sorted(ws.conn.execute(
        "SELECT tbl, row_id, hlc, device_id, op, data, base, source FROM change_log"))
    fts = sorted(ws.conn.execute(
        "SELECT rowid, name, resident_id, student_number FROM students_fts"))
    return {"tables": tables, "log": log, "fts": fts}


def test_bulk_and_one_by_one_leave_the_same_workspace(net: Network, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with net.open(HUB) as hub:
        request = sync.device_init(tmp_path / "probe.wsdb", "新设备", tmp_path / "req")
        centre = next(r["name"] for r in records.iter_records(hub, "centre"))
        enrolled = sync.hub_enrol(hub, request, centre, tmp_path / "out")
    support.copy_workspace(tmp_path / "probe.wsdb", tmp_path / "slow.wsdb")
    fast = _join(tmp_path / "probe.wsdb", enrolled.package)
    monkeypatch.setattr(bulk, "batchable", lambda entry: False)
    monkeypatch.setattr(importer, "BULK_LINES", 10**9)
    slow = _join(tmp_path / "slow.wsdb", enrolled.package)
    assert fast["added"] == slow["added"] > 1000
    for key in ("log", "fts"):
        assert fast[key] == slow[key], key
    for table, rows in slow["tables"].items():
        assert fast["tables"][table] == rows, table


def _join(path: Path, package: Path) -> dict[str, Any]:
    ws = open_workspace(path, create=False)
    try:
        summary = sync.device_join(ws, package)
        assert summary.status == "applied", summary
        assert workspace.check(ws).ok  # the search trigger is back, as the schema says
        return state(ws) | {"added": summary.added}
    finally:
        ws.close()


def test_students_of_a_bulk_import_are_found_by_search(net: Network) -> None:
    with net.open("dev0") as dev:
        student = next(s for s in records.iter_records(dev, "student") if s["resident_id"])
        found = browse.fetch_students(dev, browse.StudentQuery(text=student["name"][:2]))
        assert student["id"] in {s.id for s in found}
        by_id = browse.fetch_students(dev, browse.StudentQuery(text=student["resident_id"][-6:]))
        assert student["id"] in {s.id for s in by_id}
