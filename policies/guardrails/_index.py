"""The stack index: a stack's resources keyed for the joins stack rules make, built in one pass.

Every join goes through `StackIndex` (dicts keyed by resourceId, cluster name or service tag),
so a stack rule costs O(resources), however many services the estate grows to. It also holds
the names the joins key on: which metric a target-tracking policy tracks, which alarm watches
a service's task count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource

from ._kit import known, known_number, service_tag
from .types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
)

TARGET_TRACKING = "targetTrackingScalingPolicyConfiguration"

CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"
# The same signals as customized metrics (namespace AWS/ECS).
CUSTOM_METRIC_EQUIVALENT = {"CPUUtilization": CPU_METRIC, "MemoryUtilization": MEMORY_METRIC}

# RunningTaskCount exists only in Container Insights' namespace; in AWS/ECS it never reports.
RUNNING_TASK_COUNT = "RunningTaskCount"


@dataclass(frozen=True)
class AlarmMetric:
    """One metric an alarm reads: its own (metricName/namespace/dimensions) or one of its
    `metricQueries` (`metric: {metricName, namespace, dimensions}`)."""

    name: str | None
    namespace: str | None
    dimensions: dict[str, str]


def _metric_of(data: Any) -> AlarmMetric | None:
    if not isinstance(data, Mapping) or data.get("metricName") is None:
        return None
    raw = data.get("dimensions")
    dimensions = (
        {str(k): str(v) for k, v in raw.items() if v is not None}
        if isinstance(raw, Mapping) else {}
    )
    namespace = data.get("namespace")
    return AlarmMetric(str(data.get("metricName")),
                       None if namespace is None else str(namespace), dimensions)


def alarm_metrics(props: Mapping[str, Any]) -> list[AlarmMetric]:
    """Every metric an alarm reads, whichever shape the provider was given; malformed parts
    (dimensions that are not a mapping, queries that are not objects) read as absent."""
    metrics = []
    own = _metric_of(props)
    if own is not None:
        metrics.append(own)
    queries = props.get("metricQueries")
    if isinstance(queries, Sequence) and not isinstance(queries, str):
        for query in queries:
            if isinstance(query, Mapping):
                metric = _metric_of(query.get("metric"))
                if metric is not None:
                    metrics.append(metric)
    return metrics


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
    malformed: list[tuple[PolicyResource, str]] = field(default_factory=list)
    """Resources whose properties could not be read; their own resource policies report them."""

    @classmethod
    def build(cls, resources: list[PolicyResource]) -> StackIndex:
        index = cls()
        for resource in resources:
            adder = _ADDERS.get(resource.resource_type)
            if adder is not None:
                # One unknown value skips one resource, not the whole policy; one malformed
                # resource is set aside, so it never hides another resource's finding.
                try:
                    known(partial(adder, index, resource))
                except Exception as exc:  # noqa: BLE001 - set aside, never raised
                    index.malformed.append((resource, f"{type(exc).__name__}: {exc}"))
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
    for metric in alarm_metrics(props):
        if metric.name != RUNNING_TASK_COUNT:
            continue
        cluster = metric.dimensions.get("ClusterName")
        service = metric.dimensions.get("ServiceName")
        index.spike_alarms.append(SpikeAlarm(
            resource=resource,
            cluster=cluster or None,
            service=service or None,
            threshold=known_number(props, "threshold"),
        ))
        return


def _add_cluster(index: StackIndex, resource: PolicyResource) -> None:
    index.clusters[str(resource.props.get("name"))] = resource


def _add_task_definition(index: StackIndex, resource: PolicyResource) -> None:
    service = service_tag(resource.props)
    if service:
        index.task_definitions[service] = resource


def _add_service(index: StackIndex, resource: PolicyResource) -> None:
    service = service_tag(resource.props)
    if service:
        index.services_by_service[service] = resource


def _add_budget(index: StackIndex, resource: PolicyResource) -> None:
    index.budgets.append(resource)


_ADDERS = {
    TARGET_TYPE: _add_target,
    SCALING_POLICY_TYPE: _add_scaling_policy,
    METRIC_ALARM_TYPE: _add_alarm,
    CLUSTER_TYPE: _add_cluster,
    TASK_DEFINITION_TYPE: _add_task_definition,
    SERVICE_TYPE: _add_service,
    BUDGET_TYPE: _add_budget,
}
