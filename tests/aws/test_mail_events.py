"""Parsing SQS record bodies into arrivals and SES notices: every shape, and clear refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from adapters.aws.mail_events import (
    Arrival,
    MailEventError,
    Place,
    arrivals_in,
    envelope_sender,
    header_recipients,
    notice_in,
)
from application.inbound.delivery_notices import NoticeKind, NoticeRecipient
from tests.aws.lambda_events import ses_authentication_results, ses_receipt_notification

DOMAIN = "invites.example"
PLACE = Place("mail-bucket", DOMAIN, frozenset({"create", "rsvp", "bulk", "bounces"}))


def s3_event(key: str, bucket: str = "mail-bucket", name: str = "ObjectCreated:Put") -> str:
    """An S3 event notification as S3 sends it to SQS (the key URL-encoded)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": name,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }
    return json.dumps({"Records": [record]})


def in_sns(message: str | dict[str, Any]) -> str:
    """SNS's envelope around a message, as an SQS subscription without raw delivery gets it."""
    text = message if isinstance(message, str) else json.dumps(message)
    return json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": text})


def receipt(key: str, recipients: list[str], source: str = "bob@example.org", **given: Any) -> str:
    """An SES receipt notification in SNS's envelope, its verdicts and headers as ``given``."""
    return in_sns(ses_receipt_notification("mail-bucket", key, recipients, source, **given))


def test_an_s3_notification_names_the_object_and_its_mailbox() -> None:
    assert arrivals_in(s3_event("inbound/create/abc123"), PLACE) == [
        Arrival("mail-bucket", "inbound/create/abc123", "create")
    ]


def test_keys_in_s3_notifications_are_url_decoded() -> None:
    [arrival] = arrivals_in(s3_event("inbound%2Frsvp%2Fa+b%2Bc%3D"), PLACE)
    assert (arrival.key, arrival.mailbox) == ("inbound/rsvp/a b+c=", "rsvp")


def test_an_s3_notification_may_come_in_an_sns_envelope() -> None:
    [arrival] = arrivals_in(in_sns(s3_event("inbound/bulk/x")), PLACE)
    assert arrival.mailbox == "bulk"


def test_test_events_removals_and_ses_setup_objects_announce_nothing() -> None:
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})
    assert arrivals_in(test_event, PLACE) == []
    assert arrivals_in(s3_event("inbound/create/x", name="ObjectRemoved:Delete"), PLACE) == []
    setup = "inbound/create/AMAZON_SES_SETUP_NOTIFICATION"
    assert arrivals_in(s3_event(setup), PLACE) == []


def test_an_ses_receipt_gives_our_recipients_of_that_mailbox_and_the_sender() -> None:
    recipients = ["RSVP+abc234@Invites.Example", "create@invites.example", "ann@other.example"]
    [arrival] = arrivals_in(receipt("inbound/rsvp/m1", recipients), PLACE)
    assert replace(arrival, authentication=None) == Arrival(
        "mail-bucket",
        "inbound/rsvp/m1",
        "rsvp",
        ("rsvp+abc234@invites.example",),
        "bob@example.org",
    )


def test_an_ses_receipt_carries_ses_verdict_on_the_sender() -> None:
    source = "bounce-1@esp.example.net"
    header = ses_authentication_results(source, "example.org", [("pass", "example.org")])
    body = receipt(
        "inbound/rsvp/m3",
        ["rsvp+abc234@invites.example"],
        source,
        from_=["Bob <bob@example.org>"],
        headers=[header],
        dmarc="GRAY",
    )
    [arrival] = arrivals_in(body, PLACE)
    found = arrival.authentication
    assert found is not None
    assert (found.checked_by, found.from_domain) == ("SES receipt", "example.org")
    assert (found.aligned, found.aligned_by) == (True, "dkim example.org")
    assert (found.spf, found.spf_domain, found.dmarc) == ("pass", "esp.example.net", "none")


def test_a_bare_s3_notification_leaves_the_verdict_to_the_service() -> None:
    [arrival] = arrivals_in(s3_event("inbound/rsvp/m4"), PLACE)
    assert arrival.authentication is None


