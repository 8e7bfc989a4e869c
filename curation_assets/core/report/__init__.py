"""Reports: statistics, plots, ladders and the data card."""
