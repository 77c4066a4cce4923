"""Erasure in the mail bucket (moto's S3): no version of any object, body or metadata, holds
a byte of the person afterwards, in a versioned bucket (as infra/template.yaml makes it) or
not; everyone else's objects keep their bytes and their one version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from moto import mock_aws

from adapters.storage.blob_files import content_key
from adapters.storage.s3_blobs import S3BlobStore
from application.kept_mail import CorruptMessageError, Envelope
from tests.integration.test_blob_erasure import ANNA, LIST, NAME, NEEDLES, OTHERS, REPLY, REQUEST
from tests.unit.test_redaction import readable

REGION, BUCKET = "eu-west-1", "cis-erasure"
PLACEHOLDER = "erased-0123456789abcdef0123@erased.invalid"


@pytest.fixture(params=["versioned", "unversioned"])
def s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 with the mail bucket; yields a plain client to look with."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        if request.param == "versioned":
            client.put_bucket_versioning(
                Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
            )
        yield client


def versions(client: Any) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
    """Every version of every object: key, version id, body and metadata."""
    pages = client.get_paginator("list_object_versions").paginate(Bucket=BUCKET)
    for page in pages:
        for entry in page.get("Versions", []):
            got = client.get_object(Bucket=BUCKET, Key=entry["Key"], VersionId=entry["VersionId"])
            metadata = {k: unquote(v) for k, v in got.get("Metadata", {}).items()}
            yield entry["Key"], entry["VersionId"], got["Body"].read(), metadata


def traces(client: Any) -> list[str]:
    """Every object version still holding the person, in its body or its metadata."""
    found = []
    for key, version, body, metadata in versions(client):
        text = " ".join(metadata.values()).lower() + body.decode("latin-1").lower()
        if b"\n\n" in body.replace(b"\r\n", b"\n"):
            text += readable(body)
        if ANNA in text or NAME.lower() in text:
            found.append(f"{key}@{version}")
    return found


def test_no_version_of_any_object_holds_the_person(s3: Any) -> None:
    store = S3BlobStore(BUCKET, region=REGION)
    reply = store.put(REPLY, Envelope(to="rsvp@cis.test", sender=ANNA, channel="ses"))
    request = store.put(REQUEST, Envelope(to="create@cis.test", sender="zoe@example.org"))
    others = store.put(OTHERS, Envelope(to="create@cis.test", sender="zoe@example.org"))
    upload = store.put_upload(LIST)
    # A copy damaged in place, moved aside when read: in a versioned bucket its damaged
    # bytes stay behind as an older version under messages/, and go to quarantine/.
    damaged = content_key(REQUEST + b"\r\n")
    s3.put_object(Bucket=BUCKET, Key=store.object_key(damaged), Body=REQUEST)
    with pytest.raises(CorruptMessageError):
        store.get(damaged)
    # What SES wrote before ingest, under its own names.
    s3.put_object(Bucket=BUCKET, Key="inbound/rsvp/0a1b2c3d4e5f", Body=REPLY)
    others_before = [(k, v, b) for k, v, b, _ in versions(s3) if k == store.object_key(others)]
    assert traces(s3)

    assert store.erase(reply)
    assert store.redact(request, {ANNA: PLACEHOLDER, NAME: "[erased]"})
    assert store.redact_upload(upload, NEEDLES)
    # The damaged copy's older version (a versioned bucket keeps it), its quarantined copy,
    # and SES's arrival.
    versioned = s3.get_bucket_versioning(Bucket=BUCKET).get("Status") == "Enabled"
    assert store.redact_all(NEEDLES) == (3 if versioned else 2)
    assert store.redact_all(NEEDLES) == 0

    assert traces(s3) == []
    assert [(k, v, b) for k, v, b, _ in versions(s3) if k == store.object_key(others)] == (
        others_before
    )
    # The redacted message keeps its key, reads back whole, and its envelope is redacted.
    redacted = store.get(request)
    assert PLACEHOLDER.encode() in redacted
    assert store.envelope(request) == Envelope(to="create@cis.test", sender="zoe@example.org")
    assert len([k for k, _, _, _ in versions(s3) if k == store.object_key(request)]) == 1
    assert store.get_upload(upload) == (
        b"email,name\r\njoan@example.org,Joan\r\nbob@example.org,Bob\r\n"
    )
    assert reply not in store
    assert set(store.arrivals()) == {request, others}


def test_an_envelope_in_metadata_is_redacted(s3: Any) -> None:
    store = S3BlobStore(BUCKET, region=REGION)
    key = store.put(OTHERS, Envelope(to="rsvp@cis.test", sender=ANNA))
    assert store.redact(key, {ANNA: PLACEHOLDER})
    assert store.get(key) == OTHERS
    assert store.envelope(key) == Envelope(to="rsvp@cis.test", sender=PLACEHOLDER)
    assert traces(s3) == []


def test_erasing_what_is_not_kept_is_nothing(s3: Any) -> None:
    store = S3BlobStore(BUCKET, region=REGION)
    assert not store.erase("0" * 64)
    assert not store.redact("0" * 64, NEEDLES)
    assert store.redact_all(NEEDLES) == 0
