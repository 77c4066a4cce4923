"""``cis aws``: operations on a deployment (run with the deployment's environment set)."""

from __future__ import annotations

import typer

from entrypoints.aws_redrive_cli import redrive
from entrypoints.aws_replay_cli import replay

aws = typer.Typer(
    help="Operate an AWS deployment: re-drive raw mail, rebuild the views from the event table. "
    "Reads the same environment as the Lambda functions (CIS_BACKEND=aws, DYNAMODB_TABLE, …).",
    no_args_is_help=True,
)
aws.command()(redrive)
aws.command()(replay)
