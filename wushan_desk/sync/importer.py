"""Reading a package: verify, decrypt, judge everything, then apply in one transaction.

Order matters for safety: the signature and sender are checked before decryption; every
line is screened (values, stamps, authorship) before the workspace is touched; inside
one transaction each change is judged as a local write would be (sync/judge.py) and
merged; the receipts and lifetimes are settled (sync/receipts.py); the backup of the
state before is taken just before the commit, from the committed state. A bad package,
a broken rule, a crash or a pulled USB stick leaves the workspace exactly as it was.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from wushan_desk.domain.hlc import Stamp
from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.store import backup, blobs, changes, sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import (
    accounts_sync,
    bulk,
    container,
    identity,
    payload,
    receipts,
    zone_purge,
)
from wushan_desk.sync.bulk import CreationBatch
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.judge import Conflicted, Judge, Restate, Withdraw, line_record
from wushan_desk.sync.merge import (
    MergeStats,
    keep_for_review,
    merge_change,
    merge_snapshot,
    now_text,
    restate_snapshot,
    retract_unsigned_parts,
    withdraw,
)
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
    status: str = "rejected"  # applied | unchanged | outdated | preview | rejected
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: int = 0
    files: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    purged: int = 0  # rows that left this device's zone, removed here (never synced)
    accounts: int = 0  # the hub's accounts of this centre taken (a laptop)
    audit: int = 0  # a laptop's audit entries stored (the hub)
    rejected: str | None = None
    code: str | None = None
    backup: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["applied"] = self.added + self.changed
        return out


#: From this many lines on, the search index is brought up to date once, at the end.
BULK_LINES = 1000

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
    backup_once: backup.BatchBackup | None = None,
) -> ImportSummary:
    """Apply one package file; never raises PackageRejected (it lands in the summary).

    `on_applied(ws, header)` runs inside the import's transaction (joining records its
    hub there, so a crash cannot leave the data applied but the device not joined).
    `backup_once` is the batch's backup (taken before the first package that commits);
    without it each package takes its own.
    """
    summary = ImportSummary(file=str(path))
    try:
        # the decrypted payload never leaves the workspace's side
        with ws.scratch() as tmp, _collector_paused():
            # (the package's parsed lines are freed when this returns, before the
            # collector is back: its first pass would otherwise walk every one of them)
            _read_and_apply(ws, path, tmp, summary, dry_run, enrolment, progress, cancelled,
                            on_applied, backup_once)
    except PackageRejected as exc:
        summary.status, summary.rejected, summary.code = (
            "rejected",
            _explain(ws, path, exc),
            exc.code,
        )
    return summary


def _read_and_apply(
    ws: Workspace, path: Path, tmp: Path, summary: ImportSummary, dry_run: bool,
    enrolment: bool, progress: ProgressFn, cancelled: CancelledFn,
    on_applied: Callable[[Workspace, Any], None] | None,
    backup_once: backup.BatchBackup | None,
) -> None:
    opened = _open(ws, path, tmp, enrolment)
    _check_header(ws, opened.header, summary, enrolment)
    if sync_state.package_seen(ws, summary.package_id or ""):
        summary.status = "unchanged"
        return
    manifest = _manifest(opened)
    lines, judge = _screened_lines(ws, opened, manifest, progress, cancelled)
    backup_once = backup_once or backup.BatchBackup(ws.path, ws.key)
    _apply(ws, opened, manifest, lines, judge, summary, dry_run, progress, cancelled,
           on_applied, backup_once)


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


def _screened_lines(
    ws: Workspace, opened: container.OpenedPackage, manifest: dict[str, Any],
    progress: ProgressFn, cancelled: CancelledFn,
) -> tuple[list[payload.Line], Judge]:
    """Every line parsed and screened (values, stamps, authorship) before anything is
    written; a bad one rejects the package, naming its number."""
    tables = frozenset(changes.synced_tables(ws))
    header = opened.header
    from_device = identity.role(ws) == "hub"
    judge = Judge(ws, header.sender, from_device, full=bool(manifest.get("full")))
    authors = {header.sender, ws.device_id}
    upgrades = [UPGRADES[v] for v in range(header.schema_version, ws.schema_version)
                if v in UPGRADES]
    lines: list[payload.Line] = []
    for number, text in enumerate(opened.iter_lines("changes.jsonl"), start=1):
        try:
            line = payload.parse_line(_upgraded(text, upgrades) if upgrades else text, tables)
            if from_device and isinstance(line.entry, payload.Snapshot):
                # a device's full resend: only what it or we wrote (of what only the hub
                # writes, only ours: what this hub lost to a restore comes back); other
                # devices resend theirs
                mine = {ws.device_id} if line.entry.table in HUB_AUTHORED else authors
                kept = line.entry.only_by(mine)
                if not kept.fields:
                    continue  # all of it written by other devices: they resend it
                line = payload.Line(kept, line.seq)
            judge.screen(line.entry)
            lines.append(line)
        except ValueError as exc:
            record = line_record(ws, text)
            raise PackageRejected(
                f"“{identity.device_name(ws, header.sender)}”的同步包被拒收：第 {number} 条"
                f"记录{f'（{record}）' if record else ''}有误：{exc}。整个同步包都没有导入；"
                "请让对方核对后重新导出。", "bad-entry"
            ) from exc
        if number % 5000 == 0:
            progress(number, 0, "正在检查同步包…")
            if cancelled():
                raise Cancelled()
    return lines, judge


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a package is read and merged: a first sync
    makes millions of small objects that live until the end, which the collector would
    walk again and again for nothing (7 % of an import of 20,000 students). Whatever
    cyclic garbage the import leaves is collected once it is switched back on. The
    switch is the whole process's: counted, so that of two imports at once (the GUI's
    worker and another) the last to finish turns it back on."""
    global _pauses, _was_on
    with _pause_lock:
        if _pauses == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_on:
                gc.enable()


