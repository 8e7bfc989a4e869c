-- When this batch, with exactly this configuration, was first generated (re-materializing keeps it).
SELECT min(json_extract_string(lineage, '$.generated_at'))
FROM main.synthetic_batches
WHERE source = $batch AND json_extract_string(lineage, '$.fingerprint') = $fingerprint;
