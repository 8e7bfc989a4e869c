INSERT INTO main.duplicate_clusters BY NAME SELECT * FROM staged_clusters ORDER BY cluster_id;
