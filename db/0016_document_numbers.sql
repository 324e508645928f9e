-- 0016 发文字号: a finalized visit's 督导意见书 and 整改通知书 carry document numbers
-- given out when it is finalized (domain/doc_numbers.py), synced with the visit.

ALTER TABLE visits ADD COLUMN opinion_no TEXT;
ALTER TABLE visits ADD COLUMN notice_no TEXT;
CREATE INDEX visits_opinion_no ON visits (opinion_no) WHERE opinion_no IS NOT NULL;
CREATE INDEX visits_notice_no ON visits (notice_no) WHERE notice_no IS NOT NULL;
