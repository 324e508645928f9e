"""Reading a package: verify, decrypt, validate everything, then apply in one transaction.

Order matters for safety: the signature and sender are checked before decryption, every
line is validated before the workspace is touched, a backup is taken before the first
write, and the whole package applies in one transaction, so a bad package, a crash or a
pulled USB stick leaves the workspace exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.store import backup, blobs, changes, sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import container, identity, payload
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.merge import MergeStats, merge_change, merge_snapshot, now_text
from wushan_desk.sync.scope import HUB_AUTHORED

#: Payload upgrades, applied on the fly to each line of a package from an older schema:
#: UPGRADES[v] turns a line written at schema v into one of schema v + 1. None are needed
#: yet (schema 2 added only local tables); a migration that changes a synced table adds one.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass
class ImportSummary:
    """What `sync import` prints for each package (and the GUI previews)."""

    file: str
    package_id: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    kind: str | None = None
    status: str = "rejected"  # applied | unchanged | preview | rejected
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: int = 0
    files: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    rejected: str | None = None
    code: str | None = None
    backup: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["applied"] = self.added + self.changed
        return out


#: Size bounds for what a package may unpack to (a setting, so tests can shrink it).
LIMITS = container.Limits()


class _DryRun(Exception):
    """Raised inside the transaction of a preview so that everything rolls back."""


def import_package(
    ws: Workspace,
    path: Path,
    *,
    dry_run: bool = False,
    enrolment: bool = False,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
    on_applied: Callable[[Workspace, Any], None] | None = None,
) -> ImportSummary:
    """Apply one package file; never raises PackageRejected (it lands in the summary).

    `on_applied(ws, header)` runs inside the import's transaction (joining records its
    hub there, so a crash cannot leave the data applied but the device not joined).
    """
    summary = ImportSummary(file=str(path))
    try:
        with ws.scratch() as tmp:  # the decrypted payload never leaves the workspace's side
            opened = _open(ws, path, tmp, enrolment)
            _check_header(ws, opened.header, summary, enrolment)
            if sync_state.package_seen(ws, summary.package_id or ""):
                summary.status = "unchanged"
                return summary
            entries = _validated_entries(ws, opened, progress, cancelled)
            _apply(ws, opened, entries, summary, dry_run, progress, cancelled, on_applied)
    except PackageRejected as exc:
        summary.status, summary.rejected, summary.code = (
            "rejected",
            _explain(ws, path, exc),
            exc.code,
        )
    return summary


def _explain(ws: Workspace, path: Path, exc: PackageRejected) -> str:
    """The rejection in the user's terms: device names rather than ids where we know them."""
    if exc.code != "wrong-recipient":
        return exc.message
    header = container.read_header(path)[0]
    return (
        f"这个同步包是发给“{identity.device_name(ws, header.recipient)}”的，不是发给本机"
        f"（{identity.device_name(ws, ws.device_id)}）的。请找到发给本机的同步包再导入。"
    )


def _open(ws: Workspace, path: Path, tmp: Path, enrolment: bool) -> container.OpenedPackage:
    if enrolment:  # trust on first use: the hub's keys travel in the signed header
        header = container.read_header(path)[0]
        keys = getattr(header, "sender_keys", None) or {}
        hub_keys = identity.crypto.PublicKeys(
            sign=keys.get("sign", ""), encrypt=keys.get("encrypt", "")
        )
        known = lambda device: hub_keys if device == header.sender else None  # noqa: E731
        revoked = lambda device: False  # noqa: E731
    else:
        known = lambda device: identity.trusted_sender(ws, device)  # noqa: E731
        revoked = lambda device: identity.is_revoked(ws, device)  # noqa: E731
    return container.open_package(
        path,
        known_sender=known,
        me=ws.device_id,
        my_keys=identity.my_keys(ws),
        is_revoked=revoked,
        workdir=tmp,
        limits=LIMITS,
    )


def _check_header(ws: Workspace, header: Any, summary: ImportSummary, enrolment: bool) -> None:
    summary.package_id, summary.sender, summary.kind = header.package_id, header.sender, header.kind
    summary.sender_name = identity.device_name(ws, header.sender)
    if header.kind != ("enrolment" if enrolment else "sync"):
        raise PackageRejected(
            "这是入网包，请用“加入”功能导入。"
            if header.kind == "enrolment"
            else f"不是同步包（类型 {header.kind}）。",
            "wrong-kind",
        )
    if header.schema_version > ws.schema_version:
        raise PackageRejected(
            f"同步包由更新版本的程序（{header.app_version}）导出，请先把本机程序升级到 "
            f"{header.app_version} 或更新版本再导入。",
            "newer-schema",
        )


def _validated_entries(
    ws: Workspace, opened: container.OpenedPackage, progress: ProgressFn, cancelled: CancelledFn
) -> list[payload.Snapshot | changes.Change]:
    """Every line parsed and checked before anything is written."""
    tables = frozenset(changes.synced_tables(ws))
    from_device = identity.role(ws) == "hub"
    steps = range(opened.header.schema_version, ws.schema_version)
    entries: list[payload.Snapshot | changes.Change] = []
    for number, line in enumerate(opened.iter_lines("changes.jsonl"), start=1):
        try:
            entry = payload.parse_entry(_upgraded(line, steps), tables)
            if from_device:
                _check_device_entry(entry, opened.header.sender)
            entries.append(entry)
        except payload.PayloadError as exc:
            raise PackageRejected(
                f"同步包第 {number} 条记录有误：{exc}。请让对方重新导出。", "bad-entry"
            ) from exc
        if number % 5000 == 0:
            progress(number, 0, "正在检查同步包…")
            if cancelled():
                raise Cancelled()
    return entries


