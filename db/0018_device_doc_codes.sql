-- 0018 发文代字: the county hub gives each centre laptop its document-number code once,
-- at enrolment (巫督高唐, 巫督高唐二 ...), on its device record: never recomputed, so a
-- laptop moved to another centre, or a second laptop enrolled, never shares numbers.

ALTER TABLE devices ADD COLUMN doc_code TEXT;
