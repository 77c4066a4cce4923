"""The composition root: the one place that knows which adapters are wired."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from dependency_injector import containers, providers

from adapters.aws.sns import SnsAnnouncer
from adapters.inbound.authentication.dns import SystemResolver, ZoneResolver
from adapters.inbound.authentication.verifier import MailAuthenticator
from adapters.inbound.budget import BudgetedParser
from adapters.inbound.parse_once import ParsedOnce
from adapters.inbound.parser import EmailCalendarParser
from adapters.lists.csv_recipients import CsvRecipientReader
from adapters.mail.outbox import OutboxFolderMailer
from adapters.mail.ses import SesMailer
from adapters.mail.smtp import SmtpMailer
from adapters.outbound.notices import EmailNoticeSender
from adapters.outbound.renderer import IcalendarInviteRenderer
from adapters.queues.sqs import SqsWorkQueue
from adapters.readmodels.sqlite import SqliteReadModel
from adapters.storage.announcements import JsonLinesAnnouncer
from adapters.storage.blobs import FolderBlobStore, MemoryBlobStore
from adapters.storage.health import EmptyEventStoreError, orphaned_store
from adapters.storage.s3_blobs import S3BlobStore
from adapters.storage.secrets import server_secret
from application.admin.keys import ApiKeys
from application.inbound.routing import Mailboxes
from application.ports import MessageParser, WorkQueue
from application.projections.memory import MemoryReadModel
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.store import ReadModel
from application.send_types import OutboundSettings
from application.service import InviteService
from domain.authentication import SenderPolicy
from entrypoints.settings import Settings
from entrypoints.web_paths import RSVP_PATH


def persistence_env(settings: Settings, recovery: bool = False) -> dict[str, str]:
    """Return the eventsourcing environment for the configured backend.

    An empty or missing SQLite store beside kept or sent mail is refused (it would be taken
    as a fresh start and everyone mailed again) unless this is a deliberate ``recovery``.
    """
    if settings.backend == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if settings.backend == "aws":
        return {
            "PERSISTENCE_MODULE": "adapters.storage.dynamodb.factory",
            "DYNAMODB_TABLE": settings.dynamodb_table,
            "DYNAMODB_CREATE_TABLE": "y" if settings.create_tables else "n",
            "REGION": settings.region,
        }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = settings.event_store_path
    problem = (
        None if recovery else orphaned_store(store, settings.messages_path, settings.outbox_path)
    )
    if problem is not None:
        raise EmptyEventStoreError(store, problem)
    return {
        "PERSISTENCE_MODULE": "adapters.storage.sqlite",
        "SQLITE_DBNAME": str(settings.event_store_path),
        "SQLITE_LOCK_TIMEOUT": str(settings.sqlite_lock_timeout),
        "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
    }


def outbound_settings(settings: Settings) -> OutboundSettings:
    """Return how the server sends, with the reply-token secret loaded or made once."""
    if settings.backend == "memory" and not settings.secret:
        # Nothing is kept in memory mode, so neither is the secret: a fresh one per process.
        secret = secrets.token_bytes(32)
    elif settings.backend == "aws" and not settings.secret:
        # A Lambda's disk is thrown away: a secret made there would orphan every reply address.
        if not settings.secret_arn:
            msg = "the aws backend needs CIS_SECRET_ARN (Secrets Manager or SSM) or CIS_SECRET"
            raise ValueError(msg)
        from adapters.aws.secrets import fetch_secret

        reference = fetch_secret(settings.secret_arn, region=settings.region)
        secret = server_secret(settings.secret_path, reference)
    else:
        secret = server_secret(settings.secret_path, settings.secret)
    return OutboundSettings(
        domain=settings.mail_domain,
        sender=settings.from_address,
        rsvp_mailbox=settings.rsvp_mailbox,
        secret=secret,
    )


def read_model(settings: Settings) -> ReadModel:
    """Return the store of the dashboards' views for the configured backend."""
    if settings.backend == "memory":
        return MemoryReadModel()
    if settings.backend == "aws":
        from adapters.readmodels.dynamodb import DynamoReadModel  # boto3 only when on AWS

        return DynamoReadModel(
            settings.views_table, region=settings.region, create=settings.create_tables
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteReadModel(settings.views_path)


def resolver(settings: Settings) -> SystemResolver | ZoneResolver:
    """Return the DNS that sender verification asks: a zone file when one is set."""
    if settings.dns_zone_file is not None:
        return ZoneResolver.from_file(settings.dns_zone_file)
    return SystemResolver(timeout=settings.dns_timeout)


def message_reader(settings: Settings, make: Callable[[], MessageParser]) -> MessageParser:
    """Return what reads strangers' mail: ``make()``'s parser in worker processes under the
    parse budget; in this process with no budget, and on AWS, where the Lambda's own timeout
    is the bound (a second process would double its memory and cold start)."""
    if settings.parse_budget <= 0 or settings.backend == "aws":
        return make()
    return BudgetedParser(make, budget=settings.parse_budget, workers=settings.parse_workers)


def work_queue(settings: Settings) -> WorkQueue | None:
    """Return the queue sending work goes to, or None to do it at once."""
    return SqsWorkQueue(settings.sqs_url, region=settings.region) if settings.sqs_url else None


class Container(containers.DeclarativeContainer):
    """Wires settings to adapters to the invite service; tests override providers."""

    settings = providers.Dependency(instance_of=Settings)
    recovery = providers.Object(False)
    # What builds the parser (in a worker process, so a class or module-level function).
    parser_factory = providers.Object(EmailCalendarParser)
    reader = providers.Singleton(message_reader, settings, parser_factory)
    parser = providers.Singleton(ParsedOnce, reader)
    resolver = providers.Singleton(resolver, settings)
    verifier = providers.Singleton(
        MailAuthenticator,
        resolver,
        trusted_authserv_ids=providers.Callable(lambda s: s.authserv_ids, settings),
    )
    blobs = providers.Selector(
        providers.Callable(lambda s: s.backend, settings),
        embedded=providers.Singleton(
            FolderBlobStore,
            providers.Callable(lambda s: s.messages_path, settings),
            fsync=providers.Callable(lambda s: s.fsync_messages, settings),
        ),
        memory=providers.Singleton(MemoryBlobStore),
        aws=providers.Singleton(
            S3BlobStore,
            providers.Callable(lambda s: s.mail_bucket, settings),
            region=providers.Callable(lambda s: s.region, settings),
        ),
    )
    mailboxes = providers.Singleton(
        Mailboxes,
        create=providers.Callable(lambda s: s.create_mailbox, settings),
        rsvp=providers.Callable(lambda s: s.rsvp_mailbox, settings),
        bulk=providers.Callable(lambda s: s.bulk_mailbox, settings),
    )
    renderer = providers.Singleton(
        IcalendarInviteRenderer,
        web_base_url=providers.Callable(lambda s: s.web_base_url, settings),
        rsvp_path=RSVP_PATH,
    )
    recipient_lists = providers.Singleton(
        CsvRecipientReader,
        max_bytes=providers.Callable(lambda s: s.list_max_bytes, settings),
        max_rows=providers.Callable(lambda s: s.list_max_rows, settings),
    )
    mailer = providers.Selector(
        providers.Callable(lambda s: s.mailer, settings),
        outbox=providers.Singleton(
            OutboxFolderMailer, providers.Callable(lambda s: s.outbox_path, settings)
        ),
        smtp=providers.Singleton(
            SmtpMailer,
            providers.Callable(lambda s: s.smtp_host, settings),
            providers.Callable(lambda s: s.smtp_port, settings),
            starttls=providers.Callable(lambda s: s.smtp_starttls, settings),
            username=providers.Callable(lambda s: s.smtp_username, settings),
            password=providers.Callable(lambda s: s.smtp_password, settings),
        ),
        ses=providers.Singleton(SesMailer, providers.Callable(lambda s: s.region, settings)),
    )
    notices = providers.Singleton(
        EmailNoticeSender,
        mailer,
        sender=providers.Callable(lambda s: s.from_address, settings),
        domain=providers.Callable(lambda s: s.mail_domain, settings),
    )
    announcer = providers.Selector(
        providers.Callable(lambda s: s.backend, settings),
        embedded=providers.Singleton(
            JsonLinesAnnouncer,
            providers.Callable(lambda s: s.data_dir / "announcements.jsonl", settings),
        ),
        memory=providers.Object(None),
        aws=providers.Singleton(
            SnsAnnouncer,
            providers.Callable(lambda s: s.topics, settings),
            region=providers.Callable(lambda s: s.region, settings),
        ),
    )
    queue = providers.Singleton(work_queue, settings)
    service = providers.Singleton(
        InviteService,
        providers.Callable(persistence_env, settings, recovery),
        parser=parser,
        blobs=blobs,
        mailboxes=mailboxes,
        open_registry=providers.Callable(lambda s: s.open_registry, settings),
        relays=providers.Callable(lambda s: s.relay_domains, settings),
        renderer=renderer,
        mailer=mailer,
        outbound=providers.Callable(outbound_settings, settings),
        review_updates=providers.Callable(lambda s: s.review_updates, settings),
        notices=providers.Callable(
            lambda s, n: n if s.notify_organizers else None, settings, notices
        ),
        lists=recipient_lists,
        announcer=announcer,
        queue=queue,
        verifier=verifier,
        sender_policy=providers.Callable(lambda s: SenderPolicy(s.sender_policy), settings),
    )

    views = providers.Singleton(read_model, settings)
    reports = providers.Singleton(Reports, views)
    projections = providers.Singleton(ProjectionRunner, service, views)
    api_keys = providers.Singleton(lambda service: ApiKeys(service.load, service.save), service)


def bootstrap(settings: Settings | None = None, *, recovery: bool = False) -> Container:
    """Return a container for ``settings`` (from the environment when None); ``recovery``
    accepts an empty event store beside kept mail (``cis reingest`` rebuilding it)."""
    return Container(settings=settings or Settings(), recovery=providers.Object(recovery))


def sender_policy_warning(settings: Settings) -> str | None:
    """Return the warning a server prints at start-up when nobody's mail is verified."""
    if settings.sender_policy != "off":
        return None
    return (
        "WARNING: CIS_SENDER_POLICY=off: the From header of every message is believed, so "
        "anyone can act as any organizer; use it only for tests and closed networks"
    )
