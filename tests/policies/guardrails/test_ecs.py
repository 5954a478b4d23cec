"""Task definition rules on one resource, through the SDK's real Analyze path."""

from __future__ import annotations

import json

from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import ecs
from policies.guardrails.facts.types import (
    SERVICE_TYPE,
    TASK_DEFINITION_TYPE,
)
from tests.support.policy_sdk import REMOVE, changed, sdk_analyze

TASK = TASK_DEFINITION_TYPE
ALL = ecs.POLICIES


def containers(environment=(), secrets=()):
    return json.dumps([{
        "name": "web",
        "image": "108782097218.dkr.ecr.us-east-1.amazonaws.com/z360-web:1",
        "essential": True,
        "environment": [{"name": n, "value": "x"} for n in environment],
        "secrets": [{"name": n, "valueFrom": "arn:aws:ssm:us-east-1:108782097218:parameter/p"}
                    for n in secrets],
    }])


def task(**changes):
    """A compliant Fargate task definition: 1 vCPU / 2 GB, Linux x86."""
    return changed({
        "family": "z360-beta-web",
        "cpu": "1024",
        "memory": "2048",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": containers(environment=["APP_ENV"], secrets=["DB_PASSWORD"]),
        "tags": {"z360:service": "web", "z360:environment": "beta"},
    }, **changes)


def test_compliant_task_definition_has_no_violations():
    assert sdk_analyze(ALL, TASK, task()).violations == []


def test_memory_not_allowed_with_cpu_is_mandatory_and_names_the_allowed_range():
    outcome = sdk_analyze(ALL, TASK, task(memory="1536"))
    assert outcome.levels("fargate-task-size") == {"mandatory"}
    message = outcome.messages("fargate-task-size")[0]
    assert "cpu 1024 with memory 1536 is not a Fargate task size" in message
    assert "2048 to 8192 in steps of 1024" in message


def test_cpu_that_fargate_lacks_is_a_violation():
    assert sdk_analyze(ALL, TASK, task(cpu="768")).messages("fargate-task-size")


def test_sixteen_vcpu_on_windows_is_a_violation():
    props = task(cpu="16384", memory="32768", runtimePlatform={
        "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"})
    messages = sdk_analyze(ALL, TASK, props).messages("fargate-task-size")
    assert any("needs runtimePlatform.operatingSystemFamily LINUX" in m for m in messages)


def test_sixteen_vcpu_with_no_runtime_platform_runs_on_linux():
    props = task(cpu="16384", memory="32768", runtimePlatform=REMOVE)
    assert sdk_analyze(ALL, TASK, props).messages("fargate-task-size") == []


def test_ec2_task_definition_is_not_applicable():
    outcome = sdk_analyze(ALL, TASK, task(requiresCompatibilities=["EC2"], memory="1536"))
    assert "fargate-task-size" in outcome.not_applicable
    assert outcome.messages("fargate-task-size") == []


def test_unknown_cpu_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, TASK, task(cpu=UNKNOWN))
    assert outcome.violations == []
    assert "fargate-task-size" in outcome.unknown


def test_secret_named_variable_in_environment_is_mandatory():
    props = task(containerDefinitions=containers(environment=["APP_ENV", "STRIPE_API_KEY"]))
    outcome = sdk_analyze(ALL, TASK, props)
    assert outcome.levels("no-plaintext-secrets") == {"mandatory"}
    assert "STRIPE_API_KEY in plain environment" in outcome.messages("no-plaintext-secrets")[0]


def test_secret_pattern_comes_from_policy_config():
    props = task(containerDefinitions=containers(environment=["APP_ENV"]))
    config = {"no-plaintext-secrets": {"secretNamePattern": "^APP_"}}
    assert sdk_analyze(ALL, TASK, props, config=config).messages("no-plaintext-secrets")


def test_invalid_secret_pattern_is_reported_not_raised():
    config = {"no-plaintext-secrets": {"secretNamePattern": "("}}
    messages = sdk_analyze(ALL, TASK, task(), config=config).messages("no-plaintext-secrets")
    assert "is not a valid regular expression" in messages[0]


def test_unknown_container_definitions_during_preview_are_not_a_violation():
    outcome = sdk_analyze(ALL, TASK, task(containerDefinitions=UNKNOWN))
    assert outcome.messages("no-plaintext-secrets") == []
    assert "no-plaintext-secrets" in outcome.unknown


def test_task_rules_do_not_apply_to_services():
    outcome = sdk_analyze(ALL, SERVICE_TYPE, {"name": "s"})
    assert {"fargate-task-size", "no-plaintext-secrets"} <= outcome.not_applicable
