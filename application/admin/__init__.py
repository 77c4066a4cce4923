"""Admin: organizers (allow, suspend, limits, review, policies) and API keys."""