def test_an_ses_receipt_from_the_null_sender_has_no_sender() -> None:
    [arrival] = arrivals_in(receipt("inbound/create/m2", [], source="<>"), PLACE)
    assert (arrival.recipients, arrival.sender) == ((), None)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not an object"),
        (json.dumps({"hello": "world"}), "not an inbound-mail notification"),
        (in_sns({"notificationType": "Bounce"}), "('Bounce')"),
        (s3_event("messages/ab/abc.eml"), "not under a known mailbox's prefix"),
        (s3_event("inbound/elsewhere/x"), "inbound/create/"),
        (s3_event("inbound/create/"), "not under a known mailbox's prefix"),
        (s3_event("inbound/create/x", bucket="someone-else"), "not in the mail bucket"),
        (json.dumps({"Records": [{"eventSource": "aws:sqs"}]}), "eventSource aws:s3"),
        (
            json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
            "no 's3' object",
        ),
        (
            in_sns(
                {
                    **ses_receipt_notification("mail-bucket", "inbound/rsvp/m", []),
                    "receipt": {"action": {"type": "SNS"}},
                }
            ),
            "only S3 actions keep mail",
        ),
    ],
)
def test_what_is_not_an_arrival_is_refused_with_a_reason(body: str, says: str) -> None:
    with pytest.raises(MailEventError) as refused:
        arrivals_in(body, PLACE)
    assert says in str(refused.value)


def test_headers_name_the_tagged_address_delivered_to_first() -> None:
    raw = (
        b"Delivered-To: create+team-a@INVITES.example\r\n"
        b'To: "Ann, Q" <ann@example.org>, create@invites.example, bad@@x\r\n'
        b"Cc: rsvp+abc@invites.example, create@other.example\r\n\r\nbody\r\n"
    )
    assert header_recipients(raw, "create", DOMAIN) == [
        "create+team-a@invites.example",
        "create@invites.example",
    ]
    assert header_recipients(raw, "rsvp", DOMAIN) == ["rsvp+abc@invites.example"]
    assert header_recipients(raw, "bulk", DOMAIN) == []


def test_the_envelope_sender_is_the_return_path_ses_recorded() -> None:
    assert envelope_sender(b"Return-Path: <bob@example.org>\r\n\r\n") == "bob@example.org"
    assert envelope_sender(b"Return-Path: <>\r\n\r\n") is None
    assert envelope_sender(b"From: bob@example.org\r\n\r\n") is None


def test_a_permanent_bounce_is_a_notice_for_each_bounced_recipient() -> None:
    body = in_sns(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "Suppressed",
                "bouncedRecipients": [
                    {"emailAddress": "bob@example.org", "status": "5.1.1", "diagnosticCode": "x"},
                    {"emailAddress": "carol@example.org"},
                ],
            },
            "mail": {"source": "bounces+tok@invites.example"},
        }
    )
    notice = notice_in(body)
    assert notice is not None
    assert (notice.kind, notice.permanent, notice.detail) == (
        NoticeKind.BOUNCE,
        True,
        "Permanent/Suppressed",
    )
    assert notice.return_path == "bounces+tok@invites.example"
    assert notice.provider == "SES"
    assert notice.recipients == (
        NoticeRecipient("bob@example.org", "5.1.1", "x"),
        NoticeRecipient("carol@example.org"),
    )


def test_transient_and_undetermined_bounces_are_not_permanent() -> None:
    for kind in ("Transient", "Undetermined"):
        body = json.dumps(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": kind, "bouncedRecipients": []},
                "mail": {"source": "bounces+tok@invites.example"},
            }
        )
        notice = notice_in(body)
        assert notice is not None
        assert not notice.permanent


def test_a_complaint_is_a_permanent_notice_and_event_publishing_shapes_count_too() -> None:
    body = json.dumps(
        {
            "eventType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "bob@example.org"}]},
            "mail": {"source": "bounces+tok@invites.example"},
        }
    )
    notice = notice_in(body)
    assert notice is not None
    assert (notice.kind, notice.permanent, notice.detail) == (
        NoticeKind.COMPLAINT,
        True,
        "no feedback type",
    )


def test_deliveries_and_other_notifications_need_nothing() -> None:
    for kind in ("Delivery", "AmazonSnsSubscriptionSucceeded", "DeliveryDelay"):
        assert notice_in(in_sns({"notificationType": kind, "mail": {}})) is None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("nope", "not JSON"),
        (json.dumps({"mail": {}}), "no notificationType"),
        (json.dumps({"notificationType": "Bounce", "mail": {"source": "a@b"}}), "'bounce'"),
        (json.dumps({"notificationType": "Complaint", "complaint": {}}), "'mail'"),
    ],
)
def test_what_is_not_an_ses_notice_is_refused_with_a_reason(body: str, says: str) -> None:
    with pytest.raises(MailEventError) as refused:
        notice_in(body)
    assert says in str(refused.value)
