"""Stack rules that join resources: scaling policies to their targets, spike alarms to capacity
and to their cluster's Container Insights.

Stack policies run after the resource steps: they fail a preview (so CI blocks the pull
request), but on `pulumi up` they report after the changes are made. Every join goes through
`StackIndex`, built in one pass (dicts keyed by resourceId, cluster name or service tag), so a
check costs O(resources), however many services the estate grows to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)

from ._safe import SERVICE_TAG, known, label, number, show, stack_policy, tags_of
from .cloudwatch import (
    CONTAINER_INSIGHTS_NAMESPACE,
    METRIC_ALARM_TYPE,
    RUNNING_TASK_COUNT,
)
from .ecs import TASK_DEFINITION_TYPE
from .scaling import SCALING_POLICY_TYPE, TARGET_TRACKING, TARGET_TYPE

CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
SERVICE_TYPE = "aws:ecs/service:Service"
BUDGET_TYPE = "aws:budgets/budget:Budget"

CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"
# The same signals as customized metrics (namespace AWS/ECS).
CUSTOM_METRIC_EQUIVALENT = {"CPUUtilization": CPU_METRIC, "MemoryUtilization": MEMORY_METRIC}


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


def known_number(props: Mapping[str, Any], key: str) -> float | None:
    return known(lambda: number(props.get(key)))[1]


def _service_tag(props: Mapping[str, Any]) -> str | None:
    value = tags_of(props).get(SERVICE_TAG)
    return str(value) if value else None


def _add_target(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    if props.get("serviceNamespace") != "ecs":
        return
    index.targets[str(props.get("resourceId"))] = resource
    service = known(lambda: _service_tag(props))[1]
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
    service = _service_tag(resource.props)
    if service:
        index.task_definitions[service] = resource


def _add_service(index: StackIndex, resource: PolicyResource) -> None:
    service = _service_tag(resource.props)
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


def _who(resource: PolicyResource) -> str:
    return known(lambda: label(resource.props, resource.name))[1] or resource.name


# --- scaling-tracks-cpu-and-memory ---------------------------------------------------------------


def check_scaling_tracks_cpu_and_memory(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every ECS scalable target has CPU and memory target tracking."""
    index = StackIndex.build(args.resources)
    if not index.targets:
        args.not_applicable("no ECS scalable targets")
    names = {CPU_METRIC: "CPU", MEMORY_METRIC: "memory"}
    for resource_id, target in index.targets.items():
        missing = [names[m] for m in names if m not in index.tracked_metrics.get(resource_id, ())]
        if missing:
            report(
                f"{_who(target)}: scalable target {resource_id} has no "
                f"{' or '.join(missing)} target-tracking policy; a service scaled on one "
                "signal runs out of the other",
                target.urn,
            )


# --- spike alarms -----------------------------------------------------------------------------------


def check_spike_alarm_within_capacity(args: StackValidationArgs, report: ReportViolation) -> None:
    """A RunningTaskCount alarm's threshold lies between its service's min and max capacity."""
    index = StackIndex.build(args.resources)
    if not index.spike_alarms:
        args.not_applicable("no RunningTaskCount alarms")
    for alarm in index.spike_alarms:
        low, high = index.target_bounds(alarm.resource_id)
        if alarm.threshold is None or low is None or high is None:
            continue  # fixed-count service, or values unknown until created
        name = _who(alarm.resource)
        if alarm.threshold >= high:
            report(
                f"{name}: RunningTaskCount threshold {show(alarm.threshold)} is not below "
                f"maxCapacity {show(high)}, so the alarm can never fire; set "
                "alarms.taskCountSpike below scaling.max",
                alarm.resource.urn,
            )
        elif alarm.threshold < low:
            report(
                f"{name}: RunningTaskCount threshold {show(alarm.threshold)} is below "
                f"minCapacity {show(low)}, so the alarm is always firing; set "
                "alarms.taskCountSpike between scaling.min and scaling.max",
                alarm.resource.urn,
            )


def check_spike_alarm_present(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every ECS scalable target has a RunningTaskCount alarm on its service."""
    index = StackIndex.build(args.resources)
    if not index.targets:
        args.not_applicable("no ECS scalable targets")
    alarmed = {alarm.resource_id for alarm in index.spike_alarms}
    for resource_id, target in index.targets.items():
        if resource_id not in alarmed:
            report(
                f"{_who(target)}: auto-scales with no RunningTaskCount alarm, so a runaway "
                "scale-out goes unnoticed until the bill; set alarms.taskCountSpike",
                target.urn,
            )


def _insights(cluster: PolicyResource) -> str | None:
    for entry in cluster.props.get("settings") or []:
        if entry.get("name") == "containerInsights":
            return str(entry.get("value"))
    return None


def check_container_insights_for_spike_alarms(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """The cluster of every RunningTaskCount alarm has Container Insights enabled."""
    index = StackIndex.build(args.resources)
    if not index.spike_alarms:
        args.not_applicable("no RunningTaskCount alarms")
    for alarm in index.spike_alarms:
        cluster = index.clusters.get(alarm.cluster or "")
        if cluster is None:
            continue  # a cluster this stack does not manage
        ok, setting = known(partial(_insights, cluster))
        if ok and setting not in ("enabled", "enhanced"):
            report(
                f"{_who(alarm.resource)}: cluster {alarm.cluster} has Container Insights "
                f"{setting or 'unset'}, so {RUNNING_TASK_COUNT} ({CONTAINER_INSIGHTS_NAMESPACE}) "
                "never reports; set clusters.<key>.containerInsights: true",
                alarm.resource.urn,
            )


POLICIES = [
    stack_policy(
        "scaling-tracks-cpu-and-memory",
        "Every ECS scalable target has both CPU and memory target-tracking policies.",
        EnforcementLevel.MANDATORY, check_scaling_tracks_cpu_and_memory, {},
    ),
    stack_policy(
        "spike-alarm-within-capacity",
        "A RunningTaskCount alarm's threshold lies between its service's min and max capacity.",
        EnforcementLevel.MANDATORY, check_spike_alarm_within_capacity, {},
    ),
    stack_policy(
        "spike-alarm-present",
        "Every auto-scaled service has a RunningTaskCount spike alarm.",
        EnforcementLevel.ADVISORY, check_spike_alarm_present, {},
    ),
    stack_policy(
        "container-insights-for-spike-alarms",
        "The cluster of every RunningTaskCount alarm has Container Insights enabled.",
        EnforcementLevel.MANDATORY, check_container_insights_for_spike_alarms, {},
    ),
]
