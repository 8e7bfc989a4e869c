-- Every completion an LLM endpoint returned, keyed by the hash of (model, messages, sampling):
-- an identical request is answered from here and costs nothing. Written as responses arrive.
CREATE TABLE IF NOT EXISTS llm_cache (
    request_key       VARCHAR PRIMARY KEY,
    model             VARCHAR NOT NULL,
    request           VARCHAR NOT NULL,
    content           VARCHAR,
    finish_reason     VARCHAR,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    received_at       VARCHAR NOT NULL,
    run_id            VARCHAR
);
-- What each run spent on the endpoint (cache hits are free): the per-run budget reads it.
CREATE TABLE IF NOT EXISTS llm_spend (
    run_id            VARCHAR NOT NULL,
    requests          BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    recorded_at       VARCHAR NOT NULL
);
