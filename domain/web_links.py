"""Signed web links: an expiring RSVP link per recipient (per-invite ones: invite_signatures).

Each kind of link is signed under its own key, derived from the server secret with a label,
so a link never equals a reply-address token and a link of one kind never passes for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

_RSVP_LABEL = b"calendar-invite-server web rsvp link v1"
# Truncated HMAC-SHA256: 128 bits, out of reach of guessing at any request rate.
_MAC_BYTES = 16
# invite, the recipient's reply token (13 bytes), sequence, expiry in Unix seconds.
_CLAIM = struct.Struct(">16s13sIQ")
_REPLY_TOKEN_BYTES = 13
# 57 bytes encode to 76 base64 characters with no padding and no unused bits: one spelling.
_TOKEN_LENGTH = (_CLAIM.size + _MAC_BYTES) * 4 // 3
_ALTERED = "this link is not valid: it was altered, cut short or not issued by this server"

# The answers a link carries, as its URL spells them (the public route's ``?answer=``).
ANSWERS = ("accepted", "tentative", "declined")
# A link in a mail lives at least this long: most invitations are answered within weeks...
LINK_TTL = timedelta(days=90)
# ...and until the day after the event (a day covers every UTC offset of a floating time),
_AFTER_EVENT = timedelta(days=1)
# ...but never longer than this: a capability should not outlive any sensible planning horizon.
_LONGEST = timedelta(days=730)
# RFC 3986 characters a URL may hold as they are ("%" only before two hex digits).
_URL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_HEX = frozenset("0123456789abcdefABCDEF")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class InvalidLinkError(ValueError):
    """A link cannot be honoured; the message says why (expired, altered, not a recipient…)."""


@dataclass(frozen=True)
class LinkClaim:
    """What an RSVP link vouches for: whose answer, to which version, until when.

    The recipient is named by their reply token (domain.reply_tokens), not their address, so
    a link that ends up in a log or a Referer header does not show whom it belongs to.
    """

    invite: UUID
    recipient: str
    sequence: int
    expires: datetime


def sign_link(secret: bytes, claim: LinkClaim) -> str:
    """Return the URL-safe token of ``claim``: base64url(claim ‖ MAC), without padding."""
    try:
        body = _CLAIM.pack(
            claim.invite.bytes,
            _token_bytes(claim.recipient),
            claim.sequence,
            int(_utc(claim.expires).timestamp()),
        )
    except struct.error as error:
        raise ValueError(f"cannot sign this link: {error}") from error
    return _encode(body + _mac(_key(secret, _RSVP_LABEL), body))


def read_link(secret: bytes, token: str, now: datetime) -> LinkClaim:
    """Return what ``token`` vouches for; raise InvalidLinkError if forged, altered or expired."""
    raw = _decode(token)
    body, mac = raw[: _CLAIM.size], raw[_CLAIM.size :]
    if not hmac.compare_digest(mac, _mac(_key(secret, _RSVP_LABEL), body)):
        raise InvalidLinkError(_ALTERED)
    invite, recipient, sequence, expiry = _CLAIM.unpack(body)
    expires = datetime.fromtimestamp(expiry, UTC)
    if _utc(now) >= expires:
        raise InvalidLinkError(f"this link expired on {expires:%Y-%m-%d %H:%M} UTC")
    recipient_token = base64.b32encode(recipient).decode("ascii").rstrip("=").lower()
    return LinkClaim(UUID(bytes=invite), recipient_token, sequence, expires)


def link_expiry(sent: datetime, event_end: datetime | None) -> datetime:
    """Return when the links of a version sent at ``sent`` expire (whole seconds, UTC).

    LINK_TTL after sending, or the day after the event ends if that is later (capped), so an
    invitation sent months ahead can be answered until the event; a function of the version
    and the send time only, so the same send renders the same links.
    """
    sent_utc = _utc(sent).replace(microsecond=0)
    expires = sent_utc + LINK_TTL
    if event_end is not None:
        # Compared before adding: an event at the end of the calendar must not overflow.
        end = min(_utc(event_end), sent_utc + _LONGEST - _AFTER_EVENT)
        expires = max(expires, end.replace(microsecond=0) + _AFTER_EVENT)
    return expires


def rsvp_urls(links: str, token: str) -> dict[str, str]:
    """Return, by answer (ANSWERS), the web address that gives it with the link ``token``.

    ``links`` is the address RSVP links live under, up to where the token starts
    (``https://host/some/path/``): the web server's routes are its own business.
    """
    if not token or not set(token) <= _TOKEN_CHARS:
        raise ValueError(f"not a link token: {token!r}")
    return {answer: f"{links}{token}?answer={answer}" for answer in ANSWERS}


def checked_base_url(url: str) -> str:
    """Return ``url`` as the base of web links, without a trailing slash.

    Raise ValueError saying what is wrong unless it is an absolute http(s) URL with a host,
    without user name, query or fragment, written only in characters a URL may hold.
    """
    problem = _base_url_problem(url)
    if problem is not None:
        shown = url if len(url) <= 80 else url[:80] + "…"
        raise ValueError(f"{shown!r} cannot be the base of web links: {problem}")
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"


def _base_url_problem(url: str) -> str | None:
    bad = sorted({c for c in url if c not in _URL_CHARS})
    if bad:
        return f"it holds characters a URL cannot ({''.join(bad)!r}); percent-encode them"
    pieces = url.split("%")
    if any(len(p) < 2 or not set(p[:2]) <= _HEX for p in pieces[1:]):
        return "a % is not followed by two hexadecimal digits"
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return "it must start with https:// (or http://)"
    if "@" in parts.netloc:
        return "it must not carry a user name or password"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError as error:
        return f"its port is not valid ({error})"
    if not parts.hostname:
        return "it names no host"
    if "?" in url:
        return "it must not have a query (?…): the links add their own"
    if "#" in url:
        return "it must not have a fragment (#…)"
    return None


def _key(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, label, hashlib.sha256).digest()


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _token_bytes(token: str) -> bytes:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        raw = base64.b32decode(padded)
    except binascii.Error as error:
        raise ValueError(f"not a reply token: {token!r}") from error
    if len(raw) != _REPLY_TOKEN_BYTES:
        raise ValueError(f"not a reply token: {token!r}")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> bytes:
    if len(token) != _TOKEN_LENGTH or not token.isascii():
        raise InvalidLinkError(_ALTERED)
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError) as error:
        raise InvalidLinkError(_ALTERED) from error
    # The decoder skips characters outside the alphabet: only the canonical spelling counts.
    if _encode(raw) != token:
        raise InvalidLinkError(_ALTERED)
    return raw


def _utc(moment: datetime) -> datetime:
    # Naive times are UTC, as everywhere in this server (see adapters' stamp_of).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
