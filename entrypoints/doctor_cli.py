"""``cis doctor``: check a data folder, and with --repair clean up what is safe to clean."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from entrypoints import session
from entrypoints.container import DataFinding, check_data_folder
from entrypoints.lines import emit
from entrypoints.settings import Settings


def doctor(
    fix: Annotated[
        bool,
        typer.Option("--repair", help="Clean up what is safe to clean, and say what was done."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per finding, then a summary.")
    ] = False,
) -> None:
    """Check the data folder: databases (SQLite integrity), kept messages against their
    digests, the arrivals log, an empty event store beside kept mail, and leftovers.

    Prints one line per finding and a summary. With --repair: damaged messages are moved to
    quarantine, the arrivals log is completed (and rewritten if damaged), and temporary
    files no live writer owns are removed; damaged databases are only reported. Exit status
    0 when the folder is healthy (or was fully repaired), 1 otherwise.
    """
    settings = session.settings() or Settings()
    if settings.backend != "embedded":
        print(
            f"cis doctor checks an embedded data folder, not the {settings.backend} backend",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    if not settings.data_dir.is_dir():
        raise FileNotFoundError(2, "no data folder", str(settings.data_dir))
    found = check_data_folder(session.container(), fix=fix)
    left = [f for f in found if f.repaired is None]
    for finding in found:
        if as_json:
            emit(finding.as_dict())
        else:
            print(_line(finding), flush=True)
    summary = _summary(settings, found, left, fix)
    if as_json:
        emit({"healthy": not left, "findings": len(found), "repaired": len(found) - len(left)})
    else:
        print(summary, file=sys.stderr if left else sys.stdout)
    raise typer.Exit(1 if left else 0)


def _line(finding: DataFinding) -> str:
    done = f" -> {finding.repaired}" if finding.repaired else f"; {finding.advice}"
    return f"{finding.check}: {finding.path}: {finding.problem}{done}"


def _summary(
    settings: Settings, found: list[DataFinding], left: list[DataFinding], fix: bool
) -> str:
    if not found:
        return f"{settings.data_dir}: healthy"
    repaired = len(found) - len(left)
    done = f", {repaired} repaired" if fix else ""
    verdict = "healthy now" if not left else f"{len(left)} to see to"
    plural = "s" if len(found) > 1 else ""
    return f"{settings.data_dir}: {len(found)} finding{plural}{done}; {verdict}"
