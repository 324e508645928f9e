"""Receipts and lifetimes: who holds what, even after a workspace went back in time.

Each side numbers its change log (seq) and tells the other, in every package, up to which
of the other's numbers it holds everything (the receipt). Numbers alone cannot be trusted
across a restore: a laptop reinstalled from last week's backup numbers its new changes
with numbers the hub has already seen, and a hub restored from its own backup sends
receipts for numbers it no longer holds. So (docs/sync-package-format.md, section 3):

- every number travels with the stamp of the change it names (receipts and heads), and a
  workspace has a lifetime, its *incarnation* (an HLC stamp, so later ones sort after),
  which changes when it is restored from a backup;
- a side that receives a receipt naming one of its numbers with another stamp, or a
  number beyond its log, knows *it* went back: it starts a new incarnation and resends
  its whole log;
- a side that sees a new incarnation of its peer, or the peer's log shorter than what it
  received, or the peer's change at a received number with another stamp, knows the
  *peer* went back: its next package to that peer carries the whole scope (every row,
  whoever wrote it), until the peer acknowledges it.

Two round trips later both sides hold every change either ever made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wushan_desk.domain import clock
from wushan_desk.store import changes, sync_state
from wushan_desk.store.sync_state import Peer
from wushan_desk.store.workspace import Workspace

INCARNATION_KEY = "incarnation"


def incarnation(ws: Workspace) -> str:
    """This workspace's lifetime, begun the first time it is asked (in a transaction)."""
    current = ws.state(INCARNATION_KEY)
    if current is None:
        current = ws.stamp()
        ws.set_state(INCARNATION_KEY, current)
    return current


def begin_new_lifetime(ws: Workspace) -> str:
    """After a restore: a new incarnation, and every peer's receipts of us forgotten, so
    our whole log goes out again (the peers drop what they hold already)."""
    current = ws.stamp()
    ws.set_state(INCARNATION_KEY, current)
    for p in sync_state.all_peers(ws):
        sync_state.save_peer(ws, replace(p, acked_seq=0, acked_stamp=None, acked_at=None))
    return current


def manifest_fields(ws: Workspace, peer: Peer, upto: int) -> dict[str, Any]:
    """What a package says about lifetimes and receipts (besides its range)."""
    return {
        "incarnation": incarnation(ws),
        # when the package was made, on the sender's clock: orders its packages (the
        # stamps in its log do not: received changes keep their authors' older stamps)
        "made": str(ws.clock.now()),
        "head": {"seq": upto, "stamp": sync_state.stamp_at(ws, upto)},
        "receipt": {
            "incarnation": peer.peer_incarnation,
            "received_seq": peer.received_seq,
            "stamp": peer.received_stamp,
            "full_received": peer.full_received,
            "at": clock.now_iso(),
        },
        "full": peer.resend_all,
    }


def mark_resend(peer: Peer) -> Peer:
    """The peer lacks things our log numbers cannot name: send it everything."""
    if peer.resend_all:
        return peer
    return replace(peer, resend_all=True, resend_since=clock.now_iso())


@dataclass(frozen=True)
class Arrival:
    """What a package told us about the two lifetimes."""

    # older than one already seen: its numbers are not taken; the hub keeps its changes
    # (a laptop's lost work), a laptop does not (importer: `outdated`)
    stale: bool = False
    sender_went_back: bool = False
    we_went_back: bool = False


def on_arrival(
    ws: Workspace,
    peer: Peer,
    package_id: str,
    manifest: Mapping[str, Any],
    line_stamps: Mapping[int, str],
) -> tuple[Peer, Arrival]:
    """The peer state after a package (its manifest, and the sender's seq -> stamp of its
    change lines) arrived, and what it revealed. Call inside the import's transaction."""
    sender_inc = manifest.get("incarnation")
    head = manifest.get("head") or {}
    head_seq, head_stamp = int(head.get("seq") or 0), head.get("stamp")
    made = manifest.get("made")
    from_seq, to_seq = manifest["from_seq"], manifest["to_seq"]
    known = peer.peer_incarnation
    if sender_inc and known and sender_inc < known:
        return peer, Arrival(stale=True)  # from a life of the sender that has ended
    if sender_inc and known and sender_inc > known:
        # the sender began a new life (restored): its numbers start afresh, and it may
        # lack anything, its own changes included
        peer = mark_resend(replace(peer, peer_incarnation=sender_inc, received_seq=0,
                                   received_stamp=None, peer_made=None))
        went_back = True
    else:
        peer = replace(peer, peer_incarnation=sender_inc or known)
        if made and peer.peer_made and made < peer.peer_made:
            return peer, Arrival(stale=True)  # an older package of the same life
        rewritten = line_stamps.get(peer.received_seq)
        went_back = peer.received_seq > 0 and (
            head_seq < peer.received_seq
            or (rewritten is not None and rewritten != peer.received_stamp)
        )
        if went_back:  # restored from a file copy: its log is what it holds now
            peer = mark_resend(peer)
    if went_back:
        peer = replace(peer, received_seq=head_seq, received_stamp=head_stamp)
    elif from_seq <= peer.received_seq + 1 and to_seq >= peer.received_seq:
        peer = replace(peer, received_seq=to_seq,
                       received_stamp=head_stamp if to_seq == head_seq else None)
    if manifest.get("full"):
        peer = replace(peer, full_received=package_id)
    # the newest package seen from the peer
    peer = replace(peer, peer_made=max(filter(None, (peer.peer_made, made)),
                                             default=None))
    peer, we_went_back = _take_receipt(ws, peer, manifest.get("receipt") or {})
    return peer, Arrival(sender_went_back=went_back, we_went_back=we_went_back)


def _take_receipt(ws: Workspace, peer: Peer, receipt: Mapping[str, Any]) -> tuple[Peer, bool]:
    """The sender's word on how much of our log it holds: trusted only if the number it
    names is ours, in this lifetime, with the same stamp. A lower number than before is
    believed too (the sender lost some of ours: they go out again)."""
    about, mine = receipt.get("incarnation"), incarnation(ws)
    if about and about > mine:
        # the peer knew a later life of ours: this one went back; the next one must sort
        # after that later one, whatever this laptop's clock says now
        ws.clock.observe(about)
        return peer, True
    if about and about != mine:
        return peer, False  # about an earlier life of ours: nothing to learn
    seq, stamp = int(receipt.get("received_seq") or 0), receipt.get("stamp")
    if seq > changes.last_seq(ws) or (seq and stamp and sync_state.stamp_at(ws, seq) != stamp):
        return peer, True  # the peer holds numbers we no longer have: we went back
    peer = replace(peer, acked_seq=seq, acked_stamp=stamp, acked_at=receipt.get("at"))
    if peer.resend_all and sync_state.full_package_since(
        ws, receipt.get("full_received"), peer.device_id, peer.resend_since
    ):
        peer = replace(peer, resend_all=False, resend_since=None)  # the full package arrived
    return peer, False
