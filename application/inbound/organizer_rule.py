"""Who may speak for an organizer: the From claim first, then what vouches for it.

A REQUEST, a CANCEL or a recipient list counts only when its one From is the organizer (or a
SENT-BY of the organizer's own domain, or a trusted calendar relay) **and** something other
than the sender's word vouches for it: DMARC alignment for that domain, or the organizer's
private drop-box address, as the sender policy of the organizer's domain says.
"""

from __future__ import annotations

from application.inbound.senders import Policies, SenderCheck, domain_of, single_sender
from application.stores import Loader
from domain.authentication import SenderPolicy
from domain.identity import organizer_id
from domain.organizer import Organizer


def speaks_for(
    organizer: str | None,
    sent_by: str | None,
    from_addresses: tuple[str, ...],
    sender: str | None,
    *,
    load: Loader,
    check: SenderCheck,
    policies: Policies,
    relays: frozenset[str],
) -> tuple[str | None, Organizer | None, str | None]:
    """Return (organizer, their registry record, refusal): whom the message acts for, and
    why it may not, if it may not. The one rule for REQUESTs, CANCELs and recipient lists."""
    claimed, refusal = claimed_organizer(organizer, sent_by, from_addresses, sender, relays)
    if claimed is None:
        return None, None, refusal
    registered = load(Organizer, organizer_id(claimed))
    check.note_private(claimed, registered)
    refusal = authorize(claimed, sender, from_addresses, registered, check, policies, relays)
    return claimed, registered, refusal


def claimed_organizer(
    organizer: str | None,
    sent_by: str | None,
    from_addresses: tuple[str, ...],
    sender: str | None,
    relays: frozenset[str],
) -> tuple[str | None, str | None]:
    """Return (organizer, refusal): whom the message claims to act for, if the claim holds up.

    Without ORGANIZER the sender organizes. Mail from a calendar relay (iCloud sends every
    invitation from its own no-reply address) claims to act for the ORGANIZER it names.
    """
    author, refusal = single_sender(from_addresses, sender)
    if author is None:
        return None, refusal
    if organizer is None:
        return author, None
    if author in {organizer, sent_by} or (domain_of(author) in relays):
        return organizer, None
    return None, (
        f"sent by {author}, but the event's ORGANIZER is {organizer}: only the organizer "
        f"can create, change or cancel it; send it from {organizer}'s calendar"
    )


def authorize(
    organizer: str,
    sender: str | None,
    from_addresses: tuple[str, ...],
    registered: Organizer | None,
    check: SenderCheck,
    policies: Policies,
    relays: frozenset[str],
) -> str | None:
    """Return why the message may not act for ``organizer``, or None (noting who vouched)."""
    policy = policies.for_address(organizer)
    if policy is SenderPolicy.OFF:
        check.vouched = check.vouched or "nobody: sender policy off"
        return None
    if policy.takes_private and registered is not None and check.private_for == organizer:
        check.vouched = "the organizer's private drop-box address"
        return None
    author = sender if from_addresses == (sender,) else None
    if policy.takes_dmarc and author is not None and check.vouches_for(author, from_addresses):
        verdict = check.authentication()
        relayed = domain_of(author) in relays and author != organizer
        if relayed and not (verdict.aligned_by or "").startswith(("dkim", "dmarc")):
            return _unvouched(policy, organizer, check, "the relay's mail is not DKIM-signed")
        if author == organizer or relayed or domain_of(author) == domain_of(organizer):
            check.vouched = f"DMARC alignment ({verdict.aligned_by})"
            return None
        return (
            f"sent by {author} as SENT-BY for {organizer}, which is another domain: a "
            f"delegate's mail counts only from {domain_of(organizer)}; the organizer can "
            "send it, or use their private drop-box address"
        )
    why = (
        "it has no single From header to verify"
        if author is None
        else f"it is not DMARC-aligned for {domain_of(author)}"
    )
    return _unvouched(policy, organizer, check, why)


def _unvouched(policy: SenderPolicy, organizer: str, check: SenderCheck, why: str) -> str:
    domain = domain_of(organizer)
    if policy is SenderPolicy.PRIVATE_ONLY:
        return (
            f"mail for organizers of {domain} counts here only at the organizer's private "
            f"drop-box address; {organizer} can ask the operator for it"
        )
    details = check.authentication().summary() if check.given or check.verify else ""
    private = (
        f", or send to {organizer}'s private drop-box address"
        if policy is SenderPolicy.DMARC_OR_PRIVATE
        else ""
    )
    return (
        f"the sender could not be verified as {organizer}: {why} ({details}); send it from "
        f"{organizer}'s own mail service, which signs for {domain} (DKIM) or is listed in "
        f"its SPF record{private}"
    )
