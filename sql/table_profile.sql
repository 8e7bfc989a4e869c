-- Rows by source and kind, and character-length percentiles of each text field, for one record table.
SELECT
    source,
    kind,
    count(*)                                         AS records,
    quantile_cont(length(instruction), [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS instruction_chars,
    quantile_cont(length(input),       [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS input_chars,
    quantile_cont(length(response),    [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]) AS response_chars
FROM main.{table}
GROUP BY ALL
ORDER BY source, kind;
