"""Exports: training-file formats and the manifest."""
