"""Attendee rows: one per (invite, attendee), fed by the delivery and the attendance streams.

A row's counting status depends on the invite's current thresholds, which change with every
significant update, so rows are counted in buckets of (channel, reply SEQUENCE, PARTSTAT,
bounced) and the status of each bucket is decided when statistics are read. An update then
changes no counter at all, and reading statistics costs the same for ten or a million rows.
Each row is also listed under its bucket (by address), so the rows of one status are the
buckets that have it now, merged: a filtered page reads the rows it shows and no others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.domain import DomainEvent

from application.projections import events as ev
from application.reading.report import BOUNCED, NO_ANSWER, client_family
from domain.attendance import Reply
from domain.values import MASTER

Row = dict[str, Any]
# The newest entries of an attendee's history a row keeps.
HISTORY = 20
_NONE = "-"
# The bucket of a row with no reply that counts and no bounce (always "no answer").
UNANSWERED = "|".join((_NONE, _NONE, _NONE, "0"))
# The prefix of a bucket's counter among an invite's statistics counters.
BUCKET = "bucket:"


def new_row(invite: str, address: str) -> Row:
    """Return an empty row: no delivery, no reply yet."""
    return {
        "invite": invite,
        "address": address,
        "recipient": False,
        "name": None,
        "origin": None,
        "last_sequence_sent": None,
        "bounced": False,
        "reply": None,
        "history": [],
    }


def evolve_row(row: Mapping[str, Any], event: DomainEvent) -> Mapping[str, Any]:
    """Return the row after a delivery or attendance event of its attendee: a new dict, or
    ``row`` itself when the event changes nothing it shows."""
    kind, facts = type(event), vars(event)
    if kind is ev.ATTENDANCE_CREATED:
        return row  # it names the row (invite, address) and shows nothing in it
    new, at = dict(row), event.timestamp.isoformat()
    if kind is ev.DELIVERY_INVITED:
        new |= {"recipient": True, "name": facts["name"], "origin": facts["origin"]}
        return _noted(new, at, f"invited ({facts['origin']})")
    if kind is ev.DELIVERY_SENT:
        sequence, last = facts["sequence"], new["last_sequence_sent"]
        new["last_sequence_sent"] = sequence if last is None else max(last, sequence)
        return _noted(new, at, f"sent version {sequence}")
    if kind is ev.DELIVERY_SEND_FAILED and facts["permanent"]:
        return _noted(new, at, f"send failed: {facts['reason']}")
    if kind is ev.DELIVERY_BOUNCED:
        new["bounced"] = True
        return _noted(new, at, f"bounced: {facts['reason']}")
    reply = facts.get("reply")
    if kind is ev.ATTENDANCE_REPLY_RECORDED and isinstance(reply, Reply) and reply.key == MASTER:
        new["reply"] = _reply(reply)
        return _noted(new, at, f"replied {reply.partstat.lower()}")
    return row


def _reply(reply: Reply) -> dict[str, Any]:
    return {
        "partstat": reply.partstat.upper(),
        "sequence": reply.sequence,
        "channel": reply.channel,
        "at": reply.dtstamp.isoformat() if reply.dtstamp else None,
        "name": reply.name,
        "client": client_family(reply.prodid),
        "forwarded_by": reply.forwarded_by,
        "verified_by": reply.verified_by,
    }


def _noted(row: Row, at: str, what: str) -> Row:
    entry, history = {"at": at, "what": what}, row["history"]
    if not history or _when(history[-1]) <= _when(entry):
        row["history"] = [*history[-HISTORY + 1 :], entry]
    else:
        # The two streams of a row may be projected in either order: keep the history sorted.
        row["history"] = sorted([*history, entry], key=_when)[-HISTORY:]
    return row


def _when(entry: dict[str, str]) -> tuple[str, str]:
    return entry["at"], entry["what"]


def bucket_of(row: Mapping[str, Any]) -> str:
    """Return the bucket a row is counted and indexed in.

    A row of someone never sent the invite (a reply that came first, or a forwardee's) is
    counted nowhere but listed, as "no answer": it is indexed under :data:`UNANSWERED`.
    """
    if not row["recipient"]:
        return UNANSWERED
    reply = row["reply"] or {}
    sequence = reply.get("sequence")
    return "|".join(
        (
            reply.get("channel") or _NONE,
            _NONE if sequence is None else str(sequence),
            reply.get("partstat") or _NONE,
            "1" if row["bounced"] else "0",
        )
    )


def contributions(row: Mapping[str, Any] | None) -> dict[str, int]:
    """Return the counters a row adds to its invite's statistics (recipients only)."""
    if row is None or not row["recipient"]:
        return {}
    reply = row["reply"] or {}
    counted = {f"origin:{row['origin']}": 1, f"{BUCKET}{bucket_of(row)}": 1}
    if reply.get("client"):
        counted[f"client:{reply['client']}"] = 1
    return counted


def bucket_status(bucket: str, organizer_sequence: int, server_sequence: int | None) -> str:
    """Return the status a bucket's rows have under the invite's current thresholds.

    The same rule as the RSVP report: a reply counts if its SEQUENCE reaches the version it
    answered (the organizer's, or the server's last significant one for a copy we sent; the
    cancellation of a single instance raises neither, see Distribution and Invite.sequence); an
    answer that counts outranks a bounce, and no answer that counts is "bounced" or "no answer".
    """
    channel, sequence, partstat, bounced = bucket.split("|")
    threshold = organizer_sequence
    if channel == "server" and server_sequence is not None:
        threshold = server_sequence
    counts = partstat not in (_NONE, "NEEDS-ACTION") and (
        sequence == _NONE or int(sequence) >= threshold
    )
    if counts:
        return partstat.lower()
    return BOUNCED if bounced == "1" else NO_ANSWER


def row_status(row: Mapping[str, Any], organizer_sequence: int, server_sequence: int | None) -> str:
    """Return the status of one row now."""
    return bucket_status(bucket_of(row), organizer_sequence, server_sequence)
