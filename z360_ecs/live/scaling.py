"""`z360-ecs scaling STACK SERVICE`: what auto-scaling did for a live service, as a timeline.

Needs AWS credentials and a network. Reads, with boto3 and the caller's credentials: the
service's scaling activities (Application Auto Scaling DescribeScalingActivities), its
desired/running/pending task counts (ECS DescribeServices), and the state of its alarms
(CloudWatch DescribeAlarms: the alarms named `<namePrefix>-...` and the
`TargetTracking-<resource id>-...` alarms AWS made for its policies). Cluster name, service
name and name prefix come from the stack config.

With `--during URL` it runs a bounded load test (same options as `z360-ecs loadtest`) and polls
the service while the load runs, then prints a verdict: did it scale out, how long from the
start of the load to the first scale-out activity, and the peak desired and running counts.
Every AWS call sits in a small function that takes its client, so tests run them against moto
and botocore's Stubber.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from policies.guardrails.facts.scaling import (
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    scaling_resource_id,
)
from stack_model.config import ServiceConfig, StackConfig
from z360_ecs.common import (
    add_stack_arguments,
    load_or_report,
    service_or_error,
)
from z360_ecs.live.load import (
    LoadResult,
    PlanError,
    Progress,
    add_plan_arguments,
    plan_from_args,
    run_async,
    run_load,
)

_DESIRED = re.compile(r"desired count to (\d+)", re.I)


@dataclass(frozen=True)
class ServiceTarget:
    """Names of one service as AWS knows them, from the stack config."""

    key: str
    cluster: str
    service: str
    name_prefix: str

    @property
    def resource_id(self) -> str:
        return scaling_resource_id(self.cluster, self.service)

    @classmethod
    def from_config(cls, config: StackConfig, key: str, service: ServiceConfig) -> ServiceTarget:
        return cls(key, config.clusters[service.cluster].name, service.service_name,
                   service.name_prefix)


# --- AWS reads: one client each -----------------------------------------------------------


def scaling_activities(autoscaling: Any, target: ServiceTarget, since: datetime) -> list[dict]:
    """Scaling activities of the service that started at or after `since`, oldest first."""
    activities: list[dict] = []
    request: dict[str, Any] = {
        "ServiceNamespace": SCALING_NAMESPACE,
        "ResourceId": target.resource_id,
        "ScalableDimension": SCALABLE_DIMENSION,
    }
    while True:
        page = autoscaling.describe_scaling_activities(**request)
        activities += [a for a in page.get("ScalingActivities", []) if a["StartTime"] >= since]
        token = page.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    return sorted(activities, key=lambda a: a["StartTime"])


def service_counts(ecs: Any, target: ServiceTarget) -> dict[str, int]:
    """desired, running and pending task counts of the service."""
    response = ecs.describe_services(cluster=target.cluster, services=[target.service])
    services = response.get("services", [])
    if not services:
        reasons = "; ".join(f"{f.get('arn')}: {f.get('reason')}"
                            for f in response.get("failures", []))
        raise LookupError(f"service {target.service} not found in cluster {target.cluster}"
                          + (f" ({reasons})" if reasons else ""))
    service = services[0]
    return {"desired": service["desiredCount"], "running": service["runningCount"],
            "pending": service.get("pendingCount", 0)}


def alarm_states(cloudwatch: Any, target: ServiceTarget) -> list[dict]:
    """The service's own alarms and its target-tracking alarms: name, state, since when."""
    alarms: dict[str, dict] = {}
    for prefix in (f"{target.name_prefix}-", f"TargetTracking-{target.resource_id}-"):
        request: dict[str, Any] = {"AlarmNamePrefix": prefix, "AlarmTypes": ["MetricAlarm"]}
        while True:
            page = cloudwatch.describe_alarms(**request)
            for alarm in page.get("MetricAlarms", []):
                alarms[alarm["AlarmName"]] = {
                    "name": alarm["AlarmName"],
                    "state": alarm["StateValue"],
                    "since": alarm.get("StateUpdatedTimestamp"),
                    "reason": alarm.get("StateReason", ""),
                }
            token = page.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return sorted(alarms.values(), key=lambda a: a["name"])


