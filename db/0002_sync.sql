-- 0002 sync: the local bookkeeping of package exchange. None of these tables is synced:
-- they describe this workspace's relation to its peers.

-- One row per peer this workspace exchanges packages with (a device: the hub; the hub:
-- every enrolled device).
CREATE TABLE sync_peers (
    device_id     TEXT PRIMARY KEY,
    -- our change_log.seq up to which the peer confirmed receipt: export starts after it
    acked_seq     INTEGER NOT NULL DEFAULT 0,
    -- when the peer's newest receipt was written (its clock, ISO 8601), for "已收到截至…"
    acked_at      TEXT,
    -- the peer's seq up to which we hold all its changes: sent back as our receipt
    received_seq  INTEGER NOT NULL DEFAULT 0,
    last_export   TEXT,
    last_import   TEXT
) WITHOUT ROWID;

-- Every package written or read: the 同步记录 ledger.
CREATE TABLE sync_packages (
    package_id   TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    kind         TEXT NOT NULL,
    peer         TEXT NOT NULL,
    created      TEXT NOT NULL,           -- when the sender wrote it (sender's clock)
    processed    TEXT NOT NULL,           -- when it was written or applied here
    from_seq     INTEGER,
    to_seq       INTEGER,
    changes      INTEGER NOT NULL DEFAULT 0,
    files        INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL,           -- exported | applied
    summary      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    file_name    TEXT,
    PRIMARY KEY (package_id, direction)
) WITHOUT ROWID;

-- A field edited on two sides at once: the deterministic winner is applied everywhere,
-- the other value is kept here for a person to review. Resolving writes a new change.
CREATE TABLE sync_conflicts (
    id              TEXT PRIMARY KEY,
    tbl             TEXT NOT NULL,
    row_id          TEXT NOT NULL,
    field           TEXT NOT NULL,
    local_value     TEXT,                 -- JSON
    local_stamp     TEXT NOT NULL,
    incoming_value  TEXT,                 -- JSON
    incoming_stamp  TEXT NOT NULL,
    base_stamp      TEXT,                 -- the version the incoming edit was made on
    winner          TEXT NOT NULL CHECK (winner IN ('local', 'incoming')),
    detected        TEXT NOT NULL,
    package_id      TEXT,
    resolved        TEXT,
    resolution      TEXT,                 -- local | incoming | superseded
    UNIQUE (tbl, row_id, field, local_stamp, incoming_stamp)
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (resolved, tbl, row_id);
