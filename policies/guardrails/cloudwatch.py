"""CloudWatch alarm rules: every alarm tells someone, task-count alarms watch a metric that
exists, an alarm's period is one its metric can fill at some resolution, and (stack rules)
every auto-scaled service has a spike alarm that can fire, on a cluster whose Container Insights
reports it, and CPU and memory alarms use a period their service's metric resolution fills.

Both period rules call metric_facts.alarm_period_problem, as the stack config does: the
resource rule refuses (before the `up`) a period no resolution of its namespace fills; the
stack rule judges what depends on the service (20 s needs a service publishing 20 s metrics)."""

from __future__ import annotations

from functools import partial

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import StackIndex, alarm_metrics, alarm_target_group, deployment_alarms
from ._kit import (
    NotApplicable,
    boolean,
    known,
    number,
    resource_label,
    resource_policy,
    setting,
    show,
    stack_policy,
)
from .facts.cloudwatch import (
    HIGH_RESOLUTION,
    RUNNING_TASK_COUNT,
    SERVICE_DIMENSIONS,
    STANDARD_RESOLUTION,
)
from .facts.metrics import (
    CONTAINER_INSIGHTS_NAMESPACE,
    ECS_SERVICE_NAMESPACE,
    FINEST_RESOLUTION_SECONDS,
    alarm_period_problem,
)
from .facts.types import METRIC_ALARM_TYPE


def _alarm_label(args: ResourceValidationArgs) -> str:
    return str(args.props.get("name") or args.name)


