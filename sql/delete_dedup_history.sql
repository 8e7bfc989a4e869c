-- The batch is decided as a whole: its earlier rows (and rows re-signed under new settings) are replaced.
DELETE FROM dedup_history WHERE record_id IN (SELECT record_id FROM staged_history_scope);
