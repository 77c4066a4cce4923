"""One line for any error a ``cis`` command dies of: which file, what is wrong, what to do.

Storage errors rarely name their file (SQLite never does, nor a full disk's write), so the
data folder is examined when one happens, with the checks ``cis doctor`` runs.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import typer
from eventsourcing.persistence import IntegrityError, PersistenceError
from pydantic import ValidationError
from typer._click.core import Context  # typer vendors click: the type TyperGroup.invoke takes
from typer.core import TyperGroup
from typer.exceptions import TyperException

from adapters.storage.health import (
    EmptyEventStoreError,
    access_problem,
    database_problem,
    garbled_arrivals,
)
from application.kept_mail import CorruptMessageError
from entrypoints import session
from entrypoints.container import DkimKeyError
from entrypoints.settings import Settings

_DOCTOR = "run `cis doctor` to check the data folder"
_FULL = (errno.ENOSPC, errno.EDQUOT)
# Less free space than this and a database write fails (a page, its journal, the WAL index).
_NEARLY_NOTHING = 64 * 1024


class ReportingGroup(TyperGroup):
    """The ``cis`` command group: any error a command dies of is one line on stderr and exit
    status 1; its traceback only with ``cis --debug``. Usage errors stay click's (status 2)."""

    def invoke(self, ctx: Context) -> Any:
        """Run the command; turn an error into its one-line explanation."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as error:
            if session.debugging():
                raise
            try:
                told = explain(error, session.settings())
            except Exception:  # examining the folder failed too: say what the command died of
                told = f"{type(error).__name__}: {error}; run again with --debug for the traceback"
            line = " ".join(told.split())
            print(f"cis: {line}", file=sys.stderr, flush=True)
            raise typer.Exit(1) from None


def explain(error: Exception, settings: Settings | None) -> str:
    """Return the one line that tells an operator what went wrong and what to do."""
    data = settings.data_dir if settings is not None else Path("the data folder")
    if isinstance(error, EmptyEventStoreError | CorruptMessageError | DkimKeyError):
        return str(error)
    if isinstance(error, IntegrityError):
        return (
            f"another process changed the same records at the same time ({error}); "
            "run the command again"
        )
    if isinstance(error, sqlite3.Error | PersistenceError):
        return _database(error, settings)
    if isinstance(error, OSError):
        return _os(error, data)
    if isinstance(error, UnicodeDecodeError) and settings is not None:
        for finding in garbled_arrivals(settings.messages_path):
            if finding.repairable:
                return (
                    f"the arrivals log {finding.path} is damaged: {finding.problem}; run "
                    "`cis doctor --repair` to rewrite it from the kept messages"
                )
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{_variable(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        return f"invalid settings: {problems}; see the settings table in the README"
    return (
        f"{type(error).__name__}: {error} (in {data}); run again with --debug for the "
        "traceback, and `cis doctor` to check the data folder"
    )


def _variable(loc: tuple[int | str, ...]) -> str:
    """Return the environment variable a settings error is about (``CIS_SMTP_PORT``)."""
    name = ".".join(map(str, loc))
    return f"CIS_{name.upper()}" if name in Settings.model_fields else name or "settings"


def _database(error: Exception, settings: Settings | None) -> str:
    text = str(error) or type(error).__name__
    if settings is None or settings.backend != "embedded":
        return f"the event store failed: {text}; {_DOCTOR}"
    data = settings.data_dir
    stores = (("event store", settings.event_store_path), ("views", settings.views_path))
    # SQLite says "disk I/O error" as often as "full" when a write finds no space.
    if "full" in text or _no_space(data):
        return f"no space left for the event store {settings.event_store_path} ({text}); " + (
            "free some space and run the command again"
        )
    if "locked" in text:
        return (
            f"the event store {settings.event_store_path} stayed locked by another process "
            f"({text}); run the command again, or raise CIS_SQLITE_LOCK_TIMEOUT"
        )
    for _, path in stores:
        if access_problem(path) is not None:
            return _os(PermissionError(errno.EACCES, "Permission denied", str(path)), data)
    for name, path in stores:
        problem = database_problem(path) if path.exists() else None
        if problem is not None:
            return f"the {name} {path} is {problem}; restore it from a backup or run `cis doctor`"
    if "unable to open" in text:
        return (
            f"cannot open the event store {settings.event_store_path} ({text}); check that "
            f"{settings.data_dir} and its files belong to this user and are writable"
        )
    return f"the event store {settings.event_store_path} failed ({text}); {_DOCTOR}"


def _no_space(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _NEARLY_NOTHING
    except OSError:
        return False


def _os(error: OSError, data: Path) -> str:
    where = error.filename if error.filename is not None else data
    reason = error.strerror or str(error)
    if error.errno in _FULL:
        return (
            f"no space left on the disk holding {where} ({reason}); free some space and run "
            "the command again (`cis retry` sends what is pending)"
        )
    if isinstance(error, PermissionError):
        return (
            f"permission denied on {where}; run cis as the owner of {data} or give this user "
            "read and write access to it"
        )
    if isinstance(error, IsADirectoryError):
        return (
            f"{where} is a folder where a file was expected; move it aside or run "
            "`cis doctor --repair` (a kept message is moved to quarantine)"
        )
    if isinstance(error, FileNotFoundError):
        return f"{where} does not exist ({reason}); check the path and CIS_DATA_DIR"
    if error.errno == errno.EROFS:
        return f"{where} is on a read-only file system; give cis a writable data folder"
    return f"{where}: {reason}; {_DOCTOR}"
