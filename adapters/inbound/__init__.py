"""Inbound mail: raw email or bare .ics bytes → one iTIP message (see ``parser``)."""
