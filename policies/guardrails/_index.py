"""The stack index: a stack's resources keyed for the joins stack rules make, built in one pass.

Every join a stack rule makes goes through `StackIndex` (dicts keyed by resource id, cluster
name, service tag or role name), so a stack rule costs O(resources), however many services the
estate grows to. Each join says exactly what it takes, and a resource that only looks like one
is not taken: tests/policies/guardrails/test_index.py gives every join such a look-alike.

- `targets`: ECS service scalable targets by resourceId. A target is one when its
  serviceNamespace is `ecs` and its resourceId is `service/<cluster>/<service>`
  (facts/scaling.py; ECS has one scalable dimension, so the two name it); an `ecs` target with
  any other resourceId is noted in `malformed`. `targets_by_service`: the `ecs` targets by
  their z360:service tag.
- `tracked_metrics` and `tracking_policies`: target-tracking policies joined to their target by
  the same resourceId; one whose serviceNamespace is not `ecs` is not taken. A policy tracks a
  predefined metric type, or a customized AWS/ECS CPUUtilization or MemoryUtilization of its
  own service (dimensions exactly the ClusterName and ServiceName of its resourceId).
- `scheduled_actions`: scheduled actions joined to their target by the three keys
  PutScheduledAction names a target with: serviceNamespace `ecs`, resourceId and
  scalableDimension `ecs:service:DesiredCount` all equal to the target's (an action of another
  namespace, dimension or resourceId is not taken). `schedule_only(resource_id)`: a target
  with scheduled actions and no target-tracking policy (working hours, no auto-scaling).
- `spike_alarms`: a service's spike alarm is a single-metric alarm (its own metricName,
  namespace and dimensions, no metricQueries) on ECS/ContainerInsights RunningTaskCount whose
  dimensions are exactly ClusterName and ServiceName: one service, joined to the target
  `service/<ClusterName>/<ServiceName>`. A metric-math alarm is never one (the burn-rate alarms
  read every service's RunningTaskCount), nor a count in another namespace (it never reports)
  or of a whole cluster.
- `insights_reads`: each ECS/ContainerInsights metric an alarm reads (its own, or each
  metricQueries metric: a spike alarm's RunningTaskCount and every service's in the burn-rate
  metric math alike), with the ClusterName dimension it names; a metric in another namespace
  (AWS/ECS) or without a ClusterName is not taken.
- `ecs_metric_alarms`: each AWS/ECS CPUUtilization or MemoryUtilization metric an alarm reads
  (its own, or each metricQueries metric), with the ECS service its ServiceName dimension names;
  `resolutions` holds, by that ECS service name, what the stack's services publish.
- `clusters`: ECS clusters by their name; `capacity_providers`: ClusterCapacityProviders by
  the clusterName they associate providers with.
- `task_definitions` and `services_by_service`: by z360:service tag; `services`: every ECS
  service of either provider.
- `execution_role(service)`: the role its task definition's executionRoleArn names (by role
  name); while that ARN is unknown, or when none is given, the one role tagged with the service.
  `role_policies`: inline role policies by the role name in their `role`.
- `budgets`: every budget; `topic_emails`: email (protocol `email`) subscriptions by topic ARN.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource

from ._kit import known, known_number, number, once_per_request, sequence, service_tag
from .facts.cloudwatch import (
    ALB_NAMESPACE,
    CLUSTER_DIMENSION,
    CPU_METRIC_NAME,
    CPU_METRIC_TYPE,
    CUSTOM_METRIC_EQUIVALENT,
    DESIRED_TASK_COUNT,
    MEMORY_METRIC_TYPE,
    METRIC_TYPES,
    QUEUE_DEPTH_METRIC,
    QUEUE_DEPTH_NAMESPACE,
    RUNNING_TASK_COUNT,
    SERVICE_DIMENSION,
    SERVICE_DIMENSIONS,
    SERVICE_METRIC_NAMES,
    SQS_NAMESPACE,
    SQS_VISIBLE_MESSAGES,
    STANDARD_RESOLUTION,
    TARGET_GROUP_DIMENSION,
    target_group_dimension,
)
from .facts.metrics import CONTAINER_INSIGHTS_NAMESPACE, ECS_SERVICE_NAMESPACE
from .facts.scaling import (
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    TARGET_TRACKING_POLICY_TYPE,
    parse_scaling_resource_id,
    scaling_resource_id,
)
from .facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SCHEDULED_ACTION_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
)

TARGET_TRACKING = "targetTrackingScalingPolicyConfiguration"
"""The scaling policy property that holds a target-tracking configuration."""


def is_target_tracking(props: Mapping[str, Any]) -> bool:
    """A scaling policy of type TargetTrackingScaling, or with no policyType (read as the
    resource rules read it)."""
    return props.get("policyType") in (None, TARGET_TRACKING_POLICY_TYPE)


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
    """A target-tracking policy on an ECS service, with the metric type it tracks."""

    resource: PolicyResource
    resource_id: str
    cluster: str
    service: str
    """The ECS service name its resourceId names."""
    metric_type: str


@dataclass
class ScheduledAction:
    """A scheduled action on an ECS service's scalable target, with what it sets."""

    resource: PolicyResource
    resource_id: str
    schedule: str | None
    timezone: str | None
    min_capacity: float | None
    """ScalableTargetAction.MinCapacity; None when unset or unknown."""
    max_capacity: float | None
    """ScalableTargetAction.MaxCapacity; None when unset or unknown."""


