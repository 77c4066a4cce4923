"""What an SQS record body says arrived: raw mail in S3, or SES's word on mail we sent.

Pure parsing (JSON and the email package, no AWS calls), so every shape a deployment
delivers is checked without a network: S3 event notifications (bare or in an SNS envelope),
SES receipt notifications in an SNS envelope, S3's test event, and SES bounce, complaint
and delivery notifications.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any
from urllib.parse import unquote_plus

from adapters.aws.ses_verdicts import authentication_of
from application.inbound.delivery_notices import DeliveryNotice, NoticeKind, NoticeRecipient
from domain.authentication import SenderAuthentication

INBOUND = "inbound/"
# Who reports bounces and complaints here: named in the reason a bounce records.
PROVIDER = "SES"
# SES writes this object under an S3 action's prefix when the rule is saved: not mail.
SES_SETUP = "AMAZON_SES_SETUP_NOTIFICATION"
# Headers naming who a stored message was for, most exact first.
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


class MailEventError(ValueError):
    """An SQS record body that names no arrival this server can process."""


@dataclass(frozen=True)
class Arrival:
    """One raw message in the mail bucket and who it was delivered to.

    ``recipients`` are the envelope recipients SES reported (empty for a bare S3
    notification: they are then read from the message's headers); ``sender`` is the
    envelope sender when known; ``authentication`` is SES's verdict on the sender (None for a
    bare S3 notification: the service then verifies the stored mail itself).
    """

    bucket: str
    key: str
    mailbox: str
    recipients: tuple[str, ...] = ()
    sender: str | None = None
    authentication: SenderAuthentication | None = None


@dataclass(frozen=True)
class Place:
    """Where raw mail is expected: the bucket, the mail domain and the known mailboxes."""

    bucket: str
    domain: str
    mailboxes: Collection[str]


def arrivals_in(body: str, place: Place) -> list[Arrival]:
    """Return the arrivals an inbound-queue record body announces (none for a test event)."""
    data = _unwrapped(_json(body))
    if data.get("Event") == "s3:TestEvent":
        return []
    if "Records" in data:
        return list(_s3_arrivals(data["Records"], place))
    if data.get("notificationType") == "Received":
        return [_ses_arrival(data, place)]
    kind = data.get("notificationType") or data.get("eventType") or data.get("Type")
    named = f" ({kind!r})" if isinstance(kind, str) else ""
    msg = (
        f"not an inbound-mail notification{named}: expected an S3 event notification, "
        "an SES receipt notification or s3:TestEvent"
    )
    raise MailEventError(msg)


def arrival_at(key: str, place: Place, *, bucket: str | None = None) -> Arrival:
    """Return the arrival stored at ``key``; raise if it is outside ``inbound/<mailbox>/``."""
    bucket = place.bucket if bucket is None else bucket
    if bucket != place.bucket:
        msg = f"s3://{bucket}/{key} is not in the mail bucket ({place.bucket})"
        raise MailEventError(msg)
    mailbox, slash, name = key.removeprefix(INBOUND).partition("/")
    if not key.startswith(INBOUND) or not slash or not name or mailbox not in place.mailboxes:
        known = ", ".join(f"{INBOUND}{m}/" for m in sorted(place.mailboxes))
        msg = f"s3://{bucket}/{key} is not under a known mailbox's prefix ({known})"
        raise MailEventError(msg)
    return Arrival(bucket, key, mailbox)


def is_setup_object(key: str) -> bool:
    """Return whether ``key`` is SES's setup-notification object, which is not mail."""
    return key.rpartition("/")[2] == SES_SETUP


def header_recipients(raw: bytes, mailbox: str, domain: str) -> list[str]:
    """Return the addresses on ``domain`` of ``mailbox`` (or ``mailbox+tag``) the headers name.

    Delivered-To and X-Original-To first (the mail system's record), then To and Cc; only
    the headers are parsed, and a malformed address is skipped rather than fatal.
    """
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    found: list[str] = []
    for local, where in _addresses(headers, _RECIPIENT_HEADERS):
        local, where = local.lower(), where.lower()
        if where != domain.lower() or local.partition("+")[0] != mailbox.lower():
            continue
        spec = f"{local}@{where}"
        if spec not in found:
            found.append(spec)
    return found


