SELECT size, records, path, sha256, by_source, over_max_tokens, dropped_by_source FROM main.ladder ORDER BY size;
