"""The receiver judges every incoming change as it judges a local write.

A package is signed by an enrolled device, but that device may be lost, copied or
misused: what it sends is checked like a local edit before anything is applied.

- **Screening** (every line, before the workspace is touched): each value passes its
  field's rules and is in the form the app stores (an ID number with its check digit, a
  grade that exists, a phone number, text without control characters); no stamp lies
  further ahead of this computer's clock than `MAX_DRIFT_MS`; a device sends only its own
  changes and nothing only the hub may write.
- **Authority** (the hub judging a device): a device writes only rows of its centre's
  zone; it may not create a row outside it, nor move a row into or out of it (a student
  to another centre's school, another centre's school into its township).
- **Rules** (on the record as it would be after the change): references exist, and the
  kind's rules hold (cross-field rules, locks, transitions), in the context the author's
  service used when the evidence is there (a finalize with every item answered, the
  photos it needs and its signatures; an amendment with its amendment record; a
  re-check closing a finding).

A change that breaks a rule is refused with the whole package (exit 3, a message naming
the record and the rule), unless it is explained by concurrency: the record changed here
after the author's edit (a visit finalized meanwhile, a school moved to another zone).
Then nothing of it is applied; it is kept as a conflict for a person, and the signed
content stays as signed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wushan_desk.domain import aid_recognition as recognition_rules
from wushan_desk.domain import aid_roster as roster_rules
from wushan_desk.domain import dropout as dropout_rules
from wushan_desk.domain import entities, schema
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.hlc import MS_DIGITS, Stamp, wall_clock_ms
from wushan_desk.store import changes, sync_state
from wushan_desk.store.changes import Change
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity
from wushan_desk.sync.authorship import draft_refusal
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.merge import LOCKED_PARTS, SEALING, seals
from wushan_desk.sync.payload import Snapshot
from wushan_desk.sync.scope import (
    BY_SCHOOL,
    HUB_AUTHORED,
    PARENTS,
    Scope,
    device_scope,
    in_zone,
    zone_refusal,
)

#: How far ahead of the receiver's clock a stamp may be: laptop clocks are often wrong by
#: hours or days, never by a month; a stamp years ahead would also exhaust the clock.
MAX_DRIFT_MS = 30 * 24 * 3600 * 1000
#: An amendment is written right after the edits it explains (one transaction).
AMENDMENT_WINDOW_MS = 60_000
#: Screened values remembered at most (memory: a few tens of MB).
SCREENED_MAX = 200_000
#: Rows looked up remembered at most (memory: about 1.6 kB for a student, so ~30 MB).
KNOWN_MAX = 20_000


class Conflicted(Exception):
    """The change is explained by concurrency: keep it for review, apply nothing."""


class Withdraw(Conflicted):
    """A part of a record the hub holds locked (a duty or visit of a closed case, a
    member of a decided recognition, a payment on a confirmed roster), added or edited
    on a laptop before it knew of the lock: kept for review, and the locked content
    restated so that the laptop's copy returns to it (sync/merge.withdraw)."""


class Restate(Exception):
    """The hub's snapshot holds a visit as it was signed, and this computer holds other
    content for it (a laptop restored from a backup taken before it finalized, that went
    on editing the draft): the signed content is restored, what differs kept for review."""


