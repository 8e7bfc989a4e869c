-- Train's records with what the selection scores and embeds them by, in record-id order.
SELECT record_id, source, kind, instruction, input, response, rejected_response, earlier_turns, lineage
FROM main.train
ORDER BY record_id;
