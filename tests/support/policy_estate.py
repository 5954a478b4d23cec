"""A compliant beta-like stack for the stack rules, as (type, name, props) resources."""

from __future__ import annotations

from policies.guardrails._index import CPU_METRIC, MEMORY_METRIC
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    SCALING_POLICY_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
)
from tests.support.policy_sdk import changed

CLUSTER = "z360-beta"


def _rid(service):
    return f"service/{CLUSTER}/z360-beta-{service}"


def estate(services=(("web", 1, 50, 10), ("queue", 1, 20, None)), insights="enabled",
           budget_limit="2500", drop=()):
    """A compliant beta-like stack as (type, name, props): cluster, per service a task
    definition (1 vCPU / 2 GB), target, CPU and memory policies and an optional spike alarm,
    and a budget. `drop` removes resources by name."""
    resources = [(CLUSTER_TYPE, "app-cluster", {
        "name": CLUSTER, "settings": [{"name": "containerInsights", "value": insights}]})]
    for key, low, high, spike in services:
        tags = {"z360:service": key, "z360:environment": "beta"}
        resources.append((TASK_DEFINITION_TYPE, f"{key}-task", {
            "family": f"z360-beta-{key}", "cpu": "1024", "memory": "2048",
            "requiresCompatibilities": ["FARGATE"], "tags": tags,
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}}))
        resources.append((TARGET_TYPE, f"{key}-scaling-target", {
            "serviceNamespace": "ecs", "resourceId": _rid(key), "minCapacity": low,
            "maxCapacity": high, "tags": tags}))
        for metric, predefined in (("cpu", CPU_METRIC), ("memory", MEMORY_METRIC)):
            resources.append((SCALING_POLICY_TYPE, f"{key}-{metric}-scaling", {
                "resourceId": _rid(key), "policyType": "TargetTrackingScaling",
                "targetTrackingScalingPolicyConfiguration": {
                    "predefinedMetricSpecification": {"predefinedMetricType": predefined},
                    "targetValue": 65}}))
        if spike is not None:
            resources.append((METRIC_ALARM_TYPE, f"{key}-task-count-spike", {
                "name": f"z360-beta-{key}-task-count-spike", "metricName": "RunningTaskCount",
                "namespace": "ECS/ContainerInsights", "threshold": spike, "tags": tags,
                "dimensions": {"ClusterName": CLUSTER, "ServiceName": f"z360-beta-{key}"}}))
    if budget_limit is not None:
        resources.append((BUDGET_TYPE, "monthly-budget", {
            "name": "z360-monthly", "budgetType": "COST", "timeUnit": "MONTHLY",
            "limitAmount": budget_limit, "limitUnit": "USD",
            "notifications": [{"threshold": 500, "notificationType": "ACTUAL",
                               "subscriberEmailAddresses": ["ops@z360.biz"]}]}))
    return [r for r in resources if r[1] not in drop]


def replace(resources, name, **changes):
    """`resources` with the props of the one named `name` changed (see sdk.changed)."""
    return [(t, n, changed(p, **changes) if n == name else p) for t, n, p in resources]
