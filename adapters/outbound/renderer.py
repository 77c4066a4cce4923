"""The InviteRenderer adapter: icalendar for the invite, the email package for the mail."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment
from markupsafe import escape

from adapters.outbound.bodies import context_of, environment, render_bodies, subject_of
from adapters.outbound.calendar import PersonalCalendar, publication_of
from adapters.outbound.fillable import FillableText
from adapters.outbound.headers import address_line, list_unsubscribe_lines
from adapters.outbound.mime import Layout
from adapters.outbound.text import checked_address, checked_message_id, one_line
from application.ports import InviteRenderer, InviteWording, OutgoingMail
from domain.outbound import Addressee, OutboundInvite
from domain.values import Method
from domain.web_links import ANSWERS, checked_base_url, rsvp_urls


def stamp_of(now: datetime) -> datetime:
    """Return ``now`` as the DTSTAMP and Date: UTC, whole seconds (naive means UTC)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


class IcalendarInviteRenderer(InviteRenderer):
    """Renders each version once, then gives every recipient a copy with their own lines.

    With ``web_base_url``, invitations (not cancellations) to addressees holding an RSVP link
    token also carry Accept / Maybe / Decline links to the web under that address, at
    ``rsvp_path`` (the web server's RSVP route; the composition root passes the one it serves).
    Addressees holding an unsubscribe token (mail from a list) get ``List-Unsubscribe``: the
    one-click URL under ``unsubscribe_path`` (with a web address) and their ``mailto:``.
    """

    def __init__(
        self,
        templates: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        web_base_url: str | None = None,
        rsvp_path: str = "/v1/rsvp/",
        unsubscribe_path: str = "/v1/unsubscribe/",
    ) -> None:
        self._templates = environment(templates)
        # Only calendar files read it: their DTSTAMP is when the file was made (RFC 5545 3.8.7.2).
        self._clock = clock or (lambda: datetime.now(UTC))
        self._web = None if web_base_url is None else checked_base_url(web_base_url) + rsvp_path
        self._unsubscribe = (
            None if web_base_url is None else checked_base_url(web_base_url) + unsubscribe_path
        )

    def render(
        self,
        invite: OutboundInvite,
        addressees: Sequence[Addressee],
        *,
        sender: str,
        now: datetime,
    ) -> Iterator[OutgoingMail]:
        """Yield one email per addressee, in order (docs/architecture.md, Outbound mail)."""
        stamp = stamp_of(now)
        calendar = PersonalCalendar(invite, stamp)
        version = _Version(self._templates, invite, checked_address(sender), stamp)
        # Links answer invitations: a cancellation has nothing left to answer.
        web = self._web if invite.method == Method.REQUEST else None
        for addressee in addressees:
            address = checked_address(addressee.address)
            token = addressee.rsvp_token
            values = version.links(web, token) if web and token else None
            data = version.layout(linked=values is not None).message(
                to=address_line("To", one_line(addressee.name), address),
                reply_to=address_line("Reply-To", None, checked_address(addressee.reply_address)),
                message_id=checked_message_id(addressee.message_id),
                calendar=calendar.for_addressee(addressee),
                values=values,
            )
            yield OutgoingMail(
                addressee.message_id, sender, address, self._unsubscribing(addressee) + data
            )

    def _unsubscribing(self, addressee: Addressee) -> bytes:
        """Return the addressee's List-Unsubscribe lines (RFC 8058), or nothing for personal
        mail. Header order carries no meaning (RFC 5322): they lead the message."""
        token, mailbox = addressee.unsubscribe_token, addressee.unsubscribe_address
        if not token or not mailbox:
            return b""
        if not token.isascii() or not token.isalnum():
            raise ValueError(f"not an unsubscribe token: {token!r}")
        url = f"{self._unsubscribe}{token}" if self._unsubscribe else None
        return list_unsubscribe_lines(url, checked_address(mailbox))

    def calendar_file(self, invite: OutboundInvite) -> bytes:
        """Return the version as an "add to calendar" file (METHOD:PUBLISH, nobody invited)."""
        return bytes(publication_of(invite, stamp_of(self._clock())).to_ical())

    def describe(self, invite: OutboundInvite) -> InviteWording:
        """Return the version's event in the words of its invitation's bodies."""
        context = context_of(invite)
        return InviteWording(
            title=context["title"],
            when=context["occurrence"] or context["when"],
            repeats=context["repeats"],
            location=context["location"],
            organizer=context["organizer"],
            cancelled=context["cancelled"],
        )


class _Version:
    """One version's shared parts, made on first use: with holes for links, and without."""

    def __init__(
        self, templates: Environment, invite: OutboundInvite, sender: str, stamp: datetime
    ) -> None:
        self._templates = templates
        self._invite = invite
        self._sender = sender
        self._stamp = stamp
        # Unguessable per render, so no event text can pose as a hole; never in the output.
        nonce = secrets.token_hex(12)
        self._holes = {answer: f"cis{nonce}{answer}" for answer in ANSWERS}
        self._layouts: dict[bool, Layout] = {}

    def layout(self, *, linked: bool) -> Layout:
        """Return the layout for copies with links (holes in the bodies) or without."""
        if linked not in self._layouts:
            holes = self._holes if linked else None
            text, html = render_bodies(self._templates, self._invite, holes)
            marks = list(holes.values()) if holes else []
            self._layouts[linked] = Layout(
                sender=self._sender,
                subject=subject_of(self._invite),
                date=self._stamp,
                method=self._invite.method.value,
                bodies=(
                    FillableText(text, "plain", marks),
                    # Escaped as the template's autoescape would: the same bytes as a render
                    # per recipient.
                    FillableText(html, "html", marks, escape=lambda url: str(escape(url))),
                ),
                boundary=f"{self._invite.invite.hex}_{self._invite.sequence}",
            )
        return self._layouts[linked]

    def links(self, web: str, token: str) -> dict[str, str]:
        """Return each hole's value for the link ``token``: the URL giving that answer."""
        urls = rsvp_urls(web, token)
        return {hole: urls[answer] for answer, hole in self._holes.items()}
