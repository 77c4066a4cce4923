"""The sessions flow's front door: sign-in links by mail, sessions, sign-out, CSRF tokens.

Organizers are known by their email address, so they prove it the way mail does: a link sent
there. Only addresses the server knows (an organizer of a recorded invite, one in the
registry, a domain's owner, an administrator) are sent one, a few times an hour at most; an
unknown address gets the same answer and no mail, so the form tells nobody who organizes here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsourcing.persistence import RecordConflictError

from application.admin.registry import OrganizerRegistry
from application.ports import DeliveryError, Notice, NoticeSender
from application.projections.queries import Reports
from application.rate_limit import RateLimit
from application.store import InviteStore
from domain.addresses import address_problem
from domain.api_keys import Principal, Scope
from domain.identity import normalize_address
from domain.sign_in import (
    SESSION_TTL,
    SIGN_IN_TTL,
    SignInClaim,
    SignInUse,
    WebSession,
    read_sign_in,
    session_digest,
    sign_in_token,
    web_session_id,
)
from domain.web_links import InvalidLinkError

_CSRF_LABEL = b"calendar-invite-server csrf v1"
log = logging.getLogger(__name__)


class SignInUnavailableError(RuntimeError):
    """Sign-in links cannot be made: the server does not know its own web address."""


@dataclass(frozen=True)
class SignInSettings:
    """Where sign-in links point (None: not set up), who administers, and the secret."""

    link_base: str | None
    admins: frozenset[str]
    secret: bytes


@dataclass(frozen=True)
class Signed:
    """A session just opened: the secret its browser keeps, and until when."""

    secret: str
    address: str
    expires: datetime


@dataclass(frozen=True)
class SignedInAs:
    """Who a session signs in as: the address, what it may read, its forms' CSRF token."""

    address: str
    principal: Principal
    csrf: str


class Sessions:
    """Sign-in links, sessions and the CSRF tokens of their forms."""

    def __init__(
        self,
        store: InviteStore,
        *,
        settings: SignInSettings,
        notices: NoticeSender,
        registry: OrganizerRegistry,
        views: Reports,
        per_address: RateLimit | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.notices = notices
        self.registry = registry
        self.views = views
        self.per_address = per_address or RateLimit(3, timedelta(minutes=15))

    @property
    def available(self) -> bool:
        """Return whether sign-in links can be sent (the server knows its web address)."""
        return self.settings.link_base is not None

    def request_link(self, address: str, now: datetime) -> None:
        """Mail a sign-in link to ``address`` if it may sign in; say nothing either way."""
        if self.settings.link_base is None:
            raise SignInUnavailableError("set CIS_WEB_BASE_URL to send sign-in links")
        wanted = normalize_address(address)
        if address_problem(wanted) is not None or not self._known(wanted):
            return
        if not self.per_address.allows(wanted, now):
            return
        link = self._link(self.settings.link_base, wanted, now)
        minutes = str(int(SIGN_IN_TTL.total_seconds() // 60))
        notice = Notice("sign-in", wanted, None, None, {"link": link, "minutes": minutes})
        try:
            self.notices.send(notice, now=now)
        except DeliveryError as error:
            # Never kept for a retry (a kept notice would be a credential at rest, and late):
            # the person asks again. The page says the same either way.
            log.warning("sign-in link to %s not sent: %s", wanted, error.reason)

    def link_for(self, address: str, now: datetime) -> str:
        """Return a sign-in link for ``address`` without mailing it (the operator's own tool,
        for a first sign-in before mail works); raise ValueError if it may not sign in."""
        if self.settings.link_base is None:
            raise SignInUnavailableError("set CIS_WEB_BASE_URL to make sign-in links")
        wanted = normalize_address(address)
        problem = address_problem(wanted)
        if problem is not None:
            raise ValueError(f"{address} is not an address people sign in with: {problem}")
        if not self._known(wanted):
            raise ValueError(
                f"{wanted} may not sign in: it is no admin (CIS_ADMINS), no registered "
                "organizer and has sent no invitation"
            )
        return self._link(self.settings.link_base, wanted, now)

    def _link(self, base: str, address: str, now: datetime) -> str:
        claim = SignInClaim(address, secrets.token_bytes(16), now + SIGN_IN_TTL)
        return base + sign_in_token(self.settings.secret, claim)

    def address_of(self, token: str, now: datetime) -> str:
        """Return the address a sign-in link is for, without using it up (for its page)."""
        return read_sign_in(self.settings.secret, token, now).address

    def sign_in(self, token: str, now: datetime) -> Signed:
        """Use a sign-in link (once) and open a session; raise InvalidLinkError if it cannot."""
        claim = read_sign_in(self.settings.secret, token, now)
        session = secrets.token_urlsafe(32)
        expires = now + SESSION_TTL
        use = SignInUse(nonce=claim.nonce.hex(), address=claim.address, timestamp=now)
        opened = WebSession(
            digest=session_digest(session), address=claim.address, expires=expires, timestamp=now
        )
        try:
            self.store.save(use, opened)
        except RecordConflictError:
            raise InvalidLinkError(
                "this sign-in link was used already: ask for a new one"
            ) from None
        return Signed(session, claim.address, expires)

    def current(self, secret: str, now: datetime) -> SignedInAs | None:
        """Return who the session with ``secret`` signs in as, or None.

        An administrator (``CIS_ADMINS``) reads everything. An owner of a domain, named in
        the registry (``cis organizers domain-owners``), reads that domain: an owner's
        address is always in the domain it owns, so one read of its own domain's record
        tells, and a domain's owners are people its own mail system reaches. Anyone else
        reads their own invites as an organizer.
        """
        session = self._session(secret)
        if session is None or not session.active(now):
            return None
        if session.address in self.settings.admins:
            principal = Principal(Scope.ADMIN, None, key_id="session")
        elif (owned := self.registry.owned_domain(session.address)) is not None:
            principal = Principal(Scope.DOMAIN, owned, key_id="session")
        else:
            principal = Principal(Scope.ORGANIZER, session.address, key_id="session")
        return SignedInAs(session.address, principal, self.csrf_token(secret))

    def principal(self, secret: str, now: datetime) -> Principal | None:
        """Return who the session with ``secret`` signs in as, or None if it does not."""
        current = self.current(secret, now)
        return None if current is None else current.principal

    def sign_out(self, secret: str, now: datetime) -> None:
        """End the session at once (nothing happens for one that is over already)."""
        session = self._session(secret)
        if session is not None and not session.closed:
            session.close(timestamp=now)
            self.store.save(session)

    def csrf_token(self, secret: str) -> str:
        """Return the token the session's forms carry (bound to the session)."""
        key = hmac.new(self.settings.secret, _CSRF_LABEL, hashlib.sha256).digest()
        return hmac.new(key, session_digest(secret).encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, secret: str, token: str) -> bool:
        """Return whether ``token`` is the session's form token."""
        return hmac.compare_digest(self.csrf_token(secret), token)

    def _session(self, secret: str) -> WebSession | None:
        if not secret or len(secret) > 128 or not secret.isascii():
            return None
        return self.store.load(WebSession, web_session_id(session_digest(secret)))

    def _known(self, address: str) -> bool:
        if address in self.settings.admins or self.registry.find(address) is not None:
            return True
        if self.registry.owned_domain(address) is not None:
            return True
        return int(self.views.organizer_statistics(address).get("invites", 0)) > 0