# --- snapshots and the timeline -----------------------------------------------------------


@dataclass
class Snapshot:
    at: datetime
    counts: dict[str, int]
    activities: list[dict]
    alarms: list[dict]


@dataclass
class Clients:
    autoscaling: Any
    ecs: Any
    cloudwatch: Any


def take_snapshot(clients: Clients, target: ServiceTarget, since: datetime) -> Snapshot:
    return Snapshot(
        at=datetime.now(UTC),
        counts=service_counts(clients.ecs, target),
        activities=scaling_activities(clients.autoscaling, target, since),
        alarms=alarm_states(clients.cloudwatch, target),
    )


def _when(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def timeline(snapshot: Snapshot, since: datetime) -> list[tuple[datetime, str]]:
    """Scaling activities and alarm state changes since `since`, oldest first."""
    events: list[tuple[datetime, str]] = []
    for activity in snapshot.activities:
        events.append((activity["StartTime"],
                       f"scaling  {activity.get('StatusCode', '?'):<11} "
                       f"{activity.get('Description', '')}  cause: {activity.get('Cause', '')}"))
    for alarm in snapshot.alarms:
        if alarm["since"] and alarm["since"] >= since:
            events.append((alarm["since"], f"alarm    {alarm['state']:<11} {alarm['name']}"))
    return sorted(events, key=lambda e: e[0])


def render_snapshot(target: ServiceTarget, snapshot: Snapshot, since: datetime) -> str:
    counts = snapshot.counts
    lines = [
        f"{target.key}: {target.resource_id}",
        f"now: desired {counts['desired']}, running {counts['running']}, "
        f"pending {counts['pending']}",
        "",
        f"timeline since {_when(since)} UTC:",
    ]
    events = timeline(snapshot, since)
    lines += [f"  {_when(at)}  {text}" for at, text in events] or ["  (nothing happened)"]
    lines += ["", "alarms now:"]
    lines += [f"  {a['state']:<17} {a['name']}  (since {_when(a['since'])})"
              for a in snapshot.alarms] or ["  (no alarms found)"]
    return "\n".join(lines) + "\n"


# --- watching a load test -----------------------------------------------------------------


@dataclass
class Verdict:
    scaled_out: bool
    seconds_to_first_scale_out: float | None
    first_scale_out: str | None
    starting_desired: int
    peak_desired: int
    peak_running: int
    polls: int
    load: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scaledOut": self.scaled_out,
            "secondsToFirstScaleOut": self.seconds_to_first_scale_out,
            "firstScaleOut": self.first_scale_out,
            "startingDesired": self.starting_desired,
            "peakDesired": self.peak_desired,
            "peakRunning": self.peak_running,
            "polls": self.polls,
            "load": self.load,
        }


def judge(load_started: datetime, snapshots: list[Snapshot],
          load: LoadResult | None = None) -> Verdict:
    """Scaled out or not, from polls taken while the load ran (the first one before it)."""
    starting = snapshots[0].counts["desired"]
    first = None
    previous = starting
    activities = snapshots[-1].activities
    for activity in activities:
        match = _DESIRED.search(activity.get("Description", ""))
        if not match or activity["StartTime"] < load_started:
            continue
        count = int(match[1])
        if count > previous and activity.get("StatusCode") in (None, "Successful",
                                                               "InProgress", "Pending"):
            first = activity
            break
        previous = count
    return Verdict(
        scaled_out=first is not None,
        seconds_to_first_scale_out=(
            round((first["StartTime"] - load_started).total_seconds(), 1) if first else None
        ),
        first_scale_out=first.get("Description") if first else None,
        starting_desired=starting,
        peak_desired=max(s.counts["desired"] for s in snapshots),
        peak_running=max(s.counts["running"] for s in snapshots),
        polls=len(snapshots),
        load=load.summary() if load else {},
    )


