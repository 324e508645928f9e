-- 0017 更正: an amendment keeps the 校验码 of the 督导意见书 it replaces, so that the
-- amended version names the one before it (and verification can say which replaced
-- a printed copy).

ALTER TABLE visit_amendments ADD COLUMN supersedes TEXT;