@dataclass
class EcsMetricAlarm:
    """One AWS/ECS CPUUtilization or MemoryUtilization metric an alarm reads."""

    resource: PolicyResource
    metric_name: str
    service: str | None
    """The ECS service its ServiceName dimension names; None for a cluster-wide metric."""
    period: float | None


@dataclass
class InsightsRead:
    """One ECS/ContainerInsights metric an alarm reads, on one cluster."""

    resource: PolicyResource
    metric_name: str
    cluster: str
    """Its ClusterName dimension."""
    metric_math: bool
    """Read through metricQueries (the alarm's own metric otherwise)."""


@dataclass
class SpikeAlarm:
    """A single-metric ECS/ContainerInsights RunningTaskCount alarm on one service."""

    resource: PolicyResource
    cluster: str
    service: str
    threshold: float | None

    @property
    def resource_id(self) -> str:
        """The scalable target it watches: `service/<ClusterName>/<ServiceName>`."""
        return scaling_resource_id(self.cluster, self.service)


@dataclass
class StackIndex:
    """The stack's resources keyed for joins; built in one pass."""

    targets: dict[str, PolicyResource] = field(default_factory=dict)
    """ECS service scalable targets by resourceId `service/<cluster>/<service>`."""
    targets_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    """ECS scalable targets (serviceNamespace ecs) by z360:service tag."""
    tracked_metrics: dict[str, set[str]] = field(default_factory=dict)
    """resourceId -> the signals (60 s predefined metric types) its target-tracking policies
    track."""
    tracking_policies: list[TrackingPolicy] = field(default_factory=list)
    scheduled_actions: dict[str, list[ScheduledAction]] = field(default_factory=dict)
    """resourceId -> the scheduled actions on that ECS service's scalable target (namespace
    and dimension equal to the target's)."""
    spike_alarms: list[SpikeAlarm] = field(default_factory=list)
    ecs_metric_alarms: list[EcsMetricAlarm] = field(default_factory=list)
    alarms_by_name: dict[str, PolicyResource] = field(default_factory=dict)
    """Every metric alarm of the stack by its name (known names only)."""
    insights_reads: list[InsightsRead] = field(default_factory=list)
    """Each ECS/ContainerInsights metric an alarm reads, with its ClusterName."""
    clusters: dict[str, PolicyResource] = field(default_factory=dict)
    """ECS clusters by name."""
    capacity_providers: dict[str, PolicyResource] = field(default_factory=dict)
    """ClusterCapacityProviders by the clusterName they associate providers with."""
    task_definitions: dict[str, PolicyResource] = field(default_factory=dict)
    """Task definitions by z360:service tag."""
    services: list[PolicyResource] = field(default_factory=list)
    """Every ECS service, tagged or not, of either type (pulumi-aws or aws-native)."""
    services_by_service: dict[str, PolicyResource] = field(default_factory=dict)
    """ECS services (either type) by z360:service tag."""
    resolutions: dict[str, dict[str, int]] = field(default_factory=dict)
    """ECS service name -> {metric name: seconds between its datapoints} for the services this
    stack manages (60 unless an aws-native service's monitoring says otherwise)."""
    roles_by_name: dict[str, PolicyResource] = field(default_factory=dict)
    """IAM roles by name."""
    roles_by_service: dict[str, list[PolicyResource]] = field(default_factory=dict)
    """IAM roles by z360:service tag."""
    role_policies: dict[str, list[PolicyResource]] = field(default_factory=dict)
    """Inline role policies by the name of the role they attach to."""
    budgets: list[PolicyResource] = field(default_factory=list)
    topic_emails: dict[str, set[str]] = field(default_factory=dict)
    """Topic ARN -> lowercased addresses of its email subscriptions (known ones only)."""
    malformed: list[tuple[PolicyResource, str]] = field(default_factory=list)
    """Resources whose properties could not be read as what their type must be."""

    @classmethod
    def build(cls, resources: list[PolicyResource]) -> StackIndex:
        """The index of `resources`; within one analyzer request (`_kit.one_request`) built
        once and shared by every stack rule, which only read it."""
        return once_per_request(StackIndex, resources, cls._build)

    @classmethod
    def _build(cls, resources: list[PolicyResource]) -> StackIndex:
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

    def schedule_only(self, resource_id: str) -> bool:
        """A target that scheduled actions move and no target-tracking policy scales."""
        return bool(self.scheduled_actions.get(resource_id)) and \
            not self.tracked_metrics.get(resource_id)

    def execution_role(self, service: str) -> PolicyResource | None:
        """The execution role of the service's task definition: the role its executionRoleArn
        names (`arn:aws:iam::<account>:role/<path><name>`, IAM User Guide, "IAM identifiers";
        joined by name), or None when that role is not in this stack. While the ARN is unknown
        (the role is created in the same update) or when none is given, the one role tagged
        with the service; None when several are."""
        task = self.task_definitions.get(service)
        if task is not None:
            ok, arn = known(partial(task.props.get, "executionRoleArn"))
            if ok and arn:
                return self.roles_by_name.get(str(arn).rsplit("/", 1)[-1])
        tagged = self.roles_by_service.get(service, [])
        return tagged[0] if len(tagged) == 1 else None


