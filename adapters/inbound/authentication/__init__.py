"""Sender authentication: DKIM, SPF and DMARC alignment, verified here or read from a trusted MTA."""
