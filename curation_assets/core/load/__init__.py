"""Loading: source files (and inbox files, benchmarks) read into canonical records."""