def envelope_sender(raw: bytes) -> str | None:
    """Return the Return-Path SES records on stored mail; None for the null sender."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    for local, domain in _addresses(headers, ("Return-Path",)):
        return f"{local}@{domain}"
    return None


def notice_in(body: str) -> DeliveryNotice | None:
    """Return the SES bounce or complaint a bounce-queue record body carries.

    None for the notifications that need nothing (Delivery, SES's subscription check…).
    """
    data = _unwrapped(_json(body))
    kind = data.get("notificationType") or data.get("eventType")
    if not isinstance(kind, str):
        msg = "not an SES notification: it has no notificationType (nor eventType)"
        raise MailEventError(msg)
    if kind not in ("Bounce", "Complaint"):
        return None
    source = _text(_object(data, "mail"), "source", "mail")
    if kind == "Bounce":
        bounce = _object(data, "bounce")
        kinds = [str(bounce.get(k) or "") for k in ("bounceType", "bounceSubType")]
        return DeliveryNotice(
            NoticeKind.BOUNCE,
            source,
            tuple(_recipients(bounce, "bouncedRecipients")),
            permanent=kinds[0] == "Permanent",
            detail="/".join(k for k in kinds if k) or "bounce",
            provider=PROVIDER,
        )
    complaint = _object(data, "complaint")
    feedback = complaint.get("complaintFeedbackType") or complaint.get("complaintSubType")
    return DeliveryNotice(
        NoticeKind.COMPLAINT,
        source,
        tuple(_recipients(complaint, "complainedRecipients")),
        permanent=True,
        detail=str(feedback or "no feedback type"),
        provider=PROVIDER,
    )


def _json(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as error:
        msg = f"the record body is not JSON ({error})"
        raise MailEventError(msg) from None
    if not isinstance(data, dict):
        msg = f"the record body is JSON but not an object ({type(data).__name__})"
        raise MailEventError(msg)
    return data


def _unwrapped(data: dict[str, Any]) -> dict[str, Any]:
    """Return the message inside an SNS envelope (SNS → SQS without raw delivery), or ``data``."""
    if data.get("Type") != "Notification" or "Message" not in data:
        return data
    message = data["Message"]
    if not isinstance(message, str):
        msg = "the SNS envelope's Message is not a string"
        raise MailEventError(msg)
    return _json(message)


def _s3_arrivals(records: object, place: Place) -> Iterator[Arrival]:
    if not isinstance(records, list):
        msg = "the S3 event notification's Records is not a list"
        raise MailEventError(msg)
    for record in records:
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
            msg = "an S3 event notification record without eventSource aws:s3"
            raise MailEventError(msg)
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue  # removals and restores announce no new mail
        s3 = _object(record, "s3")
        bucket = _text(_object(s3, "bucket"), "name", "s3.bucket")
        # S3 URL-encodes keys in notifications, with "+" for spaces.
        key = unquote_plus(_text(_object(s3, "object"), "key", "s3.object"))
        if not is_setup_object(key):
            yield arrival_at(key, place, bucket=bucket)


def _ses_arrival(data: Mapping[str, Any], place: Place) -> Arrival:
    receipt = _object(data, "receipt")
    action = _object(receipt, "action")
    if action.get("type") != "S3":
        msg = f"an SES receipt with a {action.get('type')!r} action: only S3 actions keep mail"
        raise MailEventError(msg)
    bucket = _text(action, "bucketName", "receipt.action")
    key = _text(action, "objectKey", "receipt.action")
    arrival = arrival_at(key, place, bucket=bucket)
    listed = receipt.get("recipients") or []
    if not isinstance(listed, list):
        msg = "the SES receipt's recipients is not a list"
        raise MailEventError(msg)
    ours = [
        str(r).strip().lower()
        for r in listed
        if str(r).rpartition("@")[2].lower() == place.domain.lower()
        and str(r).partition("@")[0].lower().partition("+")[0] == arrival.mailbox.lower()
    ]
    source = str(_object(data, "mail").get("source") or "").strip().strip("<>")
    return Arrival(
        arrival.bucket,
        arrival.key,
        arrival.mailbox,
        tuple(dict.fromkeys(ours)),
        source if "@" in source else None,
        authentication_of(data),
    )


def _recipients(block: Mapping[str, Any], name: str) -> Iterator[NoticeRecipient]:
    listed = block.get(name) or []
    if not isinstance(listed, list):
        msg = f"the notification's {name} is not a list"
        raise MailEventError(msg)
    for item in listed:
        if isinstance(item, dict) and item.get("emailAddress"):
            yield NoticeRecipient(
                str(item["emailAddress"]).strip(),
                str(item["status"]) if item.get("status") else None,
                str(item["diagnosticCode"]) if item.get("diagnosticCode") else None,
            )


def _addresses(headers: Message, names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Yield (local part, domain) of each well-formed address in the headers ``names``."""
    for name in names:
        # getaddresses, not the header registry: Delivered-To and Return-Path are not
        # address headers to it, and a malformed entry comes back empty rather than raising.
        for _, spec in getaddresses([str(h) for h in headers.get_all(name) or []]):
            local, at, domain = spec.rpartition("@")
            if at and local and domain:
                yield local, domain


def _object(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        msg = f"the notification has no {name!r} object"
        raise MailEventError(msg)
    return value


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        msg = f"the notification has no {where}.{name}"
        raise MailEventError(msg)
    return value
