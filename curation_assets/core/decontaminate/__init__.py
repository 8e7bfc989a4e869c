"""Decontamination: training records that overlap a benchmark."""
