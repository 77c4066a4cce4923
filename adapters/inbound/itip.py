"""One calendar body → one ItipMessage about one UID, or the reason there is none."""

from __future__ import annotations

from adapters.inbound import reasons
from adapters.inbound.addresses import address_of, email_address, param_text
from adapters.inbound.components import Unreadable, component_of, losses_of
from adapters.inbound.ical import CalendarObject, read_calendar, text_of
from adapters.inbound.times import Zones, first
from domain.messages import ItipMessage, Unusable
from domain.values import Component, Method


def _method(body: str | None, content_type: str | None) -> Method | Unusable:
    # The body is what calendar clients act on; a Content-Type that disagrees is the stale one.
    value = (body or content_type or Method.REQUEST).strip().upper()
    try:
        return Method(value)
    except ValueError:
        methods = ", ".join(m.value for m in Method)
        return reasons.malformed(f"METHOD {reasons.quote(value)} is not an iTIP method ({methods})")


def _uid(calendar: CalendarObject) -> str | Unusable:
    uids: list[str] = []
    for event in calendar.events:
        uid = text_of(event.get("UID")) or calendar.uid
        if uid is None:
            summary = text_of(event.get("SUMMARY"))
            named = f" {reasons.quote(summary)}" if summary else ""
            return reasons.malformed(
                f"the event{named} has no UID, so later updates and replies could not be "
                "matched to it"
            )
        if uid not in uids:
            uids.append(uid)
    return uids[0] if len(uids) == 1 else reasons.several_uids(uids)


def _one_per_instance(components: list[Component], uid: str) -> tuple[Component, ...] | Unusable:
    """Return one component per RECURRENCE-ID; identical repeats are dropped, others refused."""
    kept: dict[str, Component] = {}
    for component in components:
        current = kept.setdefault(component.key, component)
        if current != component:
            which = f"RECURRENCE-ID {component.key}" if component.key else "no RECURRENCE-ID"
            return reasons.malformed(
                f"the calendar holds two different VEVENTs with UID {reasons.quote(uid, 60)} "
                f"and {which}, so which one is meant is unknown"
            )
    return tuple(kept.values())


def message_from(
    data: str, *, sender: str | None, content_type_method: str | None
) -> ItipMessage | Unusable:
    """Parse one decoded calendar body into the iTIP message it carries."""
    calendar = read_calendar(data)
    if isinstance(calendar, Unusable):
        return calendar
    uid = _uid(calendar)
    if isinstance(uid, Unusable):
        return uid
    method = _method(calendar.method, content_type_method)
    if isinstance(method, Unusable):
        return method
    zones = Zones(calendar.calendars)
    try:
        components = [component_of(event, zones) for event in calendar.events]
    except Unreadable as error:
        return reasons.malformed(str(error))
    unique = _one_per_instance(components, uid)
    if isinstance(unique, Unusable):
        return unique
    losses = (
        loss
        for event, component in zip(calendar.events, components, strict=True)
        for loss in losses_of(event, component)
    )
    events = list(calendar.events)
    main = next((e for e in events if e.get("RECURRENCE-ID") is None), events[0])
    organizer = first(main.get("ORGANIZER"))
    sent_by = param_text(organizer, "SENT-BY")
    return ItipMessage(
        method=method,
        uid=uid,
        components=unique,
        organizer=address_of(organizer),
        organizer_name=param_text(organizer, "CN"),
        sent_by=email_address(sent_by) if sent_by else None,
        sender=sender,
        prodid=calendar.prodid,
        comment=text_of(events[0].get("COMMENT")),
        losses=tuple(dict.fromkeys(losses)),
    )
