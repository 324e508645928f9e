-- 0007 term rosters (学期名册存档): which students each school had in a term, archived
-- from this workspace's roster or imported from the 学籍系统, so that a child on last
-- term's roster and missing from this term's without an enrolment event is found.
-- A dismissed candidate now names either the enrolment change or the term roster that
-- raised it, so dropout_dismissals is rebuilt without the reference to enrolment_changes.

CREATE TABLE term_rosters (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    school_id TEXT NOT NULL REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    term TEXT NOT NULL,
    date TEXT NOT NULL,
    source TEXT NOT NULL,
    student_ids TEXT NOT NULL DEFAULT '[]',
    note TEXT
);
CREATE INDEX term_rosters_school_id ON term_rosters (school_id);

INSERT INTO sync_tables (name, kind, position) VALUES ('term_rosters', 'term_roster', 202);

CREATE TABLE dropout_dismissals_new (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    rule TEXT NOT NULL,
    event_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    date TEXT NOT NULL
);
INSERT INTO dropout_dismissals_new SELECT id, origin_device, created_hlc, hlc, versions, seq,
    deleted, student_id, rule, event_id, reason, date FROM dropout_dismissals;
DROP TABLE dropout_dismissals;
ALTER TABLE dropout_dismissals_new RENAME TO dropout_dismissals;
CREATE INDEX dropout_dismissals_student_id ON dropout_dismissals (student_id);

CREATE TRIGGER term_rosters_guard_insert BEFORE INSERT ON term_rosters
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'term_rosters' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to term_rosters outside the change log'); END;
CREATE TRIGGER term_rosters_guard_update BEFORE UPDATE ON term_rosters
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'term_rosters' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to term_rosters outside the change log'); END;
CREATE TRIGGER term_rosters_guard_delete BEFORE DELETE ON term_rosters
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'term_rosters')
BEGIN SELECT RAISE(ABORT, 'rows of term_rosters are tombstoned, never deleted'); END;
CREATE TRIGGER dropout_dismissals_guard_insert BEFORE INSERT ON dropout_dismissals
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_dismissals' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_dismissals outside the change log'); END;
CREATE TRIGGER dropout_dismissals_guard_update BEFORE UPDATE ON dropout_dismissals
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_dismissals' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_dismissals outside the change log'); END;
CREATE TRIGGER dropout_dismissals_guard_delete BEFORE DELETE ON dropout_dismissals
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'dropout_dismissals')
BEGIN SELECT RAISE(ABORT, 'rows of dropout_dismissals are tombstoned, never deleted'); END;
