"""Erasure on the read side: an erased person's view rows, as a replay would build them.

Once a person is erased, their sealed events decode with a placeholder address
(``erased-<hex>@erased.invalid``), no names, and ``[erased]`` for every free-text reason; so
``cis replay`` builds their attendee rows under the placeholder, with the same buckets and so
the same counts. Erasing a person's views must leave them in that very shape, or the views
would change on the next replay: each row (and everything keyed by the address) moves to the
placeholder with its personal fields stripped exactly as the decoded events would give them.

No view lists suppressions: the suppression list is read from the event log
(application/outbound/suppressions.py), so its erasure is the event side's business.

The store's deleted bytes are only gone once it is scrubbed (:meth:`ReadModel.scrub`): a
SQLite file keeps overwritten pages in its write-ahead log until a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from application.projections.attendees import HISTORY, bucket_of
from application.projections.keys import META, AttendeeBucket, Attendees, StreamMeta
from application.projections.projector import Projector
from application.projections.session import Views, committed
from application.projections.store import ReadModel
from domain.identity import attendance_id, normalize_address

# What a free-text reason of an erased person's event decodes to.
ERASED = "[erased]"
# History entries that end with an event's free-text reason (attendees.evolve_row).
_WITH_REASON = ("send failed: ", "bounced: ")
# Reply fields sealed with the author's own key, so None once decoded (who forwarded them the
# invitation is sealed with that person's key, and stays theirs).
_REPLY_PERSONAL = ("name", "verified_by")


@dataclass(frozen=True)
class Anonymized:
    """What erasing one person from one invite's views changed (counts only: no address)."""

    invite: str
    rows: int  # attendee rows moved to the placeholder (more than one: spellings merged)
    streams: int  # stream meta items that now name the placeholder
    forwards: int  # other attendees' rows that no longer say this person forwarded to them

    def __bool__(self) -> bool:
        return bool(self.rows or self.streams or self.forwards)


def anonymize_person(
    store: ReadModel,
    address: str,
    placeholder: str,
    *,
    streams: Iterable[UUID | str],
    invites: Iterable[UUID | str] = (),
    forwardees: Iterable[str] = (),
    projector: Projector | None = None,
) -> list[Anonymized]:
    """Erase ``address`` from every invite's views it is in, as :func:`anonymize_attendee`
    does for one: the ``invites`` named and those the meta items of the person's
    ``streams`` (any of theirs: streams no view is made of are passed over) point to.

    Each stream's meta is read once here, so each invite reads only its own streams. Scrub
    the store afterwards (:meth:`ReadModel.scrub`), once.
    """
    by_invite: dict[str, list[str]] = {str(invite): [] for invite in invites}
    for stream in dict.fromkeys(str(s) for s in streams):
        meta = store.get(StreamMeta(stream), META)
        if meta is not None and "address" in meta.data:
            by_invite.setdefault(str(meta.data["invite"]), []).append(stream)
    people = list(forwardees)
    erase = partial(anonymize_attendee, store, forwardees=people, projector=projector)
    return [
        erase(invite, address, placeholder, streams=own)
        for invite, own in sorted(by_invite.items())
    ]


def anonymize_attendee(
    store: ReadModel,
    invite: UUID | str,
    address: str,
    placeholder: str,
    *,
    streams: Iterable[UUID | str] = (),
    forwardees: Iterable[str] = (),
    projector: Projector | None = None,
) -> Anonymized:
    """Move ``address``'s views of one invite to ``placeholder``, stripped as a replay of
    their erased events would build them, in one commit (retried on conflicts); idempotent.

    ``streams`` are the person's delivery streams of the invite (their ids derive from the
    reply token, which the views cannot know); their attendance stream is found here. The
    streams' meta items are rewritten too, so events projected later land on the placeholder
    row. ``forwardees`` are the people who answered this person's forwarded copy (the
    addresses their delivery's ``ForwardeeEnrolled`` events name): their rows stop naming
    this person as the forwarder (``forwarded_by`` becomes ``placeholder``). Counters keep
    their totals; ``projector`` (its shard count) must be the one that built the views.
    """
    counting = projector or Projector()
    own, people = list(streams), list(forwardees)  # read again on every attempt
    return committed(
        store,
        lambda session: anonymize_in(session, invite, address, placeholder, own, people, counting),
    )


