-- A stage (or one source's load) re-run replaces its own earlier rejections, nothing else.
DELETE FROM rejections WHERE stage = $stage AND ($source IS NULL OR source = $source);
