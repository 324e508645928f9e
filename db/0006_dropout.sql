-- 0006 控辍保学: enrolment changes, dropout cases with dated status events, the people
-- responsible for each case, and persuasion visits (domain/dropout.py). Synced tables:
-- bookkeeping columns, the three guard triggers each (writes only through the change
-- log, tombstones never deleted, except by a local purge, see 0004), apply order.

CREATE TABLE enrolment_changes (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    change TEXT NOT NULL,
    from_school_id TEXT REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    to_school_id TEXT REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    other_school TEXT,
    until TEXT,
    note TEXT
);
CREATE INDEX enrolment_changes_student_id ON enrolment_changes (student_id);

CREATE TABLE dropout_dismissals (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    rule TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES enrolment_changes (id) DEFERRABLE INITIALLY DEFERRED,
    reason TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE INDEX dropout_dismissals_student_id ON dropout_dismissals (student_id);

CREATE TABLE dropout_cases (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    resident_id TEXT,
    township_id TEXT NOT NULL REFERENCES townships (id) DEFERRABLE INITIALLY DEFERRED,
    school_id TEXT REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    grade TEXT,
    reasons TEXT NOT NULL DEFAULT '[]',
    groups TEXT NOT NULL DEFAULT '[]',
    plan TEXT,
    status TEXT NOT NULL,
    placement TEXT,
    opened_on TEXT NOT NULL,
    guardian_name TEXT,
    guardian_phone TEXT,
    address TEXT
);
CREATE INDEX dropout_cases_student_id ON dropout_cases (student_id);
CREATE INDEX dropout_cases_township_id ON dropout_cases (township_id);
CREATE INDEX dropout_cases_school_id ON dropout_cases (school_id);
CREATE INDEX dropout_cases_resident_id ON dropout_cases (resident_id);

CREATE TABLE dropout_statuses (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    case_id TEXT NOT NULL REFERENCES dropout_cases (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    from_status TEXT,
    status TEXT NOT NULL,
    placement TEXT,
    note TEXT,
    made_by TEXT
);
CREATE INDEX dropout_statuses_case_id ON dropout_statuses (case_id);

CREATE TABLE dropout_duties (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    case_id TEXT NOT NULL REFERENCES dropout_cases (id) DEFERRABLE INITIALLY DEFERRED,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT
);
CREATE INDEX dropout_duties_case_id ON dropout_duties (case_id);

CREATE TABLE dropout_visits (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    case_id TEXT NOT NULL REFERENCES dropout_cases (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    method TEXT NOT NULL,
    participants TEXT NOT NULL,
    result TEXT NOT NULL,
    next_step TEXT,
    next_due TEXT,
    attachment_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX dropout_visits_case_id ON dropout_visits (case_id);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('enrolment_changes', 'enrolment_change', 200),
    ('dropout_dismissals', 'dropout_dismissal', 205),
    ('dropout_cases', 'dropout_case', 210),
    ('dropout_statuses', 'dropout_status', 220),
    ('dropout_duties', 'dropout_duty', 230),
    ('dropout_visits', 'dropout_visit', 240);

CREATE TRIGGER enrolment_changes_guard_insert BEFORE INSERT ON enrolment_changes
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'enrolment_changes' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to enrolment_changes outside the change log'); END;
CREATE TRIGGER enrolment_changes_guard_update BEFORE UPDATE ON enrolment_changes
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'enrolment_changes' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to enrolment_changes outside the change log'); END;
CREATE TRIGGER enrolment_changes_guard_delete BEFORE DELETE ON enrolment_changes
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'enrolment_changes')
BEGIN SELECT RAISE(ABORT, 'rows of enrolment_changes are tombstoned, never deleted'); END;
CREATE TRIGGER dropout_cases_guard_insert BEFORE INSERT ON dropout_cases
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_cases' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_cases outside the change log'); END;
CREATE TRIGGER dropout_cases_guard_update BEFORE UPDATE ON dropout_cases
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_cases' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_cases outside the change log'); END;
CREATE TRIGGER dropout_cases_guard_delete BEFORE DELETE ON dropout_cases
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'dropout_cases')
BEGIN SELECT RAISE(ABORT, 'rows of dropout_cases are tombstoned, never deleted'); END;
CREATE TRIGGER dropout_statuses_guard_insert BEFORE INSERT ON dropout_statuses
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_statuses' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_statuses outside the change log'); END;
CREATE TRIGGER dropout_statuses_guard_update BEFORE UPDATE ON dropout_statuses
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_statuses' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_statuses outside the change log'); END;
CREATE TRIGGER dropout_statuses_guard_delete BEFORE DELETE ON dropout_statuses
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'dropout_statuses')
BEGIN SELECT RAISE(ABORT, 'rows of dropout_statuses are tombstoned, never deleted'); END;
CREATE TRIGGER dropout_duties_guard_insert BEFORE INSERT ON dropout_duties
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_duties' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_duties outside the change log'); END;
CREATE TRIGGER dropout_duties_guard_update BEFORE UPDATE ON dropout_duties
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_duties' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_duties outside the change log'); END;
CREATE TRIGGER dropout_duties_guard_delete BEFORE DELETE ON dropout_duties
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'dropout_duties')
BEGIN SELECT RAISE(ABORT, 'rows of dropout_duties are tombstoned, never deleted'); END;
CREATE TRIGGER dropout_visits_guard_insert BEFORE INSERT ON dropout_visits
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_visits' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_visits outside the change log'); END;
CREATE TRIGGER dropout_visits_guard_update BEFORE UPDATE ON dropout_visits
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'dropout_visits' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to dropout_visits outside the change log'); END;
CREATE TRIGGER dropout_visits_guard_delete BEFORE DELETE ON dropout_visits
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'dropout_visits')
BEGIN SELECT RAISE(ABORT, 'rows of dropout_visits are tombstoned, never deleted'); END;
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
