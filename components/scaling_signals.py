"""Target-tracking configurations on what a service does, for ScalableService's scaling target:
backlog per task (a queue worker), requests per target (behind a load balancer), calls per task
(a protected voice service). Each returns pulumi-aws's `target_tracking_scaling_policy_
configuration` without cooldowns (the caller adds the service's own), or None when the stack
file does not ask for it.

Several target-tracking policies on one target: Application Auto Scaling scales out when any
policy asks and in only when every one does (Application Auto Scaling user guide, "Target
tracking scaling policies", multiple scaling policies).
"""

from __future__ import annotations

from typing import Any

import pulumi

from policies.guardrails.facts.cloudwatch import (
    CALLS_IN_FLIGHT_METRIC,
    CALLS_NAMESPACE,
    CLUSTER_DIMENSION,
    QUEUE_DEPTH_METRIC,
    QUEUE_DEPTH_NAMESPACE,
    QUEUE_NAME_DIMENSION,
    RUNNING_TASK_COUNT,
    SERVICE_DIMENSION,
    SQS_NAMESPACE,
    SQS_VISIBLE_MESSAGES,
    request_count_resource_label,
)
from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE
from policies.guardrails.facts.scaling import (
    ALB_REQUEST_COUNT_PER_TARGET,
    BACKLOG_DEPTH_ID,
    BACKLOG_EXPRESSION,
    BACKLOG_TASKS_ID,
)
from stack_model.config import ServiceConfig

SECONDS_PER_MINUTE = 60


def backlog_tracking(
    config: ServiceConfig, cluster_name: pulumi.Input[str], service_name: pulumi.Input[str]
) -> dict[str, Any] | None:
    """Queue depth / RunningTaskCount, held at acceptableLatency / secondsPerJob: target
    tracking on metric math (Application Auto Scaling user guide, "Create a target tracking
    scaling policy using metric math", whose example is this SQS backlog per task over
    ECS/ContainerInsights RunningTaskCount; CustomizedMetricSpecification.Metrics, exactly one
    query with ReturnData true)."""
    backlog = config.scaling.queue_backlog
    if backlog is None:
        return None
    if backlog.connection == "sqs":
        namespace, metric = SQS_NAMESPACE, SQS_VISIBLE_MESSAGES
    else:
        namespace, metric = QUEUE_DEPTH_NAMESPACE, QUEUE_DEPTH_METRIC
    return {
        "customized_metric_specification": {"metrics": [
            {"id": BACKLOG_DEPTH_ID, "return_data": False, "metric_stat": {
                "metric": {"namespace": namespace, "metric_name": metric, "dimensions": [
                    {"name": QUEUE_NAME_DIMENSION, "value": backlog.queue_name}]},
                "stat": "Sum"}},
            # The service's own task count: RunningTaskCount exists only in Container Insights
            # (facts/cloudwatch.py), which the stack config requires on the cluster.
            {"id": BACKLOG_TASKS_ID, "return_data": False, "metric_stat": {
                "metric": {"namespace": CONTAINER_INSIGHTS_NAMESPACE,
                           "metric_name": RUNNING_TASK_COUNT, "dimensions": [
                               {"name": CLUSTER_DIMENSION, "value": cluster_name},
                               {"name": SERVICE_DIMENSION, "value": service_name}]},
                "stat": "Average"}},
            {"id": "backlogPerTask", "expression": BACKLOG_EXPRESSION,
             "label": "jobs waiting per running task", "return_data": True},
        ]},
        "target_value": backlog.target_backlog_per_task,
    }


def requests_per_target_value(config: ServiceConfig) -> float | None:
    """Requests per target per minute to hold: one task's measured requests per second x 60 x
    the utilisation share (ALBRequestCountPerTarget is a per-minute Sum per target)."""
    requests = config.scaling.requests_per_target
    throughput = config.waf.task_requests_per_second
    if requests is None or throughput is None:
        return None
    return round(throughput * SECONDS_PER_MINUTE * requests.utilisation, 1)


def requests_tracking(config: ServiceConfig) -> dict[str, Any] | None:
    """ALBRequestCountPerTarget on the declared load balancer and target group."""
    target = requests_per_target_value(config)
    if target is None or config.load_balancer is None or config.waf.load_balancer_arn is None:
        return None
    label = request_count_resource_label(
        config.waf.load_balancer_arn, config.load_balancer.target_group_arn)
    if label is None:  # the config's ARN validators refuse other shapes
        return None
    return {
        "predefined_metric_specification": {
            "predefined_metric_type": ALB_REQUEST_COUNT_PER_TARGET, "resource_label": label},
        "target_value": target,
    }


def calls_tracking(
    config: ServiceConfig, cluster_name: pulumi.Input[str], service_name: pulumi.Input[str]
) -> dict[str, Any] | None:
    """Average CallsInFlight across the service's tasks (each task publishes its own count),
    held at taskProtection.callsPerTask."""
    calls = config.task_protection.calls_per_task
    if calls is None:
        return None
    return {
        "customized_metric_specification": {
            "namespace": CALLS_NAMESPACE, "metric_name": CALLS_IN_FLIGHT_METRIC,
            "statistic": "Average", "dimensions": [
                {"name": CLUSTER_DIMENSION, "value": cluster_name},
                {"name": SERVICE_DIMENSION, "value": service_name}]},
        "target_value": calls,
    }
