"""Implementations of the application's ports: parsing, storage, mail."""
