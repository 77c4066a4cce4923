"""Composition root and the ways in: CLI (and later HTTP, Lambda)."""
