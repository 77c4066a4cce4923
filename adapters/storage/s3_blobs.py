"""A raw-message blob store on Amazon S3: one object per message, named by its SHA-256,
its envelope in the object's metadata (``x-amz-meta-envelope-to`` and so on)."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, unquote

from adapters.aws.clients import LazyClient, new_client
from adapters.privacy.redaction import (
    Needles,
    RedactionError,
    identifying,
    mentions,
    redact_csv,
    redact_message,
    redact_text,
)
from adapters.storage.blob_files import content_key
from application.kept_mail import CorruptMessageError, Envelope
from application.ports import BlobStore

KEY = re.compile(r"[0-9a-f]{64}")
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
# Another conditional write to the same key was in flight (AWS answers 409): try again.
CONFLICT = "ConditionalRequestConflict"
ATTEMPTS = 3
# Envelope fields and their metadata names. S3 metadata is ASCII: values are %-encoded.
ENVELOPE_METADATA = {
    "to": "envelope-to",
    "sender": "envelope-from",
    "received": "received",
    "channel": "channel",
    "client_ip": "client-ip",
    "helo": "helo",
}
_LONGEST = 300
# The digest erasure gave a redacted object: events name a message by its key, so it keeps
# the key though its bytes no longer hash to it, and this says the store changed them.
REDACTED = "redacted-sha256"
# DeleteObjects takes at most this many keys a call.
_BATCH = 1000
log = logging.getLogger(__name__)


class S3BlobStore(BlobStore):
    """Keeps each message at ``<prefix><key[:2]>/<key>.eml`` and each upload at
    ``<uploads_prefix><key[:2]>/<key>.upload``; the client is made on first use. An object
    whose bytes no longer match its key is moved under ``quarantine_prefix`` when read."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "messages/",
        uploads_prefix: str = "uploads/",
        quarantine_prefix: str = "quarantine/",
        arrivals_prefix: str | None = "inbound/",
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.uploads_prefix = uploads_prefix
        self.quarantine_prefix = quarantine_prefix
        # Where SES writes what it receives (infra/template.yaml), before ingest keeps it
        # here: erasure redacts the person out of those copies too.
        self.arrivals_prefix = arrivals_prefix
        self.region = region
        self._client_factory = client_factory or (lambda: new_client("s3", region))
        self._conditional = False
        self._client = LazyClient(self._made)

    def object_key(self, key: str) -> str:
        """Return the S3 object key for a content key; raise KeyError if it is not a SHA-256."""
        if not KEY.fullmatch(key):
            msg = f"not a SHA-256 key: {key!r}"
            raise KeyError(msg)
        return f"{self.prefix}{key[:2]}/{key}.eml"

    def upload_key(self, key: str) -> str:
        """Return the S3 object key of an upload; raise KeyError if ``key`` is not a SHA-256."""
        if not KEY.fullmatch(key):
            msg = f"not a SHA-256 key: {key!r}"
            raise KeyError(msg)
        # Another suffix as well as another prefix: arrivals() takes only ``.eml`` objects.
        return f"{self.uploads_prefix}{key[:2]}/{key}.upload"

    def put(self, data: bytes, envelope: Envelope | None = None) -> str:
        """Store ``data`` unless it is already there, with ``envelope`` in the object's
        metadata (one PUT: the object never exists without it); return its key."""
        key = content_key(data)
        self._put(self.object_key(key), data, key, "message/rfc822", envelope)
        return key

    def put_upload(self, data: bytes) -> str:
        """Store an upload under ``uploads_prefix`` unless it is already there; return its key."""
        key = content_key(data)
        self._put(self.upload_key(key), data, key, "application/octet-stream")
        return key

    def get(self, key: str) -> bytes:
        """Return the stored bytes, verified against ``key``; raise KeyError when the key is
        unknown, CorruptMessageError (after moving the object aside) when they do not match."""
        return self._get(self.object_key(key), key)

    def get_upload(self, key: str) -> bytes:
        """Return the stored upload, verified as ``get`` does; KeyError when unknown."""
        return self._get(self.upload_key(key), key)

    def envelope(self, key: str) -> Envelope | None:
        """Return the envelope kept in the message's metadata (None for one kept without)."""
        from botocore.exceptions import ClientError

        try:
            head = self._get_client().head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if error_code(error) in MISSING:
                return None
            raise
        metadata = head.get("Metadata", {})
        values = {
            name: unquote(metadata[field])
            for name, field in ENVELOPE_METADATA.items()
            if metadata.get(field)
        }
        return Envelope.from_dict(values) if values else None

    def _put(
        self,
        object_key: str,
        data: bytes,
        key: str,
        content_type: str,
        envelope: Envelope | None = None,
    ) -> None:
        from botocore.exceptions import ClientError

        client = self._get_client()
        request: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": object_key,
            "Body": data,
            "ContentType": content_type,
            "ServerSideEncryption": "AES256",
            # ``arrived`` breaks ties in arrivals(): LastModified only counts whole seconds.
            "Metadata": {
                "sha256": key,
                "arrived": str(time.time_ns()),
                **envelope_metadata(envelope),
            },
        }
        if not self._conditional:
            # No conditional writes in this botocore: a race between two writers only
            # rewrites identical bytes, so HEAD-then-PUT is safe, just not atomic.
            if not self._exists(object_key):
                client.put_object(**request)
            return
        for attempt in range(1, ATTEMPTS + 1):
            try:
                client.put_object(IfNoneMatch="*", **request)
            except ClientError as error:
                code = error_code(error)
                if code == "PreconditionFailed":
                    return  # Already stored: the same bytes, by construction.
                if code != CONFLICT or attempt == ATTEMPTS:
                    raise
            else:
                return

    def _get(self, object_key: str, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self._get_client().get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            # Only "not there" becomes KeyError: a 403 (no s3:ListBucket) must stay loud.
            if error_code(error) in MISSING:
                raise KeyError(key) from None
            raise
        body: bytes = response["Body"].read()
        digest = content_key(body)
        if digest in (key, response.get("Metadata", {}).get(REDACTED)):
            return body
        where = f"s3://{self.bucket}/{object_key}"
        problem = (
            f"its {len(body)} bytes hash to {digest[:12]}…, not to its name: edited or truncated"
            if body
            else "it is empty"
        )
        raise CorruptMessageError(key, where, problem, self._move_aside(object_key, key))

    def _move_aside(self, object_key: str, key: str) -> str | None:
        """Copy a damaged object under ``quarantine_prefix`` and delete it; return where it
        went, or None if it could not be moved."""
        client = self._get_client()
        suffix = object_key.rpartition(".")[2]
        moved = f"{self.quarantine_prefix}{key}.{time.time_ns()}.{suffix}"
        try:
            client.copy_object(
                Bucket=self.bucket,
                Key=moved,
                CopySource={"Bucket": self.bucket, "Key": object_key},
                ServerSideEncryption="AES256",
            )
            client.delete_object(Bucket=self.bucket, Key=object_key)
        except Exception:
            log.exception("could not move damaged s3://%s/%s aside", self.bucket, object_key)
            return None
        log.error(
            "s3://%s/%s does not match its SHA-256 name: moved to %s",
            self.bucket,
            object_key,
            moved,
        )
        return f"s3://{self.bucket}/{moved}"

    def _exists(self, object_key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._get_client().head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            if error_code(error) in MISSING:
                return False
            raise
        return True

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            return False
        return self._exists(self.object_key(key))

    def arrivals(self) -> list[str]:
        """Return every stored key, oldest first, by LastModified then the writer's clock.

        S3's LastModified has one-second resolution, so arrivals within the same second are
        ordered by the ``arrived`` metadata ``put`` writes (one HEAD per tied object), and
        objects written by others without it by key, after those with it. This lists the whole
        prefix: it is for recovery and reprocessing (a scan by nature), never the ingest path.
        """
        client = self._get_client()
        found: list[tuple[Any, str]] = []
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = self._content_key(item["Key"])
                # Skip anything not in our layout (SES writes a setup-notification object).
                if key is not None:
                    found.append((item["LastModified"], key))
        ties = Counter(modified for modified, _ in found)

        def order(entry: tuple[Any, str]) -> tuple[Any, bool, int, str]:
            modified, key = entry
            arrived = self._arrived(key) if ties[modified] > 1 else None
            return modified, arrived is None, arrived or 0, key

        return [key for _, key in sorted(found, key=order)]

    def _content_key(self, object_key: str) -> str | None:
        name = object_key[len(self.prefix) :]
        key = name[3:-4]
        if KEY.fullmatch(key) and name == f"{key[:2]}/{key}.eml":
            return key
        return None

    def _arrived(self, key: str) -> int | None:
        head = self._get_client().head_object(Bucket=self.bucket, Key=self.object_key(key))
        value = head.get("Metadata", {}).get("arrived", "")
        return int(value) if value.isdigit() else None

    # -- erasure (``cis erase``) ----------------------------------------------------------
    # The mail bucket is versioned (infra/template.yaml): deleting or overwriting an object
    # leaves its older versions, so every one is deleted by its version id. This needs
    # s3:ListBucketVersions, s3:GetObjectVersion and s3:DeleteObjectVersion.

    def erase(self, key: str) -> bool:
        """Delete every version of the message (its envelope is in its metadata) and of
        its quarantined copies; return whether there was any."""
        gone = self._purge(self.object_key(key))
        return self._purge(f"{self.quarantine_prefix}{key}.", exact=False) or gone

    def redact(self, key: str, needles: Needles) -> bool:
        """Rewrite the message and its envelope metadata without the needles, under the same
        key, delete its older versions, and redact its quarantined copies; return whether
        any mentioned one. One the person cannot be cut out of is erased whole."""
        changed = self._rewrite(self.object_key(key), needles, key)
        prefix = f"{self.quarantine_prefix}{key}."
        return self._redact_under(prefix, needles, None) > 0 or changed

    def redact_upload(self, key: str, needles: Needles) -> bool:
        """Rewrite the upload without the rows that mention the person's address, and
        delete its older versions; return whether any row did."""
        return self._rewrite(self.upload_key(key), needles, key)

    def redact_all(self, needles: Needles) -> int:
        """Redact every object (every version) under the message, upload, quarantine and
        SES arrival prefixes that mentions one of the person's addresses; return how many
        objects changed. A scan of the whole store: for erasure only."""
        select = identifying(needles)
        kept = (self.prefix, self.uploads_prefix, self.quarantine_prefix, self.arrivals_prefix)
        # An arrival prefix that holds the messages prefix (or is held by it) is one scan.
        prefixes = [
            p
            for p in dict.fromkeys(k for k in kept if k is not None)
            if not any(other != p and p.startswith(other) for other in kept if other)
        ]
        return sum(self._redact_under(prefix, needles, select) for prefix in prefixes)

    def _redact_under(self, prefix: str, needles: Needles, select: list[str] | None) -> int:
        """Redact the objects under ``prefix`` that mention ``select`` (always when None)."""
        by_key: dict[str, list[dict[str, Any]]] = {}
        for entry in self._versions(prefix):
            by_key.setdefault(entry["Key"], []).append(entry)
        changed = 0
        for object_key, entries in by_key.items():
            about = [
                e
                for e in entries
                if "Size" in e and (select is None or self._mentions(object_key, e, select))
            ]
            if not about:
                continue
            latest = next((e for e in entries if e.get("IsLatest")), None)
            if latest is not None and latest in about:
                key = self._content_key(object_key) or self._upload_content_key(object_key)
                changed += self._rewrite(object_key, needles, key)
                continue
            # Only older versions mention the person: those go.
            self._delete_versions([{"Key": object_key, "VersionId": e["VersionId"]} for e in about])
            changed += 1
        return changed

    def _mentions(self, object_key: str, entry: dict[str, Any], select: list[str]) -> bool:
        response = self._get_client().get_object(
            Bucket=self.bucket, Key=object_key, VersionId=entry["VersionId"]
        )
        body: bytes = response["Body"].read()
        metadata = " ".join(unquote(v) for v in response.get("Metadata", {}).values())
        return mentions(body, select) or mentions(metadata.encode(), select)

    def _rewrite(self, object_key: str, needles: Needles, key: str | None) -> bool:
        """Put the object again without the needles (``key``: the content key it keeps)
        and delete every other version; return whether it mentioned one."""
        from botocore.exceptions import ClientError

        client = self._get_client()
        try:
            response = client.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            if error_code(error) in MISSING:
                return False
            raise
        body: bytes = response["Body"].read()
        metadata: dict[str, str] = dict(response.get("Metadata", {}))
        try:
            if object_key.endswith(".upload"):
                new = redact_csv(body, identifying(needles))
            else:
                new = redact_message(body, needles)
        except RedactionError:
            log.warning("s3://%s/%s cannot be redacted: erased whole", self.bucket, object_key)
            self._purge(object_key)
            return True
        redacted = {
            name: quote(redact_text(unquote(value), needles), safe="@+.-_:")
            if name in ENVELOPE_METADATA.values()
            else value
            for name, value in metadata.items()
        }
        if new is None and redacted == metadata:
            return False
        if new is not None and key is not None:
            redacted[REDACTED] = content_key(new)
        put = client.put_object(
            Bucket=self.bucket,
            Key=object_key,
            Body=body if new is None else new,
            ContentType=response.get("ContentType", "application/octet-stream"),
            ServerSideEncryption="AES256",
            Metadata=redacted,
        )
        # An unversioned bucket answers no version id: its one version is "null".
        self._purge(object_key, keep=put.get("VersionId") or "null")
        return True

    def _versions(self, prefix: str) -> Iterator[dict[str, Any]]:
        """Yield every version and delete marker under ``prefix``."""
        pages = self._get_client().get_paginator("list_object_versions")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Versions", [])
            yield from page.get("DeleteMarkers", [])

    def _purge(self, name: str, *, exact: bool = True, keep: str | None = None) -> bool:
        """Delete every version (and delete marker) of the object ``name`` (of every
        object under it when not ``exact``) but ``keep``; return whether there was any."""
        doomed = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in self._versions(name)
            if (entry["Key"] == name or not exact) and entry["VersionId"] != keep
        ]
        self._delete_versions(doomed)
        return bool(doomed)

    def _delete_versions(self, doomed: list[dict[str, str]]) -> None:
        client = self._get_client()
        for start in range(0, len(doomed), _BATCH):
            batch = doomed[start : start + _BATCH]
            answer = client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                msg = (
                    f"could not delete s3://{self.bucket}/{first.get('Key')} version "
                    f"{first.get('VersionId')}: {first.get('Code')} {first.get('Message')}"
                )
                raise OSError(msg)

    def _upload_content_key(self, object_key: str) -> str | None:
        name = object_key[len(self.uploads_prefix) :]
        key = name[3:-7]
        if KEY.fullmatch(key) and name == f"{key[:2]}/{key}.upload":
            return key
        return None

    def _get_client(self) -> Any:
        return self._client.get()

    def _made(self) -> Any:
        client = self._client_factory()
        self._conditional = supports_if_none_match(client)
        return client


def envelope_metadata(envelope: Envelope | None) -> dict[str, str]:
    """Return an envelope as S3 user metadata (ASCII, %-encoded; empty for None)."""
    if envelope is None:
        return {}
    values = envelope.as_dict()
    encoded = {
        field: quote(values[name], safe="@+.-_:")
        for name, field in ENVELOPE_METADATA.items()
        if name in values
    }
    # S3 takes 2 KB of user metadata in all: a value longer than any real address (a
    # hostile HELO) is left out rather than fail the write of the message.
    return {field: value for field, value in encoded.items() if len(value) <= _LONGEST}


def supports_if_none_match(client: Any) -> bool:
    """Return whether this client's botocore knows PutObject's ``IfNoneMatch`` (late 2024)."""
    try:
        shape = client.meta.service_model.operation_model("PutObject").input_shape
    except AttributeError:
        return False
    return "IfNoneMatch" in shape.members


def error_code(error: Any) -> str:
    """Return the AWS error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))
