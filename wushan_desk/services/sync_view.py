"""The 同步 page's work and facts (no Qt): jobs for the GUI's task runner, table rows.

Every job opens its own workspace connection on the worker thread (SQLite connections
belong to one thread) and closes it before returning, so the GUI's connection never
waits on an import. Jobs that handle several packages keep what they finished in a list
the caller holds, because a cancelled job returns nothing but its work so far is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wushan_desk.domain import clock
from wushan_desk.progress import CancelledFn, ProgressFn
from wushan_desk.services import sync
from wushan_desk.services.accounts import Credentials
from wushan_desk.services.accounts import reopen as open_workspace
from wushan_desk.store import sync_state
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import container, crypto, identity
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.importer import ImportSummary

PACKAGE_SUFFIX = ".wspkg"
Job = Callable[[ProgressFn, CancelledFn], Any]


def when_text(iso: str | None, empty: str = "—") -> str:
    """An ISO time of the engine as the tables show it: 2026-11-28 14:30, local time."""
    return clock.minutes(iso, empty)


@contextmanager
def worker_workspace(source: Workspace | Path) -> Iterator[Workspace]:
    """A connection for a job's thread: from the open workspace when there is one (never a
    second inspection of its file), else the workspace at a path nobody holds yet (a
    device joining during its first start)."""
    if isinstance(source, Workspace):
        with source.worker_session() as ws:
            yield ws
        return
    ws = open_workspace(source, create=False)
    try:
        yield ws
    finally:
        ws.close()


# --- identities and fingerprints -------------------------------------------------------


def my_centre(ws: Workspace) -> str | None:
    """The name of the centre this device belongs to (None for the hub and the demo)."""
    return identity.centre_name(ws, ws.state("centre_id"))


def my_fingerprint(ws: Workspace) -> str:
    return identity.suite().fingerprint(identity.my_public_keys(ws))


@dataclass(frozen=True)
class RequestInfo:
    path: Path
    device_id: str
    name: str
    fingerprint: str
    created: str


def read_request(path: Path) -> RequestInfo:
    """A verified enrolment request and the fingerprint the device also shows."""
    request = sync.read_request(path)
    keys = crypto.PublicKeys(**request["keys"])
    return RequestInfo(path, request["device_id"], request["name"],
                       identity.suite().fingerprint(keys), when_text(request.get("created")))


def enrolment_fingerprint(path: Path, device_id: str) -> str:
    """The hub fingerprint in an enrolment package, checked before anything is trusted.

    Only the clear header is read: whether the package is really signed by these keys is
    checked by device_join; whether the keys are the county's is for the people to
    compare. Refuses packages of another kind or for another device in plain words.
    """
    header = container.read_header(path)[0]
    if header.kind != "enrolment" or not header.sender_keys:
        raise PackageRejected(f"{path.name} 不是入网包。入网包由县教委登记本机后生成。",
                              "wrong-kind")
    if header.recipient != device_id:
        raise PackageRejected(f"{path.name} 是发给另一台设备的入网包，不是给本机的。"
                              "请向县教委索取本机的入网包。", "wrong-recipient")
    keys = crypto.PublicKeys(sign=header.sender_keys.get("sign", ""),
                             encrypt=header.sender_keys.get("encrypt", ""))
    return identity.suite().fingerprint(keys)


# --- finding packages ------------------------------------------------------------------


def package_files(folder: Path) -> list[Path]:
    """Every .wspkg in a folder and its subfolders (a whole stick), unreadable ones skipped."""
    found = []
    for root, _dirs, files in os.walk(folder, onerror=lambda _e: None):
        found += [Path(root) / f for f in files if f.lower().endswith(PACKAGE_SUFFIX)]
    return sorted(found, key=lambda p: p.name)


@dataclass
class Scan:
    """Packages of a folder sorted out: ours to import, others' left alone."""

    mine: list[Path] = field(default_factory=list)
    for_others: int = 0
    already: int = 0


def scan_folder(ws: Workspace, folder: Path) -> Scan:
    """Sync packages addressed to this workspace and not yet imported.

    A file whose header cannot be read is kept, so that the preview says what is wrong
    with it instead of hiding it.
    """
    scan = Scan()
    for path in package_files(folder):
        try:
            header = container.read_header(path)[0]
        except PackageRejected:
            scan.mine.append(path)
            continue
        if header.recipient != ws.device_id or header.kind != "sync":
            scan.for_others += 1
        elif sync_state.package_seen(ws, header.package_id):
            scan.already += 1
        else:
            scan.mine.append(path)
    return scan


