-- Each record's domain as the mix counted it (mix.record_domains).
SELECT record_id, domain FROM main.record_domains;
