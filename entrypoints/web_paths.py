"""Where the HTTP API serves what mail links to; the composition root hands it to the renderer."""

# The RSVP links' route: entrypoints/api/routes/public.py's /rsvp/{token} under the API's /v1.
RSVP_PATH = "/v1/rsvp/"
# The web app's sign-in links: entrypoints/web/ serves /sign-in/{token} at the root.
SIGN_IN_PATH = "/sign-in/"
