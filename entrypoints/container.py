"""The composition root: the one place that knows which adapters are wired."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from dependency_injector import containers, providers

from adapters.aws import wiring as aws_wiring
from adapters.aws.sns import SnsAnnouncer
from adapters.inbound.authentication.dns import SystemResolver, ZoneResolver
from adapters.inbound.authentication.verifier import MailAuthenticator
from adapters.inbound.budget import BudgetedParser
from adapters.inbound.parse_once import ParsedOnce
from adapters.inbound.parser import EmailCalendarParser
from adapters.lists.csv_recipients import CsvRecipientReader
from adapters.lists.csv_report import CsvReport
from adapters.mail import dkim as dkim_keys
from adapters.mail.outbox import OutboxFolderMailer
from adapters.mail.pacing import PacedMailer
from adapters.mail.ses import SesMailer
from adapters.mail.smtp import SmtpMailer
from adapters.outbound.feed import IcalendarFeedRenderer
from adapters.outbound.notices import EmailNoticeSender
from adapters.outbound.renderer import IcalendarInviteRenderer
from adapters.processes import LocalProcesses
from adapters.queues.sqs import SqsWorkQueue
from adapters.readmodels.memory import MemoryReadModel
from adapters.readmodels.sqlite import SqliteReadModel
from adapters.storage.announcements import JsonLinesAnnouncer
from adapters.storage.blobs import FolderBlobStore, MemoryBlobStore
from adapters.storage.health import (
    DataFolder,
    EmptyEventStoreError,
    Finding,
    examine,
    orphaned_store,
    repair,
)
from adapters.storage.s3_blobs import S3BlobStore
from adapters.storage.secrets import server_secret
from adapters.webhooks.http import HttpWebhookTransport
from application.admin.front_door import Admin
from application.admin.keys import ApiKeys
from application.admin.registry import OrganizerRegistry
from application.feeds.front_door import Feeds
from application.front_doors import FrontDoors
from application.inbound.deciding import SenderRules
from application.inbound.front_door import Inbound
from application.inbound.routing import Mailboxes
from application.inbound.senders import Policies
from application.links.calendar_links import CalendarLinks
from application.links.front_door import Links
from application.links.landing import Landings
from application.links.rsvp_links import RsvpLinks
from application.nulls import NoAnnouncer, NoNotices
from application.outbound.claims import Workers
from application.outbound.dispatch import BULK_PART, AtOnce, Dispatch, Queued
from application.outbound.front_door import KeptLists, Outbound
from application.outbound.notice_queue import NoticeQueue
from application.outbound.notices import Notifier
from application.outbound.propagation import Propagation, Reviews
from application.outbound.sender import Sender
from application.ports import Mailer, MessageParser, WorkQueue
from application.privacy.front_door import Privacy
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.store import ReadModel
from application.projections.stream_feed import StreamFeed
from application.reading.cursors import SealedCursors
from application.reading.front_door import Reading
from application.reading.report import RsvpReports
from application.send_types import OutboundSettings
from application.sessions.front_door import Sessions, SignInSettings
from application.store import InviteStore
from application.webhooks.bookmark import LogBookmark
from application.webhooks.front_door import Webhooks
from application.webhooks.signing import SecretBox
from domain.authentication import SenderPolicy
from domain.pacing import Pace
from entrypoints.settings import Settings
from entrypoints.web_paths import RSVP_PATH, SIGN_IN_PATH


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
        unsubscribe_mailbox=settings.unsubscribe_mailbox,
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


def views_catch_up(settings: Settings, runner: ProjectionRunner) -> Callable[[], object] | None:
    """Return what brings the views up to date before a report reads them: this process
    projects the event log where it keeps the views (embedded, memory); on AWS the event
    table's stream projects them, and there is nothing to do."""
    return None if settings.backend == "aws" else runner.run


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


def sealed_cursors(sending: OutboundSettings) -> SealedCursors:
    """Return the sealer of cursors handed to those who see attendees masked (its key is
    derived from the server secret, under a label of its own)."""
    return SealedCursors(sending.secret)


def sign_in_settings(settings: Settings, sending: OutboundSettings) -> SignInSettings:
    """Return where sign-in links point (none without a public web address) and who
    administers; links are signed with the server secret (under a label of their own)."""
    base = settings.web_base_url
    link_base = base.rstrip("/") + SIGN_IN_PATH if base else None
    return SignInSettings(link_base, settings.admin_addresses, sending.secret)