def _add_target(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    if props.get("serviceNamespace") != SCALING_NAMESPACE:
        return
    service = known(lambda: service_tag(props))[1]
    if service:
        index.targets_by_service[service] = resource
    resource_id = str(props.get("resourceId"))
    if parse_scaling_resource_id(resource_id) is None:
        index.malformed.append(
            (resource, f"resourceId {resource_id!r} is not service/<cluster>/<service>"))
    else:
        index.targets[resource_id] = resource


def _custom_signal(custom: Mapping[str, Any], cluster: str, service: str) -> str | None:
    """The predefined type a customized metric tracks the same signal as: AWS/ECS
    CPUUtilization or MemoryUtilization of the policy's own service. Another service's metric,
    another namespace or a metric-math specification (`metrics`) tracks nothing here."""
    if custom.get("metrics") or custom.get("namespace") != ECS_SERVICE_NAMESPACE:
        return None
    dimensions = {
        str(d.get("name")): str(d.get("value"))
        for d in sequence(custom.get("dimensions")) if isinstance(d, Mapping)
    }
    if dimensions != {CLUSTER_DIMENSION: cluster, SERVICE_DIMENSION: service}:
        return None
    return CUSTOM_METRIC_EQUIVALENT.get(str(custom.get("metricName")))


# --- backlog per task: a queue's depth over the service's own task count -----------------------

BACKLOG_SIGNAL = "QueueBacklogPerTask"
"""The signal of a backlog-per-task policy, tracked in place of CPU by a queue worker."""

# The metrics that count a queue's waiting jobs (facts/cloudwatch.py).
QUEUE_DEPTH_METRICS = {
    (SQS_NAMESPACE, SQS_VISIBLE_MESSAGES), (QUEUE_DEPTH_NAMESPACE, QUEUE_DEPTH_METRIC),
}
# The service's own task count, in Container Insights (facts/cloudwatch.py).
TASK_COUNT_METRICS = {
    (CONTAINER_INSIGHTS_NAMESPACE, RUNNING_TASK_COUNT),
    (CONTAINER_INSIGHTS_NAMESPACE, DESIRED_TASK_COUNT),
}
_QUOTIENT = re.compile(r"\s*(\w+)\s*/\s*(\w+)\s*")


@dataclass(frozen=True)
class BacklogMath:
    """A metric-math target-tracking specification that reads a queue's depth."""

    divides_by_own_tasks: bool
    """Its returned expression is <queue depth> / <this service's task count>."""
    problem: str | None
    """Why it is not, in words; None when it is."""


def _query_metric(query: Mapping[str, Any]) -> tuple[str, str, dict[str, str]] | None:
    """(namespace, name, dimensions) of a metric-math query's metricStat, or None."""
    stat = query.get("metricStat")
    metric = stat.get("metric") if isinstance(stat, Mapping) else None
    if not isinstance(metric, Mapping):
        return None
    dimensions = {
        str(d.get("name")): str(d.get("value"))
        for d in sequence(metric.get("dimensions")) if isinstance(d, Mapping)
    }
    return str(metric.get("namespace")), str(metric.get("metricName")), dimensions


def backlog_math(tracking: Mapping[str, Any], cluster: str, service: str) -> BacklogMath | None:
    """The join of a backlog policy to its service: None unless the target-tracking
    configuration's metric math (customizedMetricSpecification.metrics) reads a queue depth;
    then whether the query it returns (ReturnData true: Application Auto Scaling API reference,
    TargetTrackingMetricDataQuery) divides that depth by the task count of `service` on
    `cluster` (ECS/ContainerInsights, ClusterName + ServiceName). Another service's count, a
    cluster-wide count or any other expression is not one."""
    custom = tracking.get("customizedMetricSpecification")
    if not isinstance(custom, Mapping):
        return None
    queries = {str(q.get("id")): q for q in sequence(custom.get("metrics")) if isinstance(q, Mapping)}
    depths = {qid for qid, q in queries.items()
              if (m := _query_metric(q)) is not None and (m[0], m[1]) in QUEUE_DEPTH_METRICS}
    if not depths:
        return None
    returned = [q for q in queries.values() if q.get("returnData") is True]
    if len(returned) != 1 or not returned[0].get("expression"):
        return BacklogMath(False, "it returns no single expression (one query with returnData "
                                  "true must hold <queue depth> / <task count>)")
    expression = str(returned[0].get("expression"))
    quotient = _QUOTIENT.fullmatch(expression)
    if quotient is None or quotient[1] not in depths or quotient[2] not in queries:
        return BacklogMath(False, f"its expression {expression!r} is not <queue depth> / "
                                  "<task count>")
    divisor = _query_metric(queries[quotient[2]])
    own = {CLUSTER_DIMENSION: cluster, SERVICE_DIMENSION: service}
    if divisor is None or (divisor[0], divisor[1]) not in TASK_COUNT_METRICS \
            or divisor[2] != own:
        shown = "no metric" if divisor is None else \
            f"{divisor[0]} {divisor[1]} {divisor[2]}"
        return BacklogMath(False, f"it divides by {shown}, not service {service}'s own "
                                  f"{RUNNING_TASK_COUNT} in {CONTAINER_INSIGHTS_NAMESPACE}")
    return BacklogMath(True, None)


# --- deployment alarms -> the service that rolls back on them -----------------------------------


@dataclass(frozen=True)
class DeploymentAlarms:
    """An ECS service's deployment alarms (pulumi-aws `alarms`, aws-native
    `deploymentConfiguration.alarms`)."""

    names: tuple[str, ...]
    enabled: bool
    rollback: bool
    target_groups: tuple[str, ...]
    """TargetGroup dimensions (`targetgroup/<name>/<id>`) of the service's own loadBalancers."""


def deployment_alarms(props: Mapping[str, Any]) -> DeploymentAlarms | None:
    """The deployment alarms of a service of either type, or None when it has none."""
    configuration = props.get("deploymentConfiguration")
    alarms = props.get("alarms")
    if not isinstance(alarms, Mapping) and isinstance(configuration, Mapping):
        alarms = configuration.get("alarms")
    if not isinstance(alarms, Mapping) or not sequence(alarms.get("alarmNames")):
        return None
    groups = []
    for balancer in sequence(props.get("loadBalancers")):
        if isinstance(balancer, Mapping):
            dimension = target_group_dimension(str(balancer.get("targetGroupArn") or ""))
            if dimension:
                groups.append(dimension)
    return DeploymentAlarms(tuple(str(n) for n in sequence(alarms.get("alarmNames"))),
                            alarms.get("enable") is True, alarms.get("rollback") is True,
                            tuple(groups))


def alarm_target_group(alarm: PolicyResource) -> str | None:
    """The TargetGroup dimension of a single-metric AWS/ApplicationELB alarm, or None: the one
    join from a deployment alarm to the target group it watches. A metric-math alarm, another
    namespace, or no TargetGroup dimension is none."""
    metrics = alarm_metrics(alarm.props)
    if len(metrics) != 1 or sequence(alarm.props.get("metricQueries")):
        return None
    (metric,) = metrics
    if metric.namespace != ALB_NAMESPACE:
        return None
    return metric.dimensions.get(TARGET_GROUP_DIMENSION)


def _tracked_metric(props: Mapping[str, Any], cluster: str, service: str) -> str | None:
    tracking = props.get(TARGET_TRACKING)
    if not isinstance(tracking, Mapping):
        return None
    predefined = tracking.get("predefinedMetricSpecification")
    if isinstance(predefined, Mapping):
        metric = predefined.get("predefinedMetricType")
        return str(metric) if metric else None
    backlog = backlog_math(tracking, cluster, service)
    if backlog is not None:
        return BACKLOG_SIGNAL if backlog.divides_by_own_tasks else None
    custom = tracking.get("customizedMetricSpecification")
    if isinstance(custom, Mapping):
        return _custom_signal(custom, cluster, service)
    return None


# A HighResolution type tracks the same signal as its 60 s sibling.
_SIGNAL = {
    name: CPU_METRIC_TYPE if metric == CPU_METRIC_NAME else MEMORY_METRIC_TYPE
    for name, (metric, _) in METRIC_TYPES.items()
}


def _add_scaling_policy(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    if not is_target_tracking(props):
        return
    # serviceNamespace is required by the provider; the resourceId's shape is ECS's alone.
    if props.get("serviceNamespace") not in (None, SCALING_NAMESPACE):
        return
    resource_id = str(props.get("resourceId"))
    names = parse_scaling_resource_id(resource_id)
    if names is None:
        return
    metric = _tracked_metric(props, *names)
    if metric:
        index.tracked_metrics.setdefault(resource_id, set()).add(_SIGNAL.get(metric, metric))
        index.tracking_policies.append(TrackingPolicy(resource, resource_id, *names, metric))


def _add_scheduled_action(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    # PutScheduledAction names its target by all three; ECS has one dimension.
    if props.get("serviceNamespace") != SCALING_NAMESPACE or \
            props.get("scalableDimension") != SCALABLE_DIMENSION:
        return
    resource_id = str(props.get("resourceId"))
    if parse_scaling_resource_id(resource_id) is None:
        return
    action = props.get("scalableTargetAction")
    action = action if isinstance(action, Mapping) else {}
    schedule, timezone = props.get("schedule"), props.get("timezone")
    index.scheduled_actions.setdefault(resource_id, []).append(ScheduledAction(
        resource, resource_id,
        None if schedule is None else str(schedule),
        None if timezone is None else str(timezone),
        known_number(action, "minCapacity"), known_number(action, "maxCapacity"),
    ))


def _spike_alarm(resource: PolicyResource) -> SpikeAlarm | None:
    props = resource.props
    if props.get("metricQueries"):
        return None  # metric math reads many metrics; none is the alarm's own
    own = _metric_of(props)
    if (own is None or own.name != RUNNING_TASK_COUNT
            or own.namespace != CONTAINER_INSIGHTS_NAMESPACE
            or sorted(own.dimensions) != sorted(SERVICE_DIMENSIONS)):
        return None
    cluster, service = own.dimensions[CLUSTER_DIMENSION], own.dimensions[SERVICE_DIMENSION]
    if not cluster or not service:
        return None
    return SpikeAlarm(resource, cluster, service, known_number(props, "threshold"))


def _add_alarm(index: StackIndex, resource: PolicyResource) -> None:
    ecs = [
        EcsMetricAlarm(resource, str(m.name), m.dimensions.get(SERVICE_DIMENSION) or None,
                       m.period)
        for m in alarm_metrics(resource.props)
        if m.namespace == ECS_SERVICE_NAMESPACE and m.name in SERVICE_METRIC_NAMES
    ]
    math = bool(sequence(resource.props.get("metricQueries")))
    insights = [
        InsightsRead(resource, str(m.name), m.dimensions[CLUSTER_DIMENSION], math)
        for m in alarm_metrics(resource.props)
        if m.namespace == CONTAINER_INSIGHTS_NAMESPACE and m.dimensions.get(CLUSTER_DIMENSION)
    ]
    spike = _spike_alarm(resource)
    name = known(partial(resource.props.get, "name"))[1]
    if name:
        index.alarms_by_name[str(name)] = resource
    index.ecs_metric_alarms.extend(ecs)
    index.insights_reads.extend(insights)
    if spike is not None:
        index.spike_alarms.append(spike)


def _add_cluster(index: StackIndex, resource: PolicyResource) -> None:
    name = resource.props.get("name")
    if name:
        index.clusters[str(name)] = resource


def _add_capacity_providers(index: StackIndex, resource: PolicyResource) -> None:
    cluster = resource.props.get("clusterName")
    if cluster:
        index.capacity_providers[str(cluster)] = resource


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


def _add_role(index: StackIndex, resource: PolicyResource) -> None:
    name = known(partial(resource.props.get, "name"))[1]
    if name:
        index.roles_by_name[str(name)] = resource
    service = service_tag(resource.props)
    if service:
        index.roles_by_service.setdefault(service, []).append(resource)


def _add_role_policy(index: StackIndex, resource: PolicyResource) -> None:
    role = resource.props.get("role")
    if role:
        index.role_policies.setdefault(str(role), []).append(resource)


def _add_budget(index: StackIndex, resource: PolicyResource) -> None:
    index.budgets.append(resource)


def _add_subscription(index: StackIndex, resource: PolicyResource) -> None:
    props = resource.props
    protocol, topic, endpoint = props.get("protocol"), props.get("topic"), props.get("endpoint")
    if protocol == "email" and topic and endpoint:
        index.topic_emails.setdefault(str(topic), set()).add(str(endpoint).lower())


_ADDERS = {
    TARGET_TYPE: _add_target,
    SCALING_POLICY_TYPE: _add_scaling_policy,
    SCHEDULED_ACTION_TYPE: _add_scheduled_action,
    METRIC_ALARM_TYPE: _add_alarm,
    CLUSTER_TYPE: _add_cluster,
    CLUSTER_CAPACITY_PROVIDERS_TYPE: _add_capacity_providers,
    TASK_DEFINITION_TYPE: _add_task_definition,
    SERVICE_TYPE: _add_service,
    NATIVE_SERVICE_TYPE: _add_native_service,
    ROLE_TYPE: _add_role,
    ROLE_POLICY_TYPE: _add_role_policy,
    BUDGET_TYPE: _add_budget,
    TOPIC_SUBSCRIPTION_TYPE: _add_subscription,
}
