"""Writing a package for one peer: everything it has not acknowledged, in its scope.

A device sends the hub every change made on the device after the hub's last receipt.
The hub sends each device the changes of rows in that device's scope, except those that
came from the device itself; a row that enters the scope (a transferred student) goes as
a snapshot of its whole state, with the rows that belong to it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wushan_desk import __version__
from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.store import blobs, changes, sync_state
from wushan_desk.store.blobs import blob_path
from wushan_desk.store.errors import WorkspaceBusy
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import accounts_sync, container, crypto, identity, payload, receipts
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.merge import now_text
from wushan_desk.sync.scope import (
    BY_SCHOOL,
    DEPENDENTS,
    SCOPE_FIELDS,
    Scope,
    device_scope,
    everything,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exported:
    path: Path
    package_id: str
    recipient: str
    changes: int
    files: int
    from_seq: int
    to_seq: int
    #: False when the package was written but the workspace was too busy to note it
    recorded: bool = True


def export_to(
    ws: Workspace,
    peer_id: str,
    out_dir: Path,
    *,
    enrolment: bool = False,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
) -> Exported:
    """Write one package for `peer_id` into `out_dir`; returns what was written."""
    if identity.is_revoked(ws, peer_id):
        raise PackageRejected(
            f"设备“{identity.device_name(ws, peer_id)}”已被吊销，不再为它导出同步包。", "revoked"
        )
    recipient = identity.public_keys_of(ws, peer_id)
    peer = sync_state.peer(ws, peer_id)
    upto = changes.last_seq(ws)
    if ws.state(receipts.INCARNATION_KEY) is None:
        with ws.transaction():  # our lifetime is made on first use (the only write here)
            receipts.incarnation(ws)
    lifetime = receipts.manifest_fields(ws, peer, upto)
    # a full package after a restore on either side: every row in scope, with versions
    full = not enrolment and peer.resend_all
    after = 0 if enrolment or full else peer.acked_seq
    scope = device_scope(ws, peer_id) if identity.role(ws) == "hub" else everything(ws)
    with ws.scratch() as tmp:  # plaintext stays beside the workspace, never on the stick
        lines_path = Path(tmp) / "changes.jsonl"
        files: set[str] = set()
        count = 0
        with lines_path.open("w", encoding="utf-8") as out:
            entries = (
                _snapshots(ws, scope, with_bases=full)
                if enrolment or full
                else _entries(ws, scope, peer_id, after, upto)
            )
            for entry in entries:
                out.write(payload.dumps(entry) + "\n")
                count += 1
                files |= _files_of(ws, entry)
                if count % 2000 == 0:
                    progress(count, max(count, upto - after), "正在整理修改…")
                    if cancelled():
                        raise Cancelled()
        manifest = {
            "from_seq": after + 1,
            "to_seq": upto,
            "changes": count,
            "files": sorted(files),
            **lifetime,
            **accounts_sync.manifest_fields(ws, peer_id),
            "full": full,
            **_document_key(ws),
        }
        members: list[tuple[str, Path | bytes]] = [
            ("manifest.json", payload.dumps(manifest).encode()),
            ("changes.jsonl", lines_path),
        ]
        for name, body in ((accounts_sync.ACCOUNTS_MEMBER, accounts_sync.accounts_member(
                ws, peer_id)), (accounts_sync.AUDIT_MEMBER, accounts_sync.audit_member(
                ws, peer_id))):
            if body is not None:
                members.append((name, body))
        members += [(f"files/{h}", _clear_file(ws, h, Path(tmp))) for h in sorted(files)]
        if enrolment:
            members.append(
                ("enrolment.json", payload.dumps(identity.enrolment_info(ws, peer_id)).encode())
            )
        package_id = str(uuid.uuid4())
        header: dict[str, Any] = {
            "package_id": package_id,
            "kind": "enrolment" if enrolment else "sync",
            "sender": ws.device_id,
            "recipient": peer_id,
            "schema_version": ws.schema_version,
            "app_version": __version__,
        }
        if enrolment:
            header["sender_keys"] = identity.my_public_keys(ws).__dict__
        path = out_dir / identity.package_file_name(ws, peer_id, package_id, enrolment)
        written = container.write_package(
            path,
            header,
            members,
            identity.my_keys(ws),
            recipient,
            identity.suite(),
            progress=progress,
            cancelled=cancelled,
            tmpdir=tmp,
        )
    try:
        _record(ws, written.package_id, peer, header["kind"], path, manifest)
        recorded = True
    except WorkspaceBusy:
        # The package on the stick is whole and valid; only our own ledger line is
        # missing, and the next export carries the same changes again anyway.
        log.warning("package %s written, ledger not updated: workspace busy", path.name)
        recorded = False
    return Exported(
        path, written.package_id, peer_id, count, len(files), after + 1, upto, recorded
    )


def _document_key(ws: Workspace) -> dict[str, str]:
    """A device tells the hub the public half of the key it signs reports with, so that
    the county certifies it (services/certificates.py); an earlier version's enrolment
    request did not carry it."""
    if identity.role(ws) != "centre":
        return {}
    return {"document_key": crypto.document_public_text(
        crypto.document_key(identity.my_keys(ws)))}


def _clear_file(ws: Workspace, sha256: str, tmp: Path) -> Path:
    """An attachment's content for the package (which is encrypted for its recipient):
    decrypted into this job's private scratch folder, never beside the stick."""
    if ws.key is None:
        return blob_path(ws.files_dir, sha256)
    target = tmp / "files" / sha256
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(blobs.read_blob(ws.files_dir, sha256, ws.key))
    return target