def check_alarm_notifies(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """An alarm has at least one alarm action, and its actions are enabled."""
    props = args.props
    who = _alarm_label(args)
    actions = props.get("alarmActions")
    if actions is None or len(actions) == 0:
        report(f"{who}: no alarmActions, so nobody hears when it fires; add the alert topic", None)
    if boolean(props.get("actionsEnabled")) is False:
        report(f"{who}: actionsEnabled is false, so its actions never run", None)


def check_running_task_count_namespace(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A RunningTaskCount alarm reads ECS/ContainerInsights per cluster and service, whether
    the metric is the alarm's own or one of its metricQueries."""
    props = args.props
    metrics = [m for m in alarm_metrics(props) if m.name == RUNNING_TASK_COUNT]
    if not metrics:
        raise NotApplicable("not a RunningTaskCount alarm")
    who = _alarm_label(args)
    for metric in metrics:
        if metric.namespace != CONTAINER_INSIGHTS_NAMESPACE:
            report(
                f"{who}: RunningTaskCount in namespace {metric.namespace!r} never reports; use "
                f"{CONTAINER_INSIGHTS_NAMESPACE} (with Container Insights on the cluster)",
                None,
            )
        missing = [d for d in SERVICE_DIMENSIONS if not metric.dimensions.get(d)]
        if missing:
            report(
                f"{who}: dimensions lack {' and '.join(missing)}; a service's task count needs "
                "both ClusterName and ServiceName",
                None,
            )


PERIOD_SCHEMA = {
    "resolutionSeconds": {
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 1},
        "default": dict(FINEST_RESOLUTION_SECONDS),
        "description": "Namespace -> the finest resolution (seconds) its metrics can arrive at; "
                       "a period that resolution does not fill is refused. AWS/ECS is 20 (a "
                       "service with 20-second metrics); whether an alarm's service publishes "
                       "them is judged by alarm-period-matches-resolution.",
    },
}


def check_alarm_period_matches_metric(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """An alarm's period is one its metric fills at the finest resolution it can arrive at.

    PutMetricAlarm accepts 10, 20 and 30 s for any metric (botocore `cloudwatch` model,
    Period); AWS/ECS service metrics arrive every 60 s, or every 20 s for a service that asks
    for it, so 10 and 30 s never have whole data; Container Insights arrives every 60 s. An
    alarm alone does not say what its service publishes: the 20 s case is the stack rule's.
    See metric_facts.py. The metric is the alarm's own or one of its metricQueries (each
    query's metric has its own period), read as the provider takes them ("60" for 60)."""
    resolutions = setting(args, PERIOD_SCHEMA, "resolutionSeconds") or {}
    periods = [(m.namespace, m.period) for m in alarm_metrics(args.props)
               if m.namespace and m.period is not None and m.namespace in resolutions]
    if not periods:
        raise NotApplicable("no metric on a namespace with a known resolution")
    for namespace, period in periods:
        problem = alarm_period_problem(namespace, period, number(resolutions[namespace]))
        if problem:
            report(f"{_alarm_label(args)}: period {show(period)} s; {problem} (policy config "
                   "alarm-period-matches-metric.resolutionSeconds)", None)


# --- spike alarms (stack) ------------------------------------------------------------------------


def check_spike_alarm_within_capacity(args: StackValidationArgs, report: ReportViolation) -> None:
    """A spike alarm's threshold lies between its service's min and max capacity. A spike
    alarm is a single-metric RunningTaskCount alarm on one service (_index.py); the burn-rate
    alarms' metric math, in dollars per hour, is not one.

    The capacity in force is the target's: under an emergency floor (holdAt) min = max, and an
    alarm that cannot fire while the count is pinned is the point of the hold, not a fault;
    one below the pinned count would fire all the time, and is still reported."""
    index = StackIndex.build(args.resources)
    if not index.spike_alarms:
        raise NotApplicable("no RunningTaskCount alarms")
    for alarm in index.spike_alarms:
        low, high = index.target_bounds(alarm.resource_id)
        if alarm.threshold is None or low is None or high is None:
            continue  # fixed-count service, or values unknown until created
        name = resource_label(alarm.resource)
        if alarm.threshold >= high and low != high:
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
    """Every ECS scalable target has a spike alarm on its service (a single-metric
    RunningTaskCount alarm with its ClusterName and ServiceName; _index.py)."""
    index = StackIndex.build(args.resources)
    if not index.targets:
        raise NotApplicable("no ECS scalable targets")
    alarmed = {alarm.resource_id for alarm in index.spike_alarms}
    for resource_id, target in index.targets.items():
        # Working hours alone move it between 0 and its fixed count: nothing can run away.
        if resource_id not in alarmed and not index.schedule_only(resource_id):
            report(
                f"{resource_label(target)}: auto-scales with no RunningTaskCount alarm, so a "
                "runaway scale-out goes unnoticed until the bill; set alarms.taskCountSpike",
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
    """Every cluster an alarm reads a Container Insights metric of has Container Insights on:
    a spike alarm's RunningTaskCount, and each service's in the burn-rate metric math.

    ECS/ContainerInsights metrics exist only for clusters with Container Insights enabled
    (CloudWatch user guide, "Amazon ECS Container Insights metrics"). A spike alarm on a silent
    metric never fires; a metric-math alarm that FILLs a missing metric with 0 (user guide,
    "Metric math syntax and functions") counts none of that cluster's tasks, so the burn rate
    stays under its trip whatever they cost. Joined by the ClusterName each metric names
    (StackIndex.insights_reads); a cluster this stack does not manage is not judged."""
    index = StackIndex.build(args.resources)
    if not index.insights_reads:
        raise NotApplicable("no alarm reads a Container Insights metric")
    reported: set[tuple[str, str]] = set()
    for read in index.insights_reads:
        cluster = index.clusters.get(read.cluster)
        if cluster is None or (read.resource.urn, read.cluster) in reported:
            continue  # a cluster this stack does not manage, or already told
        ok, setting = known(partial(_insights, cluster))
        if ok and setting not in ("enabled", "enhanced"):
            reported.add((read.resource.urn, read.cluster))
            fill = (" (its metric math FILLs the missing count with 0, so none of that "
                    "cluster's tasks counts)" if read.metric_math else "")
            report(
                f"{resource_label(read.resource)}: cluster {read.cluster} has Container "
                f"Insights {setting or 'unset'}, so {read.metric_name} "
                f"({CONTAINER_INSIGHTS_NAMESPACE}) never reports{fill}; set "
                "clusters.<key>.containerInsights: true",
                read.resource.urn,
            )


# --- alarm-period-matches-resolution (stack) -----------------------------------------------------


def check_alarm_period_matches_resolution(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """An alarm on a service's AWS/ECS CPU or memory has a period the metric fills at the
    resolution its service publishes: 20 s only when the service publishes that metric every
    20 s.

    ECS publishes CPUUtilization and MemoryUtilization every 60 s unless the service's
    monitoring asks for 20 (ECS API reference, MonitoringConfiguration). A period no resolution
    fills (10 or 30 s) is the resource rule's (alarm-period-matches-metric), reported once
    there. A service this stack does not manage counts as publishing at ECS's default, 60 s."""
    index = StackIndex.build(args.resources)
    if not index.ecs_metric_alarms:
        raise NotApplicable("no alarms on AWS/ECS CPUUtilization or MemoryUtilization")
    for alarm in index.ecs_metric_alarms:
        period = alarm.period
        if period is None or alarm_period_problem(ECS_SERVICE_NAMESPACE, period) is not None:
            continue
        published = index.resolutions.get(alarm.service or "", {}).get(
            alarm.metric_name, STANDARD_RESOLUTION)
        problem = alarm_period_problem(ECS_SERVICE_NAMESPACE, period, published)
        if problem is None:
            continue
        fix = (f", or set metricResolution: {HIGH_RESOLUTION} on the service"
               if published > HIGH_RESOLUTION else "")
        report(
            f"{resource_label(alarm.resource)}: period {show(period)} s on "
            f"{alarm.metric_name} of service {alarm.service or '?'}, which publishes it every "
            f"{published} s: {problem}{fix}",
            alarm.resource.urn,
        )


RESOURCE_POLICIES = [
    resource_policy(
        "alarm-notifies",
        "Every CloudWatch metric alarm notifies someone through its alarm actions.",
        EnforcementLevel.MANDATORY, [METRIC_ALARM_TYPE], check_alarm_notifies, {},
    ),
    resource_policy(
        "running-task-count-namespace",
        "A RunningTaskCount alarm uses ECS/ContainerInsights with ClusterName and ServiceName.",
        EnforcementLevel.MANDATORY, [METRIC_ALARM_TYPE], check_running_task_count_namespace, {},
    ),
    resource_policy(
        "alarm-period-matches-metric",
        "An alarm's period is one its metric fills at the finest resolution it can arrive at.",
        EnforcementLevel.MANDATORY, [METRIC_ALARM_TYPE], check_alarm_period_matches_metric,
        PERIOD_SCHEMA,
    ),
]

# --- deployment-alarms-watch-the-service (stack) -------------------------------------------------


def check_deployment_alarms_watch_the_service(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """A service's deployment alarms are on and roll back, exist in this stack, and watch the
    service's own target group.

    ECS fails a deployment whose alarm goes to ALARM and, with rollback, returns to the last
    completed deployment (ECS developer guide, "How the CloudWatch deployment alarms work"). An
    alarm on another service's target group rolls this one back for the other's fault, and
    never for its own; an alarm ECS cannot find never fires."""
    index = StackIndex.build(args.resources)
    services = [(s, a) for s in index.services if (a := deployment_alarms(s.props)) is not None]
    if not services:
        raise NotApplicable("no service has deployment alarms")
    for service, alarms in services:
        who = resource_label(service)
        if not (alarms.enabled and alarms.rollback):
            report(f"{who}: deployment alarms with enable {alarms.enabled} and rollback "
                   f"{alarms.rollback}: a release the alarms call bad stays live; set both true",
                   service.urn)
        for name in alarms.names:
            alarm = index.alarms_by_name.get(name)
            if alarm is None:
                report(f"{who}: deployment alarm {name} is not in this stack: ECS cannot watch "
                       "an alarm that does not exist; create it or remove its name", service.urn)
                continue
            group = alarm_target_group(alarm)
            if group is not None and group not in alarms.target_groups:
                report(f"{who}: deployment alarm {name} watches {group}, not this service's "
                       f"target group ({', '.join(alarms.target_groups) or 'none'}): it would roll "
                       "this service back for another's fault", service.urn)


STACK_POLICIES = [
    stack_policy(
        "deployment-alarms-watch-the-service",
        "A service's deployment alarms roll back, exist in the stack and watch its own target "
        "group.",
        EnforcementLevel.MANDATORY, check_deployment_alarms_watch_the_service, {},
    ),
    stack_policy(
        "alarm-period-matches-resolution",
        "An alarm on a service's AWS/ECS CPU or memory uses a period its metric resolution fills.",
        EnforcementLevel.MANDATORY, check_alarm_period_matches_resolution, {},
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
        "Every cluster an alarm reads Container Insights metrics of (spike alarms, burn-rate "
        "metric math) has Container Insights enabled.",
        EnforcementLevel.MANDATORY, check_container_insights_for_spike_alarms, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
