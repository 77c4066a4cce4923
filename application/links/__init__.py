"""Links: the signed public links recipients follow (RSVP answers, calendar files,
landing-page sends)."""
