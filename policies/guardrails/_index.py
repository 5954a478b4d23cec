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

from ._kit import known, known_number, number, sequence, service_tag
from .facts.cloudwatch import (
    CPU_METRIC_TYPE,
    MEMORY_METRIC_TYPE,
    METRIC_TYPES,
    SERVICE_METRIC_NAMES,
    STANDARD_RESOLUTION,
)
from .facts.metrics import ECS_SERVICE_NAMESPACE
from .facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
)

TARGET_TRACKING = "targetTrackingScalingPolicyConfiguration"

# The 60 s predefined metric types, under the names the rules use (cloudwatch_facts.py).
CPU_METRIC = CPU_METRIC_TYPE
MEMORY_METRIC = MEMORY_METRIC_TYPE

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
    period: float | None = None
    """Seconds per datapoint: the alarm's own `period`, or the query's `metric.period`."""


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
                       None if namespace is None else str(namespace), dimensions,
                       number(data.get("period")))


def alarm_metrics(props: Mapping[str, Any]) -> list[AlarmMetric]:
    """Every metric an alarm reads, whichever shape the provider was given; malformed parts
    (dimensions that are not a mapping, queries that are not objects) read as absent."""
    metrics = []
    own = _metric_of(props)
    if own is not None:
        metrics.append(own)
    for query in sequence(props.get("metricQueries")):
        if isinstance(query, Mapping):
            metric = _metric_of(query.get("metric"))
            if metric is not None:
                metrics.append(metric)
    return metrics


@dataclass
class TrackingPolicy:
    """A target-tracking policy on an ECS service, with the predefined metric type it reads."""

    resource: PolicyResource
    resource_id: str
    metric_type: str


@dataclass
class EcsMetricAlarm:
    """An alarm on a service's AWS/ECS CPUUtilization or MemoryUtilization."""

    resource: PolicyResource
    metric_name: str
    service: str | None
    period: float | None


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
    """Every ECS service, tagged or not, of either type (pulumi-aws or aws-native)."""
    capacity_providers: dict[str, PolicyResource] = field(default_factory=dict)
    """ClusterCapacityProviders by cluster name."""
    roles_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    """IAM roles by z360:service tag (a service's execution role)."""
    role_policies: dict[str, list[PolicyResource]] = field(default_factory=dict)
    """Inline role policies by the role name they attach to."""
    subscriptions: list[PolicyResource] = field(default_factory=list)
    """SNS topic subscriptions."""
    tracking_policies: list[TrackingPolicy] = field(default_factory=list)
    ecs_metric_alarms: list[EcsMetricAlarm] = field(default_factory=list)
    resolutions: dict[str, dict[str, int]] = field(default_factory=dict)
    """ECS service name -> {metric name: seconds between its datapoints} for the services this
    stack manages (60 unless an aws-native service's monitoring says otherwise)."""
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


# A HighResolution type tracks the same signal as its 60 s sibling.
_SIGNAL = {
    name: CPU_METRIC if metric == "CPUUtilization" else MEMORY_METRIC
    for name, (metric, _) in METRIC_TYPES.items()
}


def _add_scaling_policy(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    metric = _tracked_metric(props)
    if metric:
        resource_id = str(props.get("resourceId"))
        index.tracked_metrics.setdefault(resource_id, set()).add(_SIGNAL.get(metric, metric))
        index.tracking_policies.append(TrackingPolicy(resource, resource_id, metric))


def _add_alarm(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    # Whichever shape the alarm has (its own metric or metricQueries): one entry per kind.
    metrics = alarm_metrics(props)
    ecs = next((m for m in metrics if m.namespace == ECS_SERVICE_NAMESPACE
                and m.name in SERVICE_METRIC_NAMES), None)
    if ecs is not None:
        index.ecs_metric_alarms.append(EcsMetricAlarm(
            resource=resource,
            metric_name=str(ecs.name),
            service=ecs.dimensions.get("ServiceName") or None,
            period=ecs.period,
        ))
        return
    count = next((m for m in metrics if m.name == RUNNING_TASK_COUNT), None)
    if count is not None:
        index.spike_alarms.append(SpikeAlarm(
            resource=resource,
            cluster=count.dimensions.get("ClusterName") or None,
            service=count.dimensions.get("ServiceName") or None,
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
    name = resource.props.get("name")
    if name:
        index.resolutions[str(name)] = dict.fromkeys(SERVICE_METRIC_NAMES, STANDARD_RESOLUTION)


def published_resolutions(monitoring: Any) -> dict[str, int]:
    """{metric name: seconds} an ECS service's `monitoring` asks for; 60 for any metric it does
    not name (ECS API reference, MonitoringConfiguration: "When not specified, Amazon ECS uses
    the default resolution of 60 seconds")."""
    resolutions = dict.fromkeys(SERVICE_METRIC_NAMES, STANDARD_RESOLUTION)
    if not isinstance(monitoring, Mapping):
        return resolutions
    for entry in sequence(monitoring.get("metricConfigurations")):
        if not isinstance(entry, Mapping):
            continue
        seconds = number(entry.get("resolutionSeconds"))
        for name in sequence(entry.get("metricNames")):
            if name in resolutions and seconds is not None:
                resolutions[str(name)] = int(seconds)
    return resolutions


def _add_native_service(index: StackIndex, resource: PolicyResource) -> None:
    index.services.append(resource)
    props = resource.props
    service = service_tag(props)
    if service:
        index.services_by_service[service] = resource
    name = props.get("serviceName")
    if name:
        index.resolutions[str(name)] = published_resolutions(props.get("monitoring"))


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
    NATIVE_SERVICE_TYPE: _add_native_service,
    BUDGET_TYPE: _add_budget,
    CLUSTER_CAPACITY_PROVIDERS_TYPE: _add_capacity_providers,
    ROLE_TYPE: _add_role,
    ROLE_POLICY_TYPE: _add_role_policy,
    TOPIC_SUBSCRIPTION_TYPE: _add_subscription,
}
