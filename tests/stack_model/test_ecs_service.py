"""The ECS service a ServiceConfig asks for (stack_model/ecs_service.py): the count an `up` sends
and whether it sends it, the pin, the launch configuration, the load balancer, adoption."""

from __future__ import annotations

import dataclasses

import pytest

from stack_model.ecs_service import (
    DESIRED_COUNT,
    LoadBalancerAttachment,
    StrategyItem,
    describe_service,
)
from tests.support.configs import service_config

TARGET_GROUP = ("arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/z360-test-web/"
                "0123456789abcdef")


def test_with_scaling_the_count_is_raised_to_the_floor_and_left_to_auto_scaling() -> None:
    service = describe_service("web", service_config(
        desiredCount=0, scaling={"enabled": True, "min": 2, "max": 50}))
    assert service.desired_count == 2
    assert service.ignore_changes == (DESIRED_COUNT,) == ("desiredCount",)


def test_an_emergency_floor_is_the_count() -> None:
    service = describe_service("web", service_config(
        desiredCount=1, scaling={"enabled": True, "min": 1, "max": 50, "holdAt": 3}))
    assert service.desired_count == 3


def test_apply_desired_count_sends_the_count_for_one_update() -> None:
    service = describe_service("web", service_config(desiredCount=4, applyDesiredCount=True))
    assert service.desired_count == 4
    assert service.ignore_changes == ()


def test_without_scaling_the_configured_count_is_sent_as_it_is() -> None:
    # Look-alike: min and max written down, but scaling is off, so neither holds the count.
    service = describe_service("web", service_config(
        desiredCount=5, alarms={}, scaling={"enabled": False, "min": 1, "max": 2}))
    assert service.desired_count == 5
    assert DESIRED_COUNT not in service.ignore_changes


def test_a_strategy_or_a_launch_type_never_both() -> None:
    spot = describe_service("web", service_config(spotFrom=1))
    assert (spot.launch_type, spot.capacity_provider_strategy) == (
        None, (StrategyItem("FARGATE_SPOT", weight=1, base=0),))
    burst = describe_service("web", service_config(spotFrom=3))
    assert burst.capacity_provider_strategy == (
        StrategyItem("FARGATE", weight=0, base=2), StrategyItem("FARGATE_SPOT", weight=1, base=0))
    split = describe_service("web", service_config(capacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}]))
    assert split.capacity_provider_strategy == (
        StrategyItem("FARGATE", weight=1, base=1), StrategyItem("FARGATE_SPOT", weight=1, base=0))
    launched = describe_service("web", service_config(launchType="FARGATE"))
    assert (launched.launch_type, launched.capacity_provider_strategy) == ("FARGATE", ())


def test_a_new_deployment_is_forced_only_while_migrating() -> None:
    assert not describe_service("web", service_config()).force_new_deployment
    assert describe_service(
        "web", service_config(migrateLaunchConfiguration=True)).force_new_deployment


def test_the_target_group_sends_to_the_container_named_after_the_service_key() -> None:
    own_port = describe_service("api", service_config(loadBalancer={"targetGroupArn": TARGET_GROUP}))
    assert own_port.load_balancers == (LoadBalancerAttachment(TARGET_GROUP, "api", 80),)
    other_port = describe_service("api", service_config(
        loadBalancer={"targetGroupArn": TARGET_GROUP, "containerPort": 8080}))
    assert other_port.load_balancers[0].container_port == 8080
    assert describe_service("worker", service_config()).load_balancers == ()


def test_a_pinned_revision_is_family_colon_n() -> None:
    assert describe_service("web", service_config(taskDefinitionRevision=20)).task_definition_pin == (
        "z360-test-web:20")
    assert describe_service("web", service_config()).task_definition_pin is None


def test_an_adopted_service_names_its_cluster_and_service() -> None:
    config = service_config(importIds={"service": "z360-test/z360-test-web"}, launchType="FARGATE")
    assert describe_service("web", config).adopt == ("z360-test", "z360-test-web")
    assert describe_service("web", service_config()).adopt is None


@pytest.mark.parametrize("resolution, high", [(20, True), (60, False)])
def test_only_a_20_second_service_is_high_resolution(resolution: int, high: bool) -> None:
    service = describe_service("web", service_config(metricResolution=resolution))
    assert (service.metric_resolution, service.high_resolution) == (resolution, high)


def test_the_network_and_deployment_are_the_programs_fixed_choices() -> None:
    service = describe_service("web", service_config())
    assert (service.subnets, service.security_groups, service.assign_public_ip) == (
        ("subnet-0123456789abcdef0",), ("sg-0123456789abcdef0",), False)
    assert (service.circuit_breaker, service.rollback_on_failure) == (True, True)
    assert (service.minimum_healthy_percent, service.maximum_percent) == (100, 200)
    assert (service.platform_version, service.propagate_tags) == ("LATEST", "SERVICE")


@pytest.mark.parametrize("changes", [
    {}, {"launchType": "FARGATE", "importIds": {"service": "z360-test/z360-test-web"}},
    {"spotFrom": 1, "metricResolution": 20},
], ids=["new", "adopted-on-a-launch-type", "spot-at-20-s"])
def test_what_an_import_reads_back_is_stated_or_kept(changes: dict) -> None:
    """Create-only in both providers: every service states REPLICA and the ECS controller, and
    keeps the live role (awsvpc: ECS's service-linked role, never the program's)."""
    service = describe_service("web", service_config(**changes))
    assert (service.scheduling_strategy, service.deployment_controller) == ("REPLICA", "ECS")
    assert service.keep_live_role


def test_a_service_behind_a_web_acl_carries_the_web_acls_name() -> None:
    alb = "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/z360/0123456789abcdef"
    behind = describe_service("web", service_config(
        loadBalancer={"targetGroupArn": TARGET_GROUP},
        waf={"enabled": True, "loadBalancerArn": alb, "rateLimit": 3000}))
    assert behind.web_acl == "z360-test-web-web-acl"
    # Look-alike: a load balancer but no web ACL.
    assert describe_service("web", service_config(
        loadBalancer={"targetGroupArn": TARGET_GROUP})).web_acl is None


def test_the_description_cannot_be_changed_after_it_is_made() -> None:
    service = describe_service("web", service_config())
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.desired_count = 9  # type: ignore[misc]
