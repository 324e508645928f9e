"""Property: whatever is delivered, lost, restored or forged, the parties converge.

A hub and three devices (three centres) make random writes to students, schools,
inspections (visits, answers, findings, signatures with their images, finalizing,
amendments, follow-up re-checks) and hardship recognitions (steps, facts, decisions
that lock them); the county transfers children and moves schools
between zones; packages are exported at random moments and delivered in random order,
some twice, some never; any party may be put back to an earlier copy of itself (with
`restore`, or by copying the file back); a copied laptop sends forged packages.

After a final exchange of two round trips:

- every device holds exactly the hub's rows for its scope, in every synced table, and
  nothing of another centre's (`assert_converged`);
- every field written holds the value of the write with the highest stamp among the
  writes that survived (made or received by some party that was not rolled back past it)
  (`assert_highest_stamp_wins`);
  except in a record locked by a decision, which holds exactly the content one surviving
  decision locked (`assert_locked_as_decided`);
- every pair of concurrent writes of different values to one field left a conflict;
- every forged package was refused whole, the hub byte-for-byte as before.

`HYPOTHESIS_PROFILE=slow` runs thousands of examples (see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from network import HUB, Network, build_network, table_state
from support import make_template

from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import aid, backups, browse, inspection, records, workspace
from wushan_desk.services import aid_recognition as recognition
from wushan_desk.services.aid_recognition import FACTS
from wushan_desk.store import changes, sync_state
from wushan_desk.sync import scope
from wushan_desk.sync.merge import SEALING

DEVICES = ["dev0", "dev1", "dev2"]
PARTIES = [HUB, *DEVICES]
FIELDS = {"class_name": ["1班", "2班", "3班"], "guardian_name": ["向红", "冉军", None]}
HEADS = ["冉校长", "向校长", "谭校长"]
SUMMARIES = ["师资齐全", "课表规范", "食堂卫生好"]
DAY = dt.date(2026, 10, 12)
AID_YEAR = "2026-2027"
AMOUNTS = [1250.0, 1300.0, 1350.0]
LEVELS = ["特别困难", "困难", "一般困难"]
INCOMES = [12000.0, 15000.0, 18000.0]
EXAMPLES = 3000 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 20
EXAMPLES = int(os.environ.get("WUSHAN_EXAMPLES", "0")) or EXAMPLES


@dataclass(frozen=True)
class Zone:
    """What the test works with in one device's zone."""

    school: str  # its students are tracked; visits happen here
    other_school: str  # moved to another zone by the county
    tracked: tuple[str, str]  # two students written to concurrently
    transferable: str  # a student the county may transfer away
    inspector: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, dict[str, Zone], str]:
    net = build_network(tmp_path_factory.mktemp("convergence"), devices=3)
    with net.open(HUB) as hub:
        checklist = make_template(hub)
        aid.load_defaults(hub, AID_YEAR)  # the county's aid standards go to every device
    net.exchange(rounds=1)
    zones = {}
    for dev in DEVICES:
        with net.open(dev) as ws:
            mine = browse.working_zone(ws)
            students = sorted(records.iter_records(ws, "student"), key=lambda s: s["id"])
            by_school: dict[str, list[str]] = {}
            for s in students:
                by_school.setdefault(s["school_id"], []).append(s["id"])
            schools = [s for s in sorted(by_school, key=lambda k: -len(by_school[k]))
                       if (records.get(ws, "school", s) or {}).get("township_id") in mine]
            first, second = schools[0], schools[1]
            inspector = records.put(ws, "staff", {"name": f"督学{dev}", "role": "责任督学"}).id
            zones[dev] = Zone(first, second, (by_school[first][0], by_school[first][1]),
                              by_school[first][2], inspector)
    net.exchange(rounds=1)
    return net, zones, checklist


@dataclass
class Write:
    party: str
    table: str
    row: str
    field: str
    value: Any
    stamp: str
    seen: frozenset[int]
    audience: frozenset[str]  # devices whose scope holds the row (the hub sees all)


