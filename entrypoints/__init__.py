"""Composition root and the ways in: CLI, local server, HTTP API, Lambda handlers."""