@dataclass
class Judge:
    """Judges the lines of one package from `sender` (see the module docstring)."""

    ws: Workspace
    sender: str
    from_device: bool  # the hub judging an enrolled device's package
    full: bool = False  # a full resend: snapshots allowed from a device
    now_ms: int = field(default_factory=wall_clock_ms)
    zone: Scope | None = None
    amendments: set[tuple[str, str]] = field(default_factory=set)  # (visit id, device)
    restated: set[str] = field(default_factory=set)  # visits whose signed content returns
    #: new rows judged but not written yet (sync/bulk.py): lookups must see them
    staged: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: status events this package creates, by id: a case's move needs one of them
    new_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: rows looked up (a school for each of its thousand children, a roster for each of
    #: its payments). Safe to keep while the import lasts: it holds the write lock, and
    #: every write of the loop is to the row just judged (forgotten when the next one is
    #: judged) or to rows of a creation batch (forgotten by `written`)
    _known: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    _last: tuple[str, str] = ("", "")
    #: rows known absent before their first entry is judged (see `note_absent`)
    _absent: set[tuple[str, str]] = field(default_factory=set)
    #: (table, field, value) already screened and found in stored form: a county's
    #: students share their schools, grades and villages, each checked once
    _clean: set[tuple[str, str, Any]] = field(default_factory=set)
    at_hub: bool = False
    #: the newest stamp of the first n lines screened, at [n - 1]
    newest_by_line: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.at_hub = identity.role(self.ws) == "hub"
        if self.from_device:
            self.zone = device_scope(self.ws, self.sender)

    # -- screening, before the transaction ---------------------------------------------

    def screen(self, entry: Change | Snapshot) -> None:
        """Values, stamps and authorship of one line; raises PayloadError-like ValueError."""
        # stamps sort as text, and each was written as `str(Stamp)` (payload._stamp)
        newest = max(_stamps_of(entry))
        newest_ms = int(newest[:MS_DIGITS])
        if newest_ms > self.now_ms + MAX_DRIFT_MS:
            days = (newest_ms - self.now_ms) // 86_400_000
            raise ValueError(
                f"版本号比本机时钟快 {days} 天（超过允许的 {MAX_DRIFT_MS // 86_400_000} 天）："
                "发送方电脑的日期可能设错了，请校正日期后重新导出"
            )
        if self.from_device:
            if entry.table in HUB_AUTHORED and not self._hubs_own(entry):
                label = changes.table_kind(entry.table).label
                raise ValueError(f"设备不能修改县级中心库管理的数据（{label}）")
            if isinstance(entry, Snapshot) and not self.full:
                raise ValueError("设备只能发送本机所做的修改")
            if isinstance(entry, Change) and entry.device != self.sender:
                raise ValueError("设备只能发送本机所做的修改")
        kind = changes.table_kind(entry.table)
        values = entry.data.items() if isinstance(entry, Change) else (
            (f, v) for f, (v, _) in entry.fields.items())
        for name, value in values:
            # (not bools: True == 1 would let a bool pass as an int field's value)
            key = (kind.table, name, value) if type(value) in (str, int) else None
            if value is not None and name != "deleted" and key not in self._clean:
                self._screen_value(kind, name, value, key)
        if isinstance(entry, Change) and entry.table == "visit_amendments" \
                and "visit_id" in entry.data:
            self.amendments.add((str(entry.data["visit_id"]), entry.device))
        before = self.newest_by_line[-1] if self.newest_by_line else ""
        self.newest_by_line.append(max(newest, before))

    def _screen_value(self, kind: entities.Kind, name: str, value: Any,
                      key: tuple[str, str, Any] | None) -> None:
        """One value passes its field's rules and is in the form the app stores (`key`:
        remembered as such)."""
        spec = kind.field(name)
        try:
            clean = schema.clean_value(spec, value)
        except ValidationError as exc:
            raise ValueError(f"{kind.label}的“{spec.label}”：{exc.message}") from None
        if clean != (value if value not in ("", None) else clean):
            raise ValueError(f"{kind.label}的“{spec.label}”不是本软件保存的格式")
        if key is not None:
            if len(self._clean) >= SCREENED_MAX:
                self._clean.clear()
            self._clean.add(key)

    def _hubs_own(self, entry: Change | Snapshot) -> bool:
        """A full resend's snapshot of hub-owned data holding only what this hub wrote
        (returned to a hub that lost it to a restore)."""
        return isinstance(entry, Snapshot) and self.full and self.at_hub and all(
            Stamp.parse(s).device == self.ws.device_id for _, s in entry.fields.values())

    # -- judging, inside the transaction, before each merge ------------------------------

    def note_absent(self, entries: Iterable[Change | Snapshot]) -> None:
        """Find out in a few queries which rows these entries name are not held here (a
        first sync: all of them), so that judging each one's first entry needs no read.
        Call inside the import's transaction: the answer holds while it lasts."""
        by_table: dict[str, set[str]] = {}
        for entry in entries:
            by_table.setdefault(entry.table, set()).add(entry.row_id)
        for table, ids in by_table.items():
            held = changes.present_rows(self.ws, table, ids)
            self._absent |= {(table, row_id) for row_id in ids - held}

    def judge(self, entry: Change | Snapshot) -> dict[str, Any] | None:
        """The row as stored here (None: absent), if the entry may be merged; raises
        PackageRejected (a broken rule), Conflicted (explained by concurrency: keep it for
        review) or Restate (the hub's signed content comes back)."""
        kind = changes.table_kind(entry.table)
        # the row judged last has been merged since, and this one may change now
        self._known.pop(self._last, None)
        self._last = (entry.table, entry.row_id)
        self._known.pop(self._last, None)
        if self._last in self._absent:  # its first entry: nothing before it made the row
            self._absent.discard(self._last)
            current = None
        else:
            current = changes.read_row(self.ws, entry.table, entry.row_id)
        logical = None if current is None else (
            changes.from_sql(kind, current) | {"deleted": bool(current["deleted"])})
        if isinstance(entry, Snapshot) and current is not None and logical is not None \
                and self._signed_elsewhere(entry, current, logical):
            raise Restate()
        incoming, stamp = _winning(entry, current)
        if not incoming:
            return current  # nothing would change: the merge only notes the conflicts
        after = {"id": entry.row_id, **(logical or {}), **incoming}
        if current is None and not after.keys() >= kind.field_name_set:
            if isinstance(entry, Snapshot):
                raise Conflicted()  # part of a row another device wrote: it resends it
            return current  # an edit of a row we do not hold: logged, not applied (merge)
        self._references(kind, incoming, after, stamp)
        if current is None and entry.table in STATUS_EVENTS:
            self.new_events[entry.row_id] = after  # evidence for its record's move (below)
        if self.zone is not None and self._senders(entry, current):
            # (an attachment without owner is its creator's)
            origin = {"origin_device": current["origin_device"] if current is not None
                      else entry.device if isinstance(entry, Change) else entry.origin}
            self._authority(kind, entry, logical and (logical | origin), after | origin, stamp)
        if after.get("deleted") and logical is not None and not logical["deleted"]:
            self._deletion(kind, logical, stamp)
            return current
        if after.get("deleted"):
            return current  # a tombstone's fields are history, not judged again
        self._rules(kind, entry, logical, after, stamp)
        if entry.table == "schools" and self.zone is not None:
            self.zone.forget_schools()
        return current

    def _signed_elsewhere(self, snap: Snapshot, current: Mapping[str, Any],
                          logical: Mapping[str, Any]) -> bool:
        """Does the hub's snapshot hold a visit (or part of one) signed with other content
        than this computer holds: finalized there, a draft here or finalized again?"""
        if self.from_device:
            return False  # the hub holds the signed content; a device's view is no proof
        if snap.table == "visits":
            status, status_stamp = snap.fields["status"]
            if status != rules.FINAL or (
                logical["status"] == rules.FINAL
                and changes.field_version(current, "status") == status_stamp
            ):
                return False
            self.restated.add(snap.row_id)
            return any(logical.get(f) != v for f, (v, _) in snap.fields.items())
        part = rules.VISIT_PARTS.get(changes.table_kind(snap.table).name)
        return bool(part and part != "id" and snap.fields[part][0] in self.restated)

    def _senders(self, entry: Change | Snapshot, current: Mapping[str, Any] | None) -> bool:
        """Does the entry carry a winning write of the sending device (not only this hub's
        own writes coming back after a restore)? Only those are judged for authority."""
        if isinstance(entry, Change):
            return True
        return any(Stamp.parse(s).device == self.sender
                   for f, (_, s) in entry.fields.items()
                   if current is None or s > changes.field_version(current, f))

    def _references(self, kind: entities.Kind, incoming: Mapping[str, Any],
                    after: Mapping[str, Any], stamp: str) -> None:
        """Every record a changed field names exists here (and is not deleted)."""
        if after.get("deleted"):
            return
        for spec in kind.reference_fields:
            value, target_kind = incoming.get(spec.name), str(spec.ref)
            if not value:
                continue
            for target in value if isinstance(value, list) else [value]:
                if self._lookup(target_kind, str(target)) is None:
                    self._broken(kind, after, stamp, ValidationError(
                        f"“{spec.label}”指向的{entities.kind(target_kind).label}不存在或已删除"))

    def _authority(self, kind: entities.Kind, entry: Change | Snapshot,
                   before: Mapping[str, Any] | None, after: Mapping[str, Any],
                   stamp: str) -> None:
        assert self.zone is not None
        refusal = zone_refusal(self.ws, self.zone, kind, before, after)
        if refusal is None:
            return
        was_in = None if before is None else in_zone(self.ws, self.zone, entry.table, before)
        left = self._ever_in_zone(entry.table, entry.row_id)
        if isinstance(entry, Snapshot) and left:
            raise Conflicted()  # a full resend may hold rows that left the zone: skip them
        if was_in is False and in_zone(self.ws, self.zone, entry.table, after) is False \
                and left:
            raise Conflicted()  # it left the zone after the device's edit
        self._reject("out-of-zone", refusal)

    def _ever_in_zone(self, table: str, row_id: str) -> bool:
        """Was this row (through any school it or its parent ever had) in the zone?"""
        assert self.zone is not None
        if table in PARENTS:
            column, parent_table = PARENTS[table]
            parents = _history(self.ws, table, row_id, column)
            return any(self._ever_in_zone(parent_table, p) for p in parents)
        schools = {row_id} if table == "schools" else (
            _history(self.ws, table, row_id, "school_id") if table in BY_SCHOOL else set())
        townships = {t for s in schools for t in _history(self.ws, "schools", s, "township_id")}
        for township in townships:
            for link in sync_state.rows_where(self.ws, "centre_townships", "township_id",
                                              township):
                centres = _history(self.ws, "centre_townships", link["id"], "centre_id")
                if self.zone.centre_id in centres:
                    return True
        return False

    def _deletion(self, kind: entities.Kind, record: Mapping[str, Any], stamp: str) -> None:
        if kind.delete_check is None:
            return
        try:
            kind.delete_check(dict(record), self._lookup)
        except ValidationError as exc:
            self._broken(kind, record, stamp, exc)

    def _rules(self, kind: entities.Kind, entry: Change | Snapshot,
               before: Mapping[str, Any] | None, after: dict[str, Any], stamp: str) -> None:
        record = {k: v for k, v in after.items() if k != "deleted"}
        if isinstance(entry, Snapshot):  # state: the rules about the record as it is
            if self.from_device and before is not None and self._signed(kind, before):
                raise Conflicted()  # signed content changes only by amendment, not a resend
            token = rules.AS_STATE.set(True)
            try:
                entities.check_record(kind.name, record, self._lookup)
            except entities.RecordInvalid as exc:
                self._broken(kind, after, stamp, exc)
            finally:
                rules.AS_STATE.reset(token)
            return
        if not (self.from_device or self.at_hub) and seals(entry):
            return  # the hub's lock (a decision, a closing) stands over a rival one here
        refusal = draft_refusal(self.ws, kind.name, after, entry.device)
        if refusal:
            self._reject("rule-broken", f"{kind.label}“{_title(kind, after)}”：{refusal}")
        contexts = self._contexts(kind, entry, before, after, stamp)
        if rules.AMENDING in contexts and before is not None:
            # the amendment service also recomputes the visit's totals
            allowed = rules.AMENDABLE.get(kind.name, set()) | (
                {"total_score", "max_score"} if kind.name == "visit" else set())
            moved = {k for k in record if before.get(k) != record.get(k)} - allowed
            if moved:  # an amendment changes the opinion, answers and findings, nothing else
                self._broken(kind, after, stamp, ValidationError(
                    f"更正不能修改{'、'.join(kind.field(k).label for k in sorted(moved))}"))
        tokens = [(var, var.set(True)) for var in contexts]
        try:
            entities.check_record(kind.name, record, self._lookup)
        except entities.RecordInvalid as exc:
            self._broken(kind, after, stamp, exc)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)

    def _contexts(self, kind: entities.Kind, entry: Change | Snapshot,
                  before: Mapping[str, Any] | None, after: Mapping[str, Any],
                  stamp: str) -> list[Any]:
        """The service contexts the author's edit ran in, where the evidence shows it."""
        author = Stamp.parse(stamp).device
        found: list[Any] = []
        visit_id = after.get("id") if kind.name == "visit" else after.get("visit_id")
        if kind.name == "finding_check":
            visit_id = after.get("visit_id")
        if kind.name == "visit" and after.get("status") == rules.FINAL and (
            before is None or before.get("status") != rules.FINAL
        ) and not self._finalize_problems(after):
            found.append(rules.FINALIZING)
        if visit_id and self._amended(str(visit_id), author, stamp):
            found.append(rules.AMENDING)
        if kind.name == "finding" and any(
            c for c in _live(self.ws, "finding_checks", "finding_id", after.get("id") or "")
        ):
            found.append(rules.CHECKING)
        if kind.name in DROPOUT_KINDS:
            found.append(dropout_rules.INCOMING)
        if kind.name == "dropout_status":
            found.append(dropout_rules.STATUS_CHANGE)
        if kind.name == "dropout_case" and self._status_event("case_id", before, after):
            found.append(dropout_rules.STATUS_CHANGE)
        if kind.name in RECOGNITION_KINDS:
            found.append(recognition_rules.INCOMING)
        if kind.name == "aid_roster" and not self.from_device:
            found.append(roster_rules.CONFIRMING)  # the hub confirms rosters
        if kind.name == "aid_recognition_event" or (
                kind.name == "aid_recognition"
                and self._status_event("recognition_id", before, after)):
            found.append(recognition_rules.STATUS_CHANGE)
        return list(dict.fromkeys(found))

    def _finalize_problems(self, visit: Mapping[str, Any]) -> list[rules.Missing]:
        """What the finalize use case would find missing from the visit as held here:
        its answers and signatures were written before it was finalized, so they
        arrived before this change (the same rule as services.inspection.finalize)."""

        def held(table: str, column: str, value: str) -> list[dict[str, Any]]:
            kind = changes.table_kind(table)
            return [changes.from_sql(kind, r) for r in _live(self.ws, table, column, value)]

        items = held("checklist_items", "template_id", str(visit.get("template_id")))
        answers = {a["item_id"]: a for a in held("visit_answers", "visit_id", visit["id"])}
        signatures = held("visit_signatures", "visit_id", visit["id"])
        problems = rules.finalize_problems(visit, items, answers, signatures)
        if not visit.get("opinion_no"):
            # finalized by a version before 定稿 gave document numbers, under its rule
            # (signatures only): a laptop not yet upgraded must not be locked out
            problems = [p for p in problems if p.kind == rules.UNSIGNED]
        return problems

    def _status_event(self, column: str, before: Mapping[str, Any] | None,
                      after: Mapping[str, Any]) -> bool:
        """Does this package bring a new status event (its parent in `column`) moving
        the record from its status `before` to the one `after` (the evidence that the
        status-change use case made the edit: it writes the event and the record in one
        transaction, so they travel together)? An event already held proves nothing: a
        tampered laptop could point at the record's old move to flip it back."""
        if before is None or before.get("status") == after.get("status"):
            return False
        return any(r.get(column) == after.get("id") and r.get("from_status") == before["status"]
                   and r.get("status") == after.get("status") for r in self.new_events.values())

    def _signed(self, kind: entities.Kind, record: Mapping[str, Any]) -> bool:
        """Is this a finalized visit, or part of one?"""
        visit_id = record.get("id") if kind.name == "visit" else record.get("visit_id")
        visit = self._lookup("visit", str(visit_id)) if visit_id else None
        return bool(visit and visit.get("status") == rules.FINAL)

    def _closed_case(self, kind: entities.Kind, record: Mapping[str, Any]) -> bool:
        """Is this a record locked here (`merge.SEALING`: a closed case, a decided
        recognition, a confirmed roster) or a part of one (`merge.LOCKED_PARTS`)?"""
        if kind.table in SEALING:
            column, table, statuses = "id", kind.table, SEALING[kind.table]
        elif kind.table in LOCKED_PARTS:
            column, table, statuses = LOCKED_PARTS[kind.table]
        else:
            return False
        owner_id = record.get(column)
        owner = self._lookup(changes.table_kind(table).name, str(owner_id)) \
            if owner_id else None
        return bool(owner and owner.get("status") in statuses)

    def _amended(self, visit_id: str, author: str, stamp: str) -> bool:
        """Did the author write an amendment of this visit right after this edit?"""
        if (visit_id, author) in self.amendments:
            return True
        edit_ms = Stamp.parse(stamp).ms
        for row in _live(self.ws, "visit_amendments", "visit_id", visit_id):
            created = Stamp.parse(row["created_hlc"])
            if created.device == author and 0 <= created.ms - edit_ms <= AMENDMENT_WINDOW_MS:
                return True
        return False

    def _broken(self, kind: entities.Kind, record: Mapping[str, Any], stamp: str,
                exc: ValidationError) -> None:
        """A rule broken: a conflict if the record changed here after the author's edit,
        else the whole package is refused. A device cannot judge what refers to rows
        outside its zone (another centre's inspector): the hub judged it."""
        if not self.at_hub and self._refers_beyond_scope(kind, record):
            return
        if self._signed(kind, record):
            raise Conflicted()  # signed content changes only by amendment: kept for review
        if self._closed_case(kind, record):
            if not (self.from_device or self.at_hub):
                return  # the hub's word on a record locked here stands (its restatement,
                # a part it added before the lock reached it): every party ends alike
            if self.at_hub and kind.table not in SEALING:
                raise Withdraw()
            raise Conflicted()  # a closed case is locked: an edit made elsewhere before the
            # closing was known waits for review instead of stopping every later package
        if self._changed_since(kind, record, stamp):
            raise Conflicted()
        self._reject("rule-broken",
                     f"{kind.label}“{_title(kind, record)}”违反规则：{exc.message}")

    def _refers_beyond_scope(self, kind: entities.Kind, record: Mapping[str, Any]) -> bool:
        """Does the record name a row this workspace has never held?"""
        for spec in kind.fields:
            if not spec.ref or not record.get(spec.name):
                continue
            value = record[spec.name]
            targets = value if isinstance(value, list) else [value]
            table = entities.kind(spec.ref).table
            if any(changes.read_row(self.ws, table, str(t)) is None for t in targets):
                return True
        return False

    def _changed_since(self, kind: entities.Kind, record: Mapping[str, Any], stamp: str) -> bool:
        """Did this row, its visit, or a row it refers to change here after `stamp`?"""
        rows = [(kind.table, record.get("id"))]
        visit = record.get("visit_id")
        if visit:
            rows.append(("visits", visit))
        rows += [(entities.kind(s.ref).table, record.get(s.name)) for s in kind.fields
                 if s.type == "ref" and s.ref and record.get(s.name)]
        for table, row_id in rows:
            stored = changes.read_row(self.ws, table, str(row_id)) if row_id else None
            if stored is not None and stored["hlc"] > stamp:
                return True
        return False

    def _lookup(self, kind_name: str, record_id: str) -> dict[str, Any] | None:
        kind = entities.kind(kind_name)
        key = (kind.table, record_id)
        waiting = self.staged.get(key)
        if waiting is not None:
            return dict(waiting)
        if key in self._known:
            found = self._known[key]
            return None if found is None else dict(found)
        row = changes.read_row(self.ws, kind.table, record_id)
        record = None if row is None or row["deleted"] else changes.from_sql(kind, row)
        if len(self._known) >= KNOWN_MAX:
            self._known.clear()
        self._known[key] = record
        return None if record is None else dict(record)

    def written(self, table: str, row_ids: Iterable[str]) -> None:
        """These rows were written behind the judge (a creation batch): look them up
        again. (While they waited, `staged` answered for them, and was never cached.)"""
        for row_id in row_ids:
            self._known.pop((table, row_id), None)

    def _reject(self, code: str, message: str) -> None:
        who = identity.device_name(self.ws, self.sender)
        raise PackageRejected(f"“{who}”的同步包被拒收：{message}。整个同步包都没有导入。", code)


