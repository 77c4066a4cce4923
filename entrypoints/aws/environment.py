"""The environment a deployment must give every function (checked against infra/template.yaml).

Each name is read by ``entrypoints.settings.Settings`` (its field or alias); a deployment
that left one out would run with an embedded default, silently writing to a Lambda's
throw-away disk.
"""

from __future__ import annotations

REQUIRED = (
    "CIS_BACKEND",  # "aws"
    "CIS_MAILER",  # "ses"
    "CIS_MAIL_DOMAIN",
    "CIS_SECRET_ARN",
    "DYNAMODB_TABLE",
    "VIEWS_TABLE",
    "MAIL_BUCKET",
    "SQS_URL",
    "SENDER",
    "REGION",
    "NEW_EVENT_INVITE",
    "EVENT_UPDATED",
    "EVENT_CANCELLATION_REQUEST",
)
