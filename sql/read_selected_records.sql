-- The selected records of train, whole, in record-id order (the selection's file is written from them).
SELECT t.* FROM main.train AS t SEMI JOIN main.selection AS s ON s.record_id = t.record_id AND s.selected
ORDER BY t.record_id;
