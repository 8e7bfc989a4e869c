SELECT c.request_key, c.content, c.finish_reason, c.prompt_tokens, c.completion_tokens, c.received_at
FROM llm_cache c JOIN wanted_keys w ON c.request_key = w.request_key;
