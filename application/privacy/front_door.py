"""Use cases: a person's right of access (export) and right to be forgotten (erase).

Erasing a recipient, in this order, each step safe to run again:

1. read what is theirs while it is still readable: the streams noted as about them (replies,
   deliveries, suppressions, landing claims, receipts of their mail, notices about them),
   the invitations those are part of, and the names they went by;
2. delete their key (:class:`~application.privacy.keyring.Keyring`): every sealed field of
   every event and snapshot about them now reads as their placeholder or as nothing, in
   every copy of the log, and the tombstone keeps them off every send path;
3. move their rows in the views to the placeholder, as a replay would now build them
   (counts unchanged);
4. delete the raw mail they sent, redact them out of the mail others sent (an organizer's
   invitation naming them, a list that had them) and out of the copies of sent mail.

Nothing here rewrites an event: an erasure is a deleted key, and a view, a blob or a file
that no longer holds them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.privacy.keys import placeholder
from application.privacy.personal import ERASED_TEXT
from application.projections.erasure import anonymize_person
from application.projections.store import ReadModel
from application.reading.history import history_entry
from application.store import InviteStore
from domain.identity import normalize_address
from domain.indexes import InboundMessage
from domain.values import Attendee


class KeptMail(Protocol):
    """What keeps mail and removes a person from it: the blob store (raw mail, uploads),
    the outbox folder (copies of sent mail)."""

    def erase(self, key: str) -> bool: ...

    def redact_all(self, needles: Mapping[str, str]) -> int: ...


@dataclass(frozen=True)
class Erasure:
    """What erasing one person did."""

    placeholder: str
    already: bool
    streams: int
    invitations: int
    view_rows: int
    messages_deleted: int
    messages_redacted: int
    copies_deleted: int
    copies_redacted: int

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape (CLI ``--json`` and the API)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class _Found:
    invites: set[UUID] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    own_mail: set[str] = field(default_factory=set)
    copies: set[str] = field(default_factory=set)
    forwardees: set[str] = field(default_factory=set)


@dataclass
class Privacy:
    """Access and erasure requests of recipients."""

    store: InviteStore
    views: ReadModel
    kept_mail: KeptMail
    sent_copies: KeptMail | None = None

    def export(self, address: str) -> dict[str, Any]:
        """Return everything recorded about the person at ``address`` (an access request)."""
        address = normalize_address(address)
        keyring = self.store.keyring
        kid = keyring.kid(address)
        records = []
        for stream in keyring.keys.streams(kid):
            events = list(self.store.events.get(stream))
            if not events:
                continue
            kind = type(events[0]).__qualname__.split(".")[0]
            records.append(
                {
                    "record": kind,
                    "id": str(stream),
                    "events": [history_entry(event).as_dict() for event in events],
                }
            )
        erased_at = keyring.keys.erased(kid)
        return {
            "address": address,
            "erased_at": erased_at.isoformat() if erased_at else None,
            "records": records,
        }

    def erase(self, address: str, *, now: datetime) -> Erasure:
        """Make the person at ``address`` unreadable everywhere and never mail them again.

        Mail first, while their names can still be read (an interrupted erasure run again
        finds everything again); then the key (from then on they are never mailed); then the
        views, which need only the address and the placeholder.
        """
        address = normalize_address(address)
        keyring = self.store.keyring
        kid = keyring.kid(address)
        stand_in = placeholder(kid)
        streams = list(keyring.keys.streams(kid))
        found = self._find(address, streams)
        # Names are replaced only in mail that names the address too: a name alone is others'.
        needles = {name: ERASED_TEXT for name in found.names if len(name.strip()) >= 3}
        needles[address] = stand_in
        deleted = sum(1 for key in sorted(found.own_mail) if self.kept_mail.erase(key))
        redacted = self.kept_mail.redact_all(needles)
        copies_deleted = copies_redacted = 0
        if self.sent_copies is not None:
            copies_deleted = sum(1 for where in sorted(found.copies) if self._erase_copy(where))
            copies_redacted = self.sent_copies.redact_all(needles)
        already = not keyring.erase(kid, now)
        done = anonymize_person(
            self.views,
            address,
            stand_in,
            streams=streams,
            invites=found.invites,
            forwardees=found.forwardees,
        )
        # Deleted rows must not linger in free pages or the WAL of the views' file.
        self.views.scrub()
        return Erasure(
            placeholder=stand_in,
            already=already,
            streams=len(streams),
            invitations=len(found.invites),
            view_rows=sum(anonymized.rows for anonymized in done),
            messages_deleted=deleted,
            messages_redacted=redacted,
            copies_deleted=copies_deleted,
            copies_redacted=copies_redacted,
        )

    def _erase_copy(self, where: str) -> bool:
        assert self.sent_copies is not None
        try:
            return self.sent_copies.erase(where)
        except ValueError:
            return False  # sent by a mailer that keeps no copy (SMTP, SES): nothing kept

    def _find(self, address: str, streams: Sequence[UUID]) -> _Found:
        found = _Found()
        for stream in streams:
            for event in self.store.events.get(stream):
                state = vars(event)
                if isinstance(state.get("invite"), UUID):
                    found.invites.add(state["invite"])
                kind = type(event).__qualname__
                if kind.startswith(InboundMessage.__qualname__ + "."):
                    found.own_mail.add(str(state["digest"]))
                if kind == FORWARDEE_ENROLLED and isinstance(state.get("address"), str):
                    found.forwardees.add(state["address"])
                if isinstance(state.get("where"), str) and state["where"]:
                    found.copies.add(state["where"])
                found.names.update(_names(address, state, own=True))
        for invite in found.invites:
            for event in self.store.events.get(invite):
                found.names.update(_names(address, vars(event), own=False))
        return found


FORWARDEE_ENROLLED = "Delivery.ForwardeeEnrolled"


def _names(address: str, value: Any, *, own: bool) -> Iterator[str]:
    """Yield the names the person at ``address`` went by, wherever ``value`` holds them:
    any name in their ``own`` streams (a delivery's, a reply's), and elsewhere only the
    name of an attendee with their address."""
    if isinstance(value, Attendee):
        if normalize_address(value.address) == address and value.name:
            yield value.name
        return
    if isinstance(value, dict):
        if own and isinstance(value.get("name"), str) and value["name"]:
            yield value["name"]
        for item in value.values():
            yield from _names(address, item, own=own)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _names(address, item, own=own)
    elif is_dataclass(value) and not isinstance(value, type):
        name = getattr(value, "name", None)
        if own and isinstance(name, str) and name:
            yield name
        for item in fields(value):
            yield from _names(address, getattr(value, item.name), own=own)
