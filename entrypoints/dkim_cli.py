"""``cis dkim``: make the key the embedded mailers sign with, and print its DNS record."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from entrypoints import session
from entrypoints.container import DkimKeyError, DkimRecord, dkim_keygen, dkim_record
from entrypoints.settings import Settings

dkim = typer.Typer(
    help="DKIM signing of the mail this server sends over SMTP (and keeps in the outbox "
    "folder): make a key, print the DNS record to publish. On AWS, SES signs instead."
)
err = Console(stderr=True)

_AS_JSON = typer.Option(
    "--json", help="Print one JSON object (name, value, strings, key file, settings)."
)


def _settings() -> Settings:
    return session.settings() or Settings()


def _fail(message: str) -> typer.Exit:
    # Unwrapped: the message names files a person copies.
    err.print(message, markup=False, soft_wrap=True)
    return typer.Exit(2)


@dkim.command("keygen")
def keygen(
    selector: Annotated[
        str,
        typer.Option(
            metavar="SELECTOR",
            help="Names the key in DNS (<selector>._domainkey.<domain>); a new key takes a "
            "new selector (e.g. cis2026).",
        ),
    ],
    domain: Annotated[
        str,
        typer.Option(
            metavar="DOMAIN",
            help="The signing domain (d=): the domain of the From address (CIS_SENDER) or a "
            "parent of it, where you publish the record.",
        ),
    ],
    bits: Annotated[
        int, typer.Option(min=1024, max=4096, metavar="BITS", help="RSA key size, 1024 to 4096.")
    ] = 2048,
    as_json: Annotated[bool, _AS_JSON] = False,
) -> None:
    """Make an RSA key pair (rsa-sha256) and print the DNS TXT record to publish.

    The private key is written to <data>/dkim/<selector>.private, readable by its owner only;
    an existing key is never replaced. Prints the record (its value cut into quoted strings
    of at most 255 characters, as DNS needs) and the settings that make the smtp and outbox
    mailers sign with it. Exit status 2 if the selector or domain is not a DNS name or the
    key exists already.
    """
    settings = _settings()
    try:
        made = dkim_keygen(settings, selector, domain, bits)
    except (DkimKeyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    _print(made, settings, as_json=as_json, made=True)


@dkim.command("show")
def show(
    selector: Annotated[
        str | None,
        typer.Option(metavar="SELECTOR", help="The key's selector; default: CIS_DKIM_SELECTOR."),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            metavar="DOMAIN",
            help="The signing domain; default: CIS_DKIM_DOMAIN, else the From address's.",
        ),
    ] = None,
    as_json: Annotated[bool, _AS_JSON] = False,
) -> None:
    """Print the DNS TXT record of a key again, computed from its private key.

    The key is checked as the mailers check it (present, readable by its owner only, RSA of
    at least 1024 bits). Exit status 2 if it is missing or unusable.
    """
    settings = _settings()
    chosen = selector or settings.dkim_selector
    if not chosen:
        raise _fail("no selector: give --selector or set CIS_DKIM_SELECTOR")
    try:
        found = dkim_record(settings, chosen, domain or settings.dkim_signing_domain)
    except (DkimKeyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    _print(found, settings, as_json=as_json, made=False)


def _print(record: DkimRecord, settings: Settings, *, as_json: bool, made: bool) -> None:
    environment = {"CIS_DKIM_SELECTOR": record.selector, "CIS_DKIM_DOMAIN": record.domain}
    if record.key_file != settings.dkim_folder / f"{record.selector}.private":
        environment["CIS_DKIM_PRIVATE_KEY_FILE"] = str(record.key_file)
    if as_json:
        shown = {
            "name": record.name,
            "type": "TXT",
            "value": record.value,
            "strings": record.strings(),
            "key_file": str(record.key_file),
            "bits": record.bits,
            "settings": environment,
        }
        print(json.dumps(shown, ensure_ascii=False))
        return
    if made:
        print(f"Wrote a {record.bits}-bit RSA private key to {record.key_file} (mode 0600).")
        print("Back it up with the data folder; never publish or mail it.")
        print()
    print(f"Publish this TXT record in the DNS of {record.domain}:")
    print()
    print(record.zone_line())
    print()
    print(
        "(A zone file takes this line; Route 53 the quoted strings; a console with one "
        "unquoted value field the strings joined. Check: dig +short TXT "
        f"{record.name})"
    )
    print()
    print("Then set, for cis serve and every cis command that sends mail:")
    print()
    for name, value in environment.items():
        print(f"{name}={value}")
    sender = settings.from_address.rpartition("@")[2].lower()
    if sender != record.domain and not sender.endswith("." + record.domain):
        print()
        print(
            f"and send From an address at {record.domain} or a subdomain of it (CIS_SENDER; "
            f"now {settings.from_address}): mail From another domain goes out unsigned."
        )
