"""``cis sign-in``: print a sign-in link for the web app without mailing it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from application.vocabulary import checked_base_url
from entrypoints import session
from entrypoints.settings import Settings


def sign_in(
    address: Annotated[str, typer.Argument(help="Who signs in: an admin or an organizer.")],
    web_base_url: Annotated[
        str | None,
        typer.Option(
            "--web-base-url",
            help="Where people open the web app, e.g. http://127.0.0.1:8025 for `cis serve` "
            "(default: CIS_WEB_BASE_URL).",
        ),
    ] = None,
) -> None:
    """Print a one-time sign-in link for ADDRESS (valid 15 minutes), mailing nothing.

    For the operator: the first sign-in before mail works, or the demo's. Anyone who can run
    this can read the data folder already, so it gives no one more than they have.
    """
    settings = session.settings() or Settings()
    base = web_base_url or settings.web_base_url
    if base is None:
        raise typer.BadParameter(
            "say where the web app is: --web-base-url http://HOST:PORT or CIS_WEB_BASE_URL",
            param_hint="--web-base-url",
        )
    session.configure(settings.model_copy(update={"web_base_url": checked_base_url(base)}))
    try:
        link = session.doors().sessions.link_for(address, datetime.now(UTC))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="ADDRESS") from None
    typer.echo(link)
