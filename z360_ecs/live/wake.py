"""`z360-ecs wake STACK [--hours N]`: start a stack asleep out of its working hours, for a while.

Needs AWS credentials and a network; changes the live stack, so it shows what it will do and
asks for the stack's name first (`--yes` skips the question, for scripts). For every service
with a schedule (services.<key>.schedule) that its schedule has asleep now, it:
1. registers the service's scalable target at its wake capacity now (RegisterScalableTarget
   MinCapacity/MaxCapacity: the values of its `wake` action, stack_model/schedule_actions.py);
   Application Auto Scaling then starts the tasks;
2. puts a one-time scheduled action `<namePrefix>-wake-end` that sets min = max = 0 after N
   hours (PutScheduledAction, Schedule `at(yyyy-mm-ddThh:mm:ss)` read in the schedule's
   Timezone; API reference, PutScheduledAction "At expressions"). Putting it again replaces
   it, so a second wake moves the end.
A service its schedule has awake is left alone, and no end is put where N hours reach into its
working hours: its `sleep` action ends the day as usual. Nothing is changed while any target is
missing or has its scheduled scaling suspended: a tripped cost breaker suspends it
(breaker/actions.py), and a wake would lift a max above the breaker's ceiling.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE
from policies.guardrails.facts.schedule import at_expression, is_on_at, minute_of_week
from stack_model import naming
from stack_model.config import StackConfig
from stack_model.schedule_actions import wake_capacity
from z360_ecs.common import add_stack_arguments, load_or_report

DEFAULT_HOURS = 2
MAX_HOURS = 12
"""Longest wake: a working day. A longer need is a change of the schedule, reviewed."""


@dataclass(frozen=True)
class WakeStep:
    """What `wake` does for one service."""

    key: str
    resource_id: str
    min_capacity: int
    max_capacity: int
    timezone: str
    end_name: str
    end_schedule: str | None
    """`at(...)` of the action that puts it back to sleep; None when its working hours
    start before then (its own `sleep` ends it)."""


def plan(config: StackConfig, hours: int, now: datetime) -> tuple[list[WakeStep], list[str]]:
    """The services to wake and (notes) those left alone, at `now` (aware)."""
    steps: list[WakeStep] = []
    notes: list[str] = []
    for key, service in config.services.items():
        schedule = service.schedule
        if schedule is None or not service.scheduled:
            continue
        zone = ZoneInfo(schedule.timezone)
        local = now.astimezone(zone)
        if is_on_at(schedule.wake, schedule.sleep,
                    minute_of_week(local.weekday(), local.hour, local.minute)):
            notes.append(f"{key}: within its working hours ({schedule.timezone}); left alone")
            continue
        end = (now + timedelta(hours=hours)).astimezone(zone)
        # Any minute of the span inside working hours means the schedule's wake comes first.
        reaches_working_hours = any(
            is_on_at(schedule.wake, schedule.sleep, minute_of_week(t.weekday(), t.hour, t.minute))
            for t in (local + timedelta(minutes=m) for m in range(0, hours * 60 + 1, 5)))
        low, high = wake_capacity(service)
        steps.append(WakeStep(
            key=key,
            resource_id=service.scaling_resource_id(config.clusters[service.cluster].name),
            min_capacity=low, max_capacity=high, timezone=schedule.timezone,
            end_name=naming.scheduled_action_name(service.name_prefix, "wake-end"),
            end_schedule=None if reaches_working_hours else at_expression(
                end.year, end.month, end.day, end.hour, end.minute),
        ))
    return steps, notes


def live_refusals(autoscaling: Any, steps: list[WakeStep]) -> dict[str, str]:
    """Service key -> why it must not be woken, from its live target (DescribeScalableTargets):
    not registered (the stack is not deployed), or its scheduled scaling suspended, which only
    a tripped cost breaker does here (breaker/actions.py): a wake would lift its max above the
    emergency ceiling."""
    ids = [s.resource_id for s in steps]
    live: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 50):  # DescribeScalableTargets ResourceIds: at most 50
        pages = autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
            ResourceIds=ids[start:start + 50])
        for page in pages:
            live.update({t["ResourceId"]: t for t in page["ScalableTargets"]})
    refusals = {}
    for step in steps:
        target = live.get(step.resource_id)
        if target is None:
            refusals[step.key] = f"no scalable target {step.resource_id} (run `pulumi up` first)"
        elif (target.get("SuspendedState") or {}).get("ScheduledScalingSuspended"):
            refusals[step.key] = ("scheduled scaling is suspended (the cost breaker is tripped): "
                                  "restore it first")
    return refusals


def apply(autoscaling: Any, steps: list[WakeStep]) -> list[str]:
    """Make the calls; one line per service."""
    lines = []
    for step in steps:
        target = {"ServiceNamespace": SCALING_NAMESPACE, "ScalableDimension": SCALABLE_DIMENSION,
                  "ResourceId": step.resource_id}
        autoscaling.register_scalable_target(
            **target, MinCapacity=step.min_capacity, MaxCapacity=step.max_capacity)
        if step.end_schedule is not None:
            autoscaling.put_scheduled_action(
                **target, ScheduledActionName=step.end_name, Schedule=step.end_schedule,
                Timezone=step.timezone,
                ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0})
        lines.append(f"{step.key}: min {step.min_capacity}, max {step.max_capacity} now; "
                     + (f"asleep again at {step.end_schedule} {step.timezone}"
                        if step.end_schedule else "its working hours follow: its sleep ends it"))
    return lines


def describe_plan(stack: str, steps: list[WakeStep], notes: list[str]) -> str:
    lines = [f"wake {stack}: in the live account, for each service below, set the scalable "
             "target's min/max now and put a one-time action that sets them back to 0:"]
    lines += [f"  {s.key}: {s.resource_id} min {s.min_capacity} max {s.max_capacity}, end "
              f"{s.end_schedule or '(its working hours start first)'}" for s in steps]
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _confirmed(stack: str, read: Callable[[str], str]) -> bool:
    try:
        answer = read(f"Type the stack name ({stack}) to go ahead: ")
    except EOFError:
        return False
    return answer.strip() == stack


def _client(region: str) -> Any:
    import boto3  # the tools' side only

    return boto3.client("application-autoscaling", region_name=region)


def handle(args: argparse.Namespace, autoscaling: Any = None,
           read: Callable[[str], str] = input, now: datetime | None = None) -> int:
    if not 1 <= args.hours <= MAX_HOURS:
        print(f"error: --hours {args.hours} is out of range: 1 to {MAX_HOURS} (a longer need "
              "is a change of services.<key>.schedule)", file=sys.stderr)
        return 2
    config = load_or_report(args)
    if config is None:
        return 2
    if not any(s.scheduled for s in config.services.values()):
        print(f"error: stack {args.stack} has no schedule (services.<key>.schedule or "
              "serviceDefaults.schedule): its services never sleep, so there is nothing to wake",
              file=sys.stderr)
        return 2
    steps, notes = plan(config, args.hours, now or datetime.now(UTC))
    autoscaling = autoscaling or _client(config.region)
    refused = live_refusals(autoscaling, steps)
    if refused:
        for key, why in refused.items():
            print(f"error: {key}: {why}", file=sys.stderr)
        print("nothing changed", file=sys.stderr)
        return 1
    sys.stdout.write(describe_plan(args.stack, steps, notes))
    if not steps:
        print("nothing to wake: every scheduled service is within its working hours")
        return 0
    if not args.yes and not _confirmed(args.stack, read):
        print("not confirmed: nothing changed", file=sys.stderr)
        return 1
    for line in apply(autoscaling, steps):
        print(line)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "wake",
        help="needs AWS credentials, changes the live stack: start a stack asleep out of its "
             "working hours for N hours (asks first)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("--hours", type=int, default=DEFAULT_HOURS,
                        help=f"hours to stay awake, 1 to {MAX_HOURS} (default {DEFAULT_HOURS})")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask for the stack's name first (for scripts)")
    parser.set_defaults(handler=handle)
