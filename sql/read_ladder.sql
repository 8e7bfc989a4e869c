SELECT size, records, path, sha256, by_source FROM main.ladder ORDER BY size;
