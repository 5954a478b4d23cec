"""Helpers to run policies through the SDK's own analyzer code, and the pack as a process.

`sdk_analyze` / `sdk_analyze_stack` feed properties through the same path the engine's
requests take inside the pack: a protobuf Struct (numbers become floats), the SDK's
deserializer and its unknown-checking proxy, Configure with explicit levels, then the SDK
servicer's Analyze loop (which is what turns an exception into a lost diagnostic, an unknown
value into an advisory "can't run" note, and not_applicable() into a skip).

Every Outcome they return is also handed to `OBSERVERS`: tests/policies/conftest.py holds a
test's `policy_case` marks to what its outcomes show (`shows`, `unmet_cases`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

REMOVE = object()
"""A change that deletes the key from the factory's properties."""

LEVEL_NAMES = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_LEVEL_NUMBERS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}


def changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with top-level keys replaced (REMOVE deletes one)."""
    props = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is REMOVE:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


@dataclass
class Outcome:
    violations: list[tuple[str, str, str]] = field(default_factory=list)
    """(policy, level, message) for each diagnostic that is not an unknown-value note."""
    unknown: set[str] = field(default_factory=set)
    """Policies that could not run because a value is unknown during preview."""
    not_applicable: set[str] = field(default_factory=set)
    not_applicable_reasons: dict[str, str] = field(default_factory=dict)
    """Policy -> the reason it gave for not applying."""
    ran: set[str] = field(default_factory=set)
    """Policies of the kind the call runs (resource or stack) that it was given."""

    def messages(self, policy: str) -> list[str]:
        return [message for name, _, message in self.violations if name == policy]

    def levels(self, policy: str) -> set[str]:
        return {level for name, level, _ in self.violations if name == policy}


def _servicer(policies: list[Policy], config: Mapping[str, Mapping[str, Any]] | None):
    servicer = _PolicyAnalyzerServicer(
        "test-pack", "0.0.1", list(policies), EnforcementLevel.ADVISORY
    )
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in policies:
        level = policy.enforcement_level.value if policy.enforcement_level else "advisory"
        request.policyConfig[policy.name].CopyFrom(analyzer_pb2.PolicyConfig(
            enforcementLevel=_LEVEL_NUMBERS[level],
            properties=struct((config or {}).get(policy.name, {})),
        ))
    servicer.Configure(request, None)
    return servicer


def _outcome(response: Any) -> Outcome:
    outcome = Outcome()
    for diagnostic in response.diagnostics:
        if diagnostic.message.startswith("can't run policy"):
            outcome.unknown.add(diagnostic.policyName)
            continue
        message = diagnostic.message.split("\n", 1)[-1]
        outcome.violations.append(
            (diagnostic.policyName, LEVEL_NAMES[diagnostic.enforcementLevel], message)
        )
    outcome.not_applicable = {n.policy_name for n in response.not_applicable}
    outcome.not_applicable_reasons = {n.policy_name: n.reason for n in response.not_applicable}
    return outcome


def sdk_analyze(
    policies: list[Policy],
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "res",
) -> Outcome:
    """Run resource policies on one resource through the SDK's Analyze."""
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, name=name, properties=struct(props),
        urn=f"urn:pulumi:test::z360-ecs::{resource_type}::{name}",
    )
    outcome = _outcome(_servicer(policies, config).Analyze(request, None))
    outcome.ran = {p.name for p in policies if isinstance(p, ResourceValidationPolicy)}
    return _observed(outcome)


def sdk_analyze_stack(
    policies: list[Policy],
    resources: list[tuple[str, str, Mapping[str, Any]]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Outcome:
    """Run stack policies on (type, name, props) resources through the SDK's AnalyzeStack."""
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource_type, name, props in resources:
        request.resources.append(analyzer_pb2.AnalyzerResource(
            type=resource_type, name=name, properties=struct(props),
            urn=f"urn:pulumi:test::z360-ecs::{resource_type}::{name}",
        ))
    outcome = _outcome(_servicer(policies, config).AnalyzeStack(request, None))
    outcome.ran = {p.name for p in policies if isinstance(p, StackValidationPolicy)}
    return _observed(outcome)


# --- what a test's outcomes show, for its policy_case marks ----------------------------------

CASE_KINDS = ("compliant", "non-compliant", "not-applicable")
"""The cases every policy has in its area's test file (`@pytest.mark.policy_case(kind, *names)`)."""

OBSERVERS: list[Callable[[Outcome], None]] = []
"""Called with every Outcome sdk_analyze and sdk_analyze_stack return."""


def _observed(outcome: Outcome) -> Outcome:
    for observer in list(OBSERVERS):
        observer(outcome)
    return outcome


def shows(outcome: Outcome, kind: str, policy: str) -> bool:
    """Whether `outcome` is a `kind` case of `policy`: compliant when the policy ran, applied,
    could read its values and reported nothing; non-compliant when it reported a violation
    (its own, not a "failed on this resource" error); not applicable when it said so."""
    if kind == "compliant":
        return (policy in outcome.ran and policy not in outcome.not_applicable
                and policy not in outcome.unknown and not outcome.messages(policy))
    if kind == "non-compliant":
        failed = f"policy {policy} failed on this resource"
        return any(not m.startswith(failed) for m in outcome.messages(policy))
    if kind == "not-applicable":
        return policy in outcome.not_applicable
    raise ValueError(f"{kind!r} is not one of {', '.join(CASE_KINDS)}")


def unmet_cases(claims: Iterable[tuple[str, str]], outcomes: list[Outcome]) -> list[str]:
    """The (kind, policy) claims no outcome shows, as "kind policy"."""
    return [f"{kind} {policy}" for kind, policy in claims
            if not any(shows(outcome, kind, policy) for outcome in outcomes)]
