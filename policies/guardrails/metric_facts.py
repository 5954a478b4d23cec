"""How often CloudWatch metrics arrive, and which alarm periods can therefore ever have data.

CloudWatch accepts an alarm period of 10, 20 or 30 s, or a multiple of 60 (PutMetricAlarm,
botocore `cloudwatch` model, Period: "Valid values are 10, 20, 30, and any multiple of 60";
periods below 60 are for high-resolution metrics). ECS publishes AWS/ECS CPUUtilization and
MemoryUtilization once a minute ("Amazon ECS CloudWatch metrics", ECS developer guide: "metrics
... sent to CloudWatch in 1-minute periods"), and Container Insights likewise; an alarm whose
period is shorter than the metric's resolution evaluates empty periods and never has data.
Since June 2026 a service may publish 20-second AWS/ECS metrics (ECS
`monitoring.metricConfigurations`); `alarm_period_problem(..., resolution=20)` allows 20 s then.

The program (service alarm config) and the pack (alarm-period-matches-metric) both call
`alarm_period_problem`, so the rule has one home.
"""

from __future__ import annotations

ECS_SERVICE_NAMESPACE = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"

# Namespace -> seconds between datapoints, for the namespaces this estate alarms on.
METRIC_RESOLUTION_SECONDS: dict[str, int] = {
    ECS_SERVICE_NAMESPACE: 60,
    CONTAINER_INSIGHTS_NAMESPACE: 60,
}


def alarm_period_problem(
    namespace: str, period: float, resolution: float | None = None
) -> str | None:
    """Why an alarm with `period` on `namespace` never has data, or None when it can.

    `resolution` overrides the namespace's usual one (a service publishing 20-second metrics)."""
    seconds = resolution if resolution is not None else METRIC_RESOLUTION_SECONDS.get(namespace)
    if seconds is None or period >= seconds:
        return None
    return (f"{namespace} metrics arrive every {seconds:g} s, so a {period:g} s period has no "
            f"datapoint in most periods and the alarm never has data; use a period of "
            f"{seconds:g} s or a multiple of 60")
