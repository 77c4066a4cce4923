"""Arguments the CLI commands share, checked the same way everywhere."""

from __future__ import annotations

import typer
from rich.console import Console

from application.vocabulary import address_problem, normalize_address

_err = Console(stderr=True)


def address_argument(value: str) -> str:
    """Return ``value`` as a normalized address, or exit 2 saying why it is not one."""
    address = normalize_address(value)
    problem = address_problem(address)
    if problem is not None:
        _err.print(f"{value!r} is not an address: {problem}", markup=False)
        raise typer.Exit(2)
    return address
