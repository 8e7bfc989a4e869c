-- One partition (a synthetic batch, an inbox file) replaces only its own rows; the others are untouched.
CREATE TABLE IF NOT EXISTS main.{table} AS SELECT * FROM staged WHERE false;