_pause_lock = threading.Lock()
_pauses = 0
_was_on = True


def _upgraded(line: str, upgrades: list[Callable[[dict[str, Any]], dict[str, Any]]]) -> str:
    """A line of an older package rewritten to this schema by `upgrades`."""
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
    manifest: dict[str, Any],
    lines: list[payload.Line],
    judge: Judge,
    summary: ImportSummary,
    dry_run: bool,
    progress: ProgressFn,
    cancelled: CancelledFn,
    on_applied: Callable[[Workspace, Any], None] | None,
    backup_once: backup.BatchBackup,
) -> None:
    header = opened.header
    stats = MergeStats()
    slot_ops: list[Any] = []
    try:
        with ws.transaction():
            if header.kind != "enrolment" and identity.is_revoked(ws, header.sender):
                # revoked after the package was opened: the check again, under the lock
                raise container.rejected("revoked-sender", summary.sender_name or "")
            if not dry_run:  # copied beside the work below, waited for before the commit
                backup_once.start()
            peer, arrival = receipts.on_arrival(
                ws, sync_state.peer(ws, header.sender), header.package_id, manifest,
                {line.seq: line.entry.stamp for line in lines
                 if line.seq is not None and isinstance(line.entry, changes.Change)},
            )
            if arrival.stale and not judge.from_device:
                # An old hub package on a laptop: the hub may have been put back to a
                # backup since it was made, and used its numbers again for other changes;
                # a laptop does not pass the hub's writes back, so taking them would part
                # the two for good. Nothing is lost by leaving it: the laptop's receipts
                # still ask for everything after what it holds, and the hub's next
                # package carries it from the hub's present log.
                lines = []
                summary.status = "outdated"
            batch = CreationBatch(ws, header.sender, header.package_id, stats, judge)
            judge.note_absent(line.entry for line in lines)
            with changes.search_index_deferred(ws, enabled=len(lines) >= BULK_LINES):
                for done, line in enumerate(lines, start=1):
                    _judged_merge(ws, judge, line.entry, header, stats, batch,
                                  judge.newest_by_line[done - 1])
                    if done % 2000 == 0:
                        progress(done, len(lines), "正在合并修改…")
                        if cancelled():
                            raise Cancelled()
                batch.flush()
            if lines:  # later local stamps sort after every stamp received
                ws.clock.observe(judge.newest_by_line[-1])
            if judge.restated and manifest.get("full"):
                seen = {(line.entry.table, line.entry.row_id) for line in lines}
                retract_unsigned_parts(ws, judge.restated, seen, header.sender,
                                       header.package_id, stats)
            if summary.status != "outdated":
                summary.files = _store_files(ws, opened, manifest, dry_run)
                slot_ops = _accounts_and_audit(ws, opened, manifest, summary)
            sync_state.save_peer(ws, replace(peer, last_import=now_text()))
            if judge.from_device:  # for the certificate the hub's next package carries
                identity.note_document_key(ws, header.sender, manifest.get("document_key"))
            summary.purged = zone_purge.after_import(
                ws, peer.acked_seq, {(line.entry.table, line.entry.row_id) for line in lines},
                full=bool(manifest.get("full")) and not judge.from_device
                and summary.status != "outdated")  # an untaken package says nothing of scope
            if arrival.we_went_back:  # this workspace was restored: everything goes out again
                receipts.begin_new_lifetime(ws)
                accounts_sync.resend_audit(ws, header.sender)
            _fill(summary, stats)
            if summary.status != "outdated":
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
                changes=len(lines),
                files=summary.files,
                status="applied" if summary.status != "outdated" else "outdated",
                summary=summary.as_dict(),
                file_name=Path(summary.file).name,
            )
            if dry_run:
                raise _DryRun()
            if on_applied:
                on_applied(ws, header)
            ws.set_state("last_sync", now_text())
            # the state before this import, from the committed file, just before commit
            summary.backup = str(backup_once())
            accounts_sync.apply_slot_ops(ws, slot_ops)  # last: the accounts' slots
    except _DryRun:
        pass
    except BaseException:
        backup_once.abandon()  # a refused or cancelled package leaves no backup behind
        raise


