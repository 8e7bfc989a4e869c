-- One row per record any stage dropped, with the stage and the reason: in = out + rejected.
CREATE TABLE IF NOT EXISTS rejections (
    record_id       VARCHAR NOT NULL,
    source          VARCHAR,
    source_position BIGINT,
    stage           VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    detail          VARCHAR,
    instruction     VARCHAR,
    input           VARCHAR,
    response        VARCHAR,
    kind            VARCHAR,
    lineage         VARCHAR
);