@dataclass
class Model:
    net: Network
    zones: dict[str, Zone]
    checklist: str
    folder: Path
    seen: dict[str, set[int]] = field(default_factory=lambda: {p: set() for p in PARTIES})
    writes: list[Write] = field(default_factory=list)
    mail: list[tuple[str, Path, frozenset[int]]] = field(default_factory=list)
    copies: list[tuple[str, Path, frozenset[int]]] = field(default_factory=list)
    visits: dict[str, list[str]] = field(default_factory=lambda: {d: [] for d in DEVICES})
    moved: set[str] = field(default_factory=set)  # devices whose tracked rows left them
    recognitions: dict[str, list[str]] = field(default_factory=lambda: {d: [] for d in DEVICES})
    #: write index of a decision -> the content it locked (a recognition's facts)
    locked: dict[int, dict[str, Any]] = field(default_factory=dict)

    # -- writes -----------------------------------------------------------------------

    def note(self, party: str, table: str, row: str, names: list[str], audience: set[str]
             ) -> None:
        """Record the fields just written by `party` (their stamps read back)."""
        with self.net.open(party) as ws:
            stored = changes.read_row(ws, table, row)
            assert stored is not None
            kind = changes.table_kind(table)
            values = changes.from_sql(kind, stored)
            for name in names:
                self.writes.append(Write(party, table, row, name, values[name],
                                         changes.field_version(stored, name),
                                         frozenset(self.seen[party]), frozenset(audience)))
                self.seen[party].add(len(self.writes) - 1)

    def edit_student(self, party: str, device: str, pick: int, name: str, value: Any) -> None:
        row = self.zones[device].tracked[pick]
        with self.net.open(party) as ws:
            if records.get(ws, "student", row) is None:
                return  # deleted, or not (yet, or any more) here: the GUI would not offer it
            if not records.put(ws, "student", {"id": row, name: value}).changed:
                return
        self.note(party, "students", row, [name], self._audience(device))

    def edit_school(self, party: str, device: str, value: str) -> None:
        school = self.zones[device].school
        with self.net.open(party) as ws:
            try:
                if not records.put(ws, "school", {"id": school, "head": value}).changed:
                    return
            except ValidationError:
                return  # a device writes only schools of its own zone
        self.note(party, "schools", school, ["head"], set(DEVICES))

    def _audience(self, device: str) -> set[str]:
        return set() if device in self.moved else {device}

    # -- inspections (convergence is checked for every table) ---------------------------

    def inspect(self, device: str, action: str, party: str, value: int) -> None:
        with self.net.open(party) as ws:
            try:
                self._inspect(ws, device, action, party, value)
            except ValidationError:
                pass  # not possible here and now (not final yet, not this laptop's draft...)

    def _inspect(self, ws: Any, device: str, action: str, party: str, value: int) -> None:
        zone, visits = self.zones[device], self.visits[device]
        if action == "start" and party == device:
            visits.append(inspection.start_visit(
                ws, school_id=zone.school, template_id=self.checklist,
                inspector_ids=[zone.inspector], date=DAY))
            return
        visit = visits[-1] if visits else None
        if visit is None or records.get(ws, "visit", visit) is None:
            return
        d = inspection.detail(ws, visit)
        if action == "answer":
            inspection.answer(ws, visit, d.items[value % len(d.items)]["id"], str(5 + value))
        elif action == "finding":
            inspection.add_finding(ws, visit, description=f"问题{value}", requirement="整改")
        elif action == "finalize":  # the items not answered yet, as a finalize needs
            support.answer_all(ws, visit)
            inspection.sign(ws, visit, role="督学", name="向堃", png=b"\x89PNG" + bytes([value]))
            inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True)
            inspection.finalize(ws, visit, DAY)
        elif action == "amend":
            summary = SUMMARIES[value % len(SUMMARIES)]
            if d.locked and d.visit.get("summary") != summary:
                edit = {"id": visit, "summary": summary}
                inspection.amend(ws, visit, "复核更正", [("visit", edit)])
        elif action == "follow_up" and d.locked and d.findings:
            check = inspection.follow_up(ws, visit, date=DAY + dt.timedelta(days=20),
                                         inspector_ids=d.visit["inspector_ids"])
            inspection.record_check(ws, d.findings[0]["id"], check, "已整改",
                                    day=DAY + dt.timedelta(days=20))

    # -- hardship recognitions (records that lock when decided) --------------------------

    def recognise(self, device: str, action: str, at_hub: bool, value: int) -> None:
        """A tracked child's recognition: the centre's laptop or the county takes a step,
        or corrects the family's income."""
        party = HUB if at_hub else device
        with self.net.open(party) as ws:
            try:
                noted = self._recognise(ws, device, action, value)
            except ValidationError:
                return  # not possible here and now (decided already, not applied yet...)
        if noted:
            rec, names = noted
            self.note(party, "aid_recognitions", rec, names, self._audience(device))
            if action == "decide":
                self.locked[len(self.writes) - 1] = self._content(party, rec)

    def _recognise(self, ws: Any, device: str, action: str, value: int
                   ) -> tuple[str, list[str]] | None:
        recs = self.recognitions[device]
        if action == "apply":
            student = self.zones[device].tracked[0]
            if records.get(ws, "student", student) is not None:
                recs.append(recognition.apply(ws, student, AID_YEAR, DAY - dt.timedelta(30)))
            return None
        rec = recs[-1] if recs else None
        if rec is None or records.get(ws, "aid_recognition", rec) is None:
            return None
        if action == "review":
            recognition.review(ws, rec, DAY - dt.timedelta(20), "属实", LEVELS[value % 3])
        elif action == "notice":
            recognition.post_notice(ws, rec, DAY)  # Monday to Friday
        elif action == "decide":
            recognition.decide(ws, rec, DAY + dt.timedelta(7), value % 2 == 0)
            return rec, ["status"]
        elif action == "member":  # a part of the record, locked with it once decided
            household = recognition.members(ws, rec)
            recognition.set_members(ws, rec, [*household, {"name": f"成员{value}",
                                                            "relation": "兄弟姐妹"}])
        elif action == "income":
            income = INCOMES[value % len(INCOMES)]
            if recognition.get(ws, rec).get("household_income") != income:
                recognition.update(ws, rec, {"household_income": income})
                return rec, ["household_income"]
        return None

    def _content(self, party: str, rec: str) -> dict[str, Any]:
        with self.net.open(party) as ws:
            return {k: v for k, v in recognition.get(ws, rec).items() if k in FACTS}

    # -- the county moves children ------------------------------------------------------

    def transfer(self, device: str, to: str) -> None:
        if device == to:
            return
        with self.net.open(HUB) as hub:
            student = records.get(hub, "student", self.zones[device].transferable)
            target = records.get(hub, "school", self.zones[to].school)
            if student and target and student["school_id"] != target["id"]:
                try:
                    records.put(hub, "student", {"id": student["id"], "school_id": target["id"]})
                except ValidationError:
                    pass  # the grade does not exist at that school

    def move_school(self, device: str, to: str) -> None:
        if device == to:
            return
        with self.net.open(HUB) as hub:
            township = sorted(scope.device_scope(hub, self.net.ids[to]).township_ids)[0]
            records.put(hub, "school", {"id": self.zones[device].other_school,
                                        "township_id": township})

    def edit_standard(self, value: int, holiday: bool) -> None:
        """The county changes an aid standard or enters a holiday (hub-owned data)."""
        with self.net.open(HUB) as hub:
            if holiday:
                day = dt.date(2027, 2, 8 + value)
                row = workspace.reference_id(f"calendar_day:{day.isoformat()}")
                if records.get(hub, "calendar_day", row) is not None:
                    return
                aid.set_day(hub, day, "放假", "春节")
                self.note(HUB, "calendar_days", row, ["kind"], set(DEVICES))
                return
            standard = aid.standards(hub, AID_YEAR)[0]
            if standard.amount == AMOUNTS[value]:
                return
            aid.set_amount(hub, standard.id, AMOUNTS[value])
        self.note(HUB, "aid_standards", standard.id, ["amount"], set(DEVICES))

    # -- packages -----------------------------------------------------------------------

    def export(self, device: str, to_hub: bool) -> None:
        sender, recipient = (device, HUB) if to_hub else (HUB, device)
        for path in self.net.export(sender, None if to_hub else device):
            self.mail.append((recipient, path, frozenset(self.seen[sender])))

    def deliver(self, index: int, keep: bool) -> None:
        recipient, path, seen = self.mail[index] if keep else self.mail.pop(index)
        (summary,) = self.net.import_(recipient, path)
        assert summary["status"] in ("applied", "unchanged", "outdated"), summary
        assert summary["status"] != "outdated" or recipient != HUB, summary
        if summary["status"] == "outdated":
            return  # from a life of the hub that ended: its writes were not taken
        self.seen[recipient] |= {i for i in seen
                                 if recipient == HUB or recipient in self.writes[i].audience}

    def round_trip(self) -> None:
        """Every device to the hub, then the hub to every device, each delivered at once."""
        for to_hub in (True, False):
            for device in DEVICES:
                self.export(device, to_hub)
                self.deliver(len(self.mail) - 1, keep=False)

    # -- bad days ------------------------------------------------------------------------

    def copy(self, party: str) -> None:
        target = self.folder / f"{party}-{len(self.copies)}.wsdb"
        with self.net.open(party) as ws:
            ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        support.copy_workspace(self.net.path(party), target)
        self.copies.append((party, target, frozenset(self.seen[party])))

    def restore(self, pick: int, with_command: bool) -> None:
        if not self.copies:
            return
        party, copy, seen = self.copies[pick % len(self.copies)]
        if with_command:
            backups.restore(self.net.path(party), copy)
        else:  # copied back by hand: the workspace is not told
            for sidecar in ("-wal", "-shm"):
                Path(f"{self.net.path(party)}{sidecar}").unlink(missing_ok=True)
            shutil.copy(copy, self.net.path(party))
        self.seen[party] = set(seen)

    def forge(self, device: str, how: int) -> None:
        """A copied laptop, tampered with, sends a package: refused, the hub untouched."""
        clone = self.folder / f"clone-{uuid.uuid4().hex[:6]}"
        clone.mkdir()
        twin = Network(clone, list(self.net.devices), dict(self.net.ids), {})
        support.copy_workspace(self.net.path(device), twin.path(device))
        other = self.zones[DEVICES[(DEVICES.index(device) + 1) % 3]].tracked[0]
        with twin.open(device) as ws:
            ws.conn.execute("PRAGMA foreign_keys = OFF")
            if how == 0:  # another centre's child
                with self.net.open(HUB) as hub:
                    theirs = records.get(hub, "student", other)
                changes.write_local(ws, "students", other, (theirs or {}) | {"class_name": "9班"})
            else:  # a value no user could save
                changes.write_local(ws, "students", self.zones[device].tracked[0],
                                    {"resident_id": "123"})
        (package,) = twin.export(device)
        before = hashlib.sha256(self.net.path(HUB).read_bytes()).hexdigest()
        (summary,) = self.net.import_(HUB, package)
        assert summary["status"] == "rejected", summary
        assert summary["code"] in ("out-of-zone", "bad-entry"), summary
        assert hashlib.sha256(self.net.path(HUB).read_bytes()).hexdigest() == before


