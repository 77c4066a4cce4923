"""Webhooks: endpoints, the fan-out of the event log to them, and signed delivery."""
