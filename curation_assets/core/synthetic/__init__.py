"""Synthetic data: rule- and template-based generators, transforms, and LLM task prompts/parsers."""
