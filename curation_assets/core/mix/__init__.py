"""Mixing: real records plus the synthetic records the caps admit."""