def anonymize_in(
    views: Views,
    invite: UUID | str,
    address: str,
    placeholder: str,
    streams: Iterable[UUID | str] = (),
    forwardees: Iterable[str] = (),
    projector: Projector | None = None,
) -> Anonymized:
    """Do :func:`anonymize_attendee`'s work in ``views`` (a session the caller commits)."""
    invite = str(invite)
    wanted = normalize_address(address)
    ids = {str(s) for s in streams} | {str(attendance_id(UUID(invite), address))}
    spellings = {address, wanted}
    relabelled = 0
    for stream in sorted(ids):
        meta = views.get(StreamMeta(stream), META)
        named = meta.get("address") if meta is not None else None
        if meta is None or named is None or meta.get("invite") != invite:
            continue
        if normalize_address(named) == wanted:
            spellings.add(named)
            views.put(StreamMeta(stream), META, {**meta, "address": placeholder})
            relabelled += 1
    moved = _move_rows(views, invite, sorted(spellings - {placeholder}), placeholder, projector)
    forwards = sum(
        _unforward(views, invite, forwardee, wanted, placeholder) for forwardee in forwardees
    )
    return Anonymized(invite, moved, relabelled, forwards)


def anonymized_row(row: Mapping[str, Any], placeholder: str) -> dict[str, Any]:
    """Return an attendee row as the person's erased events build it: the placeholder
    address, no name, no reply name nor forwarder nor voucher, reasons ``[erased]``."""
    reply = row["reply"]
    return {
        **row,
        "address": placeholder,
        "name": None,
        "reply": None if reply is None else {**reply, **dict.fromkeys(_REPLY_PERSONAL)},
        "history": [_erased_entry(entry) for entry in row["history"]],
    }


def _erased_entry(entry: Mapping[str, str]) -> dict[str, str]:
    what = entry["what"]
    for prefix in _WITH_REASON:
        if what.startswith(prefix):
            return {**entry, "what": prefix + ERASED}
    return dict(entry)


def _move_rows(
    views: Views,
    invite: str,
    spellings: list[str],
    placeholder: str,
    projector: Projector | None,
) -> int:
    """Replace the rows of ``spellings`` (and a placeholder row, if one exists) by one
    placeholder row; move their bucket index entries and counter shards with them."""
    pk = Attendees(invite)
    found = {sk: row for sk in spellings if (row := views.get(pk, sk)) is not None}
    if not found:
        return 0
    existing = views.get(pk, placeholder)
    olds = {**found, **({placeholder: existing} if existing is not None else {})}
    row = anonymized_row(_merged(list(olds.values())), placeholder)
    counting = projector or Projector()
    for sk, old in olds.items():
        views.delete(AttendeeBucket(invite, bucket_of(old)), sk)
        if sk != placeholder:
            views.delete(pk, sk)
        for (counter, name), n in counting.counts(pk, sk, old).items():
            views.add(counter, name, -n)
    views.put(pk, placeholder, row)
    views.put(AttendeeBucket(invite, bucket_of(row)), placeholder, {})
    # The invite's counters come back as they were; the system's change shard only (it is
    # chosen by the row's address), as a replay would count them.
    for (counter, name), n in counting.counts(pk, placeholder, row).items():
        views.add(counter, name, n)
    return len(found)


def _merged(rows: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """Return one row from rows of one person under several spellings of the address: what
    a replay builds when all their streams decode to the same placeholder."""
    if len(rows) == 1:
        return rows[0]
    replies = [r["reply"] for r in rows if r["reply"] is not None]
    sent = [r["last_sequence_sent"] for r in rows if r["last_sequence_sent"] is not None]
    history = sorted((e for r in rows for e in r["history"]), key=lambda e: (e["at"], e["what"]))
    return {
        **rows[0],
        "recipient": any(r["recipient"] for r in rows),
        "origin": next((r["origin"] for r in rows if r["origin"] is not None), None),
        "last_sequence_sent": max(sent) if sent else None,
        "bounced": any(r["bounced"] for r in rows),
        "reply": max(replies, key=lambda r: r.get("at") or "") if replies else None,
        "history": history[-HISTORY:],
    }


def _unforward(views: Views, invite: str, forwardee: str, forwarder: str, placeholder: str) -> int:
    """Make ``forwardee``'s row name the placeholder, not ``forwarder``, as who forwarded."""
    pk = Attendees(invite)
    changed = 0
    for sk in dict.fromkeys((forwardee, normalize_address(forwardee))):
        row = views.get(pk, sk)
        reply = row["reply"] if row is not None else None
        named = reply.get("forwarded_by") if reply is not None else None
        if row is None or reply is None or named is None:
            continue
        if normalize_address(named) == forwarder:
            # Neither bucket nor counters depend on who forwarded: the row alone changes.
            views.put(pk, sk, {**row, "reply": {**reply, "forwarded_by": placeholder}})
            changed += 1
    return changed
