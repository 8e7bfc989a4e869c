"""Cleaning: formatting repairs, PII, and quality/language/safety rules."""
