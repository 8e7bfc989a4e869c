-- The drop funnel: per stage and reason, how many records, and a few examples of each.
SELECT
    stage,
    reason,
    count(*) AS records,
    list(struct_pack(record_id := record_id, source := source, source_position := source_position,
                     detail := detail, instruction := left(coalesce(instruction, ''), 300),
                     response := left(coalesce(response, ''), 300)) ORDER BY record_id)[1:$examples] AS examples
FROM rejections
GROUP BY stage, reason
ORDER BY
    CASE stage WHEN 'load' THEN 0 WHEN 'verify' THEN 1 WHEN 'mix' THEN 2 WHEN 'clean' THEN 3
               WHEN 'decontaminate' THEN 4 WHEN 'dedup' THEN 5 ELSE 9 END,
    records DESC, reason;
