"""Shared fixtures: where the corpus lives, and fresh services on each persistence backend."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

# Corpus mail carries no DKIM signatures: every test, and every server a test starts in a
# subprocess, runs under the sender policy for tests (off) unless it sets its own, and
# sender verification never asks the network's DNS: an empty zone answers unless a test
# wires records of its own (tests/mail_auth.py).
_EMPTY_ZONE = Path(tempfile.mkdtemp(prefix="cis-test-dns-")) / "zone.json"
_EMPTY_ZONE.write_text("{}\n")
os.environ.setdefault("CIS_SENDER_POLICY", "off")
os.environ.setdefault("CIS_DNS_ZONE_FILE", str(_EMPTY_ZONE))


def corpus_files() -> list[Path]:
    """Return every message in the shared corpus (not its README or manifest)."""
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.name not in {"README.md", "MANIFEST.tsv"}
    )


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    """Every corpus file; fails loudly if ../shared/corpus is missing (CI has it)."""
    files = corpus_files()
    assert len(files) > 90, f"expected the shared corpus at {CORPUS}"
    return files


def throwaway_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put credentials no real AWS account accepts into the environment, for this test."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Moto in-process AWS for one test, with throwaway credentials in the environment."""
    from moto import mock_aws

    throwaway_credentials(monkeypatch)
    with mock_aws():
        yield


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server on 127.0.0.1 (a real HTTP endpoint, for threads and subprocesses), with
    throwaway credentials in the environment; it stops when the test ends."""
    from moto.server import ThreadedMotoServer

    yield from moto_endpoint(monkeypatch, ThreadedMotoServer)


def moto_endpoint(monkeypatch: pytest.MonkeyPatch, server_class: type[Any]) -> Iterator[str]:
    """Run a moto server of ``server_class`` on a free port of 127.0.0.1 while the caller
    yields its address; stop it afterwards."""
    throwaway_credentials(monkeypatch)
    port = free_port()
    server = server_class(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
