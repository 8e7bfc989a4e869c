-- End to end, in = out + rejected: every record that entered `combined` is in a split or rejected
-- by a stage after it. Rejections at stages before `combined` (loading, verification) never entered it.
SELECT
    (SELECT count(*) FROM main.combined)                                       AS entered,
    (SELECT count(*) FROM main.train) + (SELECT count(*) FROM main.eval)       AS exported,
    (SELECT count(*) FROM rejections WHERE NOT list_contains($before_combine, stage)) AS rejected;
