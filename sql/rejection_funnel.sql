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
    -- The stages in the order records pass them (a synthetic batch's generation before its verification).
    CASE stage WHEN 'load' THEN 0 WHEN 'synthetic' THEN 1 WHEN 'verify' THEN 2 WHEN 'combine' THEN 3
               WHEN 'mix' THEN 4 WHEN 'clean' THEN 5 WHEN 'decontaminate' THEN 6 WHEN 'dedup' THEN 7
               WHEN 'split' THEN 8 ELSE 9 END,
    records DESC, reason;
