"""CloudWatch alarm rules: every alarm tells someone, and task-count alarms watch a metric that
exists."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs

from ._safe import resource_policy

METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"

# RunningTaskCount exists only in Container Insights' namespace; in AWS/ECS it never reports.
RUNNING_TASK_COUNT = "RunningTaskCount"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
SERVICE_DIMENSIONS = ("ClusterName", "ServiceName")


def _alarm_label(args: ResourceValidationArgs) -> str:
    return str(args.props.get("name") or args.name)


def check_alarm_notifies(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """An alarm has at least one alarm action, and its actions are enabled."""
    props = args.props
    who = _alarm_label(args)
    actions = props.get("alarmActions")
    if actions is None or len(actions) == 0:
        report(f"{who}: no alarmActions, so nobody hears when it fires; add the alert topic", None)
    if props.get("actionsEnabled") is False:
        report(f"{who}: actionsEnabled is false, so its actions never run", None)


def check_running_task_count_namespace(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A RunningTaskCount alarm reads ECS/ContainerInsights per cluster and service."""
    props = args.props
    if props.get("metricName") != RUNNING_TASK_COUNT:
        args.not_applicable("not a RunningTaskCount alarm")
    who = _alarm_label(args)
    namespace = props.get("namespace")
    if namespace != CONTAINER_INSIGHTS_NAMESPACE:
        report(
            f"{who}: RunningTaskCount in namespace {namespace!r} never reports; use "
            f"{CONTAINER_INSIGHTS_NAMESPACE} (with Container Insights on the cluster)",
            None,
        )
    dimensions = props.get("dimensions") or {}
    missing = [d for d in SERVICE_DIMENSIONS if d not in dimensions]
    if missing:
        report(
            f"{who}: dimensions lack {' and '.join(missing)}; a service's task count needs "
            "both ClusterName and ServiceName",
            None,
        )


POLICIES = [
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
]
