"""Configuration from the environment (``CIS_*``), with embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.pacing import parse_rates
from domain.web_links import checked_base_url


class Settings(BaseSettings):
    """Server settings; with nothing set, everything runs embedded in ``./var/data``."""

    model_config = SettingsConfigDict(env_prefix="CIS_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default=Path("var/data"),
        description="Folder for the SQLite event store and the raw messages.",
    )
    backend: Literal["embedded", "memory", "aws"] = Field(
        default="embedded",
        description="embedded: SQLite file + message folder; memory: nothing kept (tests); "
        "aws: DynamoDB events + S3 raw mail.",
    )
    dynamodb_table: str = Field(
        default="calendar-invites",
        validation_alias=AliasChoices("CIS_DYNAMODB_TABLE", "DYNAMODB_TABLE"),
        description="The DynamoDB table of the event store (aws backend).",
    )
    create_tables: bool = Field(
        default=False,
        description="Create the DynamoDB table if it is missing (local use and tests).",
    )
    new_event_invite_topic: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CIS_NEW_EVENT_INVITE", "NEW_EVENT_INVITE"),
        description="SNS topic ARN announcing created invites (aws backend).",
    )
    event_updated_topic: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CIS_EVENT_UPDATED", "EVENT_UPDATED"),
        description="SNS topic ARN announcing updated invites (aws backend).",
    )
    event_cancellation_topic: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "CIS_EVENT_CANCELLATION_REQUEST", "EVENT_CANCELLATION_REQUEST"
        ),
        description="SNS topic ARN announcing cancelled invites (aws backend).",
    )
    sqs_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CIS_SQS_URL", "SQS_URL"),
        description="SQS queue for sending work (updates reaching every recipient, bulk lists); "
        "unset: the work is done at once, in the process that ingests.",
    )
    views_table: str = Field(
        default="calendar-invites-views",
        validation_alias=AliasChoices("CIS_VIEWS_TABLE", "VIEWS_TABLE"),
        description="DynamoDB table of the dashboards' views (aws).",
    )
    mail_bucket: str = Field(
        default="calendar-invites-mail",
        validation_alias=AliasChoices("CIS_MAIL_BUCKET", "MAIL_BUCKET"),
        description="The S3 bucket of raw mail (aws backend).",
    )
    open_registry: bool = Field(
        default=True,
        description="Whether any organizer may create invites without being allowed first.",
    )
    calendar_relays: str = Field(
        default="insideicloud.icloud.com,email.apple.com",
        description="Comma-separated domains of calendar services that send invitations for "
        "their users from their own address (iCloud); their mail speaks for its ORGANIZER.",
    )
    sender_policy: Literal["dmarc", "dmarc-or-private", "private-only", "off"] = Field(
        default="dmarc",
        description="What makes an organizer's message count (per organizer domain: cis "
        "organizers policy). dmarc: From is the organizer and the mail is DMARC-aligned "
        "(DKIM or SPF) for its domain; dmarc-or-private: that, or it came to the organizer's "
        "private drop-box address; private-only: only that address; off: the From header is "
        "believed (tests and closed networks only).",
    )
    trusted_authserv_ids: str | None = Field(
        default=None,
        description="Comma-separated authserv-ids of mail servers in front of this one whose "
        "topmost Authentication-Results header is trusted instead of verifying here "
        "(RFC 8601); default: none, or amazonses.com on the aws backend.",
    )
    dns_zone_file: Path | None = Field(
        default=None,
        description="A JSON file of DNS records (DKIM keys, SPF, DMARC) answering every "
        "lookup of sender verification instead of DNS (closed networks, tests).",
    )
    dns_timeout: float = Field(
        default=2.0, description="Seconds one DNS lookup of sender verification may take."
    )
    create_mailbox: str = Field(default="create", description="Local part of the drop box.")
    rsvp_mailbox: str = Field(default="rsvp", description="Local part of the replies mailbox.")
    unsubscribe_mailbox: str = Field(
        default="unsubscribe",
        description="Local part of the unsubscribe mailbox (List-Unsubscribe's mailto:, "
        "unsubscribe+TOKEN@).",
    )
    bulk_mailbox: str = Field(
        default="bulk", description="Local part of the mailbox for recipient lists (CSV)."
    )
    mail_domain: str = Field(
        default="invites.localhost",
        description="The domain this server receives mail for (reply addresses, server UIDs).",
    )
    sender: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CIS_SENDER", "SENDER"),
        description="From address of invitations sent; default invites@<mail domain>.",
    )
    admins: str = Field(
        default="",
        description="Comma-separated addresses that sign in to the web app as administrators "
        "(everything, every organizer); anyone else signs in as the organizer they are.",
    )
    web_base_url: str | None = Field(
        default=None,
        description="Public base URL of the HTTP API (e.g. https://invites.example.com): "
        "invitations then carry Accept / Maybe / Decline links to it; unset: no links.",
    )
    secret: str | None = Field(
        default=None,
        description="Base64 HMAC secret for reply tokens; default: made once in the data folder.",
    )
    secret_arn: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CIS_SECRET_ARN", "SECRET_ARN"),
        description="Secrets Manager secret (ARN or name) or SSM SecureString parameter (ARN or "
        "/path) holding CIS_SECRET; read once per process (aws backend).",
    )
    notify_organizers: bool = Field(
        default=True,
        description="Email organizers what became of their invites (recorded, rejected, held…).",
    )
    review_updates: bool = Field(
        default=False,
        description="Hold organizers' updates for review before they go out (per-organizer "
        "switch: cis organizers review).",
    )
    mailer: Literal["outbox", "smtp", "ses"] = Field(
        default="outbox",
        description="outbox: .eml files in <data>/outbox; smtp: an SMTP relay; ses: Amazon SES.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP relay host.")
    smtp_port: int = Field(default=587, description="SMTP relay port.")
    smtp_starttls: bool = Field(default=True, description="Upgrade with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user name.")
    smtp_password: str | None = Field(default=None, description="SMTP AUTH password.")
    domain_rate: float = Field(
        default=10.0,
        ge=0,
        allow_inf_nan=False,
        description="Sends per second to each receiving domain through the smtp mailer, "
        "slowed for a domain whose mail is deferred (4xx); 0: not paced.",
    )
    domain_rates: str = Field(
        default="",
        description="Per-domain rates overriding CIS_DOMAIN_RATE, as DOMAIN=RATE,… "
        "(gmail.com=20,yahoo.com=5).",
    )
    dkim_selector: str | None = Field(
        default=None,
        description="DKIM selector: set, the smtp and outbox mailers sign what they send with "
        "its key (cis dkim keygen); unset: no signature (SES signs on its own).",
    )
    dkim_domain: str | None = Field(
        default=None,
        description="The DKIM signing domain (d=); default: the domain of the From address "
        "(CIS_SENDER). Mail whose From is not this domain or a subdomain of it is sent "
        "unsigned, with a warning (DMARC could not align it).",
    )
    dkim_private_key_file: Path | None = Field(
        default=None,
        description="The selector's RSA private key (PEM, readable by its owner only); "
        "default: <data>/dkim/<selector>.private.",
    )
    region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("CIS_REGION", "REGION"),
        description="AWS region for SES.",
    )
    sqlite_lock_timeout: int = Field(default=10, description="Seconds to wait for a lock.")
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        default="NORMAL",
        description="SQLite PRAGMA synchronous for the event store (WAL mode).",
    )
    fsync_messages: bool = Field(
        default=True,
        description="fsync each raw message before processing it (the durability anchor).",
    )
    # Limits on what strangers can make the server hold (cis serve, and the API on Lambda).
    smtp_max_message_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, description="Largest message the drop box takes."
    )
    smtp_max_recipients: int = Field(
        default=100, ge=1, description="Recipients per message; more are answered 452."
    )
    smtp_max_connections: int = Field(
        default=200, ge=1, description="Open SMTP connections in all; more are answered 421."
    )
    smtp_max_connections_per_client: int = Field(
        default=20, ge=1, description="Open SMTP connections per client address (421 past it)."
    )
    smtp_idle_timeout: float = Field(
        default=300.0,
        gt=0,
        description="Seconds an SMTP client may stay silent (and may take to send one "
        "message's data) before it is disconnected (RFC 5321: 5 minutes).",
    )
    smtp_workers: int = Field(
        default=4, ge=1, description="Messages the drop box processes at once."
    )
    smtp_ingest_timeout: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a message may wait for a worker and be processed before the "
        "drop box answers 451 and stops waiting for that worker.",
    )
    http_max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest HTTP request body; larger is 413, checked before the API key.",
    )
    http_max_connections: int = Field(
        default=500, ge=1, description="Open HTTP connections; more are answered 503."
    )
    http_read_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client may take to send a request's headers, and may pause "
        "while sending its body, before it is disconnected (slow clients).",
    )
    http_keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive HTTP connection stays open."
    )
    list_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest recipient list (CSV)."
    )
    list_max_rows: int = Field(
        default=50_000, ge=1, description="Most rows in a recipient list (CSV)."
    )
    parse_budget: float = Field(
        default=10.0,
        ge=0,
        description="Seconds reading one message may take, in a worker process that is "
        "killed past it (the message is then rejected, and kept); 0: read in this process, "
        "unbounded. On the aws backend messages are read in-process, within the Lambda timeout.",
    )
    parse_workers: int = Field(
        default=2, ge=1, description="Worker processes reading messages at once (cis serve)."
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="Let webhook endpoints be on loopback, private or link-local addresses, "
        "and on plain http (embedded backend only: the aws backend always refuses them).",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds a webhook endpoint has to answer."
    )

    @field_validator("domain_rates")
    @classmethod
    def _domain_rates(cls, value: str) -> str:
        parse_rates(value)  # says which entry is wrong, at start rather than at the first send
        return value

    @property
    def domain_rate_overrides(self) -> dict[str, float]:
        """The per-domain rates of ``CIS_DOMAIN_RATES``, by lower-case domain."""
        return parse_rates(self.domain_rates)

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, value: str | None) -> str | None:
        # An empty variable means unset; anything else must be a usable base (say why not).
        return checked_base_url(value) if value else None

    @property
    def create_address(self) -> str:
        """The drop-box address organizers send invites to."""
        return f"{self.create_mailbox}@{self.mail_domain}"

    @property
    def views_path(self) -> Path:
        """The SQLite file of the dashboards' views (embedded)."""
        return self.data_dir / "views.sqlite3"

    @property
    def event_store_path(self) -> Path:
        """Return the SQLite file of the event store."""
        return self.data_dir / "events.sqlite3"

    @property
    def from_address(self) -> str:
        """Return the From address of invitations."""
        return self.sender or f"invites@{self.mail_domain}"

    @property
    def topics(self) -> dict[str, str]:
        """Return the SNS topic of each announcement kind that has one."""
        named = {
            "created": self.new_event_invite_topic,
            "updated": self.event_updated_topic,
            "cancelled": self.event_cancellation_topic,
        }
        return {kind: arn for kind, arn in named.items() if arn}

    @property
    def dkim_folder(self) -> Path:
        """Return the folder ``cis dkim keygen`` keeps private keys in."""
        return self.data_dir / "dkim"

    @property
    def dkim_signing_domain(self) -> str:
        """Return the DKIM signing domain: the one set, else the From address's."""
        return self.dkim_domain or self.from_address.rpartition("@")[2]

    def dkim_key_file(self, selector: str) -> Path:
        """Return where ``selector``'s private key is: the file set for the configured
        selector, else ``<data>/dkim/<selector>.private``."""
        if self.dkim_private_key_file is not None and selector == self.dkim_selector:
            return self.dkim_private_key_file
        return self.dkim_folder / f"{selector}.private"

    @property
    def outbox_path(self) -> Path:
        """Return the folder the outbox mailer writes .eml files to."""
        return self.data_dir / "outbox"

    @property
    def secret_path(self) -> Path:
        """Return the file holding the reply-token secret when none is configured."""
        return self.data_dir / "secret.key"

    @property
    def messages_path(self) -> Path:
        """Return the folder of raw messages."""
        return self.data_dir / "messages"

    @property
    def authserv_ids(self) -> frozenset[str]:
        """Return the trusted authserv-ids (SES's own on the aws backend by default)."""
        if self.trusted_authserv_ids is None:
            return frozenset({"amazonses.com"}) if self.backend == "aws" else frozenset()
        return frozenset(
            part.strip().lower() for part in self.trusted_authserv_ids.split(",") if part.strip()
        )

    @property
    def relay_domains(self) -> frozenset[str]:
        """Return the trusted calendar relays as a set of lower-case domains."""
        return frozenset(d.strip().lower() for d in self.calendar_relays.split(",") if d.strip())

    @property
    def admin_addresses(self) -> frozenset[str]:
        """Return the web app's administrators, as normalized addresses."""
        return frozenset(a.strip().lower() for a in self.admins.split(",") if a.strip())
