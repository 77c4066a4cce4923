"""The pure model of calendar invites: aggregates, events, value objects and iTIP rules."""
