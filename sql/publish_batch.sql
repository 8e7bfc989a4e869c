-- One synthetic batch (a partition) replaces only its own rows; other batches are untouched.
CREATE TABLE IF NOT EXISTS main.synthetic_batches AS SELECT * FROM staged WHERE false;
