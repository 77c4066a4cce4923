"""``cis serve``: run the whole server on one machine."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Annotated

import typer

from application.vocabulary import checked_base_url
from entrypoints import session
from entrypoints.container import sender_policy_warning


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it to this machine.")
    ] = "127.0.0.1",
    http_port: Annotated[int, typer.Option(help="HTTP API port (0: any free port).")] = 8025,
    smtp_port: Annotated[int, typer.Option(help="SMTP drop box port (0: any free port).")] = 2525,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load sample invites and replies first (once per data folder; its admin "
            "key is kept in <data>/demo-api-key).",
        ),
    ] = False,
    log_json: Annotated[
        bool,
        typer.Option("--log-json", help="Log to stderr as JSON lines instead of plain lines."),
    ] = False,
) -> None:
    """Run the SMTP drop box, the HTTP API and the background work until interrupted.

    Prints one JSON line saying where everything is: `smtp`, `http`, `web` (the web app's
    sign-in page), `docs`, the drop-box addresses `mailboxes`, and with --demo the sample
    `invites`, an admin `api_key` and a `sign_in` link for the demo's organizer (the web
    app's demo admin is admin@demo.example unless CIS_ADMINS names others).
    Then logs to stderr, one line each, every HTTP request (method, route template, status,
    milliseconds; never the path itself, which may hold a token) and every message received
    (mailbox, outcome, invite id), and any warning.
    Invitations carry web RSVP links to this server (http://HOST:PORT) unless
    CIS_WEB_BASE_URL names another address; with --http-port 0 only if it is set.
    """
    from entrypoints.server import LocalServer

    _log_to_stderr(JsonLines() if log_json else PlainLines())
    container = session.container()
    settings = container.settings()
    if settings.web_base_url is None and http_port:
        # The links in the invitations sent (the demo's too) then lead to this very server.
        own = checked_base_url(f"http://{_url_host(host)}:{http_port}")
        session.configure(settings.model_copy(update={"web_base_url": own}))
        container = session.container()
        settings = container.settings()
    if demo and not settings.admins:
        from entrypoints.demo import DEMO_ADMIN

        session.configure(settings.model_copy(update={"admins": DEMO_ADMIN}))
        container = session.container()
        settings = container.settings()
    now = datetime.now(UTC)
    facts: dict[str, object] = {}
    if demo:
        from entrypoints.demo import demo_api_key, demo_sign_in, load_demo

        doors = container.front_doors()
        facts["invites"] = load_demo(doors, settings.create_address, now)
        keep = settings.data_dir if settings.backend == "embedded" else None
        facts["api_key"] = demo_api_key(doors, keep, now)
        container.projections().run()  # the link is for an organizer the views know
        facts["sign_in"] = demo_sign_in(doors, now)
    warning = sender_policy_warning(settings)
    if warning is not None:
        # Through the log, so a --log-json reader gets it as JSON too.
        logging.getLogger("cis.serve").warning(warning.removeprefix("WARNING: "))
    server = LocalServer(container, host=host, http_port=http_port, smtp_port=smtp_port)
    where = server.start()
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    http = f"http://{where.http[0]}:{where.http[1]}"
    mailboxes = [
        f"{box}@{settings.mail_domain}"
        for box in (settings.create_mailbox, settings.bulk_mailbox, settings.rsvp_mailbox)
    ]
    print(
        json.dumps(
            {
                "smtp": f"{where.smtp[0]}:{where.smtp[1]}",
                "http": http,
                "web": f"{http}/sign-in",
                "docs": f"{http}/v1/docs",
                "mailboxes": mailboxes,
                **facts,
            }
        ),
        flush=True,
    )
    done.wait()
    server.stop()


def _url_host(host: str) -> str:
    """Return how a link names the listening ``host`` (a wildcard address: this machine)."""
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - recognized here, never bound to
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class PlainLines(logging.Formatter):
    """A log record as one line a person reads: time, level past info, the message."""

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one line (a traceback, if any, on the lines after it)."""
        when = datetime.fromtimestamp(record.created).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        level = f" {record.levelname}" if record.levelno > logging.INFO else ""
        text = f"{when}{level} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and its own fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one JSON line."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


_HANDLER = "cis-serve"


def _log_to_stderr(formatter: logging.Formatter) -> None:
    """Send this process's log records to stderr through ``formatter``: the server's own
    (``cis.*``) from info up, every library's from warning up (aiosmtpd says a line per
    connection at info)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("cis").setLevel(logging.INFO)
