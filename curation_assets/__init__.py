"""curation: instruction data → checked, warehoused, formatted training datasets."""