def _check_device_entry(entry: payload.Snapshot | changes.Change, sender: str) -> None:
    """A device sends only its own edits, and never of what only the hub may write."""
    if isinstance(entry, payload.Snapshot) or entry.device != sender:
        raise payload.PayloadError("设备只能发送本机所做的修改")
    if entry.table in HUB_AUTHORED:
        raise payload.PayloadError(f"设备不能修改县级中心库管理的数据（{entry.table}）")


def _upgraded(line: str, steps: range) -> str:
    """A line of an older package rewritten to this schema (unchanged when none apply)."""
    upgrades = [UPGRADES[v] for v in steps if v in UPGRADES]
    if not upgrades:
        return line
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return line  # parse_entry reports it
    for upgrade in upgrades:
        obj = upgrade(obj)
    return payload.dumps(obj)


def _apply(
    ws: Workspace,
    opened: container.OpenedPackage,
    entries: list[Any],
    summary: ImportSummary,
    dry_run: bool,
    progress: ProgressFn,
    cancelled: CancelledFn,
    on_applied: Callable[[Workspace, Any], None] | None,
) -> None:
    manifest = opened.read_json("manifest.json")
    _manifest_numbers(manifest)
    header = opened.header
    if not dry_run:
        summary.backup = str(backup.backup_workspace(ws.conn, ws.path, "before-import"))
    stats = MergeStats()
    try:
        with ws.transaction():
            for done, entry in enumerate(entries, start=1):
                if isinstance(entry, payload.Snapshot):
                    merge_snapshot(ws, entry, header.sender, stats)
                    ws.clock.observe(max(stamp for _, stamp in entry.fields.values()))
                else:
                    merge_change(ws, entry, header.sender, header.package_id, stats)
                    ws.clock.observe(entry.stamp)
                if done % 2000 == 0:
                    progress(done, len(entries), "正在合并修改…")
                    if cancelled():
                        raise Cancelled()
            summary.files = _store_files(ws, opened, manifest, dry_run)
            _update_peer(ws, header, manifest)
            _fill(summary, stats)
            summary.status = "preview" if dry_run else "applied"
            sync_state.record_package(
                ws,
                package_id=header.package_id,
                direction="in",
                kind=header.kind,
                peer=header.sender,
                created=header.created,
                processed=now_text(),
                from_seq=manifest.get("from_seq"),
                to_seq=manifest.get("to_seq"),
                changes=len(entries),
                files=summary.files,
                status="applied",
                summary=summary.as_dict(),
                file_name=Path(summary.file).name,
            )
            if dry_run:
                raise _DryRun()
            if on_applied:
                on_applied(ws, header)
            ws.set_state("last_sync", now_text())
    except _DryRun:
        pass


def _fill(summary: ImportSummary, stats: MergeStats) -> None:
    summary.added, summary.changed = stats.added, stats.changed
    summary.unchanged, summary.conflicts, summary.tables = (
        stats.unchanged,
        stats.conflicts,
        stats.tables,
    )


def _store_files(
    ws: Workspace, opened: container.OpenedPackage, manifest: dict[str, Any], dry_run: bool
) -> int:
    """Copy shipped attachment files into the content-addressed store."""
    hashes = [h for h in manifest.get("files", []) if isinstance(h, str)]
    if not dry_run:
        for sha in hashes:
            blobs.store_file(ws.files_dir, opened.file_path(sha), max_bytes=1 << 40)
    return len(hashes)


def _manifest_numbers(manifest: Any) -> tuple[int, int, int]:
    """(from_seq, to_seq, receipt) of a manifest, checked: a bad one rejects the package."""
    try:
        receipt = manifest["receipt"]
        numbers = (manifest["from_seq"], manifest["to_seq"], receipt["received_seq"])
        if isinstance(receipt.get("at"), str | None) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers
        ):
            return numbers
    except (KeyError, TypeError, AttributeError):
        pass
    raise PackageRejected("同步包的清单（manifest）格式不对。请让对方重新导出。", "bad-entry")


def _update_peer(ws: Workspace, header: Any, manifest: dict[str, Any]) -> None:
    """Advance what we hold of the sender, and what the sender confirmed of ours."""
    peer = sync_state.peer(ws, header.sender)
    from_seq, to_seq, acked = _manifest_numbers(manifest)
    received = (
        max(peer.received_seq, to_seq) if from_seq <= peer.received_seq + 1 else peer.received_seq
    )
    receipt = manifest["receipt"]
    newer = acked > peer.acked_seq
    sync_state.save_peer(
        ws,
        sync_state.Peer(
            header.sender,
            max(peer.acked_seq, acked),
            receipt.get("at") if newer else peer.acked_at,
            received,
            peer.last_export,
            now_text(),
        ),
    )
