INSERT INTO main.conflicts BY NAME SELECT * FROM staged_conflicts ORDER BY kind, conflict_id;
