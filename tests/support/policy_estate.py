"""A compliant beta-like stack for the stack rules, as (type, name, props) resources."""

from __future__ import annotations

from policies.guardrails.facts.burn_rate import BURN_RATE_TAG, RATE_ID, metric_id, rate_expression
from policies.guardrails.facts.cloudwatch import (
    CPU_METRIC_TYPE,
    MEMORY_METRIC_TYPE,
    RUNNING_TASK_COUNT,
)
from policies.guardrails.facts.fargate import hourly_task_cost
from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE
from policies.guardrails.facts.scaling import (
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    scaling_resource_id,
)
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
TASK_PRICE = hourly_task_cost(1024, 2048, "X86_64")
"""USD per task-hour of the estate's tasks (1 vCPU / 2 GB, x86)."""


def _rid(service):
    return scaling_resource_id(CLUSTER, f"z360-beta-{service}")


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
            "serviceNamespace": SCALING_NAMESPACE, "scalableDimension": SCALABLE_DIMENSION,
            "resourceId": _rid(key), "minCapacity": low, "maxCapacity": high, "tags": tags}))
        for metric, predefined in (("cpu", CPU_METRIC_TYPE), ("memory", MEMORY_METRIC_TYPE)):
            resources.append((SCALING_POLICY_TYPE, f"{key}-{metric}-scaling", {
                "serviceNamespace": SCALING_NAMESPACE, "scalableDimension": SCALABLE_DIMENSION,
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


def burn_rate_alarm(kind="trip", threshold=1.5, services=("web", "queue"), actions=()):
    """A burn-rate alarm as the program writes it: metric math over each service's
    ECS/ContainerInsights RunningTaskCount (m1 is the first service's), priced at TASK_PRICE,
    threshold in USD per hour."""
    queries = [{
        "id": metric_id(position), "returnData": False,
        "metric": {"namespace": CONTAINER_INSIGHTS_NAMESPACE, "metricName": RUNNING_TASK_COUNT,
                   "stat": "Maximum", "period": 60,
                   "dimensions": {"ClusterName": CLUSTER, "ServiceName": f"z360-beta-{key}"}},
    } for position, key in enumerate(services)]
    queries.append({"id": RATE_ID, "returnData": True, "label": "Fargate USD per hour",
                    "expression": rate_expression([TASK_PRICE] * len(services))})
    return (METRIC_ALARM_TYPE, f"burn-rate-{kind}", {
        "name": f"z360-beta-burn-rate-{kind}", "threshold": threshold,
        "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 5,
        "alarmActions": list(actions), "metricQueries": queries,
        "tags": {BURN_RATE_TAG: kind, "z360:environment": "beta"}})