def dkim_signer(settings: Settings) -> dkim_keys.DkimSigner | None:
    """Return the DKIM signer of the smtp and outbox mailers, or None when no selector is
    set. A selector without a usable key (missing, readable by others, too short) is an
    error at start, never mail silently sent unsigned."""
    selector = settings.dkim_selector
    if not selector:
        if settings.dkim_private_key_file is not None:
            msg = "CIS_DKIM_PRIVATE_KEY_FILE is set but CIS_DKIM_SELECTOR is not: set both"
            raise dkim_keys.DkimKeyError(msg)
        return None
    selector = dkim_keys.checked_name("CIS_DKIM_SELECTOR", selector)
    return dkim_keys.DkimSigner.from_file(
        settings.dkim_key_file(selector), selector, settings.dkim_signing_domain
    )


def sent_copies(settings: Settings) -> OutboxFolderMailer | None:
    """Return the outbox folder's kept copies of sent mail, where this backend keeps any
    (an erasure redacts them, whichever mailer sends now)."""
    if settings.backend != "embedded":
        return None
    return OutboxFolderMailer(settings.outbox_path)


def paced(mailer: Mailer, settings: Settings) -> Mailer:
    """Return ``mailer`` paced per receiving domain as configured; ``CIS_DOMAIN_RATE=0``:
    as it is."""
    if settings.domain_rate == 0:
        return mailer
    return PacedMailer(mailer, Pace(settings.domain_rate, settings.domain_rate_overrides))


def webhooks_private(settings: Settings) -> bool:
    """Return whether webhook endpoints may be on private addresses and plain http: only on
    the embedded default, when configured (on AWS the metadata service is one hop away)."""
    return settings.webhooks_allow_private and settings.backend != "aws"


def webhook_door(
    store: InviteStore,
    views: ReadModel,
    transport: HttpWebhookTransport,
    sending: OutboundSettings,
    notifier: Notifier,
    queue: WorkQueue | None,
    settings: Settings,
) -> Webhooks:
    """Return the webhooks door: secrets sealed under the server secret, the embedded
    fan-out's position kept beside the views', the owner told through organizer notices."""
    return Webhooks(
        store,
        transport=transport,
        box=SecretBox(sending.secret),
        tell=notifier.tell,
        https_only=not webhooks_private(settings),
        bookmark=LogBookmark(views),
        queue=queue,
    )