steps = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.sampled_from(PARTIES), st.sampled_from(DEVICES),
                  st.integers(0, 1), st.sampled_from(sorted(FIELDS)), st.integers(0, 2)),
        st.tuples(st.just("school"), st.sampled_from(PARTIES), st.sampled_from(DEVICES),
                  st.integers(0, 2)),
        st.tuples(st.just("inspect"), st.sampled_from(DEVICES),
                  st.sampled_from(["start", "answer", "finding", "finalize", "amend",
                                   "follow_up"]),
                  st.booleans(), st.integers(0, 5)),
        st.tuples(st.just("recognise"), st.sampled_from(DEVICES),
                  st.sampled_from(["apply", "review", "notice", "decide", "income",
                                   "member"]),
                  st.booleans(), st.integers(0, 5)),
        st.tuples(st.just("transfer"), st.sampled_from(DEVICES), st.sampled_from(DEVICES)),
        st.tuples(st.just("move_school"), st.sampled_from(DEVICES), st.sampled_from(DEVICES)),
        st.tuples(st.just("standard"), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("export"), st.sampled_from(DEVICES), st.booleans()),
        st.tuples(st.just("deliver"), st.integers(0, 50), st.booleans()),
        st.tuples(st.just("lose"), st.integers(0, 50)),
        st.tuples(st.just("copy"), st.sampled_from(PARTIES)),
        st.tuples(st.just("restore"), st.integers(0, 20), st.booleans()),
        st.tuples(st.just("forge"), st.sampled_from(DEVICES), st.integers(0, 1)),
        st.tuples(st.just("round")),
    ),
    max_size=12,
)
#: Random steps; then, for one party, a copy of its workspace, more steps, and the party
#: put back to that copy (by the command, or by copying the file), and more steps.
plans = st.tuples(steps, st.sampled_from([None, *PARTIES]), steps, st.booleans(), steps)


