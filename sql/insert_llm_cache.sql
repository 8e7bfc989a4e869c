INSERT OR REPLACE INTO llm_cache BY NAME SELECT * FROM arrived_completions;
