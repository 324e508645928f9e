-- 0013 A payment names its child without a foreign key: a centre keeps its rosters'
-- lines when a child it paid moves to another centre's school, while the child's own
-- record (ID number, phone) leaves its laptop with the child (sync/zone_purge.py).
-- Rebuilt by SQLite's twelve steps (store/migrations.py turns foreign keys off for
-- the migration and checks them before it commits); same columns, indexes and guards.

CREATE TABLE aid_payments_new (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    roster_id TEXT NOT NULL REFERENCES aid_rosters (id) DEFERRABLE INITIALLY DEFERRED,
    student_id TEXT NOT NULL,
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
INSERT INTO aid_payments_new SELECT id, origin_device, created_hlc, hlc, versions, seq,
    deleted, roster_id, student_id, boarding, band, days, standard, amount,
    override_reason, account_holder, bank_card, status, paid_on FROM aid_payments;
DROP TABLE aid_payments;
ALTER TABLE aid_payments_new RENAME TO aid_payments;
CREATE INDEX aid_payments_roster_id ON aid_payments (roster_id);
CREATE INDEX aid_payments_student_id ON aid_payments (student_id);
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