def run_steps(model: Model, plan: list[tuple]) -> None:
    for step in plan:
        kind, *args = step
        if kind == "edit":
            party, device, pick, name, value = args
            if party in (HUB, device):
                model.edit_student(party, device, pick, name, FIELDS[name][value])
        elif kind == "school":
            party, device, value = args
            model.edit_school(party, device, HEADS[value])
        elif kind == "inspect":
            device, action, at_hub, value = args
            model.inspect(device, action, HUB if at_hub else device, value)
        elif kind == "recognise":
            model.recognise(*args)
        elif kind == "transfer":
            model.transfer(*args)
        elif kind == "move_school":
            model.move_school(*args)
        elif kind == "standard":
            model.edit_standard(*args)
        elif kind == "export":
            model.export(*args)
        elif kind == "deliver" and model.mail:
            model.deliver(args[0] % len(model.mail), args[1])
        elif kind == "lose" and model.mail:
            model.mail.pop(args[0] % len(model.mail))
        elif kind == "copy":
            model.copy(args[0])
        elif kind == "restore":
            model.restore(*args)
        elif kind == "forge":
            model.forge(*args)
        elif kind == "round":
            model.round_trip()


def assert_converged(net: Network) -> None:
    """Each device holds exactly the hub's rows of its scope, in every synced table."""
    with net.open(HUB) as hub:
        tables = changes.synced_tables(hub)
        at_hub = {t: table_state(hub, t) for t in tables}
        zones = {d: scope.device_scope(hub, net.ids[d]) for d in net.devices}
        expected = {
            d: {t: {rid: v for rid, v in at_hub[t].items()
                    if zones[d].contains(hub, t, changes.read_row(hub, t, rid) or {})}
                for t in tables}
            for d in net.devices
        }
    for dev in net.devices:
        with net.open(dev) as ws:
            for table in tables:
                assert table_state(ws, table) == expected[dev][table], (dev, table)


