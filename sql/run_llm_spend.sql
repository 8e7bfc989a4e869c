SELECT coalesce(sum(requests), 0), coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_spend WHERE run_id = $run_id;
