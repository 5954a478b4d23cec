"""facts/scaling.py: Application Auto Scaling's namespace and dimension are the API's values, and a
resource id round-trips while look-alikes are refused."""

from __future__ import annotations

import pytest
from botocore.loaders import Loader

from policies.guardrails.facts.scaling import (
    AWS_DEFAULT_COOLDOWN_S,
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    parse_scaling_resource_id,
    scaling_resource_id,
)


@pytest.fixture(scope="module")
def model():
    return Loader().load_service_model("application-autoscaling", "service-2")


def test_namespace_and_dimension_are_the_apis_values(model):
    assert SCALING_NAMESPACE in model["shapes"]["ServiceNamespace"]["enum"]
    assert SCALABLE_DIMENSION in model["shapes"]["ScalableDimension"]["enum"]


def test_the_default_cooldown_comes_from_the_guide_the_api_points_to(model):
    members = model["shapes"]["TargetTrackingScalingPolicyConfiguration"]["members"]
    for cooldown in ("ScaleOutCooldown", "ScaleInCooldown"):
        assert "#target-tracking-cooldown" in members[cooldown]["documentation"]
    assert AWS_DEFAULT_COOLDOWN_S == 300


def test_a_resource_id_round_trips():
    resource_id = scaling_resource_id("z360-beta-Cluster-8E41UEvLHdpU", "z360-beta-web")
    assert resource_id == "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web"
    assert parse_scaling_resource_id(resource_id) == ("z360-beta-Cluster-8E41UEvLHdpU", "z360-beta-web")


@pytest.mark.parametrize("look_alike", [
    "service/z360-beta",                      # a cluster without a service
    "service/z360-beta/web/extra",            # one segment too many
    "service//web",                           # an empty cluster
    "table/z360-beta/web",                    # another namespace's resource id
    "ecs/service/z360-beta/web",              # an import id, not a resource id
])
def test_a_look_alike_resource_id_is_not_parsed(look_alike):
    assert parse_scaling_resource_id(look_alike) is None


def test_request_count_per_target_is_a_metric_type_with_a_resource_label(model):
    from policies.guardrails.facts.scaling import ALB_REQUEST_COUNT_PER_TARGET
    assert ALB_REQUEST_COUNT_PER_TARGET in model["shapes"]["MetricType"]["enum"]
    assert "ResourceLabel" in model["shapes"]["PredefinedMetricSpecification"]["members"]


def test_metric_math_queries_return_one_value(model):
    # CustomizedMetricSpecification.Metrics: TargetTrackingMetricDataQuery with Id, Expression,
    # MetricStat and ReturnData, the shape the backlog policy and the pack read.
    members = model["shapes"]["TargetTrackingMetricDataQuery"]["members"]
    assert {"Id", "Expression", "MetricStat", "ReturnData"} <= set(members)
    assert "Metrics" in model["shapes"]["CustomizedMetricSpecification"]["members"]


def test_task_protection_actions_and_limits_are_the_ecs_apis():
    from policies.guardrails.facts.scaling import (
        MAX_PROTECTION_MINUTES,
        TASK_PROTECTION_ACTIONS,
    )
    ecs = Loader().load_service_model("ecs", "service-2")
    assert {f"ecs:{name}" for name in ("UpdateTaskProtection", "GetTaskProtection")} == set(
        TASK_PROTECTION_ACTIONS)
    assert {"UpdateTaskProtection", "GetTaskProtection"} <= set(ecs["operations"])
    documentation = ecs["shapes"]["UpdateTaskProtectionRequest"]["members"][
        "expiresInMinutes"]["documentation"]
    assert "2,880" in documentation or str(MAX_PROTECTION_MINUTES) in documentation


@pytest.mark.parametrize("arn, ok", [
    ("arn:aws:ecs:us-east-1:108782097218:task/agent-layer-beta/*", True),
    ("arn:aws:ecs:us-east-1:108782097218:task/agent-layer-beta/0123abcd", True),
    ("arn:aws:ecs:us-east-1:108782097218:task/*", False),
    ("*", False),
])
def test_cluster_tasks_arn_names_one_clusters_tasks(arn, ok):
    from policies.guardrails.facts.scaling import CLUSTER_TASKS_ARN, cluster_tasks_arn
    assert bool(CLUSTER_TASKS_ARN.fullmatch(arn)) is ok
    assert CLUSTER_TASKS_ARN.fullmatch(cluster_tasks_arn("us-east-1", "108782097218", "c"))


@pytest.mark.parametrize("latency, job, target", [(60, 0.5, 120.0), (1, 2, 0.5)])
def test_backlog_target_is_latency_over_job_time(latency, job, target):
    from policies.guardrails.facts.scaling import backlog_per_task_target
    assert backlog_per_task_target(latency, job) == target
