"""Inbound: mail that arrives (invites, updates, replies, bounces, lists) and the
organizer's own changes, each turned into exactly one recorded outcome."""
