"""Verification of synthetic records: rule checks, code execution in a sandbox, an LLM judge."""
