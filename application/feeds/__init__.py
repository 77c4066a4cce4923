"""Subscription feeds: calendars people subscribe to by a signed link (docs/architecture.md)."""
