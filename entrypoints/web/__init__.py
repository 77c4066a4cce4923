"""The web app people sign in to: server-rendered pages over the same front doors as the API."""
