"""The snapshot line of a package: field versions with their bases (a resend after a
restore) and without them (enrolment, older writers), written and read back."""

from __future__ import annotations

import json

import pytest
import support

from wushan_desk.services import records
from wushan_desk.store import changes, sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import payload


def edited_school(ws: Workspace) -> dict:
    school = records.put(ws, "school", {"name": "龙井乡中心小学", "type": "小学",
                                        "township_id": support.township()})
    records.put(ws, "school", {"id": school.id, "name": "龙井乡小学"})
    row = changes.read_row(ws, "schools", school.id)
    assert row is not None
    return row


def test_a_resent_snapshot_carries_each_fields_base(fresh_ws: Workspace) -> None:
    row = edited_school(fresh_ws)
    bases = sync_state.field_bases(fresh_ws, "schools", row)
    entry = payload.snapshot_entry("schools", row, bases)
    assert len(entry["fields"]["name"]) == 3  # renamed: written over the creation
    tables = frozenset(changes.synced_tables(fresh_ws))
    snap = payload.parse_entry(json.dumps(entry), tables)
    assert isinstance(snap, payload.Snapshot)
    assert snap.bases["name"] == entry["fields"]["name"][2] < snap.fields["name"][1]
    # the rename travels as a change built on the creation, as it was logged
    (rename,) = [c for c in snap.as_changes() if "name" in c.data]
    assert rename.base == {"name": snap.bases["name"]}


def test_a_snapshot_without_bases_is_still_read(fresh_ws: Workspace) -> None:
    row = edited_school(fresh_ws)
    entry = payload.snapshot_entry("schools", row)
    assert all(len(v) == 2 for v in entry["fields"].values())
    snap = payload.parse_entry(json.dumps(entry), frozenset(changes.synced_tables(fresh_ws)))
    assert isinstance(snap, payload.Snapshot) and snap.bases == {}


def test_a_base_not_older_than_its_version_is_refused(fresh_ws: Workspace) -> None:
    row = edited_school(fresh_ws)
    entry = payload.snapshot_entry("schools", row)
    value, stamp = entry["fields"]["name"]
    entry["fields"]["name"] = [value, stamp, stamp]
    with pytest.raises(payload.PayloadError, match="版本依据"):
        payload.parse_entry(json.dumps(entry), frozenset(changes.synced_tables(fresh_ws)))
