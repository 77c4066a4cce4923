"""Where the HTTP API serves what mail links to; the composition root hands it to the renderer."""

from urllib.parse import quote

# The RSVP links' route: entrypoints/api/routes/public.py's /rsvp/{token} under the API's /v1.
RSVP_PATH = "/v1/rsvp/"
# The web app's sign-in links: entrypoints/web/ serves /sign-in/{token} at the root.
SIGN_IN_PATH = "/sign-in/"
# Subscription feeds: entrypoints/api/routes/feeds.py's /feeds/{kind}/{subject}.ics under /v1.
FEEDS_PATH = "/v1/feeds/"


def feed_urls(base: str, kind: str, subject: str, signature: str) -> tuple[str, str]:
    """Return a feed link's https:// (or http://) URL and its webcal:// twin.

    ``base`` is where the server is reached (``https://host``, no trailing slash); webcal://
    is the same address under the scheme calendar apps open as a subscription.
    """
    url = f"{base}{FEEDS_PATH}{kind}/{quote(subject, safe='@')}.ics?sig={quote(signature)}"
    return url, "webcal://" + url.split("://", 1)[1]
