"""Helpers to run policies through the SDK's own analyzer code, and the pack as a process.

`sdk_analyze` / `sdk_analyze_stack` feed properties through the same path the engine's
requests take inside the pack: a protobuf Struct (numbers become floats), the SDK's
deserializer and its unknown-checking proxy, Configure with explicit levels, then the SDK
servicer's Analyze loop (which is what turns an exception into a lost diagnostic, an unknown
value into an advisory "can't run" note, and not_applicable() into a skip).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
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
    return _outcome(_servicer(policies, config).Analyze(request, None))


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
    return _outcome(_servicer(policies, config).AnalyzeStack(request, None))
