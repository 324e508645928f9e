-- 0001 foundation: reference entities, students, staff, devices, attachments, and the
-- sync machinery every synced table shares.
--
-- Every synced table has the same bookkeeping columns:
--   id            UUID text primary key (never an autoincrement: rows are born on many devices)
--   origin_device the device that created the row
--   created_hlc   hybrid-logical-clock stamp of the creating change (version of every field
--                 not listed in `versions`)
--   hlc           stamp of the latest change applied to the row
--   versions      JSON {field: stamp} for fields changed after creation (field-level merge)
--   seq           change_log.seq of the latest change applied (the write guard checks it)
--   deleted       1 = tombstone; rows about children are never hard-deleted
-- Guard triggers refuse any insert or update that does not name a matching change_log
-- entry, and any hard delete: no write can escape the change log.

PRAGMA application_id = 1465075505;  -- 'WSK1'

CREATE TABLE local_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Synced tables, in the order a package applies them (parents before children).
CREATE TABLE sync_tables (
    name     TEXT PRIMARY KEY,
    kind     TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;

CREATE TABLE change_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl       TEXT NOT NULL,
    row_id    TEXT NOT NULL,
    hlc       TEXT NOT NULL,
    device_id TEXT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    data      TEXT NOT NULL CHECK (json_valid(data)),
    -- {field: stamp} of the version each changed field replaced, as the editor saw it;
    -- sync compares it with the receiver's version to tell sequential from concurrent edits
    base      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(base)),
    source    TEXT,  -- NULL: made on this device; else the peer it was received from
    UNIQUE (hlc, tbl, row_id)
);
CREATE INDEX change_log_row ON change_log (tbl, row_id, seq);