def _record(
    ws: Workspace,
    package_id: str,
    peer: sync_state.Peer,
    kind: str,
    path: Path,
    manifest: dict[str, Any],
) -> None:
    when = now_text()
    with ws.transaction():
        sync_state.record_package(
            ws,
            package_id=package_id,
            direction="out",
            kind=kind,
            peer=peer.device_id,
            created=when,
            processed=when,
            from_seq=manifest["from_seq"],
            to_seq=manifest["to_seq"],
            changes=manifest["changes"],
            files=len(manifest["files"]),
            status="exported",
            summary={"full": bool(manifest.get("full"))},
            file_name=path.name,
        )
        ws.set_state("last_sync", when)
        # re-read: an import may have moved the receipts while the package was written
        sync_state.save_peer(ws, replace(sync_state.peer(ws, peer.device_id), last_export=when))


def _entries(
    ws: Workspace, scope: Scope, peer_id: str, after: int, upto: int
) -> Iterator[dict[str, Any]]:
    """Log entries the peer lacks, filtered to its scope, with snapshots for moves."""
    for seq, change, _source in sync_state.log_entries(ws, after, upto, exclude_source=peer_id):
        row = changes.read_row(ws, change.table, change.row_id)
        if row is None:
            continue  # logged without a row (an edit we never held): nothing to forward
        in_now = scope.contains(ws, change.table, row)
        moved = set(SCOPE_FIELDS.get(change.table, ())) & set(change.data)
        # an edit that may move the row: one with a base, or a row resent whole after a
        # restore (no base; a laptop passing back a move the hub lost), not a creation
        if moved and not scope.everything and (change.base or sync_state.logged_before(
                ws, change.table, change.row_id, seq)):
            before = dict(row) | {
                f: sync_state.previous_value(ws, change.table, change.row_id, f, seq) for f in moved
            }
            was_in = scope.contains(ws, change.table, before)
            if in_now and not was_in:
                yield from _row_with_dependents(ws, scope, change.table, row)
            if in_now or was_in:
                yield payload.change_entry(change, seq)
        elif in_now:
            yield payload.change_entry(change, seq)
        if change.table == "centre_townships" and _joined_zone(ws, scope, change, row, seq):
            yield from _township_rows(ws, scope, row["township_id"])
        if change.table == "schools" and _school_joined(ws, scope, change, row, seq):
            yield from _school_rows(ws, scope, row["id"])