def _winning(entry: Change | Snapshot, current: Mapping[str, Any] | None
             ) -> tuple[dict[str, Any], str]:
    """The fields of `entry` newer than what is stored, and the newest of their stamps."""
    if isinstance(entry, Change):
        pairs = {f: (v, entry.stamp) for f, v in entry.data.items()}
    else:
        pairs = dict(entry.fields)
    won = {f: (v, s) for f, (v, s) in pairs.items()
           if current is None or s > changes.field_version(current, f)}
    stamp = max((s for _, s in won.values()), default="")
    return {f: v for f, (v, _) in won.items()}, stamp


def _stamps_of(entry: Change | Snapshot) -> Iterable[str]:
    if isinstance(entry, Change):
        return [entry.stamp, *entry.base.values()]
    return [entry.created, *(s for _, s in entry.fields.values())]


def _title(kind: entities.Kind, record: Mapping[str, Any]) -> str:
    return str(record.get(kind.title_field) or str(record.get("id", ""))[:8])


def line_record(ws: Workspace, line: str) -> str:
    """The record a package line is about, as a person names it ("学生“张三”"), or ""
    when the line is too broken to tell."""
    try:
        obj = json.loads(line)
        kind = changes.table_kind(obj["tbl"])
        values = obj.get("data") or {f: v[0] for f, v in (obj.get("fields") or {}).items()}
        title = values.get(kind.title_field)
        if not isinstance(title, str) or not title.strip():
            stored = changes.read_row(ws, kind.table, str(obj["row"]))
            title = stored[kind.title_field] if stored else str(obj["row"])[:8]
        return f"{kind.label}“{str(title)[:40]}”"
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return ""


def _history(ws: Workspace, table: str, row_id: str, column: str) -> set[str]:
    """Every value a row's field ever had, as its change log here remembers them."""
    values = set()
    for change in sync_state.row_log(ws, table, row_id).values():
        value = change.data.get(column)
        if value:
            values.add(str(value))
    stored = changes.read_row(ws, table, row_id)
    if stored is not None and stored[column]:
        values.add(str(stored[column]))
    return values


#: Tables of dated status events, which are the evidence of their record's move.
STATUS_EVENTS = frozenset({"dropout_statuses", "aid_recognition_events"})
RECOGNITION_KINDS = frozenset({"aid_recognition", "aid_recognition_event",
                               "aid_household_member"})
DROPOUT_KINDS = frozenset({"dropout_case", "dropout_status", "dropout_duty", "dropout_visit",
                           "dropout_dismissal", "enrolment_change"})


def _live(ws: Workspace, table: str, column: str, value: str) -> list[dict[str, Any]]:
    return [r for r in sync_state.rows_where(ws, table, column, value) if not r["deleted"]]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
