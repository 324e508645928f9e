"""Accounts and the audit trail in packages.

- hub → a centre's laptop: `accounts.json`, every account of that centre. A new
  account or a county-issued reset carries an *issue* (the key derived from the
  temporary password with argon2id, its salt and a serial): the laptop wraps its own
  data key with it, so the supervisor logs in there with the temporary password,
  which never travels. Each serial is applied once: re-importing the package does not
  reset a password again. The laptop never edits these accounts; a disabled account
  loses its slot.
- a laptop → hub: `audit.jsonl`, its own audit entries the hub has not confirmed yet.
  The hub's packages confirm them (`audit_received` in the manifest: the newest entry
  number it holds from that laptop); a hub restored from a backup confirms less, and
  the laptop sends the rest again (entries carry ids: never stored twice).
"""

from __future__ import annotations

import json
from typing import Any

from wushan_desk.domain import text
from wushan_desk.domain.hlc import Stamp
from wushan_desk.store import accounts as store
from wushan_desk.store import keyslots
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity
from wushan_desk.sync.container import PackageRejected

ACCOUNTS_MEMBER = "accounts.json"
AUDIT_MEMBER = "audit.jsonl"
ROLES = frozenset({"county_admin", "county_staff", "supervisor", "read_only"})
_AUDIT_TEXT = ("id", "at", "device_id", "user_id", "login", "role", "action", "kind",
               "record_id")


def _acked_key(peer: str) -> str:
    return f"audit_acked:{peer}"


# -- writing ------------------------------------------------------------------------


def accounts_member(ws: Workspace, peer_id: str) -> bytes | None:
    """The hub's accounts of the peer's centre, as the package member (None: not a hub)."""
    if identity.role(ws) != "hub":
        return None
    centre = identity.centre_of(ws, peer_id)
    if not centre:
        return None
    rows = [{"id": r["id"], "login": r["login"], "display_name": r["display_name"],
             "role": r["role"], "centre_id": r["centre_id"], "active": bool(r["active"]),
             "issue": json.loads(r["issue"]) if r["issue"] else None,
             "version": r["hub_version"]}
            for r in store.centre_accounts(ws, centre)]
    return json.dumps(rows, ensure_ascii=False).encode()


def audit_member(ws: Workspace, peer_id: str) -> bytes | None:
    """This laptop's audit entries the hub has not confirmed (None: nothing, or a hub)."""
    if identity.role(ws) == "hub":
        return None
    after = int(ws.state(_acked_key(peer_id)) or 0)
    entries = store.own_audit_after(ws, after)
    if not entries:
        return None
    lines = (json.dumps({k: e[k] for k in (*_AUDIT_TEXT, "seq", "detail")},
                        ensure_ascii=False) for e in entries)
    return ("\n".join(lines) + "\n").encode()


def manifest_fields(ws: Workspace, peer_id: str) -> dict[str, Any]:
    """The hub's receipt for the peer's audit entries."""
    if identity.role(ws) != "hub":
        return {}
    return {"audit_received": store.audit_received_from(ws, peer_id)}


# -- reading ------------------------------------------------------------------------


SlotOp = tuple[str, str, dict[str, Any] | None]  # ("wrap" | "remove", login, issue)


def apply_accounts(ws: Workspace, from_hub: bool, raw: Any) -> tuple[dict[str, int], list[SlotOp]]:
    """Take the hub's accounts of this laptop's centre (inside the import transaction).

    An account's line is taken only if it is newer (the hub's stamp) than what this
    laptop holds: an old package carried in late never brings back a reset password or a
    disabled account. Returns counts and the key-file changes, which the caller makes
    with `apply_slot_ops` just before the transaction commits (not in a preview).
    Raises PackageRejected for anything malformed or not from the hub."""
    if identity.role(ws) == "hub" or not from_hub:
        raise PackageRejected("只有县级中心库可以下发账号，这个同步包里带有账号，已拒收。",
                              "rule-broken")
    entries = _checked_accounts(raw, identity.centre_of(ws, ws.device_id))
    counts = {"accounts": 0, "issued": 0, "skipped": 0}
    ops: list[SlotOp] = []
    for entry in entries:
        local = store.account_by_login(ws, entry["login"])
        if local is not None and local["id"] != entry["id"]:
            counts["skipped"] += 1  # a laptop's own account of that name stays
            continue
        if local is not None and not _newer(entry.get("version"), local.get("hub_version")):
            continue  # what this laptop holds is as new or newer
        issue = entry["issue"]
        row = {"id": entry["id"], "login": entry["login"],
               "display_name": entry["display_name"], "role": entry["role"],
               "centre_id": entry["centre_id"], "active": int(entry["active"]),
               "must_change": (local or {}).get("must_change", 0), "changed_at": _now(),
               "issue": (local or {}).get("issue"), "hub_version": entry.get("version")}
        if issue is not None and issue["serial"] != row["issue"] and entry["active"]:
            ops.append(("wrap", entry["login"], issue))
            row |= {"must_change": 1, "issue": issue["serial"]}
            counts["issued"] += 1
        if not entry["active"]:
            ops.append(("remove", entry["login"], None))
        if local is None:
            store.insert_account(ws, row | {"created_at": _now(), "created_by": "县教委"})
        else:
            store.update_account(ws, entry["id"], row)
        counts["accounts"] += 1
    return counts, ops


