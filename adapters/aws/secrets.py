"""The server's HMAC secret from AWS Secrets Manager or SSM Parameter Store, read once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def fetch_secret(reference: str, *, region: str | None = None, client: Any = None) -> str:
    """Return the secret named by ``reference``.

    A Secrets Manager ARN or name (``arn:aws:secretsmanager:…`` or a plain name) is read with
    GetSecretValue; an SSM parameter (``arn:aws:ssm:…:parameter/…`` or a path starting with
    ``/``) with GetParameter and decryption. The value is never logged.
    """
    if reference.startswith("/") or ":ssm:" in reference:
        name = reference.split(":parameter", 1)[1] if ":parameter" in reference else reference
        ssm = client or _client("ssm", region)
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    manager = client or _client("secretsmanager", region)
    return str(manager.get_secret_value(SecretId=reference)["SecretString"])


def _client(service: str, region: str | None) -> Any:
    import boto3  # only a deployment that names a secret pays for boto3 here

    factory: Callable[..., Any] = boto3.session.Session().client
    return factory(service, region_name=region)
