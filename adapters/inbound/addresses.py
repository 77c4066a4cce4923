"""ORGANIZER and ATTENDEE properties → normalized email addresses and domain Attendees."""

from __future__ import annotations

from domain.identity import normalize_address
from domain.values import Attendee

PARTSTATS_DEFAULT = "NEEDS-ACTION"


def _values(param: object) -> list[str]:
    """Return a parameter's values (icalendar gives a list for multi-valued parameters)."""
    if isinstance(param, list):
        return [str(v) for v in param if v is not None]
    return [] if param is None else [str(param)]


def param_text(prop: object, name: str) -> str | None:
    """Return a parameter as one text, RFC 5545 backslash escapes undone; None if blank."""
    params = getattr(prop, "params", None)
    if params is None:
        return None
    text = ",".join(_values(params.get(name)))
    text = text.replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\").strip()
    return text or None


def email_address(value: str) -> str | None:
    """Return the normalized address of a mailto: URI or bare address; None for other URIs."""
    value = value.strip().strip('"').strip().strip("<>").strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    elif ":" in value:
        return None  # another URI scheme: urn:uuid:..., invalid:nomail, http:...
    local, at, domain = normalize_address(value).rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in value.strip()):
        return None
    return f"{local}@{domain}"


def _addresses(prop: object, name: str) -> tuple[str, ...]:
    params = getattr(prop, "params", None)
    found = (email_address(v) for v in _values(params.get(name) if params else None))
    return tuple(a for a in found if a is not None)


def address_of(prop: object) -> str | None:
    """Return the address of an ORGANIZER/ATTENDEE; the EMAIL parameter wins when present.

    iCloud puts a per-event relay (``mailto:2_...@imip.me.com``) in the value and the real
    address in EMAIL, and its later CANCEL uses the real one: keying on EMAIL keeps them one
    event.
    """
    if prop is None:
        return None
    for email in _addresses(prop, "EMAIL"):
        return email
    return email_address(str(prop))


def attendee_of(prop: object) -> Attendee | None:
    """Return the domain Attendee for one ATTENDEE property, None if it has no email."""
    address = address_of(prop)
    if address is None:
        return None
    sent_by = _addresses(prop, "SENT-BY")
    return Attendee(
        address=address,
        name=param_text(prop, "CN"),
        partstat=(param_text(prop, "PARTSTAT") or PARTSTATS_DEFAULT).upper(),
        role=(param_text(prop, "ROLE") or "").upper() or None,
        rsvp=(param_text(prop, "RSVP") or "").upper() == "TRUE",
        delegated_to=_addresses(prop, "DELEGATED-TO"),
        delegated_from=_addresses(prop, "DELEGATED-FROM"),
        sent_by=sent_by[0] if sent_by else None,
    )


def attendees_of(props: object) -> tuple[Attendee, ...]:
    """Return the Attendees of an event's ATTENDEE properties, skipping non-email ones."""
    items = props if isinstance(props, list) else [] if props is None else [props]
    found = (attendee_of(prop) for prop in items)
    return tuple(a for a in found if a is not None)