def apply_slot_ops(ws: Workspace, ops: list[SlotOp]) -> None:
    """Make the key-file changes of `apply_accounts` (inside the import's transaction,
    under the write lock: the file is read again, so no other program's slot is lost)."""
    if not ops or ws.key is None or not keyslots.is_encrypted(ws.path):
        return
    keys = keyslots.KeyFile.load(ws.path)
    for op, login, issue in ops:
        if op == "wrap" and issue is not None:
            keys.wrap_issued(login, issue, ws.key)
        else:
            keys.remove(login)
    keys.save_slots()


def _newer(version: Any, held: Any) -> bool:
    if not version:
        return held is None
    if not held:
        return True
    try:
        return Stamp.parse(str(version)) > Stamp.parse(str(held))
    except ValueError:
        return False


def _checked_accounts(raw: Any, centre: str | None) -> list[dict[str, Any]]:
    try:
        entries = json.loads(raw)
        if not isinstance(entries, list) or len(entries) > 10_000:
            raise ValueError("list")
        for e in entries:
            if not isinstance(e, dict) or e.get("role") not in ROLES \
                    or not isinstance(e.get("active"), bool) or e.get("centre_id") != centre:
                raise ValueError("entry")
            for name in ("id", "login", "display_name"):
                if not isinstance(e.get(name), str) or not 0 < len(e[name]) <= 40:
                    raise ValueError(name)
                text.clean(e[name], multiline=False)
            if e.get("issue") is not None:
                keyslots.check_issue(e["issue"])
            if e.get("version") is not None:
                Stamp.parse(str(e["version"]))
        return entries
    except (ValueError, TypeError, KeyError) as exc:
        raise PackageRejected(f"同步包里的账号信息格式不对（{exc}），已拒收。",
                              "bad-entry") from None


def apply_audit(ws: Workspace, sender: str, raw: bytes) -> int:
    """Store a laptop's audit entries at the hub (inside the import transaction)."""
    if identity.role(ws) != "hub":
        raise PackageRejected("审计记录只上报县级中心库，这个同步包里带有审计记录，已拒收。",
                              "rule-broken")
    count = 0
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        entry = _checked_audit(line, sender, number)
        store.append_audit(ws, entry | {"source": sender, "origin_seq": entry["seq"]},
                           ignore_existing=True)
        count += 1
    return count


def _checked_audit(line: str, sender: str, number: int) -> dict[str, Any]:
    try:
        entry = json.loads(line)
        if not isinstance(entry, dict) or entry.get("device_id") != sender:
            raise ValueError("device")
        for name in _AUDIT_TEXT:
            value = entry.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > 200):
                raise ValueError(name)
        if not entry.get("id") or not entry.get("action") or not entry.get("at"):
            raise ValueError("missing")
        seq = entry.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("seq")
        if not isinstance(entry.get("detail"), dict) or len(line) > 20_000:
            raise ValueError("detail")
        return entry
    except (ValueError, TypeError, RecursionError) as exc:
        raise PackageRejected(f"同步包里第 {number} 条审计记录格式不对（{exc}），已拒收。",
                              "bad-entry") from None


def note_receipt(ws: Workspace, sender: str, manifest: dict[str, Any]) -> None:
    """The hub confirmed our audit entries up to `audit_received` (it may go back after
    the hub was restored: then they are sent again)."""
    received = manifest.get("audit_received")
    if isinstance(received, int) and not isinstance(received, bool) and received >= 0:
        ws.set_state(_acked_key(sender), str(received))
        store.raise_audit_numbers(ws, received)


def _now() -> str:
    from wushan_desk.domain import clock

    return clock.now_iso()


def resend_audit(ws: Workspace, peer: str) -> None:
    """This workspace went back (restored): send the peer every audit entry again (it
    keeps each once, by id), since numbers may have been reused meanwhile."""
    ws.set_state(_acked_key(peer), "0")
