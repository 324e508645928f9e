"""The snapshot line of a package: field versions with their bases (a resend after a
restore) and without them (enrolment, older writers), written and read back."""

from __future__ import annotations

import json
import uuid

import pytest
import support
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wushan_desk.domain.hlc import Stamp
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


# -- reading a snapshot line: what is refused, and what is read back --------------------

DIGITISH = "0123456789" * 4 + "_+ ٣२-"
#: texts shaped like stamps (13 and 5 digits, a device), with the near misses int() takes
stamps_and_near_misses = st.builds(
    lambda ms, counter, device: f"{ms}-{counter}-{device}",
    st.from_regex(r"[0-9]{13}", fullmatch=True)
    | st.text(alphabet=DIGITISH, min_size=12, max_size=14),
    st.from_regex(r"[0-9]{5}", fullmatch=True)
    | st.text(alphabet=DIGITISH, min_size=4, max_size=6),
    st.sampled_from(["", "a", "a-b", "\n", str(uuid.UUID(int=7))])
    | st.text(alphabet="ab-\n", max_size=4))
MUTATIONS = ("none", "drop", "extra", "shape", "type", "long", "stamp", "deleted", "base")


def mutated(entry: dict, how: str, data: st.DataObject) -> dict:
    """The snapshot line with one kind of damage (or none)."""
    fields = dict(entry["fields"])
    name = data.draw(st.sampled_from(sorted(fields)), label="field")
    if how == "drop":
        del fields[name]
    elif how == "extra":
        fields[data.draw(st.text(min_size=1, max_size=8), label="extra")] = ["x", fields[name][1]]
        if len(fields) == len(entry["fields"]):  # the drawn name was a field's own
            del fields[name]
    elif how == "shape":
        fields[name] = data.draw(st.sampled_from([[], [1], "x", None, [1, 2, 3, 4]]))
    elif how == "type":
        fields[name] = [data.draw(st.sampled_from([{}, [1], 1.5]), label="value"),
                        fields[name][1]]
    elif how == "long":  # longer than any text a package may hold
        fields["name"] = ["校" * (payload.MAX_TEXT + 1), fields["name"][1]]
    elif how == "stamp":
        fields[name] = [fields[name][0], data.draw(st.sampled_from([None, 5, "", "x" * 81]))]
    elif how == "deleted":
        fields["deleted"] = [data.draw(st.sampled_from([0, 1, "no", None])),
                             fields["deleted"][1]]
    elif how == "base":
        fields[name] = [*fields[name][:2], fields[name][1]]  # a base not older than it
    return {**entry, "fields": fields}


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(MUTATIONS), data=st.data())
def test_a_snapshot_line_is_read_whole_or_refused(fresh_ws: Workspace, how: str,
                                                  data: st.DataObject) -> None:
    row = edited_school(fresh_ws)
    entry = mutated(payload.snapshot_entry("schools", row), how, data)
    tables = frozenset(changes.synced_tables(fresh_ws))
    if how == "none":
        snap = payload.parse_entry(json.dumps(entry), tables)
        assert isinstance(snap, payload.Snapshot)
        assert {f: [v, s] for f, (v, s) in snap.fields.items()} == entry["fields"]
        return
    with pytest.raises(payload.PayloadError):
        payload.parse_entry(json.dumps(entry), tables)


@given(text=stamps_and_near_misses | st.text(max_size=30))
def test_a_stamp_is_read_as_the_clock_writes_it_or_refused(text: str) -> None:
    entry = {"t": "c", "tbl": "schools", "row": str(uuid.uuid4()), "hlc": text,
             "dev": text.split("-", 2)[-1], "op": "upsert", "data": {"name": "小学"},
             "base": {}}
    try:
        expected = str(Stamp.parse(text))
    except ValueError:
        expected = None
    try:
        change = payload.parse_entry(json.dumps(entry), frozenset({"schools"}))
    except payload.PayloadError:
        assert expected is None or Stamp.parse(text).device != entry["dev"]
        return
    assert isinstance(change, changes.Change) and change.stamp == expected
