"""The NoticeSender adapter: plain-text emails that tell organizers what became of their invites.

Each kind has a template ``notices/<kind>.txt.j2`` that sets ``subject`` and writes the body.
Facts by kind: rejected ``reason`` (``advice``, ``subject``); limit ``limit``, ``used``
(``what``); counter ``attendee``, ``proposed`` (``current``, ``comment``); forwarded-reply
``from``, ``text`` (``subject``); held (``changes``, ``sequence``); created and held need
``invite``. Counts are facts named ``count.<outcome or status>`` (shown in the order given),
invalid rows ``invalid.<line number>`` (the first 50 are shown).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from adapters.outbound.bodies import UNTITLED, environment
from adapters.outbound.notice_mail import attachment_name, notice_message, plain
from adapters.outbound.renderer import stamp_of
from adapters.outbound.text import calendar_text, checked_address, checked_message_id, one_line
from application.ports import Mailer, Notice, NoticeSender, OutgoingMail

REQUIRED_FACTS: dict[str, tuple[str, ...]] = {
    "created": (),
    "rejected": ("reason",),
    "limit": ("limit", "used"),
    "held": (),
    "bulk-summary": (),
    "rsvp-report": (),
    "counter": ("attendee", "proposed"),
    "forwarded-reply": ("from", "text"),
    "sign-in": ("link", "minutes"),
    "webhook-disabled": ("endpoint", "url", "reason"),
}
NEEDS_INVITE = frozenset({"created", "held"})
NOTICE_IDS = UUID("5d4eb029-240c-4ffc-94cf-fe5827d179e5")
MAX_ROWS = 50


def quoted(text: str) -> str:
    """Return ``text`` as an email quotation: every line starts with "> "."""
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def _line_order(row: tuple[str, str]) -> tuple[int, str]:
    return (int(row[0]) if row[0].isdigit() else 1 << 62, row[0])


def context_of(notice: Notice) -> dict[str, Any]:
    """Return what a notice template may use: plain text, on one line where it must be."""
    facts = {key: calendar_text(plain(value)) or "" for key, value in notice.facts.items()}
    rows = sorted(
        ((k.removeprefix("invalid."), v) for k, v in facts.items() if k.startswith("invalid.")),
        key=_line_order,
    )
    title = one_line(plain(notice.title))
    return {
        "kind": notice.kind,
        "title": title or UNTITLED,
        "has_title": title is not None,
        "invite": str(notice.invite) if notice.invite else None,
        "facts": facts,
        "counts": [
            (k.removeprefix("count."), one_line(v) or "0")
            for k, v in facts.items()
            if k.startswith("count.")
        ],
        "invalid_rows": [(line, one_line(problem) or "") for line, problem in rows[:MAX_ROWS]],
        "more_invalid_rows": max(0, len(rows) - MAX_ROWS),
        "attachment": attachment_name(notice.attachment[0]) if notice.attachment else None,
    }


def notice_id(notice: Notice, domain: str) -> str:
    """Return the notice's Message-ID: a retried notice gets the same one, another notice not."""
    attached = None
    if notice.attachment is not None:
        name, data = notice.attachment
        attached = [name, hashlib.sha256(data).hexdigest()]
    facts = sorted(notice.facts.items())
    key = [notice.kind, notice.to, str(notice.invite or ""), notice.title, facts, attached]
    return f"<{uuid5(NOTICE_IDS, json.dumps(key))}@{domain}>"


class EmailNoticeSender(NoticeSender):
    """Renders a notice from its kind's template (the operator's folder first) and mails it."""

    def __init__(
        self, mailer: Mailer, *, sender: str, domain: str, templates: Path | None = None
    ) -> None:
        self._mailer = mailer
        self._sender = checked_address(sender)
        self._domain = checked_message_id(f"<notice@{domain}>").removeprefix("<notice@")[:-1]
        self._templates = environment(templates)
        self._templates.filters["quoted"] = quoted

    def send(self, notice: Notice, *, now: datetime) -> str:
        """Render and send ``notice``; return where the mailer put it."""
        if notice.kind not in REQUIRED_FACTS:
            raise ValueError(f"unknown notice kind: {notice.kind!r}")
        missing = [f for f in REQUIRED_FACTS[notice.kind] if not notice.facts.get(f)]
        if notice.kind in NEEDS_INVITE and notice.invite is None:
            missing.append("an invite")
        if missing:
            raise ValueError(f"a {notice.kind} notice needs {', '.join(missing)}")
        to = checked_address(notice.to)
        template = self._templates.get_template(f"notices/{notice.kind}.txt.j2")
        page = template.make_module(context_of(notice))
        message_id = notice_id(notice, self._domain)
        data = notice_message(
            sender=self._sender,
            to=to,
            # The subject is rendered text like the body, so it is forced onto one line.
            subject=one_line(str(getattr(page, "subject", ""))) or "About your invite",
            date=stamp_of(now),
            message_id=message_id,
            body=str(page),
            attachment=notice.attachment,
        )
        return self._mailer.send(OutgoingMail(message_id, self._sender, to, data))
