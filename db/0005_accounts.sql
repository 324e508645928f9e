-- 0005 accounts, the audit trail, and who made each change.
--
-- accounts: the people who may log in to this workspace, with a role and (for centre
-- staff) a centre. Local to the workspace: each workspace has its own key file (the
-- password slots, store/keyslots.py); the hub's accounts for a centre reach its laptop
-- in packages as their own lines, never as rows the laptop could edit.
-- audit_log: append-only. Every create, change, delete, export, print, package import
-- and export, full-value view, login, failed login and lock, with who and when.
-- change_log.author: the login that made a change on its device (NULL: before accounts,
-- or received from a peer that did not say).

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    login        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('county_admin', 'county_staff', 'supervisor', 'read_only')),
    centre_id    TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    must_change  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    created_by   TEXT,
    changed_at   TEXT NOT NULL,
    -- at the hub: the temporary password issued for a centre's account (initial or a
    -- reset) as {serial, kdf, salt, kek}, sent to that centre's laptop, which wraps its
    -- own data key with it (the password itself never travels); on a laptop: the
    -- serial of the last issue applied, so that a package applies a reset only once
    issue        TEXT,
    -- the hub's stamp of the account's last change that laptops must follow (state,
    -- issue): a laptop applies an account line only if it is newer than what it holds
    hub_version  TEXT,
    CHECK (role NOT IN ('supervisor') OR centre_id IS NOT NULL)
);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    at        TEXT NOT NULL,
    device_id TEXT NOT NULL,
    user_id   TEXT,
    login     TEXT,
    role      TEXT,
    action    TEXT NOT NULL,
    kind      TEXT,
    record_id TEXT,
    detail    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    source    TEXT,  -- NULL: written here; else the peer it was received from
    origin_seq INTEGER  -- its seq on the device that wrote it (received entries)
);
CREATE INDEX audit_log_record ON audit_log (record_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

ALTER TABLE change_log ADD COLUMN author TEXT;

-- The change log is history: never deleted; only a purge may scrub a row's data
-- (keeping its number, stamp and author, store/purge.py).
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
WHEN NOT (OLD.purged = 0 AND NEW.purged = 1 AND NEW.data = '{}' AND NEW.base = '{}'
          AND NEW.seq = OLD.seq AND NEW.tbl = OLD.tbl AND NEW.row_id = OLD.row_id
          AND NEW.hlc = OLD.hlc AND NEW.device_id = OLD.device_id AND NEW.op = OLD.op
          AND NEW.source IS OLD.source AND NEW.author IS OLD.author)
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
