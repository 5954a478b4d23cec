"""How often CloudWatch metrics arrive, and which alarm periods they can fill: the one rule for
"is this period valid for this metric at this resolution".

CloudWatch accepts an alarm period of 10, 20 or 30 s, or a multiple of 60 (PutMetricAlarm,
botocore `cloudwatch` model, Period: "Valid values are 10, 20, 30, and any multiple of 60";
periods below 60 are for high-resolution metrics). ECS publishes a service's AWS/ECS
CPUUtilization and MemoryUtilization once a minute ("Amazon ECS CloudWatch metrics", ECS
developer guide: "metrics ... sent to CloudWatch in 1-minute periods"), unless the service's
monitoring configuration asks for 20 seconds (botocore ecs-2014-11-13
`MetricConfiguration.resolutionSeconds`: "The valid values are 20 and 60"; cloudwatch_facts.py);
Container Insights (ECS/ContainerInsights) arrives once a minute. A period shorter than the
metric's resolution has no datapoint in most periods, so the alarm never has data; a period
that is not a multiple of it (10 or 30 s on 20 s data) holds one datapoint or none by turns.
So a period is filled exactly when it is a multiple of the resolution.

Three callers, one function (`alarm_period_problem`):
- the stack config: `alarms.period` against every resolution AWS/ECS can have
  (stack_model/config/alarms.py), then against the service's own `metricResolution`
  (stack_model/config/services.py);
- the resource rule `alarm-period-matches-metric` (cloudwatch.py): against the finest
  resolution the namespace can ever have, since an alarm alone does not say whether its service
  publishes 20 s metrics; it stops the `up` of a period no resolution fills (10 or 30 s on
  AWS/ECS, anything under 60 on Container Insights);
- the stack rule `alarm-period-matches-resolution` (cloudwatch.py): against the resolution
  the alarm's service publishes (20 s on AWS/ECS only for a service with 20 s monitoring).
"""

from __future__ import annotations

from .cloudwatch import HIGH_RESOLUTION, STANDARD_RESOLUTION

ECS_SERVICE_NAMESPACE = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
# EventBridge rule metrics (EventBridge user guide, "Monitoring Amazon EventBridge"):
# MatchedEvents counts the events a rule matched, dimension RuleName.
EVENTS_NAMESPACE = "AWS/Events"
MATCHED_EVENTS = "MatchedEvents"

# Namespace -> the finest resolution (seconds between datapoints) its metrics can arrive at,
# for the namespaces this estate alarms on. AWS/ECS reaches 20 s only for a service whose
# monitoring asks for it; without that it is STANDARD_RESOLUTION.
FINEST_RESOLUTION_SECONDS: dict[str, int] = {
    ECS_SERVICE_NAMESPACE: HIGH_RESOLUTION,
    CONTAINER_INSIGHTS_NAMESPACE: STANDARD_RESOLUTION,
}

# The sub-minute periods CloudWatch accepts (PutMetricAlarm, Period).
SUB_MINUTE_PERIODS = (10, 20, 30)

# How far back an alarm may look: period x evaluation periods. Amazon CloudWatch API Reference,
# PutMetricAlarm, Period (also in botocore's `cloudwatch` model): "An alarm's total current
# evaluation period can be no longer than seven days, so Period multiplied by
# EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than
# one hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400
# seconds)."
MAX_EVALUATION_SECONDS = 604_800
MAX_EVALUATION_SECONDS_SUB_HOUR = 86_400
HOUR_SECONDS = 3_600


def max_evaluation_seconds(period: int) -> int:
    """The longest period x evaluation periods CloudWatch accepts for an alarm of `period` s."""
    return MAX_EVALUATION_SECONDS_SUB_HOUR if period < HOUR_SECONDS else MAX_EVALUATION_SECONDS


def periods_filled_by(resolution: float) -> str:
    """The CloudWatch periods a metric arriving every `resolution` s fills, in words."""
    short = [str(p) for p in SUB_MINUTE_PERIODS if p % resolution == 0]
    return " or ".join([*short, "a multiple of 60"]) if short else "a multiple of 60"


def alarm_period_problem(
    namespace: str, period: float, resolution: float | None = None
) -> str | None:
    """Why an alarm with `period` on `namespace` lacks data, or None when every period holds
    whole datapoints.

    `resolution` is the seconds between the metric's datapoints (a service's 20 or 60); None
    judges against the finest resolution the namespace can have, so what it refuses no
    resolution fills. A namespace with no known resolution is never judged."""
    seconds = resolution if resolution is not None else FINEST_RESOLUTION_SECONDS.get(namespace)
    if seconds is None or period % seconds == 0:
        return None
    arrive = f"{namespace} metrics arrive every {seconds:g} s"
    if resolution is None and seconds < STANDARD_RESOLUTION:
        arrive += " at best"
    if period < seconds:
        effect = f"a {period:g} s period has no datapoint in most periods and the alarm never has data"
    else:
        effect = f"{period:g} s periods hold one datapoint or none by turns"
    return f"{arrive}, so {effect}; use {periods_filled_by(seconds)}"
