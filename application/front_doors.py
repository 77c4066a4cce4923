"""The application's outer edge: one front door per flow, the only things entry points call.

Routes, Lambda handlers and CLI commands parse their input, call one front door, and
render what it returns; the composition root (``entrypoints/container.py``) builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.admin.front_door import Admin
from application.feeds.front_door import Feeds
from application.inbound.front_door import Inbound
from application.links.front_door import Links
from application.outbound.front_door import Outbound
from application.privacy.front_door import Privacy
from application.reading.front_door import Reading
from application.sessions.front_door import Sessions
from application.webhooks.front_door import Webhooks


@dataclass(frozen=True)
class FrontDoors:
    """Inbound (what arrives), outbound (what is sent), links (what people follow),
    reading (what is shown), admin (who may do what), sessions (signing in to the web
    app) and privacy (recipients' access and erasure requests)."""

    inbound: Inbound
    outbound: Outbound
    links: Links
    reading: Reading
    admin: Admin
    sessions: Sessions
    privacy: Privacy
    # Subscription feeds: signed calendar feeds of an organizer, a domain or an audience.
    feeds: Feeds
    # Webhooks: endpoints, their delivery logs, and the delivery work.
    webhooks: Webhooks
