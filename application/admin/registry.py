"""The organizer registry: who may send invites, how many, to whom, and with what review."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from application.stores import Loader
from domain.addresses import address_problem
from domain.authentication import SenderPolicy
from domain.blocks import RecipientBlock, block_id
from domain.identity import normalize_address, organizer_id
from domain.organizer import Organizer, landing_origin, secret_digest
from domain.sender_domains import NotInDomainError, SenderDomain, sender_domain_id


def find_organizer(load: Loader, address: str) -> Organizer | None:
    """Return the registry record of ``address``, if it has one."""
    return load(Organizer, organizer_id(normalize_address(address)))


def register(address: str, now: datetime) -> Organizer:
    """Return a new registry record for ``address`` (allowed, unlimited)."""
    return Organizer(address=normalize_address(address), timestamp=now)


def set_block(
    load: Loader, organizer: str, recipient: str, blocked: bool, now: datetime
) -> RecipientBlock:
    """Record that ``recipient`` blocks (or no longer blocks) ``organizer``'s invitations."""
    record = load(RecipientBlock, block_id(organizer, recipient))
    if record is None:
        record = RecipientBlock(
            organizer=normalize_address(organizer),
            recipient=normalize_address(recipient),
            timestamp=now,
        )
    elif blocked and not record.active:
        record.block(timestamp=now)
    if not blocked and record.active:
        record.unblock(timestamp=now)
    return record


class OrganizerRegistry:
    """Use cases of the organizer registry, on the invite service's event store."""

    def __init__(self, load: Loader, save: Callable[..., object]) -> None:
        self.load = load
        self.save = save

    def find(self, address: str) -> Organizer | None:
        """Return an organizer's registry record, if any."""
        return find_organizer(self.load, address)

    def allow(self, address: str, *, now: datetime) -> Organizer:
        """Allow an organizer (registering them if needed)."""
        return self._change(address, now, lambda record: record.allow(timestamp=now))

    def suspend(self, address: str, reason: str | None, *, now: datetime) -> Organizer:
        """Suspend an organizer: their messages are rejected until allowed again."""
        return self._change(
            address, now, lambda record: record.suspend(reason=reason, timestamp=now)
        )

    def limit_events(self, address: str, max_events: int | None, *, now: datetime) -> Organizer:
        """Limit (or with None, lift) how many events an organizer may create."""
        return self._change(
            address, now, lambda record: record.limit(max_events=max_events, timestamp=now)
        )

    def limit_recipients(
        self, address: str, max_recipients: int | None, *, now: datetime
    ) -> Organizer:
        """Limit (or with None, lift) how many recipients each invite of the organizer reaches."""
        return self._change(
            address,
            now,
            lambda record: record.limit_recipients(max_recipients=max_recipients, timestamp=now),
        )

    def review(self, address: str, review: bool | None, *, now: datetime) -> Organizer:
        """Hold an organizer's updates for review (True), not (False), or use the default."""
        return self._change(
            address, now, lambda record: record.switch_review(review=review, timestamp=now)
        )

    def set_landing_origins(
        self, address: str, origins: Sequence[str], *, now: datetime
    ) -> Organizer:
        """Set the web origins this organizer's landing pages may redirect to (none: never).

        Raise InvalidOriginError, before anything is recorded, if one is not an origin.
        """
        normalized = list(dict.fromkeys(landing_origin(origin) for origin in origins))
        return self._change(
            address,
            now,
            lambda record: record.set_landing_origins(origins=normalized, timestamp=now),
        )

    def issue_private_address(self, address: str, *, now: datetime) -> str:
        """Give the organizer a new private drop-box secret and return it (shown once).

        Any earlier private address stops working. The secret is 128 random bits in
        lower-case base32, so it survives mail systems that fold the local part's case.
        """
        secret = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()
        digest = secret_digest(secret)
        self._change(
            address, now, lambda record: record.issue_private_address(digest=digest, timestamp=now)
        )
        return secret

    def revoke_private_address(self, address: str, *, now: datetime) -> Organizer:
        """Stop the organizer's private drop-box address from working."""
        return self._change(
            address, now, lambda record: record.revoke_private_address(timestamp=now)
        )

    def domain_policy(self, domain: str) -> SenderPolicy | None:
        """Return the sender policy set for an organizer domain, or None (the default)."""
        record = self.load(SenderDomain, sender_domain_id(domain))
        return record.policy if record is not None else None

    def set_domain_policy(
        self, domain: str, policy: SenderPolicy | None, *, now: datetime
    ) -> SenderDomain:
        """Hold an organizer domain's mail to ``policy`` (None: the server's default)."""
        record = self.load(SenderDomain, sender_domain_id(domain))
        record = record or SenderDomain(domain=domain, timestamp=now)
        record.set_policy(policy_name=policy.value if policy else None, timestamp=now)
        self.save(record)
        return record

    def domain_owners(self, domain: str) -> tuple[str, ...]:
        """Return the addresses that own ``domain`` (none when nobody was named)."""
        record = self.load(SenderDomain, sender_domain_id(domain))
        return tuple(record.owners) if record is not None else ()

    def set_domain_owners(
        self, domain: str, owners: Sequence[str], *, now: datetime
    ) -> SenderDomain:
        """Make ``owners`` the addresses that own ``domain`` (none: nobody owns it).

        An owner's address must be in the domain itself: raise NotInDomainError, before
        anything is recorded, for one that is not (or that is no address at all).
        """
        name = domain.strip().rstrip(".").lower()
        normalized = list(dict.fromkeys(normalize_address(owner) for owner in owners))
        for owner in normalized:
            problem = address_problem(owner)
            if problem is not None or owner.rpartition("@")[2] != name:
                why = problem or f"it is not an address of {name}"
                raise NotInDomainError(f"{owner!r} cannot own {name}: {why}")
        record = self.load(SenderDomain, sender_domain_id(name))
        record = record or SenderDomain(domain=name, timestamp=now)
        record.set_owners(owners=normalized, timestamp=now)
        self.save(record)
        return record

    def owned_domain(self, address: str) -> str | None:
        """Return the domain ``address`` owns, or None (an owner owns its own address's
        domain only, so this is one lookup)."""
        wanted = normalize_address(address)
        _, at, domain = wanted.rpartition("@")
        record = self.load(SenderDomain, sender_domain_id(domain)) if at and domain else None
        return domain if record is not None and record.owned_by(wanted) else None

    def block(
        self, organizer: str, recipient: str, blocked: bool, *, now: datetime
    ) -> RecipientBlock:
        """Record that a recipient blocks (or unblocks) an organizer's invitations."""
        record = set_block(self.load, organizer, recipient, blocked, now)
        self.save(record)
        return record

    def _change(
        self, address: str, now: datetime, change: Callable[[Organizer], None]
    ) -> Organizer:
        record = find_organizer(self.load, address) or register(address, now)
        change(record)
        self.save(record)
        return record