def assert_highest_stamp_wins(model: Model) -> None:
    survived = set().union(*model.seen.values())
    latest: dict[tuple[str, str, str], Write] = {}
    for i in sorted(survived):
        w = model.writes[i]
        key = (w.table, w.row, w.field)
        if key not in latest or w.stamp > latest[key].stamp:
            latest[key] = w
    with model.net.open(HUB) as hub:
        for (table, row, name), w in latest.items():
            if _locked(hub, table, row):
                continue  # its content is the one locked (assert_locked_as_decided)
            assert table_state(hub, table, {row})[row][name] == w.value, w


def _locked(ws: Any, table: str, row: str) -> bool:
    """Is the row a record locked at the hub (merge.SEALING)?"""
    statuses = SEALING.get(table)
    stored = changes.read_row(ws, table, row) if statuses else None
    return bool(stored is not None and stored["status"] in statuses)


def assert_locked_as_decided(model: Model) -> None:
    """A decided recognition holds, everywhere, exactly the content one surviving
    decision locked: nothing written elsewhere meanwhile is mixed into it."""
    survived = set().union(*model.seen.values())
    with model.net.open(HUB) as hub:
        for index in model.locked:
            row = model.writes[index].row
            if index not in survived or not _locked(hub, "aid_recognitions", row):
                continue
            held = {k: v for k, v in recognition.get(hub, row).items() if k in FACTS}
            candidates = [c for i, c in model.locked.items()
                          if i in survived and model.writes[i].row == row]
            assert held in candidates, (row, held, candidates)


def assert_concurrent_writes_left_conflicts(model: Model) -> None:
    recorded: set[str] = set()
    for party in PARTIES:
        with model.net.open(party) as ws:
            for c in sync_state.conflicts(ws, open_only=False):
                recorded |= {c.local_stamp, c.incoming_stamp}
    survived = set().union(*model.seen.values())
    for (i, a), (j, b) in itertools.combinations(enumerate(model.writes), 2):
        if not {i, j} <= survived or (a.table, a.row, a.field) != (b.table, b.row, b.field):
            continue
        if i not in b.seen and j not in a.seen and a.value != b.value:
            assert a.stamp in recorded and b.stamp in recorded, (a, b)


