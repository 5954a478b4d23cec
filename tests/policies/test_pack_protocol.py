"""The pack as the engine sees it: its own process, the real gRPC Analyzer protocol."""

from __future__ import annotations

from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2

from policies.guardrails.facts.types import (
    TARGET_TYPE,
)
from policies.guardrails.pack import PACK_NAME, POLICIES
from tests.support.policy_resources import target
from tests.support.policy_sdk import struct
from z360_ecs.engine.analyzer import LEVELS, merge_config


def test_analyzer_info_lists_every_policy_with_its_level_and_schema(pack):
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert info.supportsConfig
    listed = {p.name: p for p in info.policies}
    assert list(listed) == [p.name for p in POLICIES]
    for policy in POLICIES:
        answered = listed[policy.name]
        assert LEVELS[answered.enforcementLevel] == policy.enforcement_level.value, policy.name
        assert answered.description == policy.description
        schema = json_format.MessageToDict(answered.configSchema.properties)
        assert schema == json_format.MessageToDict(struct(policy.config_schema.properties))


def test_configure_then_analyze_returns_the_violation(pack):
    pack.configure(merge_config(pack.info))
    request = analyzer_pb2.AnalyzeRequest(
        type=TARGET_TYPE, name="web-scaling-target",
        urn="urn:pulumi:beta::z360-ecs::aws:appautoscaling/target:Target::web-scaling-target",
        properties=struct(target(maxCapacity=60)),
    )
    response = pack.stub.Analyze(request)
    by_policy = {d.policyName: d for d in response.diagnostics}
    diagnostic = by_policy["max-capacity-ceiling"]
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "beta web: maxCapacity 60 exceeds the ceiling 50" in diagnostic.message


def test_configured_level_and_threshold_reach_the_pack(pack):
    merged = merge_config(pack.info, {"max-capacity-ceiling": {
        "enforcementLevel": "advisory", "ceilings": {"web": 70}}, "capacity-bounds": "disabled"})
    pack.configure(merged)
    request = analyzer_pb2.AnalyzeRequest(
        type=TARGET_TYPE, name="t", urn="urn:t",
        properties=struct(target(minCapacity=80, maxCapacity=75)),
    )
    diagnostics = pack.stub.Analyze(request).diagnostics
    pack.configure(merge_config(pack.info))
    ceiling = [d for d in diagnostics if d.policyName == "max-capacity-ceiling"]
    assert [d.enforcementLevel for d in ceiling] == [analyzer_pb2.ADVISORY]
    assert "ceiling 70" in ceiling[0].message
    assert not [d for d in diagnostics if d.policyName == "capacity-bounds"]
