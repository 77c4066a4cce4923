"""Webhook endpoints: register (the secret shown once), list, read, change, rotate the secret,
remove; each endpoint's delivery log, and "send again".

Any key may manage the endpoints of its own scope: an organizer's key its organizer's, a
domain's its domain's (and its organizers'), an admin key every one. An endpoint the key may
not see is answered 404, as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from application.webhooks.front_door import (
    EVENT_TYPES,
    EndpointView,
    InvalidWebhookError,
    MessageView,
    UnknownWebhookError,
)
from entrypoints.api.auth import Caller, State
from entrypoints.api.problems import ProblemError, problem_responses

router = APIRouter(tags=["webhooks"], responses=problem_responses(401, 404, 422))

EventType = Literal[
    "invite.created",
    "invite.updated",
    "invite.cancelled",
    "invite.held",
    "answer.recorded",
    "delivery.failed",
    "delivery.bounced",
    "recipient.unsubscribed",
    "bulk.finished",
]
assert set(EventType.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]
_KEY = Path(max_length=40, description="The endpoint's id (`ep_...`).")
_WEBHOOK_ID = Path(max_length=60, description="The message's `webhook-id` (`msg_...`).")


class EndpointIn(BaseModel):
    """A new endpoint: where to POST, and which events."""

    url: str = Field(
        max_length=2000,
        description="https:// URL (http:// and private addresses only where the server "
        "allows them: CIS_WEBHOOKS_ALLOW_PRIVATE on the embedded default, never on AWS).",
    )
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    contact: str | None = Field(
        default=None,
        max_length=320,
        description="Who is told by email when the endpoint is disabled after a day of "
        "failures (an organizer's key: the organizer, unless given).",
    )
    description: str | None = Field(default=None, max_length=200)


class EndpointPatch(BaseModel):
    """Changes to an endpoint; what is left out stays."""

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(
        default=None,
        description="false: stop delivering; true: deliver again (failures counted afresh).",
    )


class EndpointOut(BaseModel):
    """An endpoint as anyone who may manage it sees it: never its secret."""

    id: str
    url: str
    event_types: list[str]
    owner_kind: str = Field(description="organizer, domain or admin: whose events it gets.")
    owner: str | None
    contact: str | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every delivery failed (disabled a day after)."
    )
    created: datetime
    previous_secret_until: datetime | None = Field(
        description="After a rotation: until when the previous secret signs too."
    )

    @classmethod
    def of(cls, view: EndpointView) -> EndpointOut:
        """Return the API's shape of an endpoint."""
        return cls(
            id=view.key,
            url=view.url,
            event_types=list(view.event_types),
            owner_kind=view.owner_kind,
            owner=view.owner,
            contact=view.contact,
            description=view.description,
            enabled=view.enabled,
            disabled_reason=view.disabled_reason,
            disabled_at=view.disabled_at,
            failing_since=view.failing_since,
            created=view.created,
            previous_secret_until=view.previous_secret_until,
        )


class EndpointWithSecret(EndpointOut):
    """An endpoint with its signing secret: shown this once, never again."""

    secret: str = Field(
        description="whsec_ + base64 key: verify each delivery's webhook-signature with it "
        "(Standard Webhooks)."
    )


class EndpointList(BaseModel):
    """The endpoints the key may manage."""

    endpoints: list[EndpointOut]


class AttemptOut(BaseModel):
    """One delivery attempt."""

    at: datetime
    status_code: int | None = Field(description="The endpoint's HTTP status; null: no answer.")
    latency_ms: float
    error: str | None
    ok: bool


class DeliveryOut(BaseModel):
    """One message to the endpoint, with its attempts."""

    webhook_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed", "abandoned"]
    created: datetime
    next_attempt: datetime | None
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, view: MessageView) -> DeliveryOut:
        """Return the API's shape of a message."""
        return cls(
            webhook_id=view.webhook_id,
            event_type=view.event_type,
            status=view.status,  # type: ignore[arg-type]
            created=view.created,
            next_attempt=view.next_attempt,
            attempts=[AttemptOut(**vars(a)) for a in view.attempts],
        )


class DeliveryPage(BaseModel):
    """A page of the delivery log, newest first."""

    deliveries: list[DeliveryOut]
    cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: no more.")


@contextmanager
def _answers() -> Iterator[None]:
    try:
        yield
    except UnknownWebhookError as error:
        raise ProblemError(404, str(error)) from None
    except InvalidWebhookError as error:
        raise ProblemError(422, str(error)) from None


