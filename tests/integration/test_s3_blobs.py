"""S3BlobStore against moto's S3: mailbox drops, encryption, a lazy client, idempotent puts."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from adapters.storage import s3_blobs
from adapters.storage.s3_blobs import S3BlobStore

REGION = "eu-west-1"
BUCKET = "cis-mail"
MAIL = b"From: zoe@example.org\r\nTo: bulk@cis.test\r\nSubject: list\r\n\r\nhello\r\n"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials, moto's S3 and an empty bucket; yields a plain client to look with."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield client


class Counting:
    """A client factory that counts the clients it makes and the PutObject calls they send."""

    def __init__(self) -> None:
        self.made = 0
        self.puts: list[dict[str, Any]] = []

    def __call__(self) -> Any:
        self.made += 1
        client = boto3.session.Session().client("s3", region_name=REGION)
        client.meta.events.register("before-call.s3.PutObject", self._count)
        return client

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        self.puts.append(params)


def objects(client: Any, prefix: str = "") -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_reads_mail_another_writer_dropped_under_a_mailbox_prefix(s3: Any) -> None:
    key = hashlib.sha256(MAIL).hexdigest()
    # What the receiving side writes: plain objects, no metadata, beside SES's setup notice.
    s3.put_object(Bucket=BUCKET, Key="inbound/bulk/AMAZON_SES_SETUP_NOTIFICATION", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=f"inbound/bulk/{key[:2]}/{key}.eml", Body=MAIL)
    bulk = S3BlobStore(BUCKET, prefix="inbound/bulk/", region=REGION)
    assert key in bulk
    assert bulk.get(key) == MAIL
    assert bulk.arrivals() == [key]
    invites = S3BlobStore(BUCKET, prefix="inbound/invites/", region=REGION)
    assert key not in invites
    assert invites.arrivals() == []


def test_put_encrypts_and_labels_the_object(s3: Any) -> None:
    key = S3BlobStore(BUCKET, region=REGION).put(MAIL)
    head = s3.head_object(Bucket=BUCKET, Key=f"messages/{key[:2]}/{key}.eml")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "message/rfc822"
    assert head["Metadata"]["sha256"] == key
    assert head["Metadata"]["arrived"].isdigit()


def test_makes_its_client_on_first_use_and_only_once(s3: Any) -> None:
    factory = Counting()
    store = S3BlobStore(BUCKET, region=REGION, client_factory=factory)
    assert factory.made == 0
    key = store.put(MAIL)
    assert store.get(key) == MAIL
    assert key in store
    assert factory.made == 1


def test_threads_racing_to_first_use_share_one_client(s3: Any) -> None:
    factory = Counting()
    store = S3BlobStore(BUCKET, region=REGION, client_factory=factory)
    start = threading.Barrier(8)

    def probe() -> None:
        start.wait()
        assert "0" * 64 not in store

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert factory.made == 1


def test_importing_the_store_loads_no_aws_sdk() -> None:
    # A fresh interpreter: a Lambda cold start pays for boto3 only when a blob is touched.
    probe = "import sys, adapters.storage.s3_blobs; print({'boto3', 'botocore'} & set(sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "set()")


def test_a_missing_key_is_a_key_error(s3: Any) -> None:
    store = S3BlobStore(BUCKET, region=REGION)
    with pytest.raises(KeyError):
        store.get(hashlib.sha256(b"never stored").hexdigest())
    with pytest.raises(KeyError):
        store.get("../not-a-hash")


def test_a_missing_bucket_is_not_mistaken_for_a_missing_key(s3: Any) -> None:
    store = S3BlobStore("no-such-bucket", region=REGION)
    with pytest.raises(ClientError):
        store.get(hashlib.sha256(MAIL).hexdigest())


def test_storing_the_same_bytes_twice_makes_one_object(s3: Any) -> None:
    factory = Counting()
    store = S3BlobStore(BUCKET, region=REGION, client_factory=factory)
    key = store.put(MAIL)
    first = s3.head_object(Bucket=BUCKET, Key=f"messages/{key[:2]}/{key}.eml")
    assert store.put(MAIL) == key
    assert objects(s3) == [f"messages/{key[:2]}/{key}.eml"]
    # The second write was refused by the If-None-Match condition, so nothing was rewritten.
    assert [p["headers"].get("If-None-Match") for p in factory.puts] == ["*", "*"]
    again = s3.head_object(Bucket=BUCKET, Key=f"messages/{key[:2]}/{key}.eml")
    assert again["Metadata"] == first["Metadata"]


def test_without_conditional_writes_it_looks_before_it_puts(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_blobs, "supports_if_none_match", lambda client: False)
    factory = Counting()
    store = S3BlobStore(BUCKET, region=REGION, client_factory=factory)
    key = store.put(MAIL)
    assert store.put(MAIL) == key
    assert objects(s3) == [f"messages/{key[:2]}/{key}.eml"]
    assert len(factory.puts) == 1
    assert "If-None-Match" not in factory.puts[0]["headers"]


def test_lists_arrivals_across_pages_in_order(s3: Any) -> None:
    pages: list[int] = []

    def small_pages() -> Any:
        client = boto3.session.Session().client("s3", region_name=REGION)

        def five_at_a_time(params: dict[str, Any], **_: Any) -> None:
            params["MaxKeys"] = 5
            pages.append(1)

        client.meta.events.register("provide-client-params.s3.ListObjectsV2", five_at_a_time)
        return client

    store = S3BlobStore(BUCKET, region=REGION, client_factory=small_pages)
    keys = [store.put(f"message {n}".encode()) for n in range(12)]
    s3.put_object(Bucket=BUCKET, Key="elsewhere/unrelated.eml", Body=b"not ours")
    assert store.arrivals() == keys
    assert len(pages) == 3
