"""``cis serve``: run the whole server on one machine."""

from __future__ import annotations

import json
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
        bool, typer.Option("--demo", help="Load sample invites and replies first.")
    ] = False,
) -> None:
    """Run the SMTP drop box, the HTTP API and the background work until interrupted.

    Prints one JSON line saying where everything is: `smtp`, `http`, `docs`, the drop-box
    addresses `mailboxes`, and with --demo the sample `invites` and an admin `api_key`.
    Invitations carry web RSVP links to this server (http://HOST:PORT) unless
    CIS_WEB_BASE_URL names another address; with --http-port 0 only if it is set.
    """
    from entrypoints.server import LocalServer

    container = session.container()
    settings = container.settings()
    if settings.web_base_url is None and http_port:
        # The links in the invitations sent (the demo's too) then lead to this very server.
        own = checked_base_url(f"http://{_url_host(host)}:{http_port}")
        session.configure(settings.model_copy(update={"web_base_url": own}))
        container = session.container()
        settings = container.settings()
    now = datetime.now(UTC)
    facts: dict[str, object] = {}
    if demo:
        from application.vocabulary import Scope
        from entrypoints.demo import load_demo

        doors = container.front_doors()
        facts["invites"] = load_demo(doors, settings.create_address, now)
        _, token = doors.admin.keys.create(Scope.ADMIN, None, "demo", now)
        facts["api_key"] = token
    warning = sender_policy_warning(settings)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
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
