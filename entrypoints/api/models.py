"""Request and response bodies of the API (they are its OpenAPI schemas too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from application.send_types import SendOutcome
from application.vocabulary import address_problem, normalize_address

ORIGIN_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,31}$"


class InviteSummary(BaseModel):
    """An invite as the dashboards list it."""

    model_config = ConfigDict(extra="allow")

    invite: str
    organizer: str
    organizer_name: str | None = None
    domain: str | None = None
    uid: str
    status: str
    sequence: int
    update_count: int
    counter_count: int
    created: str | None = None
    last_modified: str | None = None
    title: str | None = None
    location: str | None = None
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    all_day: bool = False


class InviteDetail(InviteSummary):
    """One invite, with its signed links."""

    calendar_url: str = Field(description="Downloads the invite's calendar file, and nothing else.")
    landing_url: str | None = Field(
        default=None,
        description=(
            "What a landing page sends the invite with: add &address=…[&name=…][&redirect=…]. "
            "Only for the invite's organizer and admin keys; null for others."
        ),
    )


class InviteStatistics(BaseModel):
    """Who was invited to one invite, by status, origin and replying client."""

    invite: str
    invited: int
    by_status: dict[str, int]
    by_origin: dict[str, int]
    by_client: dict[str, int]
    added_via_link: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "People who added the event through its landing page's add links, by calendar "
            "(google, outlook, office365, yahoo, ics); not counted in invited."
        ),
    )
    sequence: int
    update_count: int


class CalendarLinks(BaseModel):
    """An invite's add-to-calendar links."""

    invite: str
    links: dict[str, str] = Field(
        description=(
            "Straight to each web calendar (google, outlook, office365, yahoo), the event in "
            "the query string with its times in UTC; empty for a cancelled or timeless event."
        )
    )
    ics: str = Field(description="Downloads the invite's calendar file, and nothing else.")
    landing_url: str | None = Field(
        default=None,
        description=(
            'The invite\'s landing page (its add links and a "Get updates by email" form). '
            "Only for the invite's organizer and admin keys; null for others."
        ),
    )
    counted_links: dict[str, str] | None = Field(
        default=None,
        description=(
            "The same links and the .ics (ics) through the landing page's redirect, which "
            "counts each use in the statistics' added_via_link. Only for those who see "
            "landing_url; null for others."
        ),
    )


class Totals(BaseModel):
    """Totals over an organizer's, a domain's or the whole system's invites."""

    model_config = ConfigDict(extra="allow")

    organizer: str | None = None
    domain: str | None = None
    invites: int
    cancelled: int
    updates: int
    counter_proposals: int
    active: int
    # Organizers' and domains' totals only: reads of their subscription feeds, by feed kind
    # (organizer, domain, audience), since the views were last rebuilt.
    feed_reads: dict[str, int] | None = None


class HistoryEntry(BaseModel):
    """One thing that happened to an attendee."""

    at: str
    what: str


class Attendee(BaseModel):
    """One attendee of an invite and the answer that counts now."""

    address: str
    name: str | None = None
    recipient: bool
    origin: str | None = None
    status: str
    last_sequence_sent: int | None = None
    replied_at: str | None = None
    client: str | None = None
    forwarded_by: str | None = None
    # What vouched that the answer is the attendee's: their reply address, DMARC alignment
    # of their mail, or their signed web RSVP link.
    verified_by: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


class NewRecipient(BaseModel):
    """Someone to send the invite to."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(max_length=254, examples=["ann@example.org"])
    name: str | None = Field(default=None, max_length=200)
    origin: str = Field(default="api", pattern=ORIGIN_PATTERN)

    @field_validator("address")
    @classmethod
    def _usable(cls, value: str) -> str:
        address = normalize_address(value)
        problem = address_problem(address)
        if problem:
            raise ValueError(problem)
        return address

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value is not None else None


class SendResultBody(BaseModel):
    """What became of one recipient of a send."""

    address: str
    outcome: SendOutcome = Field(
        description="sent; queued (the mailer failed for now, retried later); failed; duplicate "
        "(this version reached them before, or a list's row repeats an earlier row's address); "
        "invalid; blocked; limit; cancelled (the invite is cancelled and the address never had "
        "it, so nothing is sent)"
    )
    invite: str | None = None
    sequence: int | None = None
    message_id: str | None = None
    reason: str | None = Field(
        default=None,
        description="Why, as a sentence (a list's rows: which line, and for a duplicate which "
        "earlier line it repeats).",
    )


def _warnings() -> Any:
    """Return the ``warnings`` field a send's answer has (a fresh one for each model)."""
    return Field(
        default_factory=list,
        description="What the sender should know; the send went ahead. Today: the event is "
        "over (its last occurrence, the series' last for a recurring one, ended before now).",
    )


class SentToOne(SendResultBody):
    """What became of the one recipient of a send, and any warnings."""

    warnings: list[str] = _warnings()


class SendResults(BaseModel):
    """The outcome of a send, per recipient and counted, and any warnings."""

    counts: dict[str, int]
    results: list[SendResultBody]
    warnings: list[str] = _warnings()


class RowProblem(BaseModel):
    """One unusable row of an uploaded list."""

    line: int
    address: str
    problem: str


class RepeatedRow(BaseModel):
    """A row of an uploaded list whose address an earlier row has: sent once, as that row."""

    line: int
    address: str
    first_line: int = Field(description="The earlier line with the same address.")
    reason: str


class BulkPreview(BaseModel):
    """What confirming an uploaded list would do."""

    invite: str
    upload_id: str
    confirmation: str
    usable: int
    duplicates: int
    invalid: int
    problems: list[RowProblem] = Field(description="The unusable rows, by line (at most 1000).")
    repeated: list[RepeatedRow] = Field(
        default_factory=list,
        description="The rows counted in duplicates, by line (at most 1000).",
    )
    confirm_url: str
    warnings: list[str] = _warnings()


class BulkConfirm(BaseModel):
    """The confirmation token a preview handed out."""

    model_config = ConfigDict(extra="forbid")

    confirmation: str = Field(max_length=128, examples=["<the preview's confirmation>"])


class CancelResult(BaseModel):
    """What the cancellation did."""

    outcome: str
    invite: str | None = None
    sequence: int | None = None
    reason: str | None = None


class ReportSent(BaseModel):
    """The RSVP report emailed to the organizer."""

    invite: str
    emailed_to: str
    rows: int
    by_status: dict[str, int]


def results_body(
    results: list[dict[str, Any]], warnings: list[str] | None = None
) -> dict[str, Any]:
    """Return send results with their outcomes counted, and any warnings."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result["outcome"]] = counts.get(result["outcome"], 0) + 1
    return {"counts": counts, "results": results, "warnings": warnings or []}


class PrivateAddress(BaseModel):
    """An organizer's private drop-box addresses, shown once (only a digest is kept)."""

    organizer: str
    create: str = Field(description="Send invites, updates and cancellations here.")
    bulk: str = Field(description="Send recipient lists (CSV) here.")
