"""``cis organizers``: allow, suspend or limit the organizers who may create invites."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from application.admin.registry import OrganizerRegistry
from application.vocabulary import InvalidOriginError, NotInDomainError, SenderPolicy
from entrypoints import session

organizers = typer.Typer(
    help="The organizer registry: allow, suspend or limit organizers; private drop-box "
    "addresses, per-domain sender policies and domain owners."
)
err = Console(stderr=True)


def _print_organizer(record: object) -> None:
    fields = (
        "address",
        "standing",
        "max_events",
        "invite_count",
        "suspension_reason",
        "review_updates",
    )
    shown = {f: getattr(record, f) for f in fields}
    shown["landing_origins"] = list(getattr(record, "landing_origins", ()))
    shown["private_address"] = getattr(record, "private_address_digest", None) is not None
    print(json.dumps(shown, ensure_ascii=False))


def _registry() -> OrganizerRegistry:
    return session.doors().admin.organizers


@organizers.command("allow")
def allow(address: str) -> None:
    """Allow an organizer to create invites."""
    _print_organizer(_registry().allow(address, now=datetime.now(UTC)))


@organizers.command("suspend")
def suspend(
    address: str,
    reason: Annotated[str | None, typer.Option(help="Told to the organizer.")] = None,
) -> None:
    """Suspend an organizer: their messages are rejected."""
    _print_organizer(_registry().suspend(address, reason, now=datetime.now(UTC)))


@organizers.command("limit")
def limit(
    address: str,
    max_events: Annotated[int | None, typer.Argument(help="Maximum events; omit to lift.")] = None,
) -> None:
    """Limit how many events an organizer may create."""
    _print_organizer(_registry().limit_events(address, max_events, now=datetime.now(UTC)))


@organizers.command("review")
def review(
    address: str,
    switch: Annotated[str, typer.Argument(help="on, off, or default (the server's setting).")],
) -> None:
    """Hold an organizer's updates for review before they go out to recipients."""
    choices = {"on": True, "off": False, "default": None}
    if switch not in choices:
        err.print("the switch is on, off or default")
        raise typer.Exit(2)
    _print_organizer(_registry().review(address, choices[switch], now=datetime.now(UTC)))


@organizers.command("recipients-limit")
def recipients_limit(
    address: str,
    max_recipients: Annotated[
        int | None, typer.Argument(help="Most recipients per invite; omit to lift.")
    ] = None,
) -> None:
    """Limit how many recipients each of an organizer's invites may be sent to."""
    record = _registry().limit_recipients(address, max_recipients, now=datetime.now(UTC))
    _print_organizer(record)


@organizers.command("origins")
def origins(
    address: str,
    origin: Annotated[
        list[str] | None,
        typer.Argument(help="https://host[:port] origins; none clears them all."),
    ] = None,
) -> None:
    """Set the web origins an organizer's landing pages may redirect to after a request."""
    try:
        record = _registry().set_landing_origins(address, origin or [], now=datetime.now(UTC))
    except InvalidOriginError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    _print_organizer(record)


@organizers.command("block")
def block(organizer: str, recipient: str) -> None:
    """Record that a recipient does not want this organizer's invitations (they are skipped)."""
    _set_block(organizer, recipient, blocked=True)


@organizers.command("unblock")
def unblock(organizer: str, recipient: str) -> None:
    """Lift a recipient's block of this organizer."""
    _set_block(organizer, recipient, blocked=False)


def _set_block(organizer: str, recipient: str, *, blocked: bool) -> None:
    record = _registry().block(organizer, recipient, blocked, now=datetime.now(UTC))
    state = {"organizer": record.organizer, "recipient": record.recipient, "blocked": record.active}
    print(json.dumps(state))


@organizers.command("show")
def show_organizer(address: str) -> None:
    """Show an organizer's standing."""
    record = _registry().find(address)
    if record is None:
        err.print(f"{address} is not registered (the registry's default applies)", markup=False)
        raise typer.Exit(1)
    _print_organizer(record)


@organizers.command("address")
def private_address(
    address: str,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Stop the private address from working.")
    ] = False,
) -> None:
    """Issue an organizer's private drop-box address, shown once (an earlier one stops
    working); mail to it counts as the organizer's under the dmarc-or-private and
    private-only sender policies, for domains that do not sign their mail."""
    admin = session.doors().admin
    now = datetime.now(UTC)
    if revoke:
        admin.organizers.revoke_private_address(address, now=now)
        print(json.dumps({"organizer": address, "revoked": True}))
        return
    secret = admin.organizers.issue_private_address(address, now=now)
    settings = session.container().settings()
    print(
        json.dumps(
            {
                "organizer": address,
                "create": f"{settings.create_mailbox}+{secret}@{settings.mail_domain}",
                "bulk": f"{settings.bulk_mailbox}+{secret}@{settings.mail_domain}",
            }
        )
    )


@organizers.command("policy")
def policy(
    domain: str,
    name: Annotated[
        str | None,
        typer.Argument(
            help="dmarc, dmarc-or-private, private-only, off, or default (the server's "
            "CIS_SENDER_POLICY); omit to show the domain's policy."
        ),
    ] = None,
) -> None:
    """Show or set the sender policy of one organizer domain (overrides CIS_SENDER_POLICY)."""
    admin = session.doors().admin
    if name is not None:
        choices = {p.value: p for p in SenderPolicy} | {"default": None}
        if name not in choices:
            err.print(f"the policy is one of: {', '.join(choices)}", markup=False)
            raise typer.Exit(2)
        admin.organizers.set_domain_policy(domain, choices[name], now=datetime.now(UTC))
    own = admin.organizers.domain_policy(domain)
    effective = admin.effective_policy(domain)
    print(json.dumps({"domain": domain.lower(), "policy": own, "effective": effective.value}))


@organizers.command("domain-owners")
def domain_owners(
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="The domain, like example.com.")],
    address: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ADDRESS",
            help="Addresses of the domain that own it (they replace the current owners); "
            "omit to show the owners.",
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove every owner of the domain.")
    ] = False,
) -> None:
    """Show or set who owns an organizer domain: its owners sign in to the web app's
    Administration, manage the domain's organizers and read its invites (attendees'
    addresses masked). An owner's address is in the domain it owns."""
    registry = _registry()
    if clear and address:
        err.print("give addresses or --clear, not both", markup=False)
        raise typer.Exit(2)
    if clear or address:
        try:
            registry.set_domain_owners(domain, address or [], now=datetime.now(UTC))
        except NotInDomainError as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(2) from None
    owners = list(registry.domain_owners(domain))
    print(json.dumps({"domain": domain.strip().rstrip(".").lower(), "owners": owners}))