CREATE TABLE counties (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    code TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE townships (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    county_id TEXT NOT NULL REFERENCES counties (id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE centres (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    county_id TEXT NOT NULL REFERENCES counties (id) DEFERRABLE INITIALLY DEFERRED,
    address TEXT,
    phone TEXT
);

CREATE TABLE centre_townships (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    centre_id TEXT NOT NULL REFERENCES centres (id) DEFERRABLE INITIALLY DEFERRED,
    township_id TEXT NOT NULL REFERENCES townships (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX centre_townships_centre ON centre_townships (centre_id);

CREATE TABLE schools (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    code TEXT,
    type TEXT NOT NULL,
    township_id TEXT NOT NULL REFERENCES townships (id) DEFERRABLE INITIALLY DEFERRED,
    address TEXT,
    head TEXT,
    phone TEXT,
    boarding INTEGER NOT NULL DEFAULT 0,
    sort_key TEXT NOT NULL DEFAULT ''      -- derived: pinyin of the name, local only
);
CREATE INDEX schools_township ON schools (township_id);

CREATE TABLE students (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    resident_id TEXT,
    student_number TEXT,
    school_id TEXT NOT NULL REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    grade TEXT NOT NULL,
    class_name TEXT,
    guardian_name TEXT,
    guardian_relation TEXT,
    guardian_phone TEXT,
    hukou_type TEXT,
    hukou_address TEXT,
    special_groups TEXT NOT NULL DEFAULT '[]',
    sort_key TEXT NOT NULL DEFAULT ''      -- derived: pinyin of the name, local only
);
CREATE INDEX students_school_grade ON students (school_id, grade);
CREATE INDEX students_sort ON students (sort_key);
CREATE INDEX students_resident_id ON students (resident_id);
CREATE INDEX students_student_number ON students (student_number);

CREATE TABLE staff (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    sex TEXT,
    role TEXT NOT NULL,
    phone TEXT,
    centre_id TEXT REFERENCES centres (id) DEFERRABLE INITIALLY DEFERRED,
    school_id TEXT REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    certificate_no TEXT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    centre_id TEXT REFERENCES centres (id) DEFERRABLE INITIALLY DEFERRED,
    sign_public_key TEXT,
    encrypt_public_key TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT,
    owner_kind TEXT,
    owner_id TEXT,
    note TEXT
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('counties', 'county', 10),
    ('townships', 'township', 20),
    ('centres', 'centre', 30),
    ('centre_townships', 'centre_township', 40),
    ('schools', 'school', 50),
    ('devices', 'device', 60),
    ('staff', 'staff', 70),
    ('students', 'student', 80),
    ('attachments', 'attachment', 90);

-- Chinese substring search over names and identifiers (trigram: 3+ characters; shorter
-- queries fall back to instr() on the base table, see store/search.py).
CREATE VIRTUAL TABLE students_fts USING fts5 (
    name, resident_id, student_number,
    content = 'students', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER students_fts_ai AFTER INSERT ON students BEGIN
    INSERT INTO students_fts (rowid, name, resident_id, student_number)
    VALUES (NEW.rowid, NEW.name, NEW.resident_id, NEW.student_number);
END;
CREATE TRIGGER students_fts_au AFTER UPDATE OF name, resident_id, student_number ON students BEGIN
    INSERT INTO students_fts (students_fts, rowid, name, resident_id, student_number)
    VALUES ('delete', OLD.rowid, OLD.name, OLD.resident_id, OLD.student_number);
    INSERT INTO students_fts (rowid, name, resident_id, student_number)
    VALUES (NEW.rowid, NEW.name, NEW.resident_id, NEW.student_number);
END;

-- Write guards (one set per synced table; later migrations add a set for each new one).
CREATE TRIGGER counties_guard_insert BEFORE INSERT ON counties
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'counties' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to counties outside the change log'); END;
CREATE TRIGGER counties_guard_update BEFORE UPDATE ON counties
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'counties' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to counties outside the change log'); END;
CREATE TRIGGER counties_guard_delete BEFORE DELETE ON counties
BEGIN SELECT RAISE(ABORT, 'rows of counties are tombstoned, never deleted'); END;
CREATE TRIGGER townships_guard_insert BEFORE INSERT ON townships
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'townships' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to townships outside the change log'); END;
CREATE TRIGGER townships_guard_update BEFORE UPDATE ON townships
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'townships' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to townships outside the change log'); END;
CREATE TRIGGER townships_guard_delete BEFORE DELETE ON townships
BEGIN SELECT RAISE(ABORT, 'rows of townships are tombstoned, never deleted'); END;
CREATE TRIGGER centres_guard_insert BEFORE INSERT ON centres
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'centres' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to centres outside the change log'); END;
CREATE TRIGGER centres_guard_update BEFORE UPDATE ON centres
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'centres' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to centres outside the change log'); END;
CREATE TRIGGER centres_guard_delete BEFORE DELETE ON centres
BEGIN SELECT RAISE(ABORT, 'rows of centres are tombstoned, never deleted'); END;
CREATE TRIGGER centre_townships_guard_insert BEFORE INSERT ON centre_townships
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'centre_townships' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to centre_townships outside the change log'); END;
CREATE TRIGGER centre_townships_guard_update BEFORE UPDATE ON centre_townships
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'centre_townships' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to centre_townships outside the change log'); END;
CREATE TRIGGER centre_townships_guard_delete BEFORE DELETE ON centre_townships
BEGIN SELECT RAISE(ABORT, 'rows of centre_townships are tombstoned, never deleted'); END;
CREATE TRIGGER schools_guard_insert BEFORE INSERT ON schools
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'schools' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to schools outside the change log'); END;
CREATE TRIGGER schools_guard_update BEFORE UPDATE ON schools
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'schools' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to schools outside the change log'); END;
CREATE TRIGGER schools_guard_delete BEFORE DELETE ON schools
BEGIN SELECT RAISE(ABORT, 'rows of schools are tombstoned, never deleted'); END;
CREATE TRIGGER devices_guard_insert BEFORE INSERT ON devices
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'devices' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to devices outside the change log'); END;
CREATE TRIGGER devices_guard_update BEFORE UPDATE ON devices
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'devices' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to devices outside the change log'); END;
CREATE TRIGGER devices_guard_delete BEFORE DELETE ON devices
BEGIN SELECT RAISE(ABORT, 'rows of devices are tombstoned, never deleted'); END;
CREATE TRIGGER staff_guard_insert BEFORE INSERT ON staff
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'staff' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to staff outside the change log'); END;
CREATE TRIGGER staff_guard_update BEFORE UPDATE ON staff
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'staff' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to staff outside the change log'); END;
CREATE TRIGGER staff_guard_delete BEFORE DELETE ON staff
BEGIN SELECT RAISE(ABORT, 'rows of staff are tombstoned, never deleted'); END;
CREATE TRIGGER students_guard_insert BEFORE INSERT ON students
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'students' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to students outside the change log'); END;
CREATE TRIGGER students_guard_update BEFORE UPDATE ON students
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'students' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to students outside the change log'); END;
CREATE TRIGGER students_guard_delete BEFORE DELETE ON students
BEGIN SELECT RAISE(ABORT, 'rows of students are tombstoned, never deleted'); END;
CREATE TRIGGER attachments_guard_insert BEFORE INSERT ON attachments
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'attachments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to attachments outside the change log'); END;
CREATE TRIGGER attachments_guard_update BEFORE UPDATE ON attachments
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'attachments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to attachments outside the change log'); END;
CREATE TRIGGER attachments_guard_delete BEFORE DELETE ON attachments
BEGIN SELECT RAISE(ABORT, 'rows of attachments are tombstoned, never deleted'); END;