# --- jobs ------------------------------------------------------------------------------


def _numbered(progress: ProgressFn, number: int, total: int) -> ProgressFn:
    if total <= 1:
        return progress
    return lambda d, t, m: progress(d, t, f"第 {number}/{total} 个同步包：{m}")


def _import_each(ws: Workspace, paths: list[Path], dry_run: bool, done: list[ImportSummary],
                 progress: ProgressFn, cancelled: CancelledFn) -> list[ImportSummary]:
    batch = sync.batch_backup(ws)  # one backup for everything imported together
    for number, path in enumerate(paths, start=1):
        step = _numbered(progress, number, len(paths))
        step(0, 0, "正在检查同步包…")
        done += sync.import_packages(ws, [path], dry_run=dry_run, progress=step,
                                     cancelled=cancelled, batch=batch)
    return done


def import_job(ws_path: Workspace | Path, paths: list[Path], *, dry_run: bool,
               done: list[ImportSummary] | None = None) -> Job:
    """Preview (dry run) or apply packages one by one; `done` collects the summaries."""
    collected = done if done is not None else []

    def job(progress: ProgressFn, cancelled: CancelledFn) -> list[ImportSummary]:
        with worker_workspace(ws_path) as ws:
            return _import_each(ws, paths, dry_run, collected, progress, cancelled)

    return job


def folder_preview_job(ws_path: Workspace | Path, folder: Path) -> Job:
    """Find this workspace's packages in a folder, then preview them: (Scan, summaries)."""

    def job(progress: ProgressFn, cancelled: CancelledFn) -> tuple[Scan, list[ImportSummary]]:
        with worker_workspace(ws_path) as ws:
            progress(0, 0, "正在查找同步包…")
            scan = scan_folder(ws, folder)
            return scan, _import_each(ws, scan.mine, True, [], progress, cancelled)

    return job


def export_job(ws_path: Workspace | Path, folder: Path, to: str | None) -> Job:
    def job(progress: ProgressFn, cancelled: CancelledFn) -> list[Any]:
        with worker_workspace(ws_path) as ws:
            progress(0, 0, "正在导出同步包…")
            return sync.export(ws, folder, to, progress=progress, cancelled=cancelled)

    return job


@dataclass
class SharedResult:
    exported: list[Any] = field(default_factory=list)
    imported: list[ImportSummary] = field(default_factory=list)
    scan: Scan = field(default_factory=Scan)


def shared_folder_job(ws_path: Workspace | Path, folder: Path, result: SharedResult) -> Job:
    """Shared-folder mode: export into the folder, then import what waits there for us."""

    def job(progress: ProgressFn, cancelled: CancelledFn) -> SharedResult:
        with worker_workspace(ws_path) as ws:
            progress(0, 0, "正在导出同步包…")
            result.exported = sync.export(ws, folder, progress=progress, cancelled=cancelled)
            progress(0, 0, "正在查找发给本机的同步包…")
            result.scan = scan_folder(ws, folder)
            _import_each(ws, result.scan.mine, False, result.imported, progress, cancelled)
        return result

    return job


def enrol_job(ws_path: Workspace | Path, request: Path, centre_id: str, out_dir: Path) -> Job:
    def job(progress: ProgressFn, _cancelled: CancelledFn) -> sync.Enrolled:
        with worker_workspace(ws_path) as ws:
            progress(0, 0, "正在登记设备并生成入网包…")
            return sync.hub_enrol(ws, request, centre_id, out_dir, progress=progress)

    return job


@dataclass(frozen=True)
class Joined:
    summary: ImportSummary
    centre: str | None


def join_job(ws_path: Workspace | Path, package: Path) -> Job:
    def job(progress: ProgressFn, cancelled: CancelledFn) -> Joined:
        with worker_workspace(ws_path) as ws:
            progress(0, 0, "正在导入入网包…")
            summary = sync.device_join(ws, package, progress=progress, cancelled=cancelled)
            return Joined(summary, identity.centre_name(ws, ws.state("centre_id")))

    return job


