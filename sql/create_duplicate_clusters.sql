-- One row per near-duplicate cluster of the last dedup run; member_ids start with the representative,
-- and jaccard / estimated_jaccard give each member's similarity to it (exact on shingles / MinHash).
CREATE OR REPLACE TABLE main.duplicate_clusters (
    cluster_id        VARCHAR NOT NULL,
    representative_id VARCHAR NOT NULL,
    size              BIGINT NOT NULL,
    member_ids        VARCHAR[] NOT NULL,
    jaccard           DOUBLE[] NOT NULL,
    estimated_jaccard DOUBLE[] NOT NULL
);
