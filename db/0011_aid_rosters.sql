-- 0011 发放花名册: payment rosters per school, programme and term, their payments and the
-- dated adjustments of a confirmed roster (domain/aid_roster.py). Synced with the
-- roster's school (sync/scope.py); bookkeeping columns and guard triggers as in 0006.

CREATE TABLE aid_rosters (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    school_id TEXT NOT NULL REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    programme_id TEXT NOT NULL REFERENCES aid_programmes (id) DEFERRABLE INITIALLY DEFERRED,
    term TEXT NOT NULL,
    status TEXT NOT NULL,
    reported_on TEXT,
    confirmed_on TEXT,
    confirmed_by TEXT,
    note TEXT
);
CREATE INDEX aid_rosters_school_id ON aid_rosters (school_id);
CREATE INDEX aid_rosters_term ON aid_rosters (term);

CREATE TABLE aid_payments (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    roster_id TEXT NOT NULL REFERENCES aid_rosters (id) DEFERRABLE INITIALLY DEFERRED,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    boarding TEXT NOT NULL,
    band TEXT,
    days INTEGER,
    standard REAL,
    amount REAL NOT NULL,
    override_reason TEXT,
    account_holder TEXT,
    bank_card TEXT,
    status TEXT NOT NULL,
    paid_on TEXT
);
CREATE INDEX aid_payments_roster_id ON aid_payments (roster_id);
CREATE INDEX aid_payments_student_id ON aid_payments (student_id);

CREATE TABLE aid_adjustments (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    payment_id TEXT NOT NULL REFERENCES aid_payments (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount REAL,
    reason TEXT NOT NULL,
    made_by TEXT
);
CREATE INDEX aid_adjustments_payment_id ON aid_adjustments (payment_id);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('aid_rosters', 'aid_roster', 320),
    ('aid_payments', 'aid_payment', 321),
    ('aid_adjustments', 'aid_adjustment', 322);
CREATE TRIGGER aid_rosters_guard_insert BEFORE INSERT ON aid_rosters
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_rosters' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_rosters outside the change log'); END;
CREATE TRIGGER aid_rosters_guard_update BEFORE UPDATE ON aid_rosters
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_rosters' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_rosters outside the change log'); END;
CREATE TRIGGER aid_rosters_guard_delete BEFORE DELETE ON aid_rosters
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_rosters')
BEGIN SELECT RAISE(ABORT, 'rows of aid_rosters are tombstoned, never deleted'); END;
CREATE TRIGGER aid_payments_guard_insert BEFORE INSERT ON aid_payments
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_payments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_payments outside the change log'); END;
CREATE TRIGGER aid_payments_guard_update BEFORE UPDATE ON aid_payments
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_payments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_payments outside the change log'); END;
CREATE TRIGGER aid_payments_guard_delete BEFORE DELETE ON aid_payments
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_payments')
BEGIN SELECT RAISE(ABORT, 'rows of aid_payments are tombstoned, never deleted'); END;
CREATE TRIGGER aid_adjustments_guard_insert BEFORE INSERT ON aid_adjustments
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_adjustments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_adjustments outside the change log'); END;
CREATE TRIGGER aid_adjustments_guard_update BEFORE UPDATE ON aid_adjustments
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_adjustments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_adjustments outside the change log'); END;
CREATE TRIGGER aid_adjustments_guard_delete BEFORE DELETE ON aid_adjustments
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_adjustments')
BEGIN SELECT RAISE(ABORT, 'rows of aid_adjustments are tombstoned, never deleted'); END;
