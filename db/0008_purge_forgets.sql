-- 0008 a purge forgets which changes the laptop saw of a row, not only their data.
-- A purged entry keeps its number and stamp (receipts name them) but its row id becomes
-- 'purged:<seq>': when the row comes back into the zone later (a school moved back, a
-- workspace restored), the same changes are taken again instead of being dropped as
-- already held, which left the returning row without them for good.

DROP TRIGGER change_log_no_update;
UPDATE change_log SET row_id = 'purged:' || seq WHERE purged = 1 AND row_id NOT LIKE 'purged:%';

CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
WHEN NOT (OLD.purged = 0 AND NEW.purged = 1 AND NEW.data = '{}' AND NEW.base = '{}'
          AND NEW.seq = OLD.seq AND NEW.tbl = OLD.tbl
          AND NEW.row_id = 'purged:' || OLD.seq
          AND NEW.hlc = OLD.hlc AND NEW.device_id = OLD.device_id AND NEW.op = OLD.op
          AND NEW.source IS OLD.source AND NEW.author IS OLD.author)
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
