"""Reading: invites, histories, reports, the outbox and the dashboards' views."""
