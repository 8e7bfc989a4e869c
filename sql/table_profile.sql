-- Rows by source and kind, and character-length percentiles of each text field, for one record table.
-- Approximate percentiles (t-digest, one streaming pass) rather than exact ones, which sort each
-- column in full: within a few per cent at 1M records; the statistics asset says so.
SELECT
    source,
    kind,
    count(*)                                         AS records,
    approx_quantile(length(instruction), [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS instruction_chars,
    approx_quantile(length(input),       [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS input_chars,
    approx_quantile(length(response),    [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS response_chars
FROM main.{table}
GROUP BY ALL
ORDER BY source, kind;
