"""What AWS documents about a service's metric resolution, as checks on the stack config.

ECS publishes a service's CPUUtilization and MemoryUtilization (namespace AWS/ECS) once a
minute unless the service's monitoring configuration asks for 20 seconds
(botocore ecs-2014-11-13 `MetricConfiguration.resolutionSeconds`: "The valid values are 20
and 60"). An alarm whose period is shorter than the metric's resolution sees a datapoint in
only some of its periods; a period that is not a multiple of the resolution mixes one and two
datapoints per period. So a sub-minute alarm period needs 20-second metrics and a multiple of
20 (CloudWatch allows 10, 20, 30 or a multiple of 60: CloudWatch API reference,
PutMetricAlarm `Period`). The other documented condition, the ECS deployment controller, is
encoded where the program sets it (components/scalable_service.py) and in the policy pack
(policies/guardrails/ecs.py, `service-monitoring-valid`), see docs/metrics-resolution.md.
"""

from __future__ import annotations

from components.config.errors import KeyPath
from policies.guardrails.cloudwatch_facts import HIGH_RESOLUTION, STANDARD_RESOLUTION


def resolution_problems(resolution: int, alarm_period: int) -> list[tuple[KeyPath, str]]:
    """Problems of an alarm period with a service publishing at `resolution` seconds."""
    if alarm_period >= STANDARD_RESOLUTION:
        return []
    if resolution != HIGH_RESOLUTION:
        return [(("alarms", "period"), (
            f"{alarm_period} s is shorter than the service's {resolution} s metrics, so most "
            "periods would have no datapoint: use 60 or more, or set metricResolution: 20 "
            "and a period of 20"))]
    if alarm_period % HIGH_RESOLUTION:
        return [(("alarms", "period"), (
            f"{alarm_period} s is not a multiple of the service's 20 s metrics, so periods "
            "would hold one datapoint or none: use 20, or 60 or more"))]
    return []
