"""The scheduled actions one ServiceConfig's working hours ask for, decided once for the program
(components/scalable_service.py), the tools (`z360-ecs wake`, adopt) and their tests.

`sleep` sets min = max = 0; `wake` puts back the min and max the service runs with (the
scaling range, the emergency floor holdAt, or, with scaling off, desiredCount). Application
Auto Scaling moves the ECS service's desired count into the new range itself (user guide,
"Scheduled scaling": "If the current capacity is above the maximum capacity, Application Auto
Scaling scales in to the maximum capacity", and out to a new minimum likewise).

What a `pulumi up` must leave alone: once a schedule applies, the scalable target's min and max
are the schedule's to set (terraform-aws-modules/terraform-aws-ecs#422: a target whose min/max
are sent on every apply undoes the last scheduled action). The program ignores both after the
target's creation (`SCHEDULE_OWNED`); a change of min or max in the stack file then reaches the
`wake` action, so the service takes it at its next wake, not at the `up` (docs/operations.md,
"Working hours").
"""

from __future__ import annotations

from dataclasses import dataclass

from stack_model import naming
from stack_model.config import ServiceConfig

SCHEDULE_OWNED = ("minCapacity", "maxCapacity")
"""The scalable target's properties an `up` leaves as AWS has them while a schedule applies
(pulumi-aws appautoscaling.Target: min_capacity, max_capacity; RegisterScalableTarget
MinCapacity, MaxCapacity)."""


@dataclass(frozen=True)
class ScheduledActionSpec:
    """One PutScheduledAction, in neither the provider's nor boto3's shape."""

    role: str
    """wake or sleep."""
    name: str
    """ScheduledActionName."""
    schedule: str
    """The cron expression."""
    timezone: str
    """IANA time zone the cron is read in."""
    min_capacity: int
    """ScalableTargetAction.MinCapacity."""
    max_capacity: int
    """ScalableTargetAction.MaxCapacity."""


def wake_capacity(config: ServiceConfig) -> tuple[int, int]:
    """(min, max) the service runs with while awake."""
    return config.effective_min, config.effective_max


def scheduled_actions(config: ServiceConfig) -> list[ScheduledActionSpec]:
    """The service's wake and sleep actions; none without a schedule in force."""
    schedule = config.schedule
    if schedule is None or not config.scheduled:
        return []
    low, high = wake_capacity(config)
    return [
        ScheduledActionSpec("wake", naming.scheduled_action_name(config.name_prefix, "wake"),
                            schedule.wake, schedule.timezone, low, high),
        ScheduledActionSpec("sleep", naming.scheduled_action_name(config.name_prefix, "sleep"),
                            schedule.sleep, schedule.timezone, 0, 0),
    ]


def target_ignore_changes(config: ServiceConfig) -> tuple[str, ...]:
    """What an `up` leaves as AWS has it on the service's scalable target."""
    return SCHEDULE_OWNED if config.scheduled else ()