def _joined_zone(ws: Workspace, scope: Scope, change: Any, row: dict[str, Any],
                 seq: int) -> bool:
    """Did this change move a township into the peer's zone (from another centre)?"""
    if scope.everything or "centre_id" not in change.data or row["deleted"]:
        return False
    before = sync_state.previous_value(ws, change.table, change.row_id, "centre_id", seq)
    return row["centre_id"] == scope.centre_id and before != scope.centre_id


def _school_joined(ws: Workspace, scope: Scope, change: Any, row: dict[str, Any],
                   seq: int) -> bool:
    """Did this change move a school into the peer's zone (from another township)?"""
    if scope.everything or "township_id" not in change.data or row["deleted"]:
        return False
    before = sync_state.previous_value(ws, "schools", change.row_id, "township_id", seq)
    return scope.township_in(row["township_id"]) and not scope.township_in(before)


def _township_rows(ws: Workspace, scope: Scope, township_id: str) -> Iterator[dict[str, Any]]:
    """Every row tied to a township's schools, as snapshots with their dependents, and
    the cases of its children who have no school."""
    for school in sync_state.rows_where(ws, "schools", "township_id", township_id):
        yield from _school_rows(ws, scope, school["id"])
    for case in sync_state.rows_where(ws, "dropout_cases", "township_id", township_id):
        if not case["school_id"]:
            yield from _row_with_dependents(ws, scope, "dropout_cases", case)


def _school_rows(ws: Workspace, scope: Scope, school_id: str) -> Iterator[dict[str, Any]]:
    """Every row tied to a school (its children, visits, staff...), as snapshots with
    their dependents: what a device needs when the school enters its zone. Parents come
    before children, table by table (a re-check refers to another visit of the school)."""
    entries = [
        entry
        for table in (*sorted(BY_SCHOOL), "staff", "dropout_cases")
        for row in sync_state.rows_where(ws, table, "school_id", school_id)
        for entry in _row_with_dependents(ws, scope, table, row)
    ]
    position = {t: n for n, t in enumerate(changes.synced_tables(ws))}
    yield from sorted(entries, key=lambda e: position[e["tbl"]])


def _row_with_dependents(
    ws: Workspace, scope: Scope, table: str, row: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    yield payload.snapshot_entry(table, row, sync_state.field_bases(ws, table, row))
    for dep_table, column in DEPENDENTS.get(table, ()):
        for dep in sync_state.rows_where(ws, dep_table, column, row["id"]):
            if scope.contains(ws, dep_table, dep):
                yield from _row_with_dependents(ws, scope, dep_table, dep)


def _snapshots(ws: Workspace, scope: Scope, *, with_bases: bool) -> Iterator[dict[str, Any]]:
    """Every row in scope, as state: what a newly enrolled device starts from, or what a
    side resends after a restore (then with the bases of the versions: the receiver
    holds versions of its own to compare them with; an enrolled device holds none)."""
    for table in changes.synced_tables(ws):
        for row in sync_state.rows_of(ws, table):
            if scope.contains(ws, table, row):
                bases = sync_state.field_bases(ws, table, row) if with_bases else None
                yield payload.snapshot_entry(table, row, bases)


def _files_of(ws: Workspace, entry: dict[str, Any]) -> set[str]:
    """Attachment content to ship with an entry, when this workspace holds it."""
    if entry["tbl"] != "attachments":
        return set()
    sha = (
        (entry.get("data") or {}).get("sha256")
        if entry["t"] == "c"
        else entry["fields"]["sha256"][0]
    )
    return {sha} if sha and blob_path(ws.files_dir, sha).exists() else set()
