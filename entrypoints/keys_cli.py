"""``cis keys``: issue, list and revoke the API keys of the reporting API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.admin.keys import ApiKeys, InvalidSubjectError, KeyView, Scope, UnknownApiKeyError
from entrypoints import session
from entrypoints.lines import emit

keys = typer.Typer(help="API keys of the reporting API: create, list and revoke them.")
out = Console()
err = Console(stderr=True)


def _api_keys() -> ApiKeys:
    return session.doors().admin.keys


def _fail(message: str) -> typer.Exit:
    err.print(message, markup=False)
    return typer.Exit(2)


@keys.command("create")
def create(
    organizer: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="The key reads only this organizer's invites."),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            metavar="DOMAIN", help="The key reads the invites of this domain's organizers only."
        ),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="The key reads everything.")] = False,
    label: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Who or what uses the key, for people.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with the token).")] = False,
) -> None:
    """Issue a key and print its token: the only time it is shown."""
    scopes = [
        (kind, subject)
        for kind, subject, chosen in (
            (Scope.ORGANIZER, organizer, organizer is not None),
            (Scope.DOMAIN, domain, domain is not None),
            (Scope.ADMIN, None, admin),
        )
        if chosen
    ]
    if len(scopes) != 1:
        raise _fail("give exactly one of --organizer ADDRESS, --domain DOMAIN or --admin")
    kind, subject = scopes[0]
    try:
        key, token = _api_keys().create(kind, subject, label, now=datetime.now(UTC))
    except InvalidSubjectError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps({**KeyView.of(key).as_dict(), "token": token}, ensure_ascii=False))
    else:
        print(token)
    # On stderr, so that a script capturing stdout gets the token (or the JSON) alone.
    err.print(
        f"API key {key.key_id} created. Store the token now: it will not be shown again.",
        markup=False,
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _status(view: KeyView) -> str:
    if view.revoked is None:
        return view.status
    reason = f": {view.revocation_reason}" if view.revocation_reason else ""
    return f"revoked {_when(view.revoked)}{reason}"


def _keys_table(views: list[KeyView]) -> Table:
    table = Table(title="API keys")
    for column in ("key id", "kind", "subject", "label", "created", "status"):
        # The key id is what `revoke` takes: never cut short.
        table.add_column(column, no_wrap=column in {"key id", "kind"}, overflow="fold")
    for view in views:
        # Text, not markup: a label like "[red]" prints as written.
        values = (view.key_id, view.kind.value, view.subject, view.label, _when(view.created))
        cells = [Text(value or "") for value in values]
        table.add_row(*cells, Text(_status(view)))
    return table


@keys.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List every key, oldest first: id, scope, label and status (never a secret)."""
    views = _api_keys().list()
    if as_json:
        for view in views:
            emit(view.as_dict())
    else:
        out.print(_keys_table(views))


@keys.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `cis keys list` shows it.")],
    reason: Annotated[str | None, typer.Option(metavar="TEXT", help="Why, for the record.")] = None,
) -> None:
    """Revoke a key: requests made with it are refused from now on."""
    try:
        view = _api_keys().revoke(key_id, reason, now=datetime.now(UTC))
    except UnknownApiKeyError as exc:
        raise _fail(str(exc)) from None
    print(json.dumps(view.as_dict(), ensure_ascii=False))
