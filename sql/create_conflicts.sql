-- One row per conflict group of the last dedup run: kind is conflicting_response (same instruction+input,
-- different responses) or reused_response (same response, different instruction+input).
CREATE OR REPLACE TABLE main.conflicts (
    conflict_id VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    size        BIGINT NOT NULL,
    record_ids  VARCHAR[] NOT NULL,
    kept_ids    VARCHAR[] NOT NULL,
    policy      VARCHAR NOT NULL,
    shared_text VARCHAR
);