def dispatcher(
    queue: WorkQueue | None, sender: Sender, notifier: Notifier, bulk_part: int = BULK_PART
) -> Dispatch:
    """Return how sending work is done: queued for workers when a queue is set (a bulk list in
    parts of ``bulk_part`` recipients), else at once."""
    return AtOnce(sender, notifier) if queue is None else Queued(sender, queue, bulk_part)


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
        unsubscribe=providers.Callable(lambda s: s.unsubscribe_mailbox, settings),
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
    # SES signs with its own Easy DKIM keys; the embedded mailers with ours, when one is set.
    dkim = providers.Singleton(dkim_signer, settings)
    mailer = providers.Selector(
        providers.Callable(lambda s: s.mailer, settings),
        outbox=providers.Singleton(
            OutboxFolderMailer,
            providers.Callable(lambda s: s.outbox_path, settings),
            signer=dkim,
        ),
        # Paced per receiving domain (CIS_DOMAIN_RATE): the relay passes providers' deferrals
        # back; the outbox folder is local files, and SES paces itself on AWS's side.
        smtp=providers.Singleton(
            paced,
            providers.Singleton(
                SmtpMailer,
                providers.Callable(lambda s: s.smtp_host, settings),
                providers.Callable(lambda s: s.smtp_port, settings),
                starttls=providers.Callable(lambda s: s.smtp_starttls, settings),
                username=providers.Callable(lambda s: s.smtp_username, settings),
                password=providers.Callable(lambda s: s.smtp_password, settings),
                signer=dkim,
            ),
            settings,
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
        memory=providers.Singleton(NoAnnouncer),
        aws=providers.Singleton(
            SnsAnnouncer,
            providers.Callable(lambda s: s.topics, settings),
            region=providers.Callable(lambda s: s.region, settings),
        ),
    )
    queue = providers.Singleton(work_queue, settings)
    report_format = providers.Singleton(CsvReport)

    store = providers.Singleton(
        InviteStore, providers.Callable(persistence_env, settings, recovery)
    )
    load = providers.Callable(lambda store: store.load, store)
    load_at = providers.Callable(lambda store: store.load_at, store)
    save = providers.Callable(lambda store: store.save, store)
    sending_settings = providers.Singleton(outbound_settings, settings)
    registry = providers.Singleton(OrganizerRegistry, load, save)
    api_keys = providers.Singleton(ApiKeys, load, save)
    policies = providers.Singleton(
        Policies,
        providers.Callable(lambda s: SenderPolicy(s.sender_policy), settings),
        providers.Callable(lambda registry: registry.domain_policy, registry),
    )
    rules = providers.Singleton(
        SenderRules,
        verifier,
        policies,
        open_registry=providers.Callable(lambda s: s.open_registry, settings),
        relays=providers.Callable(lambda s: s.relay_domains, settings),
    )
    workers = providers.Singleton(Workers, providers.Singleton(LocalProcesses))
    # Where the notices that follow ingest wait: sent at once unless a process's background
    # work started it (cis serve does; a Lambda's frozen process could not send from it).
    notice_queue = providers.Singleton(NoticeQueue)
    notifier = providers.Singleton(
        Notifier,
        providers.Callable(
            lambda s, n: n if s.notify_organizers else NoNotices(), settings, notices
        ),
        load=load,
        save=save,
        workers=workers,
        queue=notice_queue,
    )
    sender = providers.Singleton(
        Sender,
        load,
        save,
        renderer,
        mailer,
        sending_settings,
        workers,
        erased=providers.Callable(lambda store: store.keyring.is_erased, store),
        load_many=providers.Callable(lambda store: store.load_many, store),
    )
    bulk_part = providers.Object(BULK_PART)
    dispatch = providers.Singleton(dispatcher, queue, sender, notifier, bulk_part)
    followups = providers.Singleton(
        Propagation,
        load,
        sender,
        notifier,
        announcer,
        dispatch,
        providers.Singleton(
            Reviews, registry, providers.Callable(lambda s: s.review_updates, settings)
        ),
    )
    inbound = providers.Singleton(
        Inbound,
        store,
        parser=parser,
        blobs=blobs,
        mailboxes=mailboxes,
        rules=rules,
        outbound=sending_settings,
        followups=followups,
        lists=recipient_lists,
    )
    views = providers.Singleton(read_model, settings)
    reports = providers.Singleton(Reports, views)
    projections = providers.Singleton(ProjectionRunner, store, views)
    rsvp_reports = providers.Singleton(
        RsvpReports, reports, providers.Callable(views_catch_up, settings, projections)
    )
    outbound = providers.Singleton(
        Outbound,
        store,
        sender=sender,
        notifier=notifier,
        dispatch=dispatch,
        kept_lists=providers.Singleton(KeptLists, parser, blobs, recipient_lists),
        report_format=report_format,
        reports=rsvp_reports,
    )
    reading = providers.Singleton(
        Reading,
        store,
        views=reports,
        report_format=report_format,
        cursors=providers.Callable(sealed_cursors, sending_settings),
        reports=rsvp_reports,
    )
    links = providers.Singleton(
        Links,
        store,
        rsvp=providers.Singleton(RsvpLinks, load, save, sending_settings, renderer=renderer),
        landings=providers.Singleton(
            Landings,
            load,
            save,
            providers.Callable(lambda o: o.secret, sending_settings),
            providers.Callable(lambda o: o.send, outbound),
        ),
        renderer=renderer,
        outbound=sending_settings,
        registry=registry,
        calendars=providers.Singleton(
            CalendarLinks,
            load,
            load_at,
            views,
            providers.Callable(lambda o: o.domain, sending_settings),
        ),
    )
    admin = providers.Singleton(Admin, registry, api_keys, policies)
    webhook_transport = providers.Singleton(
        HttpWebhookTransport,
        allow_private=providers.Callable(webhooks_private, settings),
        read_timeout=providers.Callable(lambda s: s.webhook_timeout, settings),
    )
    webhooks = providers.Singleton(
        webhook_door, store, views, webhook_transport, sending_settings, notifier, queue, settings
    )
    sessions = providers.Singleton(
        Sessions,
        store,
        settings=providers.Callable(sign_in_settings, settings, sending_settings),
        notices=notices,
        registry=registry,
        views=reports,
    )
    privacy = providers.Singleton(
        Privacy,
        store,
        views,
        blobs,
        sent_copies=providers.Callable(sent_copies, settings),
    )
    feeds = providers.Singleton(
        Feeds,
        store,
        views=reports,
        renderer=providers.Singleton(IcalendarFeedRenderer),
        outbound=sending_settings,
    )
    front_doors = providers.Singleton(
        FrontDoors,
        inbound=inbound,
        outbound=outbound,
        links=links,
        reading=reading,
        admin=admin,
        sessions=sessions,
        privacy=privacy,
        feeds=feeds,
        webhooks=webhooks,
    )

    # -- AWS entry points' collaborators (what reads SES, S3, SQS and stream payloads) --
    # Each built on first use, its module imported then: the HTTP function never loads them.
    inbound_mail = providers.Singleton(
        aws_wiring.inbound_mail,
        inbound,
        bucket=providers.Callable(lambda s: s.mail_bucket, settings),
        domain=providers.Callable(lambda s: s.mail_domain, settings),
        region=providers.Callable(lambda s: s.region, settings),
    )
    mail_redrive = providers.Singleton(
        aws_wiring.redrive,
        inbound_mail,
        region=providers.Callable(lambda s: s.region, settings),
    )
    notice_reader = providers.Singleton(aws_wiring.notice_reader)
    work_reader = providers.Singleton(aws_wiring.work_reader)
    webhook_records = providers.Singleton(aws_wiring.webhook_records, webhooks)
    stream_records = providers.Singleton(
        aws_wiring.stream_records, providers.Singleton(StreamFeed, store, views)
    )
    event_scan = providers.Singleton(aws_wiring.event_scan, store)
    # What turns a scanned stored event back into a domain event (``cis aws replay``).
    event_mapper = providers.Callable(lambda store: store.mapper, store)


def bootstrap(settings: Settings | None = None, *, recovery: bool = False) -> Container:
    """Return a container for ``settings`` (from the environment when None); ``recovery``
    accepts an empty event store beside kept mail (``cis reingest`` rebuilding it)."""
    return Container(settings=settings or Settings(), recovery=providers.Object(recovery))


# One finding of ``cis doctor``, as the CLI renders it.
DataFinding = Finding


def check_data_folder(container: Container, *, fix: bool) -> list[DataFinding]:
    """Examine the embedded data folder (and with ``fix`` repair what is safe); return the
    findings. Only the blob store is built: the checks must work where the event store
    cannot be opened."""
    settings: Settings = container.settings()
    folder = DataFolder(
        settings.data_dir,
        settings.event_store_path,
        settings.views_path,
        settings.messages_path,
        settings.outbox_path,
    )
    blobs = container.blobs()
    assert isinstance(blobs, FolderBlobStore)  # what the embedded backend wires
    found = examine(folder, blobs)
    return repair(found, folder, blobs) if fix else found


def sender_policy_warning(settings: Settings) -> str | None:
    """Return the warning a server prints at start-up when nobody's mail is verified."""
    if settings.sender_policy != "off":
        return None
    return (
        "WARNING: CIS_SENDER_POLICY=off: the From header of every message is believed, so "
        "anyone can act as any organizer; use it only for tests and closed networks"
    )


# The DNS record of a DKIM key, as ``cis dkim`` prints it; and why a key cannot be used.
DkimRecord = dkim_keys.DkimRecord
DkimKeyError = dkim_keys.DkimKeyError


def dkim_keygen(settings: Settings, selector: str, domain: str, bits: int) -> DkimRecord:
    """Make a DKIM key pair for ``selector`` in the data folder (``<data>/dkim``, 0600) and
    return the record to publish for ``domain``."""
    return dkim_keys.generate(settings.dkim_folder, selector, domain, bits)


def dkim_record(settings: Settings, selector: str, domain: str) -> DkimRecord:
    """Return the record publishing ``selector``'s key (checked as the mailer checks it)."""
    selector = dkim_keys.checked_name("selector", selector)
    return dkim_keys.record(settings.dkim_key_file(selector), selector, domain)
