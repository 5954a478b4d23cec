"""IAM wildcard rule on one resource, through the SDK's real Analyze path."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import iam
from policies.guardrails.facts.types import (
    ROLE_TYPE,
)
from tests.support.policy_sdk import sdk_analyze

ALL = iam.POLICIES
ROLE_POLICY, MANAGED_POLICY = iam.POLICY_DOCUMENT_TYPES


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


LOGS = {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:PutLogEvents"],
        "Resource": "arn:aws:logs:us-east-1:108782097218:log-group:/ecs/x:*"}


@pytest.mark.parametrize("resource_type", [ROLE_POLICY, MANAGED_POLICY])
def test_named_actions_are_compliant(resource_type):
    props = {"policy": document(LOGS, {**LOGS, "Sid": "Auth",
                                       "Action": "ecr:GetAuthorizationToken", "Resource": "*"})}
    assert sdk_analyze(ALL, resource_type, props).violations == []


@pytest.mark.parametrize("action", ["*", "s3:*", ["logs:PutLogEvents", "ECS:*"]])
@pytest.mark.parametrize("resource_type", [ROLE_POLICY, MANAGED_POLICY])
def test_wildcard_actions_are_mandatory(resource_type, action):
    props = {"policy": document(LOGS, {**LOGS, "Sid": "Wide", "Action": action})}
    outcome = sdk_analyze(ALL, resource_type, props)
    assert outcome.levels("iam-no-wildcard-actions") == {"mandatory"}
    assert "statement Wide allows Action" in outcome.messages("iam-no-wildcard-actions")[0]


def test_deny_with_wildcard_is_compliant():
    props = {"policy": document(LOGS, {"Effect": "Deny", "Action": "*", "Resource": "*"})}
    assert sdk_analyze(ALL, ROLE_POLICY, props).violations == []


def test_allow_with_not_action_is_a_violation():
    props = {"policy": document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
    assert sdk_analyze(ALL, ROLE_POLICY, props).messages("iam-no-wildcard-actions")


def test_role_is_not_applicable():
    outcome = sdk_analyze(ALL, ROLE_TYPE, {"assumeRolePolicy": document(LOGS)})
    assert "iam-no-wildcard-actions" in outcome.not_applicable


def test_policy_unknown_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, ROLE_POLICY, {"policy": UNKNOWN, "role": UNKNOWN})
    assert outcome.violations == []
    assert "iam-no-wildcard-actions" in outcome.unknown


def test_malformed_document_is_reported_as_a_policy_failure():
    messages = sdk_analyze(ALL, ROLE_POLICY, {"policy": "{not json"}).messages(
        "iam-no-wildcard-actions")
    assert "policy is not valid JSON" in messages[0]
