-- 0003 inspections (督导检查): checklist templates and their items (authored at the hub,
-- versioned, immutable once published), visits with answers, findings with rectification
-- deadlines, follow-up results, signatures and amendments. All synced; bookkeeping
-- columns and write guards as in 0001.

CREATE TABLE checklist_templates (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    template_kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    published_on TEXT,
    supersedes_id TEXT REFERENCES checklist_templates (id) DEFERRABLE INITIALLY DEFERRED,
    default_deadline_days INTEGER,
    note TEXT
);

CREATE TABLE checklist_items (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    template_id TEXT NOT NULL REFERENCES checklist_templates (id) DEFERRABLE INITIALLY DEFERRED,
    section TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT,
    content TEXT NOT NULL,
    item_kind TEXT NOT NULL,
    max_score REAL,
    deduction_rule TEXT,
    method TEXT,
    choices TEXT NOT NULL DEFAULT '[]',
    deadline_days INTEGER,
    photo_required INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checklist_items_template_id_position ON checklist_items (template_id, position);

CREATE TABLE visits (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    school_id TEXT NOT NULL REFERENCES schools (id) DEFERRABLE INITIALLY DEFERRED,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    template_id TEXT NOT NULL REFERENCES checklist_templates (id) DEFERRABLE INITIALLY DEFERRED,
    inspector_ids TEXT NOT NULL DEFAULT '[]',
    term TEXT,
    status TEXT NOT NULL,
    summary TEXT,
    follow_up_of TEXT REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    head_name TEXT,
    signed_on_paper INTEGER NOT NULL DEFAULT 0,
    finalized_on TEXT,
    total_score REAL,
    max_score REAL
);
CREATE INDEX visits_school_id_date ON visits (school_id, date);
CREATE INDEX visits_status_date ON visits (status, date);

CREATE TABLE visit_answers (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    visit_id TEXT NOT NULL REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    item_id TEXT NOT NULL REFERENCES checklist_items (id) DEFERRABLE INITIALLY DEFERRED,
    value TEXT,
    score REAL,
    note TEXT,
    photo_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX visit_answers_visit_id_item_id ON visit_answers (visit_id, item_id);

CREATE TABLE findings (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    visit_id TEXT NOT NULL REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    item_id TEXT REFERENCES checklist_items (id) DEFERRABLE INITIALLY DEFERRED,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    requirement TEXT NOT NULL,
    deadline TEXT NOT NULL,
    responsible TEXT,
    status TEXT NOT NULL,
    closed_on TEXT
);
CREATE INDEX findings_visit_id ON findings (visit_id);
CREATE INDEX findings_status_deadline ON findings (status, deadline);

CREATE TABLE finding_checks (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    finding_id TEXT NOT NULL REFERENCES findings (id) DEFERRABLE INITIALLY DEFERRED,
    visit_id TEXT NOT NULL REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    result TEXT NOT NULL,
    note TEXT,
    photo_ids TEXT NOT NULL DEFAULT '[]',
    checked_on TEXT NOT NULL
);
CREATE INDEX finding_checks_finding_id ON finding_checks (finding_id);
CREATE INDEX finding_checks_visit_id ON finding_checks (visit_id);

CREATE TABLE visit_signatures (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    visit_id TEXT NOT NULL REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    attachment_id TEXT REFERENCES attachments (id) DEFERRABLE INITIALLY DEFERRED,
    on_paper INTEGER NOT NULL DEFAULT 0,
    signed_on TEXT NOT NULL
);
CREATE INDEX visit_signatures_visit_id ON visit_signatures (visit_id);

CREATE TABLE visit_amendments (
    id TEXT PRIMARY KEY, origin_device TEXT NOT NULL, created_hlc TEXT NOT NULL,
    hlc TEXT NOT NULL, versions TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    visit_id TEXT NOT NULL REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    reason TEXT NOT NULL,
    changes TEXT NOT NULL,
    amended_on TEXT NOT NULL,
    amended_by TEXT
);
CREATE INDEX visit_amendments_visit_id ON visit_amendments (visit_id);

INSERT INTO sync_tables (name, kind, position) VALUES
    ('checklist_templates', 'checklist_template', 100),
    ('checklist_items', 'checklist_item', 110),
    ('visits', 'visit', 120),
    ('visit_answers', 'visit_answer', 130),
    ('findings', 'finding', 140),
    ('finding_checks', 'finding_check', 150),
    ('visit_signatures', 'visit_signature', 160),
    ('visit_amendments', 'visit_amendment', 170);

CREATE TRIGGER checklist_templates_guard_insert BEFORE INSERT ON checklist_templates
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'checklist_templates' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to checklist_templates outside the change log'); END;
CREATE TRIGGER checklist_templates_guard_update BEFORE UPDATE ON checklist_templates
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'checklist_templates' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to checklist_templates outside the change log'); END;
CREATE TRIGGER checklist_templates_guard_delete BEFORE DELETE ON checklist_templates
BEGIN SELECT RAISE(ABORT, 'rows of checklist_templates are tombstoned, never deleted'); END;
CREATE TRIGGER checklist_items_guard_insert BEFORE INSERT ON checklist_items
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'checklist_items' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to checklist_items outside the change log'); END;
CREATE TRIGGER checklist_items_guard_update BEFORE UPDATE ON checklist_items
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'checklist_items' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to checklist_items outside the change log'); END;
CREATE TRIGGER checklist_items_guard_delete BEFORE DELETE ON checklist_items
BEGIN SELECT RAISE(ABORT, 'rows of checklist_items are tombstoned, never deleted'); END;
CREATE TRIGGER visits_guard_insert BEFORE INSERT ON visits
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visits' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visits outside the change log'); END;
CREATE TRIGGER visits_guard_update BEFORE UPDATE ON visits
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visits' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visits outside the change log'); END;
CREATE TRIGGER visits_guard_delete BEFORE DELETE ON visits
BEGIN SELECT RAISE(ABORT, 'rows of visits are tombstoned, never deleted'); END;
CREATE TRIGGER visit_answers_guard_insert BEFORE INSERT ON visit_answers
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_answers' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_answers outside the change log'); END;
CREATE TRIGGER visit_answers_guard_update BEFORE UPDATE ON visit_answers
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_answers' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_answers outside the change log'); END;
CREATE TRIGGER visit_answers_guard_delete BEFORE DELETE ON visit_answers
BEGIN SELECT RAISE(ABORT, 'rows of visit_answers are tombstoned, never deleted'); END;
CREATE TRIGGER findings_guard_insert BEFORE INSERT ON findings
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'findings' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to findings outside the change log'); END;
CREATE TRIGGER findings_guard_update BEFORE UPDATE ON findings
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'findings' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to findings outside the change log'); END;
CREATE TRIGGER findings_guard_delete BEFORE DELETE ON findings
BEGIN SELECT RAISE(ABORT, 'rows of findings are tombstoned, never deleted'); END;
CREATE TRIGGER finding_checks_guard_insert BEFORE INSERT ON finding_checks
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'finding_checks' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to finding_checks outside the change log'); END;
CREATE TRIGGER finding_checks_guard_update BEFORE UPDATE ON finding_checks
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'finding_checks' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to finding_checks outside the change log'); END;
CREATE TRIGGER finding_checks_guard_delete BEFORE DELETE ON finding_checks
BEGIN SELECT RAISE(ABORT, 'rows of finding_checks are tombstoned, never deleted'); END;
CREATE TRIGGER visit_signatures_guard_insert BEFORE INSERT ON visit_signatures
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_signatures' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_signatures outside the change log'); END;
CREATE TRIGGER visit_signatures_guard_update BEFORE UPDATE ON visit_signatures
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_signatures' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_signatures outside the change log'); END;
CREATE TRIGGER visit_signatures_guard_delete BEFORE DELETE ON visit_signatures
BEGIN SELECT RAISE(ABORT, 'rows of visit_signatures are tombstoned, never deleted'); END;
CREATE TRIGGER visit_amendments_guard_insert BEFORE INSERT ON visit_amendments
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_amendments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_amendments outside the change log'); END;
CREATE TRIGGER visit_amendments_guard_update BEFORE UPDATE ON visit_amendments
WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
  OR NOT EXISTS (SELECT 1 FROM change_log WHERE seq = NEW.seq AND tbl = 'visit_amendments' AND row_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'write to visit_amendments outside the change log'); END;
CREATE TRIGGER visit_amendments_guard_delete BEFORE DELETE ON visit_amendments
BEGIN SELECT RAISE(ABORT, 'rows of visit_amendments are tombstoned, never deleted'); END;
