"""The deployment's HMAC secret comes from Secrets Manager or SSM, never from the template."""

from __future__ import annotations

import base64
import os

import boto3
import pytest

from adapters.aws.secrets import fetch_secret
from entrypoints.container import outbound_settings
from entrypoints.settings import Settings

REGION = "us-east-1"


@pytest.fixture
def secret() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.mark.usefixtures("aws")
def test_a_secrets_manager_secret_signs_reply_tokens(secret: str) -> None:
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="cis/hmac", SecretString=secret
    )["ARN"]
    settings = Settings(backend="aws", secret_arn=arn, region=REGION)
    assert outbound_settings(settings).secret == base64.b64decode(secret)
    assert fetch_secret("cis/hmac", region=REGION) == secret  # a name works as well as an ARN


@pytest.mark.usefixtures("aws")
def test_an_ssm_secure_string_parameter_works_by_path_and_by_arn(secret: str) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/cis/hmac", Value=secret, Type="SecureString")
    arn = ssm.get_parameter(Name="/cis/hmac")["Parameter"]["ARN"]
    assert fetch_secret("/cis/hmac", region=REGION) == secret
    assert fetch_secret(arn, region=REGION) == secret


def test_the_aws_backend_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ValueError, match="CIS_SECRET_ARN"):
        outbound_settings(Settings(backend="aws"))


@pytest.mark.usefixtures("aws")
def test_a_secret_that_is_not_base64_is_a_clear_error() -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="cis/bad", SecretString="not base64!"
    )
    with pytest.raises(ValueError, match="secret is not base64"):
        outbound_settings(Settings(backend="aws", secret_arn="cis/bad", region=REGION))
