DELETE FROM main.synthetic_batches WHERE source = $batch;
