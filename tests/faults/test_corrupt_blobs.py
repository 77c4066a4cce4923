"""Fault B: a kept message whose bytes no longer match its SHA-256 name (edited, truncated,
replaced by a folder) is a clear error naming it, is moved to quarantine, and is never
processed; a reingest reports it in one line and goes on with the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from adapters.storage.blobs import FolderBlobStore
from adapters.storage.s3_blobs import S3BlobStore
from application.kept_mail import CorruptMessageError
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import driver

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
MAIL = (CORPUS / "request/bluemind-invite.eml").read_bytes()
REGION, BUCKET = "eu-west-1", "cis-corrupt"


def edit(path: Path) -> None:
    """Change one byte, keeping the length: what an editor or a bad sector does."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def replace_by_folder(path: Path) -> None:
    path.unlink()
    (path / "inside").mkdir(parents=True)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "edited": edit,
    "truncated": truncate,
    "a folder": replace_by_folder,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_message_is_a_clear_error_and_moved_to_quarantine(
    tmp_path: Path, damage: str
) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    key = store.put(MAIL)
    path = tmp_path / "messages" / key[:2] / f"{key}.eml"
    DAMAGES[damage](path)

    with pytest.raises(CorruptMessageError) as raised:
        FolderBlobStore(tmp_path / "messages").get(key)

    error = raised.value
    assert (error.key, error.where) == (key, str(path))
    for named in (key, str(path), "quarantine"):
        assert named in str(error)
    assert error.quarantined is not None
    assert Path(error.quarantined).parent == tmp_path / "messages" / "quarantine"
    assert not os.path.lexists(path)
    assert key not in store
    assert key not in store.arrivals()
    with pytest.raises(KeyError):
        store.get(key)


def test_the_same_message_delivered_again_replaces_a_damaged_copy(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    key = store.put(MAIL)
    edit(tmp_path / "messages" / key[:2] / f"{key}.eml")
    assert [d.key for d in store.verify_all()] == [key]

    assert FolderBlobStore(tmp_path / "messages").put(MAIL) == key

    assert store.get(key) == MAIL
    assert store.verify_all() == []
    assert len(list((tmp_path / "messages" / "quarantine").glob("*.eml"))) == 1


def test_reingest_reports_a_damaged_message_and_goes_on_with_the_rest(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    invite = CORPUS / "request/bluemind-invite.eml"
    update = CORPUS / "update/bluemind-invite-update.eml"
    first = [
        service.ingest(p.read_bytes(), now=NOW, envelope_to="create@invites.localhost")
        for p in (invite, update)
    ]
    keys = [result.message for result in first]
    before = service.show(str(first[0].invite))
    # An edited update must never be taken as the organizer's new state.
    edit(tmp_path / "messages" / keys[1][:2] / f"{keys[1]}.eml")

    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "--data-dir", str(tmp_path), "reingest"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["source"], r["outcome"]) for r in rows] == [
        (keys[0], "duplicate"),
        (keys[1], "rejected"),
    ]
    assert "corrupt" in rows[1]["reason"]
    assert "quarantine" in rows[1]["reason"]
    after = driver(bootstrap(Settings(data_dir=tmp_path))).show(str(first[0].invite))
    assert (after.summary, after.sequence) == (before.summary, before.sequence)
    assert keys[1] not in FolderBlobStore(tmp_path / "messages").arrivals()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials, moto's S3 and an empty bucket; yields a plain client to look with."""
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield client


def test_a_damaged_object_on_s3_is_a_clear_error_and_moved_to_quarantine(s3: Any) -> None:
    store = S3BlobStore(BUCKET, region=REGION)
    key = store.put(MAIL)
    object_key = store.object_key(key)
    s3.put_object(Bucket=BUCKET, Key=object_key, Body=MAIL[:100])

    with pytest.raises(CorruptMessageError) as raised:
        store.get(key)

    assert raised.value.where == f"s3://{BUCKET}/{object_key}"
    assert str(raised.value.quarantined).startswith(f"s3://{BUCKET}/quarantine/{key}.")
    assert key not in store
    moved = s3.list_objects_v2(Bucket=BUCKET, Prefix="quarantine/")["Contents"]
    assert [item["Size"] for item in moved] == [100]
