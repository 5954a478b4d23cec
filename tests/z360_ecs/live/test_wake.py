"""`z360-ecs wake` (z360_ecs/live/wake.py) against moto's Application Auto Scaling, on the real
staging stack file (asleep out of 08:00-20:00 Monday to Friday)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE
from stack_model.schedule_actions import scheduled_actions
from z360_ecs.cli import build_parser
from z360_ecs.common import read_stack_config
from z360_ecs.live import wake

ROOT = Path(__file__).resolve().parents[3]
# Saturday 10:00 in Asia/Karachi (UTC+5): the weekend, asleep.
SATURDAY = datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
# Tuesday 11:00 there: within working hours.
TUESDAY = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)


@pytest.fixture
def autoscaling() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("application-autoscaling", region_name="us-east-1")
        ecs = boto3.client("ecs", region_name="us-east-1")
        config = read_stack_config("staging", None, ROOT)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 512}])
        for cluster in config.clusters.values():
            ecs.create_cluster(clusterName=cluster.name)
        for service in config.services.values():
            ecs.create_service(cluster=config.clusters[service.cluster].name,
                               serviceName=service.service_name, taskDefinition="app",
                               desiredCount=0)
            # As a night's sleep action left it.
            client.register_scalable_target(
                ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
                ResourceId=service.scaling_resource_id(config.clusters[service.cluster].name),
                MinCapacity=0, MaxCapacity=0)
        yield client


def run(client: Any, *argv: str, answer: str = "staging", now: datetime = SATURDAY) -> int:
    args = build_parser().parse_args(["wake", *argv, "--project-dir", str(ROOT)])
    return wake.handle(args, autoscaling=client, read=lambda _prompt: answer, now=now)


def _targets(client: Any) -> dict[str, tuple[int, int]]:
    targets = client.describe_scalable_targets(ServiceNamespace=SCALING_NAMESPACE)
    return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"])
            for t in targets["ScalableTargets"]}


def test_wake_sets_the_wake_capacity_now_and_an_end_action_after_n_hours(autoscaling, capsys):
    assert run(autoscaling, "staging", "--hours", "3") == 0

    assert set(_targets(autoscaling).values()) == {(1, 1)}
    actions = autoscaling.describe_scheduled_actions(
        ServiceNamespace=SCALING_NAMESPACE)["ScheduledActions"]
    assert len(actions) == 6
    web = next(a for a in actions if a["ScheduledActionName"] == "z360-staging-web-wake-end")
    # 10:00 Karachi + 3 h, in the schedule's own time zone.
    assert web["Schedule"] == "at(2026-12-05T13:00:00)"
    assert web["Timezone"] == "Asia/Karachi"
    assert web["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert "asleep again at at(2026-12-05T13:00:00)" in capsys.readouterr().out


def test_wake_capacity_is_what_the_schedules_wake_action_sets():
    config = read_stack_config("staging", None, ROOT)
    service = config.services["voice"]
    step = wake.plan(config, 2, SATURDAY)[0][-1]
    wake_action = scheduled_actions(service)[0]
    assert (step.min_capacity, step.max_capacity) == (
        wake_action.min_capacity, wake_action.max_capacity) == (1, 1)


def test_an_unconfirmed_wake_changes_nothing(autoscaling, capsys):
    assert run(autoscaling, "staging", answer="no") == 1

    assert set(_targets(autoscaling).values()) == {(0, 0)}
    assert "nothing changed" in capsys.readouterr().err


def test_within_working_hours_wake_leaves_the_services_alone(autoscaling, capsys):
    assert run(autoscaling, "staging", "--yes", now=TUESDAY) == 0

    assert set(_targets(autoscaling).values()) == {(0, 0)}
    assert "nothing to wake" in capsys.readouterr().out


def test_a_wake_that_reaches_working_hours_puts_no_end_action(autoscaling):
    # Monday 07:00 Karachi: working hours start at 08:00, and its sleep ends the day.
    monday_early = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert run(autoscaling, "staging", "--yes", "--hours", "2", now=monday_early) == 0

    assert set(_targets(autoscaling).values()) == {(1, 1)}
    assert autoscaling.describe_scheduled_actions(
        ServiceNamespace=SCALING_NAMESPACE)["ScheduledActions"] == []


@pytest.mark.parametrize("hours", ["0", "13", "-1"])
def test_hours_out_of_range_are_refused_before_anything(autoscaling, capsys, hours):
    assert run(autoscaling, "staging", "--yes", "--hours", hours) == 2
    assert f"--hours {hours} is out of range: 1 to 12" in capsys.readouterr().err
    assert set(_targets(autoscaling).values()) == {(0, 0)}


def test_a_stack_without_a_schedule_is_refused(autoscaling, capsys):
    assert run(autoscaling, "beta", "--yes") == 2
    assert "has no schedule" in capsys.readouterr().err


def test_an_unknown_stack_is_refused(autoscaling, capsys):
    assert run(autoscaling, "prod", "--yes") == 2
    assert "error:" in capsys.readouterr().err


def test_a_tripped_breaker_refuses_the_wake_and_nothing_changes(autoscaling, capsys):
    config = read_stack_config("staging", None, ROOT)
    web = config.services["web"]
    autoscaling.register_scalable_target(
        ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
        ResourceId=web.scaling_resource_id(config.clusters[web.cluster].name),
        SuspendedState={"ScheduledScalingSuspended": True})

    assert run(autoscaling, "staging", "--yes") == 1

    assert set(_targets(autoscaling).values()) == {(0, 0)}
    assert "web: scheduled scaling is suspended (the cost breaker is tripped)" in \
        capsys.readouterr().err
