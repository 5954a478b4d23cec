"""What a service's metric resolution buys and costs: time to scale under a 10x step at 60 s
and 20 s metrics (the target-tracking model), and the CloudWatch charges 20 s metrics add
(policies/guardrails/facts/cloudwatch.py, the one price table).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from policies.guardrails.facts.cloudwatch import (
    ALARMS_PER_TARGET_TRACKING_POLICY,
    HIGH_RESOLUTION,
    SERVICE_METRIC_NAMES,
    STANDARD_RESOLUTION,
    high_resolution_extra,
)
from stack_model.config import ServiceConfig, StackConfig
from z360_ecs.models.target_tracking import Assumptions, ServiceModel, parse_profile, simulate

STEP_PROFILE = "step:10x@5"
STEP_MINUTES = 60
# The ops log's headline claim about scale-out with scaleOutCooldown: 0.
OPS_LOG_CLAIM = "instant (0 s)"
TARGET_TRACKING_POLICIES = 2  # CPU and memory, every auto-scaled service


@dataclass(frozen=True)
class TimeToScale:
    """A 10x step on one service at one resolution."""

    resolution: int
    trigger_s: int | None
    capacity_s: int | None
    carrying_s: int | None
    peak_tasks: int
    minutes_saturated: int | None


def time_to_scale(key: str, service: ServiceConfig, resolution: int,
                  scale_out_cooldown: int | None = None) -> TimeToScale:
    model = replace(ServiceModel.from_config(key, service), metric_resolution_s=resolution)
    if scale_out_cooldown is not None:
        model = replace(model, scale_out_cooldown_s=scale_out_cooldown)
    summary = simulate(model, parse_profile(STEP_PROFILE), STEP_MINUTES, Assumptions(),
                       STEP_PROFILE).summary()
    return TimeToScale(
        resolution=resolution,
        trigger_s=summary["secondsToTrigger"],
        capacity_s=summary["secondsToFirstScaleOut"],
        carrying_s=summary["secondsToNewTasksCarryingLoad"],
        peak_tasks=summary["peakDesired"],
        minutes_saturated=summary["minutesUntilCpuAtOrBelowTarget"],
    )


@dataclass(frozen=True)
class CloudWatchExtra:
    """What one service's 20 s metrics add to the CloudWatch bill each month."""

    key: str
    metrics: int
    """Metrics published at 20 s (custom-metric rate)."""
    alarms: int
    """Alarms on 20 s data: target tracking's AlarmHigh/AlarmLow and our own sub-minute ones."""
    monthly: Decimal


def cloudwatch_extra(key: str, service: ServiceConfig) -> CloudWatchExtra:
    if service.metric_resolution != HIGH_RESOLUTION:
        return CloudWatchExtra(key, 0, 0, Decimal(0))
    metrics = len(SERVICE_METRIC_NAMES)
    alarms = 0
    if service.scaling.enabled:
        alarms += TARGET_TRACKING_POLICIES * ALARMS_PER_TARGET_TRACKING_POLICY
    if service.alarms.period < STANDARD_RESOLUTION:
        alarms += sum(1 for t in (service.alarms.cpu_high, service.alarms.memory_high)
                      if t is not None)
    return CloudWatchExtra(key, metrics, alarms, high_resolution_extra(metrics, alarms))


def stack_cloudwatch_extra(config: StackConfig) -> list[CloudWatchExtra]:
    return [cloudwatch_extra(k, s) for k, s in config.services.items()
            if s.metric_resolution == HIGH_RESOLUTION]
