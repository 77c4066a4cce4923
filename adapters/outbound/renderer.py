"""The InviteRenderer adapter: icalendar for the invite, the email package for the mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.outbound.bodies import environment, render_bodies, subject_of
from adapters.outbound.calendar import PersonalCalendar, publication_of
from adapters.outbound.headers import address_line
from adapters.outbound.mime import Layout
from adapters.outbound.text import checked_address, checked_message_id, one_line
from application.ports import InviteRenderer, OutgoingMail
from domain.outbound import Addressee, OutboundInvite


def stamp_of(now: datetime) -> datetime:
    """Return ``now`` as the DTSTAMP and Date: UTC, whole seconds (naive means UTC)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


class IcalendarInviteRenderer(InviteRenderer):
    """Renders each version once, then gives every recipient a copy with their own lines."""

    def __init__(
        self, templates: Path | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._templates = environment(templates)
        # Only calendar files read it: their DTSTAMP is when the file was made (RFC 5545 3.8.7.2).
        self._clock = clock or (lambda: datetime.now(UTC))

    def render(
        self,
        invite: OutboundInvite,
        addressees: Sequence[Addressee],
        *,
        sender: str,
        now: datetime,
    ) -> Iterator[OutgoingMail]:
        """Yield one email per addressee, in order (DESIGN.md, Outbound mail)."""
        stamp = stamp_of(now)
        calendar = PersonalCalendar(invite, stamp)
        layout = Layout(
            sender=checked_address(sender),
            subject=subject_of(invite),
            date=stamp,
            method=invite.method.value,
            bodies=render_bodies(self._templates, invite),
            boundary=f"{invite.invite.hex}_{invite.sequence}",
        )
        for addressee in addressees:
            address = checked_address(addressee.address)
            data = layout.message(
                to=address_line("To", one_line(addressee.name), address),
                reply_to=address_line("Reply-To", None, checked_address(addressee.reply_address)),
                message_id=checked_message_id(addressee.message_id),
                calendar=calendar.for_addressee(addressee),
            )
            yield OutgoingMail(addressee.message_id, sender, address, data)

    def calendar_file(self, invite: OutboundInvite) -> bytes:
        """Return the version as an "add to calendar" file (METHOD:PUBLISH, nobody invited)."""
        return bytes(publication_of(invite, stamp_of(self._clock())).to_ical())