#: Plans the search once found failing, kept so that they run every time.
FOUND = [
    # a hub package made before the hub was copied back from a backup, delivered late:
    # the laptop took a transfer the hub no longer had (now: status outdated)
    ([('round',), ('transfer', 'dev0', 'dev0'), ('copy', 'hub'), ('transfer', 'dev1', 'dev2'),
      ('transfer', 'dev0', 'dev2'), ('export', 'dev2', False)], None, [], True,
     [('export', 'dev1', False), ('restore', 10, False), ('restore', 8, False), ('round',),
      ('round',), ('deliver', 11, True), ('round',),
      ('edit', 'dev1', 'dev0', 1, 'guardian_name', 1), ('deliver', 3, True)]),
    # the hub restored to before a transfer: the old laptop takes the child back, then
    # the move again when the new laptop passes it back (a purged row's changes count)
    ([('copy', 'hub')], 'dev2',
     [('copy', 'hub'), ('round',), ('transfer', 'dev2', 'dev1'), ('round',), ('round',)],
     True, []),
    # a resent row is forwarded as a move, a new row never: another centre's inspectors
    # stay off a laptop after the hub's restore
    ([], 'hub',
     [('edit', 'hub', 'dev0', 0, 'class_name', 0), ('inspect', 'dev2', 'follow_up', True, 3),
      ('round',), ('inspect', 'dev0', 'answer', True, 0)],
     True, [('move_school', 'dev2', 'dev1'), ('lose', 22), ('export', 'dev0', True)]),
    # the hub's edit reached a laptop, the hub was restored and wrote the field again:
    # its resend replaced the laptop's value with no conflict anywhere (now: resent
    # snapshots carry their versions' bases and are judged like changes)
    ([], 'hub', [('edit', 'hub', 'dev0', 0, 'guardian_name', 1), ('round',)],
     True, [('edit', 'hub', 'dev0', 0, 'guardian_name', 2)]),
]


RECOGNITION_PLAN = ([('recognise', 'dev0', 'apply', False, 0),
                     ('recognise', 'dev0', 'review', False, 0),
                     ('recognise', 'dev0', 'notice', False, 0), ('round',)], None, [], False,
                    [('recognise', 'dev0', 'decide', False, 0),
                     ('recognise', 'dev0', 'income', True, 1), ('round',),
                     ('recognise', 'dev0', 'income', True, 2)])
#: The laptop and the county decide the same recognition differently, unaware of each
#: other: the county's decision stands everywhere.
RIVAL_DECISIONS = ([('recognise', 'dev1', 'apply', False, 0),
                    ('recognise', 'dev1', 'review', False, 1),
                    ('recognise', 'dev1', 'notice', False, 0),
                    ('recognise', 'dev1', 'income', False, 0), ('round',)], None, [], False,
                   [('recognise', 'dev1', 'income', True, 2),
                    ('recognise', 'dev1', 'decide', False, 0),
                    ('recognise', 'dev1', 'decide', True, 1), ('round',)])
#: The laptop adds a household member to a recognition the county decided meanwhile:
#: the hub withdraws it, and the laptop ends with the members as decided.
MEMBER_AFTER_DECISION = ([('recognise', 'dev0', 'apply', False, 0),
                          ('recognise', 'dev0', 'review', False, 0),
                          ('recognise', 'dev0', 'notice', False, 0), ('round',)], None, [],
                         False, [('recognise', 'dev0', 'decide', True, 0),
                                 ('recognise', 'dev0', 'member', False, 1), ('round',)])
#: The county's aid standards and calendar changed, the hub put back to a copy from before
#: the last change and changing them again: every laptop ends with the hub's.
AID_PLAN = ([('standard', 1, False), ('standard', 0, True), ('round',)], HUB,
            [('standard', 2, False), ('standard', 1, True), ('round',)], True,
            [('standard', 0, False), ('round',)])


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=plans)
@example(plan=FOUND[0])
@example(plan=FOUND[1])
@example(plan=FOUND[2])
@example(plan=FOUND[3])
@example(plan=AID_PLAN)
@example(plan=RECOGNITION_PLAN)
@example(plan=RIVAL_DECISIONS)
@example(plan=MEMBER_AFTER_DECISION)
def test_parties_converge_and_concurrent_writes_are_kept(template, tmp_path_factory,
                                                         plan) -> None:
    net, zones, checklist = template
    folder = tmp_path_factory.mktemp("example")
    model = Model(net.copy(folder / "net"), zones, checklist, folder)
    before, party, meanwhile, with_command, after = plan
    run_steps(model, before)
    if party is not None:
        model.copy(party)
        run_steps(model, meanwhile)
        model.restore(len(model.copies) - 1, with_command)
    run_steps(model, after)
    model.net.exchange(rounds=2)
    assert_converged(model.net)
    assert_highest_stamp_wins(model)
    assert_locked_as_decided(model)
    assert_concurrent_writes_left_conflicts(model)
    shutil.rmtree(folder)  # some 300 MB an example; a failing one's stays, to look at
