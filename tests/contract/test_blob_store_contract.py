"""One suite for the BlobStore port, run against every adapter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.storage.blobs import FolderBlobStore, MemoryBlobStore
from adapters.storage.s3_blobs import S3BlobStore
from application.ports import BlobStore

BUCKET, REGION = "contract-blobs", "eu-west-1"

Factory = Callable[[Path], BlobStore]
ADAPTERS: dict[str, Factory] = {
    "folder": lambda tmp: FolderBlobStore(tmp / "messages"),
    "memory": lambda tmp: MemoryBlobStore(),
    # Needs the ``aws`` fixture active: moto's S3 and a fresh bucket.
    "s3": lambda tmp: S3BlobStore(BUCKET, region=REGION),
}
NEEDS = {"s3": "aws"}


@pytest.fixture(params=sorted(ADAPTERS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param in NEEDS:
        request.getfixturevalue(NEEDS[request.param])
    return ADAPTERS[request.param](tmp_path)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and moto's S3 with an empty bucket, for this test only."""
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        import boto3

        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


def test_keys_messages_by_their_sha256(store: BlobStore) -> None:
    data = b"From: a@example.com\r\n\r\nhello"
    assert store.put(data) == hashlib.sha256(data).hexdigest()


def test_returns_exactly_the_bytes_it_was_given(store: BlobStore) -> None:
    data = bytes(range(256)) * 10
    key = store.put(data)
    assert store.get(key) == data
    assert key in store


def test_storing_twice_keeps_one_copy_under_one_key(store: BlobStore) -> None:
    assert store.put(b"same") == store.put(b"same")
    assert store.get(store.put(b"same")) == b"same"


def test_unknown_key_is_a_key_error(store: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert missing not in store
    with pytest.raises(KeyError):
        store.get(missing)


def test_folder_store_refuses_keys_that_could_escape_its_folder(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    assert "../../etc/passwd" not in store
    with pytest.raises(KeyError):
        store.get("../" * 5 + "etc/passwd")


def test_folder_store_survives_a_new_process(tmp_path: Path) -> None:
    key = FolderBlobStore(tmp_path / "m").put(b"kept")
    assert FolderBlobStore(tmp_path / "m").get(key) == b"kept"
    assert not list((tmp_path / "m").rglob("*.incoming"))


def test_lists_messages_in_arrival_order(store: BlobStore) -> None:
    keys = [store.put(f"message {n}".encode()) for n in range(5)]
    store.put(b"message 0")
    assert store.arrivals() == keys


def test_folder_store_lists_a_message_its_log_lost(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "m")
    first = store.put(b"first")
    second = store.put(b"second")
    (tmp_path / "m" / "arrivals.log").write_text(first + "\n")
    assert store.arrivals() == [first, second]


def test_an_upload_is_kept_and_read_back_by_its_sha256(store: BlobStore) -> None:
    data = b"email,name\r\nann@example.org,Ann\r\n"
    key = store.put_upload(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.put_upload(data) == key
    assert store.get_upload(key) == data


def test_an_upload_is_never_listed_or_read_as_received_mail(store: BlobStore) -> None:
    mail = store.put(b"a message that arrived")
    upload = store.put_upload(b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n")
    assert store.arrivals() == [mail]
    assert upload not in store
    with pytest.raises(KeyError):
        store.get(upload)
    with pytest.raises(KeyError):
        store.get_upload(mail)


def test_the_same_bytes_as_mail_and_as_an_upload_are_kept_apart(store: BlobStore) -> None:
    data = b"the same bytes"
    assert store.put_upload(data) == store.put(data)
    assert store.get(store.put(data)) == store.get_upload(store.put_upload(data)) == data
    assert store.arrivals() == [hashlib.sha256(data).hexdigest()]


def test_an_unknown_upload_is_a_key_error(store: BlobStore) -> None:
    with pytest.raises(KeyError):
        store.get_upload(hashlib.sha256(b"never uploaded").hexdigest())
    with pytest.raises(KeyError):
        store.get_upload("../" * 5 + "etc/passwd")


def test_folder_store_keeps_uploads_beside_the_messages_folder(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    key = store.put_upload(b"kept apart")
    assert (tmp_path / "uploads" / key[:2] / f"{key}.upload").read_bytes() == b"kept apart"
    assert not list((tmp_path / "messages").rglob("*"))
    assert FolderBlobStore(tmp_path / "messages").get_upload(key) == b"kept apart"
