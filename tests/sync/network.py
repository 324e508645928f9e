"""A small sync network on disk for tests: a hub with a demo county and enrolled devices.

Built once per session (enrolment takes a second); each test gets its own copy of the
files, so tests can change, break and compare workspaces freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import support
from support import open_workspace

from wushan_desk.services import records, sync
from wushan_desk.services.demo import build_demo
from wushan_desk.store import changes, sync_state
from wushan_desk.store.workspace import Workspace

HUB = "hub"


@dataclass
class Network:
    folder: Path
    devices: list[str]  # party names, e.g. ["dev0", "dev1"]
    ids: dict[str, str] = field(default_factory=dict)  # party name -> device id
    centres: dict[str, str] = field(default_factory=dict)  # party name -> centre name

    def path(self, party: str) -> Path:
        return self.folder / f"{party}.wsdb"

    @contextmanager
    def open(self, party: str) -> Iterator[Workspace]:
        ws = open_workspace(self.path(party), create=False)
        try:
            yield ws
        finally:
            ws.close()

    def export(self, party: str, to: str | None = None) -> list[Path]:
        """Packages written by `party` (the hub: for `to`, or for every device)."""
        out = self.folder / "out"
        with self.open(party) as ws:
            target = self.ids[to] if to else None
            return [e.path for e in sync.export(ws, out, target)]

    def import_(self, party: str, *paths: Path, dry_run: bool = False) -> list[dict[str, Any]]:
        with self.open(party) as ws:
            return [s.as_dict() for s in sync.import_packages(ws, list(paths), dry_run=dry_run)]

    def exchange(self, rounds: int = 2) -> None:
        """Full exchange: every device to the hub, the hub to every device, repeated."""
        for _ in range(rounds):
            for dev in self.devices:
                self.import_(HUB, *self.export(dev))
            for dev in self.devices:
                self.import_(dev, *self.export(HUB, dev))

    def copy(self, folder: Path) -> Network:
        folder.mkdir(parents=True, exist_ok=True)
        for name in [HUB, *self.devices]:
            support.copy_workspace(self.path(name), folder / f"{name}.wsdb")
        return Network(folder, list(self.devices), dict(self.ids), dict(self.centres))


def build_network(folder: Path, devices: int = 2, scale: float = 0.01) -> Network:
    """A hub filled with a demo county, and `devices` devices each joined to a centre."""
    folder.mkdir(parents=True, exist_ok=True)
    net = Network(folder, [f"dev{i}" for i in range(devices)])
    info = sync.hub_init(net.path(HUB), "巫山县教委督导室")
    net.ids[HUB] = info["device_id"]
    build_demo(net.path(HUB), scale=scale, seed=7)
    with net.open(HUB) as hub:
        centres = [r["name"] for r in sync_state.rows_of(hub, "centres")]
    for i, name in enumerate(net.devices):
        request = sync.device_init(net.path(name), f"设备{i}", folder / "out")
        with net.open(HUB) as hub:
            enrolled = sync.hub_enrol(hub, request, centres[i], folder / "out")
        net.ids[name], net.centres[name] = enrolled.device_id, centres[i]
        with net.open(name) as ws:
            summary = sync.device_join(ws, enrolled.package)
            assert summary.status == "applied", summary
    return net


def live_students(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in records.iter_records(ws, "student")}


def table_state(ws: Workspace, table: str, ids: set[str] | None = None) -> dict[str, dict]:
    """Logical values (tombstone flag included) of a table's rows, optionally some ids."""
    kind = changes.table_kind(table)
    out = {}
    for row in sync_state.rows_of(ws, table):
        if ids is None or row["id"] in ids:
            out[row["id"]] = changes.from_sql(kind, row) | {"deleted": bool(row["deleted"])}
    return out


def draft_visit(ws: Workspace, template: str, day: Any) -> str:
    """A draft visit on a device: at a school of its zone, by an inspector it records."""
    from wushan_desk.services import browse, inspection

    zone = browse.working_zone(ws)
    school = next(s for s in records.iter_records(ws, "school") if s["township_id"] in zone)
    person = records.put(ws, "staff", {"name": "向堃", "role": "责任督学"}).id
    return inspection.start_visit(ws, school_id=school["id"], template_id=template,
                                  inspector_ids=[person], date=day)
