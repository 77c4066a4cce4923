"""Sample invites and replies for ``cis serve --demo``: made here, sent through the real paths."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress

from application.errors import InviteNotFoundError
from application.front_doors import FrontDoors
from application.send_types import Recipient
from application.vocabulary import Scope
from domain.authentication import SenderAuthentication
from domain.outbound import server_uid
from domain.reply_tokens import reply_address, reply_token

ORGANIZER = "organizer@demo.example"
# Who administers the demo's web app (unless CIS_ADMINS names others).
DEMO_ADMIN = "admin@demo.example"
GUESTS = [
    ("ada@demo.example", "Ada Lovelace", "ACCEPTED"),
    ("alan@demo.example", "Alan Turing", "DECLINED"),
    ("grace@demo.example", "Grace Hopper", "TENTATIVE"),
    ("edsger@demo.example", "Edsger Dijkstra", None),
]
TITLES = ("Quarterly planning", "Design review", "Team dinner")
# The demo's admin token, in the data folder: the same key on every run (cis serve --demo).
KEY_FILE = "demo-api-key"


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Calendar Invite Server//demo//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _uid(number: int) -> str:
    return f"demo-{number}@demo.example"


def invite(number: int, now: datetime) -> bytes:
    """Return the organizer's REQUEST for demo invite ``number``."""
    calendar = _calendar("REQUEST")
    event = Event()
    start = (now + timedelta(days=3 + 7 * number)).replace(minute=0, second=0, microsecond=0)
    event.add("uid", _uid(number))
    event.add("summary", TITLES[number % len(TITLES)])
    event.add("location", "Room 4")
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(hours=1))
    event.add("dtstamp", now)
    event.add("sequence", 0)
    event.add("organizer", vCalAddress(f"mailto:{ORGANIZER}"), parameters={"CN": "Demo Organizer"})
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def reply(doors: FrontDoors, invite_id: str, guest: str, partstat: str) -> tuple[bytes, str]:
    """Return a guest's REPLY to the copy the server sent, and the address it goes to."""
    settings = doors.inbound.outbound
    token = reply_token(settings.secret, doors.reading.show(invite_id).invite, guest)
    address = reply_address(token, settings.rsvp_mailbox, settings.domain)
    calendar = _calendar("REPLY")
    event = Event()
    event.add("uid", server_uid(doors.reading.show(invite_id).invite, settings.domain))
    event.add("dtstamp", datetime.now().astimezone())
    event.add("sequence", 0)
    event.add("organizer", vCalAddress(f"mailto:{address}"))
    event.add("attendee", vCalAddress(f"mailto:{guest}"), parameters={"PARTSTAT": partstat})
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data, address


def _mail(sender: str, method: str, calendar: bytes) -> bytes:
    """Return ``calendar`` as the email a calendar client would send from ``sender``."""
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = f"Demo {method.lower()}"
    message.set_content(calendar.decode("utf-8"), subtype="calendar", params={"method": method})
    return message.as_bytes()


def _vouched(address: str) -> SenderAuthentication:
    """The demo's own sample mail is made here, so the demo vouches for its senders."""
    domain = address.rpartition("@")[2]
    return SenderAuthentication(
        checked_by="the demo (sample data)",
        from_domain=domain,
        aligned=True,
        aligned_by=f"demo {domain}",
    )


def _loaded(doors: FrontDoors, number: int) -> str | None:
    """Return the id of demo invite ``number`` if an earlier run made it."""
    try:
        return str(doors.reading.show(_uid(number)).invite)
    except InviteNotFoundError:
        return None


def load_demo(doors: FrontDoors, create_address: str, now: datetime) -> list[str]:
    """Create the demo invites, send them to the guests, record some replies; return ids.

    Each invite is made once per data folder: one an earlier run made is left as it is (sent
    again, it would be an update, its dates moved to this run's), and its id returned.
    """
    ids = []
    for number in range(len(TITLES)):
        made = _loaded(doors, number)
        if made is not None:
            ids.append(made)
            continue
        result = doors.inbound.ingest(
            _mail(ORGANIZER, "REQUEST", invite(number, now)),
            now=now,
            envelope_to=create_address,
            envelope_from=ORGANIZER,
            authentication=_vouched(ORGANIZER),
        )
        if result.invite is None:
            continue
        ids.append(str(result.invite))
        doors.outbound.send(
            str(result.invite), [Recipient(a, n, "landing") for a, n, _ in GUESTS], now=now
        )
        for address, _, partstat in GUESTS[: len(GUESTS) - number]:
            if partstat is not None:
                data, to = reply(doors, str(result.invite), address, partstat)
                doors.inbound.ingest(
                    _mail(address, "REPLY", data),
                    now=now,
                    envelope_to=to,
                    envelope_from=address,
                    authentication=_vouched(address),
                )
    return ids


def demo_api_key(doors: FrontDoors, folder: Path | None, now: datetime) -> str:
    """Return the demo's admin API key: the one kept in ``folder`` (``demo-api-key``) while it
    is still valid there, else a new one, kept there for the next run (readable by its owner
    only). Without a folder (a store that does not outlive the process) a new one each time."""
    kept = folder / KEY_FILE if folder is not None else None
    if kept is not None and kept.is_file():
        kept.chmod(0o600)  # a copy made by hand stays the owner's alone
        token = kept.read_text(encoding="ascii", errors="replace").strip()
        principal = doors.admin.keys.authenticate(token, now)
        if principal is not None and principal.kind == Scope.ADMIN:
            return token
    _, token = doors.admin.keys.create(Scope.ADMIN, None, "demo", now)
    if kept is not None:
        _write_private(kept, token + "\n")
    return token


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 from the moment it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.incoming")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def demo_sign_in(doors: FrontDoors, now: datetime) -> str | None:
    """Return a sign-in link for the demo's organizer (None where links cannot be made)."""
    try:
        return doors.sessions.link_for(ORGANIZER, now)
    except (ValueError, RuntimeError):
        return None
