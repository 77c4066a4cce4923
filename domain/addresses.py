"""Email addresses: whether text can be a recipient's, and which mailbox one reaches."""

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


# Mail providers that deliver ann+anything@ (yahoo: ann-anything@) to ann@, and gmail, which
# also ignores dots in the local part: by domain, the separator after which the rest is a tag.
_TAG_SEPARATORS = {
    **dict.fromkeys(("gmail.com", "googlemail.com"), "+"),
    **dict.fromkeys(("outlook.com", "hotmail.com", "live.com"), "+"),
    **dict.fromkeys(("icloud.com", "me.com", "mac.com"), "+"),
    **dict.fromkeys(("yahoo.com", "ymail.com", "rocketmail.com"), "-"),
    **dict.fromkeys(("fastmail.com", "fastmail.fm"), "+"),
    **dict.fromkeys(("proton.me", "protonmail.com", "protonmail.ch", "pm.me"), "+"),
}
_DOTLESS = frozenset({"gmail.com", "googlemail.com"})


def mailbox_key(address: str) -> str:
    """Return the mailbox ``address`` delivers to, as far as its provider's rules are known."""
    folded = address.strip().casefold()
    local, at, domain = folded.rpartition("@")
    separator = _TAG_SEPARATORS.get(domain) or ("-" if _is_regional_yahoo(domain) else None)
    if not at or separator is None:
        return folded
    base = local.partition(separator)[0]
    if domain in _DOTLESS:
        base = base.replace(".", "")
    # Nothing left (``+news@``): that is no tag but the whole name, kept as it is.
    return f"{base or local}@{domain}"


def _is_regional_yahoo(domain: str) -> bool:
    # yahoo.fr, yahoo.co.uk, yahoo.com.au…: one or two labels after "yahoo", the last a country.
    labels = domain.split(".")
    return (
        labels[0] == "yahoo"
        and len(labels) in (2, 3)
        and len(labels[-1]) == 2
        and (len(labels) == 2 or labels[1] in ("co", "com"))
    )
