"""0004 sync trust: restores recognised, full resends, and the local purge of rows that
left this device's zone.

- sync_peers learns each side's lifetime ("incarnation", a stamp that changes when a
  workspace is restored), the stamps that go with the sequence numbers in receipts and
  heads (a restored log reuses numbers; stamps tell), the newest head seen (stale
  packages must not move receipts back), and whether the next package to a peer must
  carry everything in its scope (after a restore on either side).
- `purging` names the tables whose rows a local purge may delete inside its transaction;
  the delete guards of every synced table let exactly that through, nothing else. A purge
  removes a child's data from a laptop whose zone no longer includes them; it is local
  and never syncs. The purged rows' change-log entries keep their numbers and stamps
  (receipts name them) but lose their data (`purged` = 1).
"""

from __future__ import annotations

from typing import Any

PEER_COLUMNS = (
    # the peer's lifetime we track; its receipts and numbers refer to it
    ("peer_incarnation", str, None),
    # the stamp of the peer's change at received_seq (sent back in our receipt)
    ("received_stamp", str, None),
    # our stamp at acked_seq, as the peer's receipt named it
    ("acked_stamp", str, None),
    # the stamp at the newest head seen from the peer: a package with an older one is stale
    ("peer_made", str, None),
    # 1: the next package to the peer carries the whole scope (it or we were restored)
    ("resend_all", int, 0),
    # when resend_all was set: a full package written since then, once confirmed, ends it
    ("resend_since", str, None),
    # the last full package received from the peer: our receipts confirm it
    ("full_received", str, None),
)


def upgrade(db: Any) -> None:
    peers = db["sync_peers"]
    for name, type_, default in PEER_COLUMNS:
        peers.add_column(name, type_, not_null_default=default)
    db.execute("CREATE TABLE purging (tbl TEXT PRIMARY KEY) WITHOUT ROWID")
    # rows a device holds that the hub's full package left out (a laptop restored from a
    # copy made before the county moved them away): no longer its; purged once the hub
    # has confirmed every edit made to them here (sync/zone_purge.py)
    db.execute("CREATE TABLE scope_leavers (tbl TEXT NOT NULL, row_id TEXT NOT NULL, "
               "PRIMARY KEY (tbl, row_id)) WITHOUT ROWID")
    db["change_log"].add_column("purged", int, not_null_default=0)
    tables = [row[0] for row in db.execute("SELECT name FROM sync_tables ORDER BY position")]
    for table in tables:
        db.execute(f"DROP TRIGGER {table}_guard_delete")
        db.execute(
            f"CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = '{table}') "
            f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are tombstoned, never deleted'); END"
        )
    # this workspace's current lifetime begins at its newest stamp (sync/receipts.py)
    db.execute("INSERT INTO local_state (key, value) SELECT 'incarnation', value "
               "FROM local_state WHERE key = 'hlc'")
    db.execute(
        "CREATE TRIGGER students_fts_ad AFTER DELETE ON students BEGIN "
        "INSERT INTO students_fts (students_fts, rowid, name, resident_id, student_number) "
        "VALUES ('delete', OLD.rowid, OLD.name, OLD.resident_id, OLD.student_number); END"
    )
