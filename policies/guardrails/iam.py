"""IAM rules: no policy document allows every action, or every action of a service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationPolicy,
)

from ._kit import label, parse_json, resource_policy
from .types import MANAGED_POLICY_TYPE, ROLE_POLICY_TYPE

POLICY_DOCUMENT_TYPES = (ROLE_POLICY_TYPE, MANAGED_POLICY_TYPE)

# IAM matches Action with glob semantics: `*` any run of characters, `?` any one (IAM User
# Guide, "IAM JSON policy elements: Action"). A pattern with either matches more than one
# action, or will as AWS adds actions: `*`, `*:*`, `s3:**`, `iam:?*`, `ecr:Get*` alike.
WILDCARD_ACTION = re.compile(r"[*?]")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    return list(value)


def wildcard_findings(document: Any) -> list[str]:
    """What in an IAM policy document allows a wildcard action; empty when nothing does."""
    if not isinstance(document, Mapping):
        raise ValueError("policy is not a JSON object")
    findings = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"#{index + 1}"
        wild = [a for a in _as_list(statement.get("Action")) if WILDCARD_ACTION.search(str(a))]
        if wild:
            findings.append(f"statement {sid} allows Action {', '.join(map(str, wild))}")
        if "NotAction" in statement:
            findings.append(f"statement {sid} allows every action but its NotAction list")
    return findings


def check_iam_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """An IAM policy document grants named actions, never a pattern (`*`, `s3:*`, `iam:?*`)."""
    props = args.props
    document = parse_json(props.get("policy"), "policy")
    who = label(props, str(props.get("name") or args.name))
    for finding in wildcard_findings(document):
        report(f"{who}: {finding}; grant the actions the role needs by name", None)


RESOURCE_POLICIES = [
    resource_policy(
        "iam-no-wildcard-actions",
        "IAM policy documents allow named actions only, never a wildcard pattern.",
        EnforcementLevel.MANDATORY, POLICY_DOCUMENT_TYPES, check_iam_no_wildcard_actions, {},
    ),
]

STACK_POLICIES: list[StackValidationPolicy] = []

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
