-- 0012 资助核查说明: a reason given to a cross-check finding (domain/aid_check.py),
-- named by its key. Synced with the student's school (sync/scope.py); bookkeeping
-- columns and guard triggers as in 0006.

CREATE TABLE aid_explanations (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    check_kind TEXT NOT NULL,
    finding_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    explained_on TEXT NOT NULL,
    explained_by TEXT
);
CREATE INDEX aid_explanations_student_id ON aid_explanations (student_id);
CREATE INDEX aid_explanations_finding_key ON aid_explanations (finding_key);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('aid_explanations', 'aid_explanation', 330);
CREATE TRIGGER aid_explanations_guard_insert BEFORE INSERT ON aid_explanations
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_explanations' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_explanations outside the change log'); END;
CREATE TRIGGER aid_explanations_guard_update BEFORE UPDATE ON aid_explanations
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_explanations' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_explanations outside the change log'); END;
CREATE TRIGGER aid_explanations_guard_delete BEFORE DELETE ON aid_explanations
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_explanations')
BEGIN SELECT RAISE(ABORT, 'rows of aid_explanations are tombstoned, never deleted'); END;