@router.post("/webhooks", response_model=EndpointWithSecret, status_code=201)
def register_endpoint(request: EndpointIn, caller: Caller, state: State) -> EndpointWithSecret:
    """Register an endpoint for the key's scope; the answer holds its secret, shown once."""
    state.limit_key(caller.key_id)
    with _answers():
        view, secret = state.doors.webhooks.register(
            caller,
            request.url,
            list(request.event_types),
            datetime.now(UTC),
            contact=request.contact,
            description=request.description,
        )
    return EndpointWithSecret(**EndpointOut.of(view).model_dump(), secret=secret)


@router.get("/webhooks", response_model=EndpointList)
def list_endpoints(caller: Caller, state: State) -> EndpointList:
    """The endpoints the key may manage, oldest first."""
    views = state.doors.webhooks.endpoints(caller, datetime.now(UTC))
    return EndpointList(endpoints=[EndpointOut.of(v) for v in views])


@router.get("/webhooks/{endpoint}", response_model=EndpointOut)
def get_endpoint(endpoint: Annotated[str, _KEY], caller: Caller, state: State) -> EndpointOut:
    """One endpoint."""
    with _answers():
        return EndpointOut.of(state.doors.webhooks.endpoint(caller, endpoint, datetime.now(UTC)))


@router.patch("/webhooks/{endpoint}", response_model=EndpointOut)
def update_endpoint(
    endpoint: Annotated[str, _KEY], request: EndpointPatch, caller: Caller, state: State
) -> EndpointOut:
    """Change an endpoint's URL, event types or description; enable or disable it."""
    state.limit_key(caller.key_id)
    with _answers():
        view = state.doors.webhooks.update(
            caller,
            endpoint,
            datetime.now(UTC),
            url=request.url,
            event_types=list(request.event_types) if request.event_types is not None else None,
            description=request.description,
            enabled=request.enabled,
        )
    return EndpointOut.of(view)


@router.post("/webhooks/{endpoint}/rotate", response_model=EndpointWithSecret)
def rotate_secret(
    endpoint: Annotated[str, _KEY], caller: Caller, state: State
) -> EndpointWithSecret:
    """Give the endpoint a new secret (in the answer, shown once); the previous one signs
    too for 24 hours, so the receiver can switch without missing a message."""
    state.limit_key(caller.key_id)
    with _answers():
        view, secret = state.doors.webhooks.rotate(caller, endpoint, datetime.now(UTC))
    return EndpointWithSecret(**EndpointOut.of(view).model_dump(), secret=secret)


@router.delete("/webhooks/{endpoint}", status_code=204)
def remove_endpoint(endpoint: Annotated[str, _KEY], caller: Caller, state: State) -> Response:
    """Remove the endpoint for good: nothing more is delivered to it."""
    state.limit_key(caller.key_id)
    with _answers():
        state.doors.webhooks.remove(caller, endpoint, datetime.now(UTC))
    return Response(status_code=204)


@router.get("/webhooks/{endpoint}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    endpoint: Annotated[str, _KEY],
    caller: Caller,
    state: State,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> DeliveryPage:
    """The endpoint's delivery log, newest first: each message's status and attempts
    (status code, latency, error)."""
    with _answers():
        page = state.doors.webhooks.deliveries(caller, endpoint, limit=limit, cursor=cursor)
    return DeliveryPage(deliveries=[DeliveryOut.of(m) for m in page.messages], cursor=page.cursor)


@router.get("/webhooks/{endpoint}/deliveries/{webhook_id}", response_model=DeliveryOut)
def get_delivery(
    endpoint: Annotated[str, _KEY],
    webhook_id: Annotated[str, _WEBHOOK_ID],
    caller: Caller,
    state: State,
) -> DeliveryOut:
    """One message of the endpoint's log, with its attempts."""
    with _answers():
        return DeliveryOut.of(state.doors.webhooks.delivery(caller, endpoint, webhook_id))


@router.post(
    "/webhooks/{endpoint}/deliveries/{webhook_id}/send-again",
    response_model=DeliveryOut,
    status_code=202,
)
def send_again(
    endpoint: Annotated[str, _KEY],
    webhook_id: Annotated[str, _WEBHOOK_ID],
    caller: Caller,
    state: State,
) -> DeliveryOut:
    """Deliver a message again, now, on a fresh retry schedule and with the same
    `webhook-id` (a receiver that has it already drops it)."""
    state.limit_key(caller.key_id)
    with _answers():
        view = state.doors.webhooks.send_again(caller, endpoint, webhook_id, datetime.now(UTC))
    return DeliveryOut.of(view)