def _judged_merge(ws: Workspace, judge: Judge, entry: payload.Snapshot | changes.Change,
                  header: Any, stats: MergeStats, batch: CreationBatch, newest: str) -> None:
    """Judge one entry as a local write would be, then merge it (or keep it for review).
    A new whole row waits in `batch`; anything else is merged after the batch is written,
    so that the log keeps the package's order. `newest`: the newest stamp of the package
    up to this entry, which a local write made now (a lock restated) must sort after."""
    fast = bulk.batchable(entry) and not batch.holds(entry.table, entry.row_id)
    if not fast or batch.table not in (None, entry.table):
        batch.flush()
    try:
        current = judge.judge(entry)
        if fast and current is None:
            batch.add(entry)  # (nothing stamped here: observed at the next other entry)
            return
        batch.flush()
        ws.clock.observe(newest)
    except (Conflicted, Restate):
        ws.clock.observe(newest)
        batch.flush()
        _settle(ws, judge, entry, header, stats)
        return
    if isinstance(entry, payload.Snapshot):
        merge_snapshot(ws, entry, header.sender, stats, header.package_id)
    else:
        merge_change(ws, entry, header.sender, header.package_id, stats)


def _settle(ws: Workspace, judge: Judge, entry: payload.Snapshot | changes.Change,
            header: Any, stats: MergeStats) -> None:
    """An entry the judge would not merge as it is: judged again (the batch is written
    now) and kept for review, or the signed content restored."""
    try:
        judge.judge(entry)
    except Withdraw:
        if isinstance(entry, changes.Change):  # (stamped after the laptop's: observed)
            withdraw(ws, entry, header.sender, header.package_id, stats)
        return
    except Conflicted:
        if isinstance(entry, changes.Change):
            keep_for_review(ws, entry, header.package_id, stats)
        return
    except Restate:
        assert isinstance(entry, payload.Snapshot)
        restate_snapshot(ws, entry, header.sender, header.package_id, stats)
        return
    if isinstance(entry, payload.Snapshot):  # the batch written, it may merge after all
        merge_snapshot(ws, entry, header.sender, stats, header.package_id)
    else:
        merge_change(ws, entry, header.sender, header.package_id, stats)


def _accounts_and_audit(ws: Workspace, opened: container.OpenedPackage,
                        manifest: dict[str, Any], summary: ImportSummary) -> list[Any]:
    """The hub's accounts for this laptop, a laptop's audit entries for the hub, and
    the hub's receipt for ours (sync/accounts_sync.py)."""
    header = opened.header
    from_hub = header.kind == "enrolment" or header.sender == ws.state("hub_id")
    ops: list[Any] = []
    if opened.has(accounts_sync.ACCOUNTS_MEMBER):
        counts, ops = accounts_sync.apply_accounts(
            ws, from_hub, opened.read_bytes(accounts_sync.ACCOUNTS_MEMBER))
        summary.accounts = counts["accounts"]
    if opened.has(accounts_sync.AUDIT_MEMBER):
        summary.audit = accounts_sync.apply_audit(
            ws, header.sender, opened.read_bytes(accounts_sync.AUDIT_MEMBER))
    if from_hub:
        accounts_sync.note_receipt(ws, header.sender, manifest)
    return ops


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
            blobs.store_file(ws.files_dir, opened.file_path(sha), max_bytes=1 << 40,
                             key=ws.key)
    return len(hashes)


def _manifest(opened: container.OpenedPackage) -> dict[str, Any]:
    """The manifest, checked: a bad one rejects the package before anything is written."""
    manifest = opened.read_json("manifest.json")
    try:
        receipt, head = manifest["receipt"], manifest.get("head") or {}
        numbers = (manifest["from_seq"], manifest["to_seq"], receipt["received_seq"],
                   head.get("seq", 0))
        texts = (receipt.get("at"), receipt.get("incarnation"), receipt.get("stamp"),
                 receipt.get("full_received"), manifest.get("incarnation"), head.get("stamp"),
                 manifest.get("made"))
        stamps = (receipt.get("incarnation"), receipt.get("stamp"), manifest.get("incarnation"),
                  head.get("stamp"), manifest.get("made"))
        if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers) \
                and all(isinstance(t, str | None) and len(t or "") <= 200 for t in texts) \
                and all(s is None or Stamp.parse(s) for s in stamps) \
                and isinstance(manifest.get("full", False), bool):
            return dict(manifest)
    except (KeyError, TypeError, AttributeError, ValueError):
        pass
    raise PackageRejected("同步包的清单（manifest）格式不对。请让对方重新导出。", "bad-entry")