def hub_create_job(path: Path, name: str, admin: Credentials | None = None) -> Job:
    def job(progress: ProgressFn, _cancelled: CancelledFn) -> str:
        progress(0, 0, "正在创建县级中心库并生成密钥…")
        return sync.hub_init(path, name, admin)["fingerprint"]

    return job


def device_create_job(path: Path, name: str, out_dir: Path,
                      admin: Credentials | None = None) -> Job:
    def job(progress: ProgressFn, _cancelled: CancelledFn) -> RequestInfo:
        progress(0, 0, "正在生成密钥并写入网申请…")
        return read_request(sync.device_init(path, name, out_dir, admin))

    return job


# --- what the page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class PeerRow:
    device_id: str
    name: str
    centre: str
    acked: str  # "received by the other side up to"
    pending: int
    last_export: str
    last_import: str
    state: str = ""  # what the peer is known to lack, in a sentence
    resend_all: bool = False


def peer_rows(ws: Workspace) -> list[PeerRow]:
    rows = []
    for p in sync.peers(ws):
        device = identity.device_row(ws, p.device_id) or {}
        rows.append(PeerRow(p.device_id, p.name,
                            identity.centre_name(ws, device.get("centre_id")) or "",
                            when_text(p.acked_at, "尚未收到回执"), p.pending,
                            when_text(p.last_export), when_text(p.last_import),
                            p.state, p.resend_all))
    return rows


def last_sync_text(ws: Workspace) -> str | None:
    """The latest export or import with any peer, for the status bar."""
    times = [t for p in sync.peers(ws) for t in (p.last_export, p.last_import) if t]
    return when_text(clock.latest(times)) if times else None


@dataclass(frozen=True)
class LedgerRow:
    time: str
    direction: str
    peer: str
    kind: str
    changes: int
    files: int
    status: str
    file: str
    package_id: str


def ledger_rows(ws: Workspace) -> list[LedgerRow]:
    """The package history, with whether the other side confirmed each export."""
    acked = {p.device_id: p.acked_seq for p in sync.peers(ws)}
    rows = []
    for r in sync_state.ledger(ws):
        outgoing = r["direction"] == "out"
        if outgoing:
            received = r["kind"] == "sync" and acked.get(r["peer"], 0) >= (r["to_seq"] or 0)
            status = "已导出，对方已收到" if received else "已导出"
        else:
            conflicts = (r["summary"] or {}).get("conflicts") or 0
            status = f"已导入，冲突 {conflicts} 处" if conflicts else "已导入"
        rows.append(LedgerRow(when_text(r["processed"]), "导出" if outgoing else "导入",
                              identity.device_name(ws, r["peer"]),
                              "入网包" if r["kind"] == "enrolment" else "同步包",
                              r["changes"] or 0, r["files"] or 0, status, r["file_name"] or "",
                              r["package_id"]))
    return rows


def centres(ws: Workspace) -> list[tuple[str, str]]:
    """(name, id) of the supervision centres a device can be enrolled into."""
    return [(r["name"], r["id"]) for r in sync_state.rows_of(ws, "centres", live=True)]


def summary_status(s: ImportSummary) -> tuple[str, str]:
    """(status words, tone) of one package: tone is ok, warn, bad or plain."""
    if s.status == "rejected":
        return "✖ 拒绝", "bad"
    if s.status == "unchanged":
        return "已导入过，无变化", "plain"
    if s.status == "outdated":
        return "已作废，未导入", "plain"
    if s.status == "preview":
        return ("可导入，有冲突", "warn") if s.conflicts else ("✔ 可导入", "ok")
    return ("已导入，有冲突", "warn") if s.conflicts else ("✔ 已导入", "ok")


def summary_note(s: ImportSummary) -> str:
    if s.status == "rejected":
        return s.rejected or "同步包有问题，没有导入。"
    if s.status == "unchanged":
        return "这个同步包以前已经导入过，不会重复导入。"
    if s.status == "outdated":
        return ("这个同步包比本机已导入的中心库同步包更早（或是中心库恢复备份之前导出的），"
                "没有导入；本机缺少的修改，中心库下次导出的同步包会补上。")
    return f"含附件 {s.files:,} 个" if s.files else ""
