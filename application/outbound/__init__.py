"""Outbound: sending invites (one, a list, held updates, retries, queued jobs) and the
organizer notices about them."""
