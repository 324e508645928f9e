"""Who this workspace is in the sync network, and whom it trusts.

The hub and each device have a key pair (kept by the KeyStore in the workspace's local
settings) and a `device` record carrying the public keys, synced to everyone. A device
accepts packages only from the hub; the hub only from enrolled, unrevoked devices.
"""

from __future__ import annotations

from typing import Any

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import crypto
from wushan_desk.sync.container import PackageRejected
from wushan_desk.sync.keys import MappingKeyStore

DEFAULT_SUITE = "age-x25519+ed25519/1"


def suite() -> crypto.Suite:
    return crypto.get_suite(DEFAULT_SUITE)


def keystore(ws: Workspace) -> MappingKeyStore:
    """The one place private keys are read or written (later wrapped by the login key)."""
    return MappingKeyStore(lambda k: ws.state(k), ws.set_state)


def role(ws: Workspace) -> str:
    return ws.state("role", "demo") or "demo"


def my_keys(ws: Workspace) -> crypto.PrivateKeys:
    keys = keystore(ws).load()
    if keys is None:
        raise PackageRejected(
            "本工作区还没有同步密钥：请先创建县级中心库或登记为督导中心设备。", "no-keys"
        )
    return keys


def my_public_keys(ws: Workspace) -> crypto.PublicKeys:
    return my_keys(ws).public()


def note_document_key(ws: Workspace, device_id: str, text: Any) -> bool:
    """At the hub: the public document key (crypto.document_key) a device announced in
    its enrolment request or a package, kept in local state until the hub certifies it
    (services/certificates.ensure_issued). A key this version cannot read (malformed, or
    of a kind a later version may use) is left aside: the device goes on signing with
    the certificate it has, and its package or request is not refused for it."""
    if not isinstance(text, str) or not text or text == announced_document_key(ws, device_id):
        return False
    try:
        crypto.document_public(text)
    except crypto.KeyFormatError:
        return False
    ws.set_state(f"document_key:{device_id}", text)
    return True


def announced_document_key(ws: Workspace, device_id: str) -> str | None:
    return ws.state(f"document_key:{device_id}")


def device_row(ws: Workspace, device_id: str) -> dict[str, Any] | None:
    row = changes.read_row(ws, "devices", device_id)
    return row if row and not row["deleted"] else None


def public_keys_of(ws: Workspace, device_id: str) -> crypto.PublicKeys:
    row = device_row(ws, device_id)
    if not row or not row["sign_public_key"] or not row["encrypt_public_key"]:
        raise PackageRejected(f"不认识设备 {device_id}：它尚未登记。", "unknown-device")
    return crypto.PublicKeys(sign=row["sign_public_key"], encrypt=row["encrypt_public_key"])


def trusted_sender(ws: Workspace, device_id: str) -> crypto.PublicKeys | None:
    """Keys of a sender whose packages this workspace accepts, or None."""
    row = device_row(ws, device_id)
    if row is None or not row["sign_public_key"]:
        return None
    if role(ws) == "hub":
        ok = row["role"] == "centre"
    else:
        ok = row["role"] == "hub" and device_id == ws.state("hub_id")
    return public_keys_of(ws, device_id) if ok else None


def is_revoked(ws: Workspace, device_id: str) -> bool:
    row = device_row(ws, device_id)
    return bool(row and row["revoked"])


def device_name(ws: Workspace, device_id: str) -> str:
    row = device_row(ws, device_id)
    return row["name"] if row else device_id[:8]


def centre_name(ws: Workspace, centre_id: str | None) -> str | None:
    row = changes.read_row(ws, "centres", centre_id) if centre_id else None
    return row["name"] if row else None


def enrolment_info(ws: Workspace, device_id: str) -> dict[str, Any]:
    """What a newly enrolled device learns besides the data: who the hub is, its centre."""
    device = device_row(ws, device_id) or {}
    return {
        "hub_id": ws.device_id,
        "hub_name": device_name(ws, ws.device_id),
        "device_id": device_id,
        "centre_id": device.get("centre_id"),
        "centre_name": centre_name(ws, device.get("centre_id")),
        "hub_fingerprint": suite().fingerprint(my_public_keys(ws)),
    }


def package_file_name(ws: Workspace, peer_id: str, package_id: str, enrolment: bool) -> str:
    """Sorts sensibly in a folder: sender, kind, recipient, time; unique by package id."""
    when = clock.stamp_text()
    kind = "入网包" if enrolment else "同步包"
    sender = device_name(ws, ws.device_id)[:30]
    recipient = device_name(ws, peer_id)[:30]
    return files.safe_name(
        f"{sender}-{kind}-至{recipient}-{when}-{package_id[:8]}", ".wspkg", fallback="同步包",
        max_len=120,
    )


def centre_of(ws: Workspace, device_id: str) -> str | None:
    """The centre a device belongs to (None: the hub, or not known here)."""
    row = device_row(ws, device_id)
    return row["centre_id"] if row else None
