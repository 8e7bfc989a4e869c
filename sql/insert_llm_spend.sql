INSERT INTO llm_spend VALUES ($run_id, $requests, $prompt_tokens, $completion_tokens, $recorded_at);
