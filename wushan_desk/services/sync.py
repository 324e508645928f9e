"""Sync use cases: set up a hub, enrol devices, export and import packages, conflicts.

The CLI's `hub`, `device` and `sync` commands and the GUI's 同步 page call these.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wushan_desk import __version__, files
from wushan_desk.domain import clock
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.hlc import Stamp
from wushan_desk.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from wushan_desk.services import certificates, doc_numbers, records, templates
from wushan_desk.services import workspace as workspace_service
from wushan_desk.services.accounts import Credentials
from wushan_desk.store import backup, changes, sync_state
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import crypto, exporter, identity, importer, receipts
from wushan_desk.sync.container import PackageRejected

REQUEST_SUFFIX = ".wsreq"


# --- setting up ------------------------------------------------------------------------


def hub_init(path: Path, name: str, admin: Credentials | None = None) -> dict[str, str]:
    """Create the county hub workspace with its key pair; returns its id and fingerprint."""
    ws = workspace_service.create(path, "hub", name, admin=admin)
    try:
        with ws.transaction():
            templates.ensure_builtin_templates(ws)  # the county's checklists, for devices
            keys = _new_keys(ws)
            records.put(
                ws,
                "device",
                {
                    "id": ws.device_id,
                    "name": ws.state("name"),
                    "role": "hub",
                    "sign_public_key": keys.public().sign,
                    "encrypt_public_key": keys.public().encrypt,
                },
            )
            certificates.ensure_issued(ws)  # the county's root, for the reports' signatures
    except BaseException:
        workspace_service.discard(ws)  # no half-made hub left behind
        raise
    ws.close()
    return {"device_id": ws.device_id, "fingerprint": identity.suite().fingerprint(keys.public())}


def device_init(path: Path, name: str, out_dir: Path,
                admin: Credentials | None = None) -> Path:
    """Create a centre device workspace awaiting enrolment; writes its request file."""
    ws = workspace_service.create(path, "centre", name, reference=False, admin=admin)
    try:
        with ws.transaction():
            _new_keys(ws)
            ws.set_state("enrolled", "0")
        request = write_request(ws, out_dir)
    except BaseException:
        workspace_service.discard(ws)  # no half-made device left behind
        raise
    ws.close()
    return request


def write_request(ws: Workspace, out_dir: Path) -> Path:
    """(Re)write this device's enrolment request, self-signed, into `out_dir`.

    Also for a device whose request file was lost before it reached the county office.
    """
    if identity.role(ws) != "centre" or ws.state("enrolled") == "1":
        raise WorkspaceError("只有尚未加入的督导中心设备需要入网申请。")
    keys = identity.my_keys(ws)
    name = ws.state("name") or "督导中心设备"
    request = {
        "format": 1,
        "kind": "enrolment-request",
        "suite": identity.DEFAULT_SUITE,
        "device_id": ws.device_id,
        "name": name,
        "keys": keys.public().__dict__,
        # the key its reports are signed with, for the county's certificate
        "document_key": crypto.document_public_text(crypto.document_key(keys)),
        "created": _now(),
        "app_version": __version__,
        "schema_version": ws.schema_version,
    }
    signature = identity.suite().sign(keys, _canonical(request))
    request["signature"] = base64.b64encode(signature).decode()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / files.safe_name(
        f"{name[:40]}-入网申请-{clock.today():%Y%m%d}", REQUEST_SUFFIX, fallback="入网申请"
    )
    data = json.dumps(request, ensure_ascii=False, indent=1).encode()
    files.write_atomic(target, lambda fh: fh.write(data))
    return target


def _new_keys(ws: Workspace) -> crypto.PrivateKeys:
    keys = identity.suite().generate()
    with ws.transaction():
        identity.keystore(ws).save(keys)
        receipts.incarnation(ws)  # the first lifetime of this party in the sync network
    return keys


@dataclass(frozen=True)
class Enrolled:
    package: Path
    device_id: str
    device_name: str
    centre: str
    hub_fingerprint: str
    device_fingerprint: str


def hub_enrol(
    ws: Workspace,
    request_path: Path,
    centre: str,
    out_dir: Path,
    progress: ProgressFn = no_progress,
) -> Enrolled:
    """Enrol the device that wrote `request_path` into `centre`; writes its enrolment package."""
    _require_role(ws, "hub", "只有县级中心库可以登记设备。")
    request = read_request(request_path)
    public = crypto.PublicKeys(**request["keys"])
    with ws.transaction():  # checked and registered under one write lock
        centre_id = find_centre(ws, centre)
        existing = identity.device_row(ws, request["device_id"])
        if existing and existing["sign_public_key"] not in (None, public.sign):
            raise PackageRejected("该设备编号已用另一套密钥登记过，拒绝登记。", "key-mismatch")
        identity.note_document_key(ws, request["device_id"], request.get("document_key"))
        records.put(
            ws,
            "device",
            {
                "id": request["device_id"],
                "name": request["name"],
                "role": "centre",
                "centre_id": centre_id,
                "sign_public_key": public.sign,
                "encrypt_public_key": public.encrypt,
                "revoked": False,
            },
        )
        _equip_devices(ws)  # its certificate and 发文代字 travel in the enrolment package
    out_dir.mkdir(parents=True, exist_ok=True)
    written = exporter.export_to(
        ws, request["device_id"], out_dir, enrolment=True, progress=progress
    )
    return Enrolled(
        written.path,
        request["device_id"],
        request["name"],
        identity.centre_name(ws, centre_id) or centre,
        identity.suite().fingerprint(identity.my_public_keys(ws)),
        identity.suite().fingerprint(public),
    )


def _equip_devices(ws: Workspace) -> None:
    """At the hub: what each device's record carries from the county, given once: the
    certificate of its signing key and its 发文代字 (inside the caller's transaction)."""
    certificates.ensure_issued(ws)
    doc_numbers.ensure_codes(ws)


def read_request(path: Path) -> dict[str, Any]:
    """Parse and verify a self-signed enrolment request (proves the device holds its key)."""
    data = files.read_limited(path, 1 << 20, f"{path.name} 太大，不是入网申请文件。")
    try:
        request = json.loads(data.decode("utf-8"))
        signature = base64.b64decode(request.pop("signature"), validate=True)
        public = crypto.PublicKeys(**request["keys"])
        ok = request.get("kind") == "enrolment-request" and identity.suite().verify(
            public, _canonical(request), signature
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError,
            crypto.CryptoError) as exc:
        raise PackageRejected(f"{path.name} 不是有效的入网申请文件。", "bad-request") from exc
    if not ok:
        raise PackageRejected(f"入网申请 {path.name} 的签名不符，可能已被改动。", "bad-request")
    return request


def device_join(
    ws: Workspace,
    package: Path,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
) -> importer.ImportSummary:
    """Apply the hub's enrolment package: the device learns its hub, centre and data."""
    _require_role(ws, "centre", "只有督导中心设备可以加入。")
    if ws.state("enrolled") == "1":
        raise PackageRejected("本机已经加入县级中心库，不能重复加入。", "already-enrolled")

    def joined(ws: Workspace, header: Any) -> None:
        if ws.state("enrolled") == "1":  # another program joined meanwhile
            raise PackageRejected("本机已经加入县级中心库，不能重复加入。", "already-enrolled")
        receipts.incarnation(ws)  # this device's first lifetime begins
        device = identity.device_row(ws, ws.device_id) or {}
        ws.set_state("hub_id", header.sender)
        ws.set_state("centre_id", device.get("centre_id") or "")
        ws.set_state("enrolled", "1")

    return importer.import_package(
        ws, package, enrolment=True, progress=progress, cancelled=cancelled, on_applied=joined
    )


def revoke(ws: Workspace, device: str) -> str:
    """Revoke a device: its later packages are refused (the revocation syncs)."""
    _require_role(ws, "hub", "只有县级中心库可以吊销设备。")
    device_id = find_device(ws, device)
    records.put(ws, "device", {"id": device_id, "revoked": True})
    return device_id


# --- exchange --------------------------------------------------------------------------


def export(
    ws: Workspace,
    out_dir: Path,
    to: str | None = None,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
) -> list[exporter.Exported]:
    """A device: one package for the hub. The hub: one per enrolled device (or `to`)."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "sync")
    out_dir.mkdir(parents=True, exist_ok=True)
    if identity.role(ws) == "hub":
        targets = [find_device(ws, to)] if to else enrolled_devices(ws)
        with ws.transaction():  # devices enrolled before these existed get theirs
            _equip_devices(ws)
    else:
        if ws.state("enrolled") != "1":
            raise PackageRejected("本机尚未加入县级中心库，不能导出同步包。", "not-enrolled")
        targets = [ws.state("hub_id") or ""]
    written = [
        exporter.export_to(ws, t, out_dir, progress=progress, cancelled=cancelled) for t in targets
    ]
    for e in written:
        audit.record_or_defer(ws, "package-export", kind="package", record_id=e.package_id,
                     detail={"to": identity.device_name(ws, e.recipient), "changes": e.changes,
                             "file": e.path.name})
    return written


def import_packages(
    ws: Workspace,
    paths: list[Path],
    *,
    dry_run: bool = False,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
    batch: backup.BatchBackup | None = None,
) -> list[importer.ImportSummary]:
    """Import each package on its own (one bad file does not stop the others), with one
    backup for the whole batch, taken before the first package that changes anything."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "sync")
    batch = batch or batch_backup(ws)
    done = [
        importer.import_package(ws, p, dry_run=dry_run, progress=progress, cancelled=cancelled,
                                backup_once=batch)
        for p in paths
    ]
    for s in done:  # a refused or previewed package changed nothing: nothing to record
        if s.status == "applied":
            audit.record_or_defer(ws, "package-import", kind="package", record_id=s.package_id,
                         detail={"from": s.sender_name, "added": s.added,
                                 "changed": s.changed, "file": Path(s.file).name})
    return done


def batch_backup(ws: Workspace) -> backup.BatchBackup:
    """One backup for packages imported together (26 centres' packages make one, not 26)."""
    return backup.BatchBackup(ws.path, ws.key)


def enrolled_devices(ws: Workspace) -> list[str]:
    return [
        r["id"]
        for r in sync_state.rows_of(ws, "devices", live=True)
        if r["role"] == "centre" and not r["revoked"]
    ]


@dataclass(frozen=True)
class PeerStatus:
    device_id: str
    name: str
    acked_seq: int
    acked_at: str | None
    received_seq: int
    last_export: str | None
    last_import: str | None
    pending: int  # our changes the peer has not confirmed (before scope filtering)
    resend_all: bool = False  # the peer went back in time: it gets everything again
    state: str = ""  # the above in a sentence


def _peer_state(p: sync_state.Peer, pending: int) -> str:
    if p.resend_all:
        return "对方的数据曾回退（恢复了备份或旧副本），下次导出会把全部数据重新发给它。"
    if not p.acked_at:
        return "对方还没有确认收到过本机的同步包。"
    if pending:
        return f"还有 {pending} 条修改对方尚未确认收到，下次导出会发给它。"
    return "对方已确认收到本机的全部修改。"


def peers(ws: Workspace) -> list[PeerStatus]:
    """Exchange state per peer: "received by the other side up to …"."""
    ids = enrolled_devices(ws) if identity.role(ws) == "hub" else [ws.state("hub_id") or ""]
    out = []
    for device_id in filter(None, ids):
        p = sync_state.peer(ws, device_id)
        pending = sync_state.pending_count(ws, 0 if p.resend_all else p.acked_seq, device_id)
        out.append(
            PeerStatus(
                device_id,
                identity.device_name(ws, device_id),
                p.acked_seq,
                p.acked_at,
                p.received_seq,
                p.last_export,
                p.last_import,
                pending,
                p.resend_all,
                _peer_state(p, pending),
            )
        )
    return out


# --- conflicts -------------------------------------------------------------------------


def conflicts(ws: Workspace, *, open_only: bool = True) -> list[dict[str, Any]]:
    """Conflicts with who and when, for `sync conflicts` and the review screen. Values
    of ID numbers, phones and addresses are masked, as in every list."""
    from wushan_desk.services import permissions

    permissions.require(ws, "sync")
    out = []
    for c in sync_state.conflicts(ws, open_only=open_only):
        kind = changes.table_kind(c.table)
        row = changes.read_row(ws, c.table, c.row_id) or {}
        label = "是否删除" if c.field == "deleted" else kind.field(c.field).label
        known, original = _original(ws, c)
        if c.field != "deleted" and kind.field(c.field).sensitive:
            c = replace(c, local_value=_masked(kind.name, c.field, c.local_value),
                        incoming_value=_masked(kind.name, c.field, c.incoming_value))
            original = _masked(kind.name, c.field, original)
        out.append(
            {
                "id": c.id,
                "kind": kind.name,
                "kind_label": kind.label,
                "record_id": c.row_id,
                "record": row.get(kind.title_field) or c.row_id[:8],
                "field": c.field,
                "field_label": label,
                "local": c.local_value,
                "incoming": c.incoming_value,
                "original_known": known,  # did this workspace log the version both began from
                "original": original,
                "local_by": _who(ws, c.local_stamp),
                "local_at": _when(c.local_stamp),
                "incoming_by": _who(ws, c.incoming_stamp),
                "incoming_at": _when(c.incoming_stamp),
                "winner": c.winner,
                "detected": c.detected,
                "resolved": c.resolved,
                "resolution": c.resolution,
            }
        )
    return out


def _masked(kind_name: str, field: str, value: Any) -> Any:
    return records.masked(kind_name, {field: value})[field] if isinstance(value, str) else value


def _original(ws: Workspace, c: sync_state.Conflict) -> tuple[bool, Any]:
    """The value both sides started from, if this workspace logged that version."""
    if not c.base_stamp:
        return False, None
    change = sync_state.row_log(ws, c.table, c.row_id).get(c.base_stamp)
    if change is None or c.field not in change.data:
        return False, None
    return True, change.data[c.field]


def resolve(ws: Workspace, conflict_id: str, keep: str) -> None:
    """Settle a conflict by keeping one value; the choice is a new change that syncs."""
    if keep not in ("local", "incoming"):
        raise PackageRejected("--keep 只能是 local 或 incoming。", "bad-choice")
    c = sync_state.conflict(ws, conflict_id)
    if c is None:
        raise PackageRejected(f"找不到冲突 {conflict_id}。", "not-found")
    if c.resolved:
        raise PackageRejected("该冲突已经处理过了。", "already-resolved")
    value = c.local_value if keep == "local" else c.incoming_value
    when = _now()
    with ws.transaction():
        _check_resolution(ws, c, value)
        changes.write_local(ws, c.table, c.row_id, {c.field: value}, force={c.field})
        sync_state.close_conflicts(ws, c.table, c.row_id, c.field, when, keep, conflict_id=c.id)
        sync_state.close_conflicts(
            ws, c.table, c.row_id, c.field, when, "superseded", older_than=str(ws.clock.last)
        )


def _check_resolution(ws: Workspace, c: sync_state.Conflict, value: Any) -> None:
    """The value kept must be one a user could write here now (locks, rules, zone)."""
    kind = changes.table_kind(c.table)
    try:
        if c.field != "deleted":
            records.prepare(ws, kind.name, {"id": c.row_id, c.field: value})
        elif value:
            current = records.get(ws, kind.name, c.row_id)
            if current is not None:
                records.check_delete(ws, kind.name, current)
        else:
            records.prepare(ws, kind.name, {"id": c.row_id})
    except ValidationError as exc:
        raise ValidationError(f"不能采用这个值：{exc.message}") from exc


# --- helpers ---------------------------------------------------------------------------


def find_centre(ws: Workspace, name_or_id: str) -> str:
    for r in sync_state.rows_of(ws, "centres", live=True):
        if name_or_id in (r["id"], r["name"]):
            return r["id"]
    names = "、".join(r["name"] for r in sync_state.rows_of(ws, "centres", live=True))
    raise PackageRejected(f"找不到督导中心“{name_or_id}”。现有：{names or '（无）'}", "no-centre")


def find_device(ws: Workspace, name_or_id: str | None) -> str:
    for r in sync_state.rows_of(ws, "devices", live=True):
        if name_or_id in (r["id"], r["name"]) and r["role"] == "centre":
            return r["id"]
    raise PackageRejected(f"找不到已登记的设备“{name_or_id}”。", "no-device")


def _require_role(ws: Workspace, role: str, message: str) -> None:
    if identity.role(ws) != role:
        raise WorkspaceError(message)


def _who(ws: Workspace, stamp: str) -> str:
    return identity.device_name(ws, Stamp.parse(stamp).device)


def _when(stamp: str) -> str:
    ms = Stamp.parse(stamp).ms
    return clock.minutes(clock.from_epoch_ms(ms))


def _now() -> str:
    return clock.now_iso()


def _canonical(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
