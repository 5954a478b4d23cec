"""Every AWS call adopt makes is allowed by the read-only policy in docs/adopt.md.

The calls are those of the session's adopt run against the moto replica of beta (the `beta`
fixture, tests/support/live_estates.py, records them with botocore's `before-parameter-build`
event on each client adopt creates): adopt lists every cluster and service of the account.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest

from tests.support.live_estates import Call, Estate
from z360_ecs import PROJECT_DIR
from z360_ecs.live.adopt_iam import ACTIONS

READ_ONLY = re.compile(r"^[a-z-]+:(Describe|List|Get|View)[A-Za-z]*$")


def docs_policy() -> dict[str, Any]:
    text = (PROJECT_DIR / "docs" / "adopt.md").read_text()
    match = re.search(r"<!-- adopt-policy -->\s*```json\n(.*?)```", text, re.S)
    assert match, "docs/adopt.md has no policy block"
    return json.loads(match.group(1))


def resource_of(service: str, operation: str, params: dict[str, Any]) -> str:
    """The resource ARN AWS authorises the call against, where the action has one."""
    if (service, operation) == ("sns", "GetTopicAttributes"):
        return str(params["TopicArn"])
    if service == "budgets":
        return f"arn:aws:budgets::{params['AccountId']}:budget/{params['BudgetName']}"
    return "*"


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] == "Allow" and action in actions and any(
                r == "*" or (resource != "*" and fnmatchcase(resource, r)) for r in resources):
            return True
    return False


@pytest.fixture
def calls(beta: Estate) -> list[Call]:
    return beta.calls


def test_every_call_is_allowed_by_the_documented_policy(calls) -> None:
    policy = docs_policy()
    assert len(calls) > 20
    for service, operation, params in calls:
        assert (service, operation) in ACTIONS, f"{service}:{operation} has no IAM action listed"
        action = ACTIONS[(service, operation)]
        if action is None:
            continue
        resource = resource_of(service, operation, params)
        assert allowed(policy, action, resource), f"{action} on {resource} is not allowed"


def test_the_policy_is_least_privilege(calls) -> None:
    policy = docs_policy()
    granted = {a for s in policy["Statement"] for a in
               ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    for action in granted:
        assert READ_ONLY.fullmatch(action), f"{action} is not a read-only action"
        assert "*" not in action
    used = {ACTIONS[(s, o)] for s, o, _ in calls} - {None}
    assert granted == used, f"granted but never used: {granted - used}; used: {used - granted}"


def test_a_policy_without_an_action_fails_the_check(calls) -> None:
    """The check can fail: drop one action and a recorded call is refused."""
    policy = docs_policy()
    for statement in policy["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "ecs:DescribeServices"]
    refused = [o for s, o, p in calls if ACTIONS[(s, o)] == "ecs:DescribeServices"
               and not allowed(policy, "ecs:DescribeServices", "*")]
    assert refused
