-- Every record the dedup stage kept, in any run: a new batch is deduplicated against all of it.
-- `scheme` names the settings `signature` (num_perm little-endian uint32 MinHash values) and the keys were made with.
CREATE TABLE IF NOT EXISTS dedup_history (
    record_id       VARCHAR NOT NULL,
    source          VARCHAR,
    source_position BIGINT,
    kind            VARCHAR,
    instruction     VARCHAR,
    input           VARCHAR,
    response        VARCHAR,
    content_key     VARCHAR,
    prompt_key      VARCHAR,
    response_key    VARCHAR,
    scheme          VARCHAR,
    signature       BLOB
);
