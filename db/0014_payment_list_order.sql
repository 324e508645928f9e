-- 0014 The payment list (发放明细) opens newest first by walking this index: about
-- 100,000 payments at the county, where sorting them all by a joined name takes 0.3 s.
CREATE INDEX aid_payments_created ON aid_payments (created_hlc);