async def watch_during(
    plan_runner: Callable[[], Any],
    poll: Callable[[datetime], Snapshot],
    interval_s: float,
) -> tuple[datetime, list[Snapshot], LoadResult]:
    """Run the load (a coroutine factory) and poll every `interval_s` until it ends."""
    load_started = datetime.now(UTC)
    snapshots = [await asyncio.to_thread(poll, load_started)]
    load_task = asyncio.create_task(plan_runner())
    while not load_task.done():
        await asyncio.wait({load_task}, timeout=interval_s)
        snapshots.append(await asyncio.to_thread(poll, load_started))
    return load_started, snapshots, load_task.result()


def render_verdict(verdict: Verdict) -> str:
    lines = ["", "verdict:"]
    if verdict.scaled_out:
        lines.append(f"  scaled out: yes, {verdict.seconds_to_first_scale_out:g} s after the "
                     f"load started ({verdict.first_scale_out})")
    else:
        lines.append("  scaled out: no (no scale-out activity while the load ran)")
    lines.append(f"  desired {verdict.starting_desired} at the start; peak desired "
                 f"{verdict.peak_desired}, peak running {verdict.peak_running} "
                 f"({verdict.polls} polls)")
    return "\n".join(lines) + "\n"


# --- command ------------------------------------------------------------------------------


def _clients(region: str) -> Clients:
    import boto3

    return Clients(
        autoscaling=boto3.client("application-autoscaling", region_name=region),
        ecs=boto3.client("ecs", region_name=region),
        cloudwatch=boto3.client("cloudwatch", region_name=region),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def handle(args: argparse.Namespace, clients: Clients | None = None) -> int:
    config = load_or_report(args)
    if config is None:
        return 2
    service = service_or_error(config, args.stack, args.service)
    if service is None:
        return 2
    target = ServiceTarget.from_config(config, args.service, service)
    plan = None
    if args.during:
        try:
            plan = plan_from_args(args, args.during)
        except PlanError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    clients = clients or _clients(config.region)

    def poll(since: datetime) -> Snapshot:
        return take_snapshot(clients, target, since)

    try:
        if plan is None:
            since = datetime.now(UTC) - timedelta(minutes=args.since)
            snapshot = poll(since)
            if args.json:
                sys.stdout.write(json.dumps(_jsonable({
                    "resourceId": target.resource_id, "counts": snapshot.counts,
                    "activities": snapshot.activities, "alarms": snapshot.alarms,
                }), indent=2) + "\n")
            else:
                sys.stdout.write(render_snapshot(target, snapshot, since))
            return 0
        started_clock = time.monotonic()
        load_started, snapshots, load = run_async(watch_during(
            lambda: run_load(plan, Progress(plan.requests)), poll, args.poll_interval))
        verdict = judge(load_started, snapshots, load)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(json.dumps(_jsonable({
            "resourceId": target.resource_id, "verdict": verdict.as_dict(),
            "activities": snapshots[-1].activities,
            "watchedSeconds": round(time.monotonic() - started_clock, 1),
        }), indent=2) + "\n")
    else:
        sys.stdout.write(render_snapshot(target, snapshots[-1], load_started))
        sys.stdout.write(render_verdict(verdict))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scaling",
        help="needs AWS credentials: timeline of a live service's scaling activities, counts "
             "and alarms",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("service", help="service key in the stack config (web, queue, ...)")
    parser.add_argument("--since", type=int, default=60,
                        help="minutes of history to show (default 60)")
    parser.add_argument("--during", metavar="URL",
                        help="run a bounded load test against URL and watch scaling meanwhile")
    add_plan_arguments(parser)
    parser.add_argument("--poll-interval", type=float, default=15.0,
                        help="seconds between polls with --during (default 15)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=handle)
