"""infra/template.yaml against the code it deploys: cfn-lint clean, the contract's handlers (which
import, cheaply), the environment Settings reads, scoped permissions, and the wiring a
deployment cannot be tested for (references, queues outlasting their consumers, alarms)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode
from pydantic import AliasChoices

from entrypoints.aws.environment import REQUIRED
from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
# The handler modules of the AWS deployment contract (issue 6), by their fixed names.
CONTRACT = frozenset({"inbound", "bounces", "work", "projections", "http"})
# What a handler module may not import at module level (the contract: on first use only).
HEAVY = ("boto3", "icalendar", "eventsourcing", "fastapi", "mangum", "entrypoints.container")
# Resource types whose policies may say Resource "*", and why. Nothing else may.
WILDCARD_RESOURCES = {
    "AWS::KMS::Key": "in a key policy, Resource '*' means the key itself",
}
POLICY_DOCUMENTS = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::IAM::Policy": "PolicyDocument",
}
# A visibility timeout shorter than 6x the consumer's timeout lets Lambda's poller hand a
# message out again while a throttled invocation still holds it (AWS's guidance).
VISIBILITY_FACTOR = 6

Template = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    decoded, problems = decode(str(TEMPLATE))
    assert problems == []
    assert decoded is not None
    return dict(decoded)


def functions(template: Template) -> dict[str, dict[str, Any]]:
    """Every function's properties, by logical id."""
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def environment(template: Template, function: dict[str, Any]) -> dict[str, Any]:
    """The variables a function gets: Globals, then its own (SAM merges them so)."""
    shared = template["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    own = function.get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def resources_of(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def settings_variables() -> set[str]:
    """Every environment variable Settings reads (prefix CIS_, or a field's aliases)."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice).upper() for choice in alias.choices}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field}".upper())
    return names


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_cfn_lint_finds_nothing() -> None:
    matches = lint_file(TEMPLATE)

    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def test_the_functions_are_exactly_the_contracts_handlers(template: Template) -> None:
    handlers = sorted(f["Handler"] for f in functions(template).values())

    assert handlers == sorted(f"entrypoints.aws.{module}.handler" for module in CONTRACT)


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_each_handler_imports_cheaply_in_a_clean_environment(module: str) -> None:
    # A fresh interpreter with nothing configured: importing must need no setting, no AWS.
    probe = (
        "import importlib, json, sys\n"
        f"handler = getattr(importlib.import_module('entrypoints.aws.{module}'), 'handler')\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'callable': callable(handler), 'heavy': heavy}))\n"
    )
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"callable": True, "heavy": []}


def test_every_function_gets_every_required_variable(template: Template) -> None:
    missing = {
        name: sorted(set(REQUIRED) - environment(template, function).keys())
        for name, function in functions(template).items()
    }

    assert missing == {name: [] for name in functions(template)}


def test_every_variable_set_is_one_the_code_reads(template: Template) -> None:
    known = settings_variables()
    names = {n for f in functions(template).values() for n in environment(template, f)}

    unknown = sorted(
        n for n in names if n not in known and not n.startswith(("POWERTOOLS_", "AWS_"))
    )

    assert unknown == []
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "CIS_DATA_DIR"} <= names


def test_the_cli_environment_output_names_the_required_variables(template: Template) -> None:
    line = template["Outputs"]["CliEnvironment"]["Value"]["Fn::Sub"]

    assert sorted(pair.split("=", 1)[0] for pair in line.split()) == sorted(REQUIRED)


def statements(template: Template) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(logical id, resource type, statement) for every policy statement in the template."""
    for name, resource in template["Resources"].items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        documents = []
        if kind in POLICY_DOCUMENTS:
            documents.append(properties[POLICY_DOCUMENTS[kind]])
        elif kind == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
        elif kind == "AWS::Serverless::Function":
            documents += [p for p in properties.get("Policies", []) if "Statement" in p]
        for document in documents:
            for statement in document["Statement"]:
                yield name, kind, statement


def test_no_statement_grants_every_resource_unless_it_cannot_name_one(
    template: Template,
) -> None:
    found = list(statements(template))

    def everything(statement: dict[str, Any]) -> bool:
        named = statement.get("Resource", [])
        return "*" in (named if isinstance(named, list) else [named])

    wide = [
        (name, statement.get("Sid"))
        for name, kind, statement in found
        if kind not in WILDCARD_RESOURCES and everything(statement)
    ]

    assert {kind for _, kind, _ in found} == {
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::KMS::Key",
        "AWS::Serverless::Function",
    }
    assert wide == []
    assert all("NotResource" not in s and "NotAction" not in s for _, _, s in found)


def test_functions_use_only_scoped_policy_templates(template: Template) -> None:
    for name, function in functions(template).items():
        for policy in function["Policies"]:
            # No managed policy by name (AmazonS3FullAccess…): a statement or a SAM policy
            # template, whose every parameter names one of this stack's resources.
            assert isinstance(policy, dict), (name, policy)
            if "Statement" in policy:
                continue
            [(_, parameters)] = policy.items()
            assert all(isinstance(v, dict) for v in parameters.values()), (name, policy)


def test_every_reference_names_a_parameter_resource_or_pseudo_parameter(
    template: Template,
) -> None:
    # cfn-lint checks references in plain resources, not inside SAM events and policies.
    defined = set(template["Parameters"]) | set(template["Resources"])
    named: set[str] = set()
    for node in walk(template):
        if not isinstance(node, dict) or len(node) != 1:
            continue
        [(function, argument)] = node.items()
        if function == "Ref":
            named.add(argument)
        elif function == "Fn::GetAtt":
            named.add(argument[0] if isinstance(argument, list) else argument.split(".")[0])
        elif function == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else argument
            for variable in re.findall(r"\$\{([^!}][^}]*)\}", text):
                if variable not in local:
                    named.add(variable.split(".")[0])

    assert sorted(n for n in named if n not in defined and not n.startswith("AWS::")) == []


def test_queues_outlast_their_consumers_and_give_up_into_a_dead_letter_queue(
    template: Template,
) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    default_timeout = template["Globals"]["Function"]["Timeout"]
    consumed = 0
    for name, function in functions(template).items():
        timeout = function.get("Timeout", default_timeout)
        for event in function.get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            consumed += 1
            queue = queues[event["Properties"]["Queue"]["Fn::GetAtt"][0]]["Properties"]
            assert queue["VisibilityTimeout"] >= VISIBILITY_FACTOR * timeout, name
            assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 5, name
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    assert consumed == 5  # create, bulk, rsvp, work, bounces
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())


