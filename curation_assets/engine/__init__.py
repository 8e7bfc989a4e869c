"""Where stage work runs: the local worker pool today; the shard functions are engine-agnostic."""
