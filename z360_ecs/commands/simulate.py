"""`z360-ecs simulate STACK SERVICE --load PROFILE`: an offline model of ECS target tracking.

Steps one datapoint period (20 or 60 s) at a time through a load profile and shows what
Application Auto Scaling would do with the service's configured targets, cooldowns and min/max
capacity: when the AlarmHigh and AlarmLow alarms fire, what desired count each scaling action
sets, when new tasks start carrying load, and what the minutes cost at Fargate list price
(policies/guardrails/facts/fargate.py).

Load is measured in multiples of what one task carries at the CPU target: `1x` keeps one task
exactly at its target, `10x` needs ten tasks at target. Profiles:
  step:10x@5           1x (the base load) until minute 5, then 10x; more steps: step:10x@5,1x@40
  ramp:1x-10x@5-25     1x until minute 5, rising linearly to 10x at minute 25, then held
  spike:10x@5+10       10x from minute 5 for 10 minutes, the base load before and after
  flat:3x              3x throughout
  backlog:10000@5      a queue worker: 10,000 jobs queued at minute 5; backlog:10000@5+2/s adds
                       2 jobs/s arriving throughout. Reports how long the backlog takes to drain
                       under the service's scaling (models/backlog.py); --cpu-tracking models it
                       without scaling.queueBacklog, CPU tracking as before (I/O-bound jobs at
                       --job-cpu %% CPU never reach the target)

Every behaviour the model (models/target_tracking.py) assumes is a named field of `Assumptions`;
docs/verification.md ("Assumptions") gives the source of each. The delays are calibrated to
AWS's measurements (363 s / 386 s to trigger / new capacity at 60 s metrics, 86 s / 109 s at 20 s).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

from policies.guardrails.facts.fargate import to_cents
from stack_model.config import ServiceConfig
from z360_ecs.commands.simulate_chart import render_svg
from z360_ecs.common import (
    add_stack_arguments,
    load_or_report,
    service_or_error,
)
from z360_ecs.models.backlog import (
    BacklogResult,
    QueueModel,
    parse_backlog,
    simulate_backlog,
)
from z360_ecs.models.target_tracking import (
    MAX_LOAD,
    PROFILE_FORMS,
    Assumptions,
    ProfileError,
    ServiceModel,
    SimulationResult,
    parse_profile,
    simulate,
)

# --- output -------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render_table(result: SimulationResult) -> str:
    s = result.service
    lines = [
        f"{s.name}: min {s.min_capacity}, max {s.max_capacity}, CPU target {s.cpu_target:g}%, "
        f"memory target {s.memory_target:g}%, cooldowns out {s.scale_out_cooldown_s} s / in "
        f"{s.scale_in_cooldown_s} s, task start {result.assumptions.task_start_delay_s} s, "
        f"{s.metric_resolution_s} s metrics",
        f"load {result.profile}",
        "desired and running are counted at the end of each minute; an event acts then.",
        "",
        f"{'min':>4} {'load':>6} {'cpu%':>5} {'desired':>7} {'running':>7} {'cost':>9}  event",
    ]
    for m in result.minutes:
        lines.append(
            f"{m.minute:>4} {m.load:>5.1f}x {_fmt(m.cpu):>5} {m.desired:>7} {m.running:>7} "
            f"{'$' + str(to_cents(m.cost_so_far)):>9}  {m.event}".rstrip()
        )
    summary = result.summary()
    lines += ["", "summary:"]
    lines += [f"  {key}: {value}" for key, value in summary.items()]
    return "\n".join(lines) + "\n"


def render_json(result: SimulationResult) -> str:
    document = {
        "service": {**asdict(result.service),
                    "hourly_task_cost": str(result.service.hourly_task_cost)},
        "assumptions": asdict(result.assumptions),
        "profile": result.profile,
        "summary": result.summary(),
        "activities": [asdict(a) for a in result.activities],
        "minutes": [
            {**asdict(m), "cost_so_far": str(to_cents(m.cost_so_far))} for m in result.minutes
        ],
    }
    # allow_nan=False: NaN is not JSON; a model that made one fails here, not in the reader.
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def render_backlog(result: BacklogResult) -> str:
    m = result.model
    target = (f"{m.backlog_target:g} jobs per task" if m.backlog_target is not None
              else f"CPU {m.cpu_target:g}% (a busy task at {m.job_cpu:g}%)")
    lines = [
        f"{m.name}: min {m.min_capacity}, max {m.max_capacity}, scales on {m.signal} "
        f"(target {target}) and memory {m.memory_target:g}%, {m.seconds_per_job:g} s per job",
        f"load {result.load.jobs:,} jobs at minute {result.load.at_minute}"
        + (f" + {result.load.arrivals_per_s:g} jobs/s" if result.load.arrivals_per_s else ""),
        "",
        f"{'min':>4} {'backlog':>8} {'desired':>7} {'running':>7} {'cost':>9}  event",
    ]
    for row in result.minutes:
        lines.append(f"{row.minute:>4} {row.backlog:>8} {row.desired:>7} {row.running:>7} "
                     f"{'$' + str(to_cents(row.cost_so_far)):>9}  {row.event}".rstrip())
    lines += ["", "summary:"]
    lines += [f"  {key}: {value}" for key, value in result.summary().items()]
    return "\n".join(lines) + "\n"


def handle_backlog(args: argparse.Namespace, key: str, service: ServiceConfig) -> int:
    """`--load backlog:...`: the queue model instead of the CPU one."""
    try:
        load = parse_backlog(args.load)
        model = QueueModel.from_config(
            key, service, seconds_per_job=args.seconds_per_job,
            cpu_tracking=args.cpu_tracking, job_cpu=args.job_cpu)
    except (ProfileError, ValueError) as exc:
        print(f"error: {args.stack}: {exc}", file=sys.stderr)
        return 2
    assumptions = Assumptions(task_start_delay_s=args.task_start_delay,
                              publish_delay_60_s=args.publish_delay_60,
                              scaling_action_delay_s=args.action_delay,
                              memory_utilisation=args.memory_utilisation)
    result = simulate_backlog(model, load, args.minutes, assumptions)
    if args.json:
        sys.stdout.write(json.dumps({"summary": result.summary(), "minutes": [
            {**asdict(row), "cost_so_far": str(to_cents(row.cost_so_far))}
            for row in result.minutes]}, indent=2) + "\n")
    else:
        sys.stdout.write(render_backlog(result))
    return 0


def handle(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return 2
    service = service_or_error(config, args.stack, args.service)
    if service is None:
        return 2
    if not service.scaling.enabled:
        print(f"error: {args.stack}: services.{args.service}.scaling.enabled is false: the "
              "service runs a fixed count, there is nothing to simulate", file=sys.stderr)
        return 2
    if args.load.startswith("backlog:"):
        return handle_backlog(args, args.service, service)
    assumptions = Assumptions(
        task_start_delay_s=args.task_start_delay,
        publish_delay_60_s=args.publish_delay_60,
        publish_delay_20_s=args.publish_delay_20,
        scaling_action_delay_s=args.action_delay,
        memory_utilisation=args.memory_utilisation,
        base_load=args.base_load,
    )
    try:
        load = parse_profile(args.load, assumptions.base_load)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = ServiceModel.from_config(args.service, service)
    if args.resolution:
        model = replace(model, metric_resolution_s=args.resolution)
    result = simulate(model, load, args.minutes, assumptions, args.load)
    if args.chart:
        args.chart.write_text(render_svg(result))
    sys.stdout.write(render_json(result) if args.json else render_table(result))
    return 0


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value
    return parse


def _bounded_float(low: float, high: float) -> Callable[[str], float]:
    """A finite number in low..high: "nan", "inf" and negative loads are refused."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not a number between {low:g} and {high:g}")
        return value
    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate", help="model target tracking for a service under a load profile, offline",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("service", help="service key in the stack config (web, queue, ...)")
    parser.add_argument("--load", required=True, help=f"load profile: {PROFILE_FORMS}")
    parser.add_argument("--minutes", type=_bounded_int(1, 24 * 60), default=60,
                        help="minutes to simulate (default 60)")
    parser.add_argument("--chart", type=Path, help="write an SVG chart of tasks and CPU here")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    defaults = Assumptions()
    parser.add_argument("--task-start-delay", type=_bounded_int(0, 1800),
                        default=defaults.task_start_delay_s,
                        help="seconds before a new task carries load (default %(default)s)")
    parser.add_argument("--resolution", type=int, choices=(20, 60),
                        help="metric resolution in seconds (default: the service's "
                             "metricResolution)")
    parser.add_argument("--publish-delay-60", type=_bounded_int(0, 900),
                        default=defaults.publish_delay_60_s,
                        help="seconds before a 60 s datapoint is visible (default %(default)s)")
    parser.add_argument("--publish-delay-20", type=_bounded_int(0, 900),
                        default=defaults.publish_delay_20_s,
                        help="seconds before a 20 s datapoint is visible (default %(default)s)")
    parser.add_argument("--action-delay", type=_bounded_int(0, 600),
                        default=defaults.scaling_action_delay_s,
                        help="seconds from the alarm to launched tasks (default %(default)s)")
    parser.add_argument("--memory-utilisation", type=_bounded_float(0, 100),
                        default=defaults.memory_utilisation,
                        help="constant per-task memory utilisation %% (default %(default)s)")
    parser.add_argument("--base-load", type=_bounded_float(0, MAX_LOAD),
                        default=defaults.base_load,
                        help="load outside the profile's changes, in x (default %(default)s)")
    parser.add_argument("--seconds-per-job", type=_bounded_float(0.001, 86_400),
                        help="backlog: seconds one task takes per job (default: the service's "
                             "scaling.queueBacklog.secondsPerJob)")
    parser.add_argument("--cpu-tracking", action="store_true",
                        help="backlog: model the service tracking CPU instead of its backlog")
    parser.add_argument("--job-cpu", type=_bounded_float(0, 100), default=10.0,
                        help="backlog with --cpu-tracking: CPU %% of a task busy with one "
                             "I/O-bound job (default %(default)s)")
    parser.set_defaults(handler=handle)