def test_every_dead_letter_queue_raises_an_alarm(template: Template) -> None:
    dead = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in resources_of(template, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    stream = functions(template)["ProjectionsFunction"]["Events"]["Stream"]["Properties"]
    dead.add(stream["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0])
    watched = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["Threshold"] == 0
        and alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    }

    assert len(dead) == 6
    assert watched == dead


def test_every_function_logs_to_its_own_group_with_retention(template: Template) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    used = [f["LoggingConfig"]["LogGroup"]["Ref"] for f in functions(template).values()]

    assert len(set(used)) == len(used) == len(CONTRACT)
    for group in used:
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_receipt_rules_store_each_mailbox_under_its_prefix_in_order(template: Template) -> None:
    rules = resources_of(template, "AWS::SES::ReceiptRule")
    # Each rule names the one it follows (After); the first names none.
    follower = {r["Properties"].get("After", {}).get("Ref"): n for n, r in rules.items()}
    order: list[str] = []
    previous: str | None = None
    while previous in follower:
        previous = follower[previous]
        order.append(previous)
    routes = []
    for name in order:
        rule = rules[name]["Properties"]["Rule"]
        store, stop = rule["Actions"]
        assert stop == {"StopAction": {"Scope": "RuleSet"}}
        assert store["S3Action"]["BucketName"] == {"Ref": "MailBucket"}
        routes.append((rule["Recipients"], store["S3Action"]["ObjectKeyPrefix"]))
    boxes = Settings()

    def mailbox(local: str) -> list[dict[str, str]]:
        return [{"Fn::Sub": f"{local}@${{MailDomain}}"}]

    assert routes == [
        (mailbox(boxes.create_mailbox), f"inbound/{boxes.create_mailbox}/"),
        (mailbox(boxes.bulk_mailbox), f"inbound/{boxes.bulk_mailbox}/"),
        # Last, the whole domain: rsvp+TOKEN@ replies and everything else.
        ([{"Ref": "MailDomain"}], f"inbound/{boxes.rsvp_mailbox}/"),
    ]


def test_make_builds_every_function_sam_builds_with_it(template: Template) -> None:
    # BuildMethod makefile: `sam build` runs `make build-<Function>` with ARTIFACTS_DIR set.
    built = [
        n for n, r in template["Resources"].items() if r.get("Metadata", {}).get("BuildMethod")
    ]
    assert built == list(functions(template))
    for name in built:
        assert template["Resources"][name]["Metadata"] == {"BuildMethod": "makefile"}
        plan = subprocess.run(
            ["make", "--dry-run", f"build-{name}", "ARTIFACTS_DIR=/artifacts"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

        assert plan.returncode == 0, f"the Makefile has no build-{name}: {plan.stderr}"
        assert '--target "/artifacts"' in plan.stdout
        assert "[aws]" in plan.stdout
