-- 0009 学生资助, first part: programmes and standards per school year, and the
-- working-day calendar (holidays on weekdays, weekend days that are working days).
-- All three are set by the county at the hub and go to every device (sync/scope.py).

CREATE TABLE aid_programmes (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    school_year TEXT NOT NULL,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    basis TEXT NOT NULL,
    hardship_only INTEGER NOT NULL DEFAULT 0,
    groups TEXT NOT NULL DEFAULT '[]',
    position INTEGER,
    note TEXT
);
CREATE INDEX aid_programmes_school_year ON aid_programmes (school_year);

CREATE TABLE aid_standards (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    programme_id TEXT NOT NULL REFERENCES aid_programmes (id) DEFERRABLE INITIALLY DEFERRED,
    section TEXT NOT NULL,
    level TEXT NOT NULL,
    boarding TEXT NOT NULL,
    amount REAL,
    note TEXT
);
CREATE INDEX aid_standards_programme_id ON aid_standards (programme_id);

CREATE TABLE calendar_days (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    source TEXT NOT NULL
);
CREATE INDEX calendar_days_date ON calendar_days (date);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('aid_programmes', 'aid_programme', 300),
    ('aid_standards', 'aid_standard', 301),
    ('calendar_days', 'calendar_day', 302);
CREATE TRIGGER aid_programmes_guard_insert BEFORE INSERT ON aid_programmes
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_programmes' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_programmes outside the change log'); END;
CREATE TRIGGER aid_programmes_guard_update BEFORE UPDATE ON aid_programmes
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_programmes' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_programmes outside the change log'); END;
CREATE TRIGGER aid_programmes_guard_delete BEFORE DELETE ON aid_programmes
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_programmes')
BEGIN SELECT RAISE(ABORT, 'rows of aid_programmes are tombstoned, never deleted'); END;
CREATE TRIGGER aid_standards_guard_insert BEFORE INSERT ON aid_standards
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_standards' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_standards outside the change log'); END;
CREATE TRIGGER aid_standards_guard_update BEFORE UPDATE ON aid_standards
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'aid_standards' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to aid_standards outside the change log'); END;
CREATE TRIGGER aid_standards_guard_delete BEFORE DELETE ON aid_standards
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'aid_standards')
BEGIN SELECT RAISE(ABORT, 'rows of aid_standards are tombstoned, never deleted'); END;
CREATE TRIGGER calendar_days_guard_insert BEFORE INSERT ON calendar_days
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'calendar_days' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to calendar_days outside the change log'); END;
CREATE TRIGGER calendar_days_guard_update BEFORE UPDATE ON calendar_days
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'calendar_days' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to calendar_days outside the change log'); END;
CREATE TRIGGER calendar_days_guard_delete BEFORE DELETE ON calendar_days
WHEN NOT EXISTS (SELECT 1 FROM purging WHERE tbl = 'calendar_days')
BEGIN SELECT RAISE(ABORT, 'rows of calendar_days are tombstoned, never deleted'); END;
