"""Shared fixtures: where the corpus lives, and fresh services on each persistence backend."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Moto in-process AWS for one test, with throwaway credentials in the environment."""
    from moto import mock_aws

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
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

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
