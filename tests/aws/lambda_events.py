"""Lambda events as AWS builds them, from what moto really holds (SQS messages, stream records)."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3

from entrypoints.settings import Settings

REGION = "us-east-1"


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of a Lambda context that powertools' logger reads."""

    function_name: str = "cis-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:cis-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid4()))


def sqs_record(
    body: str, queue_arn: str, *, message_id: str | None = None, receive_count: int = 1
) -> dict[str, Any]:
    """One record of an SQS-triggered Lambda event."""
    return {
        "messageId": message_id or str(uuid4()),
        "receiptHandle": uuid4().hex,
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def drain(queue_url: str, endpoint: str | None = None) -> list[dict[str, Any]]:
    """Receive every message on a queue as the records of a Lambda event (as the event source
    mapping would, deleting them: a record the handler fails is handed back by the caller)."""
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    records = []
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        for message in messages:
            count = int(message["Attributes"].get("ApproximateReceiveCount", "1"))
            records.append(
                sqs_record(
                    message["Body"],
                    arn["Attributes"]["QueueArn"],
                    message_id=message["MessageId"],
                    receive_count=count,
                )
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return records


def failed(response: dict[str, Any]) -> list[str]:
    """The identifiers a handler reported in ``batchItemFailures``."""
    return [str(failure["itemIdentifier"]) for failure in response["batchItemFailures"]]


def stream_records(table: str, endpoint: str | None = None) -> list[dict[str, Any]]:
    """Every record of the table's DynamoDB stream so far, shaped as Lambda delivers them."""
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=endpoint)
    found: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            found += page["Records"]
            iterator = page.get("NextShardIterator")
    return [_as_lambda(record, arn) for record in found]


def _as_lambda(record: dict[str, Any], arn: str) -> dict[str, Any]:
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = {name: _typed(value) for name, value in change[image].items()}
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def _typed(value: dict[str, Any]) -> dict[str, Any]:
    """A typed value as Lambda's JSON has it: binary in base64 (boto3 hands out bytes)."""
    (kind, data), *_ = value.items()
    if kind == "B":
        return {"B": base64.b64encode(data).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode() for item in data]}
    if kind == "M":
        return {"M": {name: _typed(item) for name, item in data.items()}}
    if kind == "L":
        return {"L": [_typed(item) for item in data]}
    return value


def ses_receipt_notification(
    bucket: str,
    key: str,
    recipients: Sequence[str],
    source: str = "bob@example.org",
    *,
    from_: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    spf: str | None = "PASS",
    dkim: str | None = "PASS",
    dmarc: str | None = "PASS",
    dmarc_policy: str | None = None,
) -> dict[str, Any]:
    """An SES receipt notification for mail an S3 action kept (AWS's documented shape).

    ``headers`` go between SES's trace headers and the message's From/To/Subject, top down
    (SES's own Authentication-Results first, when a test wants one); each ``from_`` entry is
    a From header and is listed in commonHeaders. A verdict of None leaves it out.
    """
    verdicts = {"spfVerdict": spf, "dkimVerdict": dkim, "dmarcVerdict": dmarc}
    listed = [
        ("Return-Path", f"<{source}>"),
        ("Received", f"from mx.sender.example by inbound-smtp.{REGION}.amazonaws.com"),
        *headers,
        *(("From", address) for address in from_),
        ("To", ", ".join(recipients)),
        ("Subject", "Invitation"),
    ]
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-21T09:00:00.000Z",
            "source": source,
            "messageId": key.rpartition("/")[2],
            "destination": list(recipients),
            "headersTruncated": False,
            "headers": [{"name": name, "value": value} for name, value in listed],
            "commonHeaders": {
                "returnPath": source,
                **({"from": list(from_)} if from_ else {}),
                "to": list(recipients),
                "subject": "Invitation",
            },
        },
        "receipt": {
            "timestamp": "2026-11-21T09:00:00.000Z",
            "processingTimeMillis": 420,
            "recipients": list(recipients),
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            **{name: {"status": status} for name, status in verdicts.items() if status},
            **({"dmarcPolicy": dmarc_policy} if dmarc_policy else {}),
            "action": {
                "type": "S3",
                "topicArn": f"arn:aws:sns:{REGION}:123456789012:inbound",
                "bucketName": bucket,
                "objectKeyPrefix": key.rpartition("/")[0] + "/",
                "objectKey": key,
            },
        },
    }


def ses_authentication_results(
    source: str,
    from_domain: str,
    dkim: Sequence[tuple[str, str]] = (),
    *,
    spf: str = "pass",
    dmarc: str = "pass",
) -> tuple[str, str]:
    """The ``Authentication-Results`` header SES puts on top of received mail.

    ``dkim`` is (result, signing domain) per signature, named by ``header.i=@domain`` as SES
    names them; the SPF clause carries SES's comment, semicolons and all.
    """
    domain = source.rpartition("@")[2]
    clauses = [
        f"spf={spf} (spfCheck: domain of {domain} designates 192.0.2.25 as permitted sender;"
        f" checked) client-ip=192.0.2.25; envelope-from={source}; helo=mx.{domain}",
        *(f"dkim={result} header.i=@{signer}" for result, signer in dkim),
        f"dmarc={dmarc} header.from={from_domain}",
    ]
    return ("Authentication-Results", "amazonses.com; " + "; ".join(clauses) + ";")


def http_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) request, the body base64-encoded as for binary."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "api.invites.example.org",
            "user-agent": "pytest",
            **{name.lower(): value for name, value in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.invites.example.org",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "pytest",
            },
            "requestId": str(uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "21/Nov/2026:18:00:00 +0000",
            "timeEpoch": 1795284000000,
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def deployment_settings(tmp_path: Path, run: str, **overrides: Any) -> Settings:
    """Settings of a fresh deployment on moto: its own tables and bucket (named after ``run``),
    SES sending, and a reply-token secret made for this run."""
    chosen: dict[str, Any] = {
        "data_dir": tmp_path,
        "backend": "aws",
        "create_tables": True,
        "mailer": "ses",
        "secret": base64.b64encode(os.urandom(32)).decode(),
        "mail_domain": "invites.example.com",
        "dynamodb_table": f"events-{run}",
        "views_table": f"views-{run}",
        "mail_bucket": f"mail-{run}",
        "region": REGION,
    }
    return Settings(**(chosen | overrides))
