"""Why a message carries no usable invitation, worded for the person who sent it.

Stable ``Unusable.kind`` codes produced by this adapter:

- ``empty``: zero bytes (or only whitespace).
- ``tnef``: Outlook's winmail.dat (TNEF), bare or as an application/ms-tnef part, no calendar.
- ``bounce``: a delivery status notification (multipart/report; report-type=delivery-status).
- ``no-calendar``: an email (or unrecognisable bytes) with no text/calendar, application/ics
  or .ics part.
- ``not-an-event``: a calendar with VTODO, VJOURNAL or VFREEBUSY but no VEVENT.
- ``several-uids``: VEVENTs with different UIDs in one message (iTIP allows one).
- ``too-large``: the header section is longer than any mail client writes (256 KiB).
- ``malformed``: the calendar cannot be read: not iCalendar, truncated, no VEVENT, a VEVENT
  without UID, an unknown METHOD, an unreadable RRULE or RECURRENCE-ID, or any other error.
"""

from __future__ import annotations

from domain.messages import Unusable

_RESEND = "export the invitation again from your calendar app and send it as an .ics attachment"


def quote(value: object, limit: int = 80) -> str:
    """Return message-supplied text safe to embed in a reason: one line, bounded length."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def empty() -> Unusable:
    """The input had no bytes."""
    return Unusable("empty", "the message is empty (zero bytes); send the invitation again")


def tnef() -> Unusable:
    """Outlook sent a winmail.dat instead of an iCalendar invitation."""
    return Unusable(
        "tnef",
        "Outlook sent this invitation as a winmail.dat attachment (TNEF, 'Outlook Rich Text "
        "Format'), which only Outlook can read, and no iCalendar part; in Outlook choose "
        "File > Options > Mail > Compose messages in HTML (and for this recipient 'Send "
        "using Internet format' rather than Rich Text), then send the meeting again, or save "
        "the meeting as an .ics file and attach it",
    )


def bounce() -> Unusable:
    """A delivery status notification, not an invitation."""
    return Unusable(
        "bounce",
        "this is a delivery status notification (a bounce), not an invitation: a message "
        "could not be delivered; check the recipient address it names, nothing was recorded",
    )


def no_calendar(looks_like_email: bool) -> Unusable:
    """No calendar part anywhere in the message."""
    if not looks_like_email:
        return Unusable(
            "no-calendar",
            "the data is neither an email nor an iCalendar file (it does not start with "
            "BEGIN:VCALENDAR); send the invitation from your calendar app",
        )
    return Unusable(
        "no-calendar",
        "the message has no calendar part (text/calendar or .ics attachment); attach the "
        "invitation from your calendar app, or forward the original invitation as is",
    )


def not_an_event(found: list[str]) -> Unusable:
    """Only tasks, journal entries or free/busy data."""
    names = ", ".join(sorted(set(found)))
    return Unusable(
        "not-an-event",
        f"the calendar holds {names} but no VEVENT; this server records meeting invitations "
        "(events) only, so send an event invitation instead of a task, note or free/busy",
    )


def several_uids(uids: list[str]) -> Unusable:
    """More than one event in one message."""
    listed = ", ".join(quote(uid, 60) for uid in uids[:5]) + (", …" if len(uids) > 5 else "")
    return Unusable(
        "several-uids",
        f"the calendar holds {len(uids)} different events (UIDs {listed}); iTIP allows one "
        "event per message, so send each invitation separately",
    )


def malformed(problem: str) -> Unusable:
    """The calendar part exists but cannot be read; ``problem`` says what is wrong."""
    return Unusable("malformed", f"{problem}; {_RESEND}")


def headers_too_large(limit: int) -> Unusable:
    """The header section is longer than any mail client writes."""
    return Unusable(
        "too-large",
        f"the message's header section is larger than {limit // 1024} KiB, which no mail "
        "client writes, so it was not read; send the invitation again from your calendar app",
    )
