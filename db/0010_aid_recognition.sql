-- 0010 家庭经济困难认定: one recognition per student per school year with its household
-- members and its dated status events (domain/aid_recognition.py). Synced with the
-- student's school (sync/scope.py); bookkeeping columns and guard triggers as in 0006.

CREATE TABLE aid_recognitions (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    student_id TEXT NOT NULL REFERENCES students (id) DEFERRABLE INITIALLY DEFERRED,
    school_year TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    groups TEXT NOT NULL DEFAULT '[]',
    level TEXT,
    household_size INTEGER,
    household_income REAL,
    situation TEXT,
    review_date TEXT,
    review_result TEXT,
    notice_from TEXT,
    notice_to TEXT,
    notice_place TEXT,
    decided_on TEXT,
    status TEXT NOT NULL,
    recheck_of TEXT REFERENCES aid_recognitions (id) DEFERRABLE INITIALLY DEFERRED,
    note TEXT
);
CREATE INDEX aid_recognitions_student_id ON aid_recognitions (student_id);
CREATE INDEX aid_recognitions_school_year_status ON aid_recognitions (school_year, status);

CREATE TABLE aid_household_members (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    recognition_id TEXT NOT NULL REFERENCES aid_recognitions (id) DEFERRABLE INITIALLY DEFERRED,
    name TEXT NOT NULL,
    age INTEGER,
    relation TEXT NOT NULL,
    employer TEXT,
    income REAL,
    health TEXT
);
CREATE INDEX aid_household_members_recognition_id ON aid_household_members (recognition_id);

CREATE TABLE aid_recognition_events (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    recognition_id TEXT NOT NULL REFERENCES aid_recognitions (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    from_status TEXT,
    status TEXT NOT NULL,
    note TEXT,
    made_by TEXT
);
CREATE INDEX aid_recognition_events_recognition_id ON aid_recognition_events (recognition_id);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('aid_recognitions', 'aid_recognition', 310),
    ('aid_household_members', 'aid_household_member', 311),
    ('aid_recognition_events', 'aid_recognition_event', 312);
CREATE TRIGGER aid_recognitions_guard_insert BEFORE INSERT ON aid_recognitions
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_recognitions' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_recognitions outside the change log'); END;
CREATE TRIGGER aid_recognitions_guard_update BEFORE UPDATE ON aid_recognitions
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_recognitions' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_recognitions outside the change log'); END;
CREATE TRIGGER aid_recognitions_guard_delete BEFORE DELETE ON aid_recognitions
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_recognitions')
BEGIN SELECT RAISE(ABORT, 'rows of aid_recognitions are tombstoned, never deleted'); END;
CREATE TRIGGER aid_household_members_guard_insert BEFORE INSERT ON aid_household_members
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_household_members' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_household_members outside the change log'); END;
CREATE TRIGGER aid_household_members_guard_update BEFORE UPDATE ON aid_household_members
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_household_members' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_household_members outside the change log'); END;
CREATE TRIGGER aid_household_members_guard_delete BEFORE DELETE ON aid_household_members
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_household_members')
BEGIN SELECT RAISE(ABORT, 'rows of aid_household_members are tombstoned, never deleted'); END;
CREATE TRIGGER aid_recognition_events_guard_insert BEFORE INSERT ON aid_recognition_events
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_recognition_events' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_recognition_events outside the change log'); END;
CREATE TRIGGER aid_recognition_events_guard_update BEFORE UPDATE ON aid_recognition_events
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_recognition_events' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_recognition_events outside the change log'); END;
CREATE TRIGGER aid_recognition_events_guard_delete BEFORE DELETE ON aid_recognition_events
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_recognition_events')
BEGIN SELECT RAISE(ABORT, 'rows of aid_recognition_events are tombstoned, never deleted'); END;
