"""The stack index: a stack's resources keyed for the joins stack rules make, built in one pass.

Every join goes through `StackIndex` (dicts keyed by resourceId, cluster name or service tag),
so a stack rule costs O(resources), however many services the estate grows to. It also holds
the names the joins key on: which metric a target-tracking policy tracks, which alarm watches
a service's task count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource

from ._kit import known, known_number, service_tag
from .types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
)

TARGET_TRACKING = "targetTrackingScalingPolicyConfiguration"

CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"
# The same signals as customized metrics (namespace AWS/ECS).
CUSTOM_METRIC_EQUIVALENT = {"CPUUtilization": CPU_METRIC, "MemoryUtilization": MEMORY_METRIC}

# RunningTaskCount exists only in Container Insights' namespace; in AWS/ECS it never reports.
RUNNING_TASK_COUNT = "RunningTaskCount"


@dataclass
class SpikeAlarm:
    resource: PolicyResource
    cluster: str | None
    service: str | None
    threshold: float | None

    @property
    def resource_id(self) -> str | None:
        if self.cluster and self.service:
            return f"service/{self.cluster}/{self.service}"
        return None


@dataclass
class StackIndex:
    """The stack's resources keyed for joins; built in one pass."""

    targets: dict[str, PolicyResource] = field(default_factory=dict)
    """ECS scalable targets by resourceId."""
    tracked_metrics: dict[str, set[str]] = field(default_factory=dict)
    """resourceId -> target-tracking metrics of its scaling policies."""
    spike_alarms: list[SpikeAlarm] = field(default_factory=list)
    clusters: dict[str, PolicyResource] = field(default_factory=dict)
    """Clusters by name."""
    task_definitions: dict[str, PolicyResource] = field(default_factory=dict)
    """Task definitions by z360:service tag."""
    targets_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    services_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    budgets: list[PolicyResource] = field(default_factory=list)
    services: list[PolicyResource] = field(default_factory=list)
    """Every ECS service, tagged or not."""
    capacity_providers: dict[str, PolicyResource] = field(default_factory=dict)
    """ClusterCapacityProviders by cluster name."""
    roles_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    """IAM roles by z360:service tag (a service's execution role)."""
    role_policies: dict[str, list[PolicyResource]] = field(default_factory=dict)
    """Inline role policies by the role name they attach to."""
    subscriptions: list[PolicyResource] = field(default_factory=list)
    """SNS topic subscriptions."""

    @classmethod
    def build(cls, resources: list[PolicyResource]) -> StackIndex:
        index = cls()
        for resource in resources:
            adder = _ADDERS.get(resource.resource_type)
            if adder is not None:
                # One unknown value skips one resource, not the whole policy.
                known(partial(adder, index, resource))
        return index

    def target_bounds(self, resource_id: str | None) -> tuple[float | None, float | None]:
        target = self.targets.get(resource_id or "")
        if target is None:
            return None, None
        return (
            known_number(target.props, "minCapacity"),
            known_number(target.props, "maxCapacity"),
        )


def _add_target(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    if props.get("serviceNamespace") != "ecs":
        return
    index.targets[str(props.get("resourceId"))] = resource
    service = known(lambda: service_tag(props))[1]
    if service:
        index.targets_by_service[service] = resource


def _tracked_metric(props: Mapping[str, Any]) -> str | None:
    tracking = props.get(TARGET_TRACKING)
    if not isinstance(tracking, Mapping):
        return None
    predefined = tracking.get("predefinedMetricSpecification")
    if isinstance(predefined, Mapping):
        return predefined.get("predefinedMetricType")
    custom = tracking.get("customizedMetricSpecification")
    if isinstance(custom, Mapping):
        return CUSTOM_METRIC_EQUIVALENT.get(str(custom.get("metricName")))
    return None


def _add_scaling_policy(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    metric = _tracked_metric(props)
    if metric:
        index.tracked_metrics.setdefault(str(props.get("resourceId")), set()).add(metric)


def _add_alarm(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    if props.get("metricName") != RUNNING_TASK_COUNT:
        return
    dimensions = props.get("dimensions") or {}
    cluster = known(lambda: dimensions.get("ClusterName"))[1]
    service = known(lambda: dimensions.get("ServiceName"))[1]
    index.spike_alarms.append(SpikeAlarm(
        resource=resource,
        cluster=str(cluster) if cluster else None,
        service=str(service) if service else None,
        threshold=known_number(props, "threshold"),
    ))


def _add_cluster(index: StackIndex, resource: PolicyResource) -> None:
    index.clusters[str(resource.props.get("name"))] = resource


def _add_task_definition(index: StackIndex, resource: PolicyResource) -> None:
    service = service_tag(resource.props)
    if service:
        index.task_definitions[service] = resource


def _add_service(index: StackIndex, resource: PolicyResource) -> None:
    index.services.append(resource)
    service = service_tag(resource.props)
    if service:
        index.services_by_service[service] = resource


def _add_budget(index: StackIndex, resource: PolicyResource) -> None:
    index.budgets.append(resource)


def _add_capacity_providers(index: StackIndex, resource: PolicyResource) -> None:
    index.capacity_providers[str(resource.props.get("clusterName"))] = resource


def _add_role(index: StackIndex, resource: PolicyResource) -> None:
    service = service_tag(resource.props)
    if service:
        index.roles_by_service[service] = resource


def _add_role_policy(index: StackIndex, resource: PolicyResource) -> None:
    index.role_policies.setdefault(str(resource.props.get("role")), []).append(resource)


def _add_subscription(index: StackIndex, resource: PolicyResource) -> None:
    index.subscriptions.append(resource)


_ADDERS = {
    TARGET_TYPE: _add_target,
    SCALING_POLICY_TYPE: _add_scaling_policy,
    METRIC_ALARM_TYPE: _add_alarm,
    CLUSTER_TYPE: _add_cluster,
    TASK_DEFINITION_TYPE: _add_task_definition,
    SERVICE_TYPE: _add_service,
    BUDGET_TYPE: _add_budget,
    CLUSTER_CAPACITY_PROVIDERS_TYPE: _add_capacity_providers,
    ROLE_TYPE: _add_role,
    ROLE_POLICY_TYPE: _add_role_policy,
    TOPIC_SUBSCRIPTION_TYPE: _add_subscription,
}
