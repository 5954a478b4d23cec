"""Fargate Spot under the mock engine, through the real __main__.py and both stack files: where
each service's tasks run, the stopTimeout Spot containers get, the interruptible tag, and the
interruption rule with its alert target, topic policy and dashboard row
(components/spot_interruptions.py)."""

from __future__ import annotations

import json

import pytest

from components.spot_interruptions import interruption_pattern
from policies.guardrails.facts.conventions import INTERRUPTIBLE_TAG, NOT_INTERRUPTIBLE
from policies.guardrails.facts.types import (
    EVENT_RULE_TYPE,
    EVENT_TARGET_TYPE,
    NATIVE_SERVICE_TYPE,
    SERVICE_TYPE,
    TASK_DEFINITION_TYPE,
)
from tests.support.runs import unmodified_run
from z360_ecs.engine.program import ProgramRun

STRATEGY = {SERVICE_TYPE: "capacityProviderStrategies",
            NATIVE_SERVICE_TYPE: "capacityProviderStrategy"}
SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
SPLIT = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
         {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]


def _strategies(run: ProgramRun) -> dict[str, object]:
    """Service key -> the strategy the ECS service is sent (None on a launch type)."""
    found = {}
    for kind, prop in STRATEGY.items():
        for service in run.by_type(kind):
            key = service.name.removesuffix("-service")
            items = service.inputs.get(prop)
            found[key] = [{k: i.get(k, 0) for k in ("capacityProvider", "weight", "base")}
                          for i in items] if items else None
    return found


def _container(run: ProgramRun, key: str) -> dict:
    task = run.named(f"{key}-task")
    assert task.type == TASK_DEFINITION_TYPE
    return json.loads(task.inputs["containerDefinitions"])[0]


def test_staging_runs_every_service_on_spot_but_voice(staging: ProgramRun):
    strategies = _strategies(staging)
    assert {k: v for k, v in strategies.items() if k != "voice"} == {
        k: SPOT for k in ("web", "queue", "reverb", "gateway", "aegra")}
    assert strategies["voice"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]


def test_beta_keeps_the_minimum_on_demand_and_splits_the_burst(beta: ProgramRun):
    strategies = _strategies(beta)
    assert strategies["gateway"] == SPLIT and strategies["aegra"] == SPLIT
    spot_from_2 = [{"capacityProvider": "FARGATE", "weight": 0, "base": 1},
                   {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    assert strategies["queue"] == spot_from_2 and strategies["reverb"] == spot_from_2
    assert strategies["voice"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    # Web stays on its launch type while it is adopted (Pulumi.beta.yaml says why).
    assert strategies["web"] is None
    assert beta.named("web-service").inputs["launchType"] == "FARGATE"


def test_beta_web_after_its_migration_is_split(run_stack):
    """After the adoption: web's strategy as the stack file's comment says, for one update with
    migrateLaunchConfiguration (the forced deployment moves its tasks)."""
    def migrated(document):
        web = document["config"]["z360-ecs:services"]["web"]
        for key in ("launchType", "importIds"):
            web.pop(key)
        web["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                           {"capacityProvider": "FARGATE_SPOT", "weight": 1}]
        web["migrateLaunchConfiguration"] = True

    run = run_stack("beta", migrated)
    assert _strategies(run)["web"] == SPLIT
    assert "launchType" not in run.named("web-service").inputs


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_spot_containers_get_the_whole_two_minute_warning(request, stack):
    """stopTimeout 120 wherever a task may run on Spot or holds calls under task protection
    (beta's voice); unset (AWS's 30 s) on staging's voice, on FARGATE and unprotected."""
    run = request.getfixturevalue(stack)
    protected = {"voice"} if stack == "beta" else set()
    for key, strategy in _strategies(run).items():
        on_spot = any(i["capacityProvider"] == "FARGATE_SPOT" and (i["weight"] or i["base"])
                      for i in strategy or [])
        expected = 120 if on_spot or key in protected else None
        assert _container(run, key).get("stopTimeout") == expected, key


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_voice_is_tagged_not_interruptible_and_nothing_else_is(request, stack):
    run = request.getfixturevalue(stack)
    tagged = set()
    for kind in STRATEGY:
        for service in run.by_type(kind):
            tags = service.inputs.get("tags") or {}
            if isinstance(tags, list):
                tags = {t["key"]: t["value"] for t in tags}
            if tags.get(INTERRUPTIBLE_TAG) == NOT_INTERRUPTIBLE:
                tagged.add(service.name)
    assert tagged == {"voice-service"}


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_interruptions_go_to_the_alert_topic_and_the_dashboard(request, stack):
    run = request.getfixturevalue(stack)
    [rule] = run.by_type(EVENT_RULE_TYPE)
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["stopCode"] == ["SpotInterruption"]
    # Both clusters hold a Spot service in both stacks.
    assert len(pattern["detail"]["clusterArn"]) == 2
    [target] = run.by_type(EVENT_TARGET_TYPE)
    assert target.inputs["arn"].endswith(f":z360-{stack}-alerts")
    # The topic policy names the topic's ARN, which AWS gives: known after an update.
    policy = unmodified_run(stack, preview=False).named("alerts-topic-policy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    events = [s for s in statements if s["Principal"]["Service"] == "events.amazonaws.com"]
    assert events and events[0]["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        f"arn:aws:events:us-east-1:108782097218:rule/{rule.inputs['name']}"]
    body = json.loads(run.named("services-dashboard").inputs["dashboardBody"])
    metrics = [m for w in body["widgets"] for m in w["properties"].get("metrics", [])]
    assert ["AWS/Events", "MatchedEvents", "RuleName", rule.inputs["name"]] in [
        m[:4] for m in metrics]


def test_no_spot_service_no_rule(run_stack):
    """Look-alike: every service on FARGATE; no rule, no EventBridge publisher on the topic."""
    def on_demand(document):
        for service in document["config"]["z360-ecs:services"].values():
            service.pop("spotFrom", None)

    run = run_stack("staging", on_demand, preview=False)
    assert run.by_type(EVENT_RULE_TYPE) == []
    assert "events.amazonaws.com" not in run.named("alerts-topic-policy").inputs["policy"]


def test_the_pattern_matches_only_its_clusters_interruptions():
    pattern = interruption_pattern(["arn:b", "arn:a"])
    assert pattern == {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                       "detail": {"clusterArn": ["arn:a", "arn:b"],
                                  "stopCode": ["SpotInterruption"]}}
