"""Selection: the best subset of train for a budget, under coverage constraints."""
