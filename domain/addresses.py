"""Whether text can be a recipient's email address (a strict, syntactic check)."""

from __future__ import annotations

import string

# Deliberately narrower than RFC 5322: what real mailboxes use, and nothing that could
# smuggle a header, a second recipient or a display name into an outgoing message.
_LOCAL = set(string.ascii_letters + string.digits + ".!#$%&'*+/=?^_`{|}~-")
_LABEL = set(string.ascii_letters + string.digits + "-")


def address_problem(text: str) -> str | None:
    """Return why ``text`` is not a usable email address, or None if it is."""
    if not text or len(text) > 254:
        return "an address must have between 1 and 254 characters"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return "an address needs a local part, an @ and a domain"
    if (
        len(local) > 64
        or not set(local) <= _LOCAL
        or ".." in local
        or local[0] == "."
        or local[-1] == "."
    ):
        return f"{local!r} is not a usable local part"
    labels = domain.split(".")
    if len(labels) < 2 or any(
        not label
        or len(label) > 63
        or not set(label) <= _LABEL
        or label[0] == "-"
        or label[-1] == "-"
        for label in labels
    ):
        return f"{domain!r} is not a usable domain name"
    return None
