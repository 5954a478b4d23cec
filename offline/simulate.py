"""`z360-ecs simulate STACK SERVICE --load PROFILE`: an offline model of ECS target tracking.

Steps one minute at a time through a load profile and shows what Application Auto Scaling would
do with the service's configured targets, cooldowns and min/max capacity: when the AlarmHigh and
AlarmLow alarms fire, what desired count each scaling action sets, when new tasks start carrying
load, and what the minutes cost at Fargate list price (policies/guardrails/fargate_facts.py).

Load is measured in multiples of what one task carries at the CPU target: `1x` keeps one task
exactly at its target, `10x` needs ten tasks at target. Profiles:
  step:10x@5           1x (the base load) until minute 5, then 10x; more steps: step:10x@5,1x@40
  ramp:1x-10x@5-25     1x until minute 5, rising linearly to 10x at minute 25, then held
  spike:10x@5+10       10x from minute 5 for 10 minutes, the base load before and after
  flat:3x              3x throughout

Every behaviour the model assumes is a named field of `Assumptions`; the README (Verification) gives
the source of each. The model is a lower bound on reaction time: CloudWatch's own publishing and
evaluation lag (alarmLagMinutes, default 0) only makes AWS slower.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.config import PROJECT, ConfigError, ServiceConfig, StackConfig, load_stack_config
from offline.engine import PROJECT_DIR, StackFileError, load_stack_settings
from policies.guardrails.fargate_facts import hourly_task_cost, to_cents


class ProfileError(ValueError):
    """A --load profile that cannot be parsed."""


PROFILE_FORMS = (
    "step:10x@5[,1x@40...], ramp:1x-10x@5-25, spike:10x@5+10 or flat:3x "
    "(load in multiples of one task at its CPU target, times in minutes)"
)


@dataclass(frozen=True)
class Assumptions:
    """How the model believes AWS behaves; each field's source is in the README (Verification)."""

    metric_period_minutes: int = 1
    """ECS service metrics (AWS/ECS CPUUtilization, MemoryUtilization) arrive once a minute."""
    scale_out_datapoints: int = 3
    """AlarmHigh: this many consecutive one-minute datapoints above the target (3 of 3)."""
    scale_in_datapoints: int = 15
    """AlarmLow: this many consecutive datapoints below scale_in_fraction x target (15 of 15)."""
    scale_in_fraction: float = 0.9
    """AlarmLow's threshold as a fraction of the target."""
    task_start_delay_s: int = 90
    """Seconds from a scale-out until a new task carries load (Fargate image pull, container
    start, load balancer health check). Fargate bills from the start of the pull."""
    alarm_lag_minutes: int = 0
    """Minutes between a datapoint's minute ending and the alarm acting on it."""
    memory_utilisation: float = 40.0
    """Per-task memory utilisation (%), held constant: memory does not follow request load in
    this model. Above memoryTarget it would scale out; above 90 % of it, it blocks scale-in."""
    base_load: float = 1.0
    """Load before and after a profile's changes, in multiples of one task at target."""


# --- load profiles ------------------------------------------------------------------------

_LOAD = r"(\d+(?:\.\d+)?)x"
_MINUTE = r"(\d+)"


def parse_profile(text: str, base_load: float = 1.0) -> Callable[[int], float]:
    """The load for each minute described by `text`; raises ProfileError naming the problem."""
    kind, _, spec = text.partition(":")
    spec = spec.strip()
    if kind == "step":
        steps = []
        for part in spec.split(","):
            match = re.fullmatch(rf"{_LOAD}@{_MINUTE}", part.strip())
            if not match:
                raise ProfileError(f"--load {text!r}: step {part!r} is not LOADx@MINUTE")
            steps.append((int(match[2]), float(match[1])))
        steps.sort()

        def step(minute: int) -> float:
            load = base_load
            for start, level in steps:
                if minute >= start:
                    load = level
            return load

        return step
    if kind == "ramp":
        match = re.fullmatch(rf"{_LOAD}-{_LOAD}@{_MINUTE}-{_MINUTE}", spec)
        if not match:
            raise ProfileError(f"--load {text!r}: ramp is FROMx-TOx@START-END")
        low, high, start, end = float(match[1]), float(match[2]), int(match[3]), int(match[4])
        if end <= start:
            raise ProfileError(f"--load {text!r}: the ramp's end {end} must come after {start}")

        def ramp(minute: int) -> float:
            if minute < start:
                return low
            if minute >= end:
                return high
            return low + (high - low) * (minute - start) / (end - start)

        return ramp
    if kind == "spike":
        match = re.fullmatch(rf"{_LOAD}@{_MINUTE}\+{_MINUTE}", spec)
        if not match:
            raise ProfileError(f"--load {text!r}: spike is LOADx@START+MINUTES")
        level, start, length = float(match[1]), int(match[2]), int(match[3])
        return lambda minute: level if start <= minute < start + length else base_load
    if kind == "flat":
        match = re.fullmatch(_LOAD, spec)
        if not match:
            raise ProfileError(f"--load {text!r}: flat is LOADx")
        level = float(match[1])
        return lambda minute: level
    raise ProfileError(f"--load {text!r}: unknown profile {kind!r}; allowed: {PROFILE_FORMS}")


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceModel:
    """The service settings target tracking works with."""

    name: str
    min_capacity: int
    max_capacity: int
    initial_count: int
    cpu_target: float
    memory_target: float
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    hourly_task_cost: Decimal

    @classmethod
    def from_config(cls, key: str, service: ServiceConfig) -> ServiceModel:
        low, high = service.effective_min, service.effective_max
        return cls(
            name=key,
            min_capacity=low,
            max_capacity=high,
            initial_count=max(low, min(service.desired_count, high)),
            cpu_target=service.scaling.cpu_target,
            memory_target=service.scaling.memory_target,
            scale_out_cooldown_s=service.scaling.scale_out_cooldown,
            scale_in_cooldown_s=service.scaling.scale_in_cooldown,
            hourly_task_cost=hourly_task_cost(service.cpu, service.memory, service.architecture),
        )


@dataclass
class _Task:
    launched: float  # minutes
    ready: float
    stopped: float = math.inf

    def share(self, start: float, end: float, begin_attr: str) -> float:
        """Fraction of [start, end) this task spent past `begin_attr` and before stopping."""
        begin = getattr(self, begin_attr)
        return max(0.0, min(end, self.stopped) - max(start, begin)) / (end - start)


@dataclass
class Minute:
    minute: int
    load: float
    cpu: float | None
    memory: float | None
    desired: int
    running: int
    cost_so_far: Decimal
    event: str = ""


@dataclass
class Activity:
    at_minute: int
    """Minute mark at which the desired count was set."""
    from_count: int
    to_count: int
    cause: str


@dataclass
class SimulationResult:
    service: ServiceModel
    assumptions: Assumptions
    profile: str
    minutes: list[Minute] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    @property
    def load_start(self) -> int | None:
        """First minute whose load differs from the first minute's."""
        first = self.minutes[0].load if self.minutes else 0
        return next((m.minute for m in self.minutes if m.load != first), None)

    def summary(self) -> dict[str, Any]:
        start = self.load_start
        out = [a for a in self.activities if a.to_count > a.from_count]
        first_out = next((a for a in out if start is None or a.at_minute >= start), None)
        peak_desired = max((m.desired for m in self.minutes), default=0)
        peak_running = max((m.running for m in self.minutes), default=0)
        enough = None
        if start is not None:
            target = self.service.cpu_target
            enough = next(
                (m.minute for m in self.minutes
                 if m.minute >= start and m.cpu is not None and m.cpu <= target), None)
        last_change = None
        for previous, current in zip(self.minutes, self.minutes[1:], strict=False):
            if (current.desired, current.running) != (previous.desired, previous.running):
                last_change = current.minute
        settled = (
            last_change is not None
            and self.minutes[-1].desired == self.minutes[-1].running
            and not any(a.at_minute >= self.minutes[-1].minute for a in self.activities)
        )
        return {
            "loadStartMinute": start,
            "firstScaleOutMinute": first_out.at_minute if first_out else None,
            "secondsToFirstScaleOut": (
                (first_out.at_minute - start) * 60 if first_out and start is not None else None
            ),
            "minutesUntilCpuAtOrBelowTarget": (
                enough - start if enough is not None and start is not None else None
            ),
            "lastCountChangeMinute": last_change,
            "minutesToSteadyState": (
                (last_change - start) if settled and start is not None and last_change else None
            ),
            "peakDesired": peak_desired,
            "peakRunning": peak_running,
            "reachedMaxCapacity": peak_desired >= self.service.max_capacity,
            "scaleOuts": len(out),
            "scaleIns": len(self.activities) - len(out),
            "cost": str(to_cents(self.minutes[-1].cost_so_far)) if self.minutes else "0.00",
        }


def _window(points: list[float | None], visible: int, count: int) -> list[float | None] | None:
    """The last `count` datapoints the alarm can see, or None while it has fewer."""
    if visible < count:
        return None
    return points[visible - count: visible]


def simulate(
    service: ServiceModel,
    load: Callable[[int], float],
    minutes: int,
    assumptions: Assumptions = Assumptions(),
    profile: str = "",
) -> SimulationResult:
    """Run the model for `minutes` one-minute steps; see the module docstring."""
    a = assumptions
    delay = a.task_start_delay_s / 60
    tasks = [_Task(launched=-10.0, ready=-10.0) for _ in range(service.initial_count)]
    desired = service.initial_count
    cpu_points: list[float | None] = []
    memory_points: list[float | None] = []
    result = SimulationResult(service, assumptions, profile)
    cost = Decimal(0)
    per_minute_cost = service.hourly_task_cost / 60
    last_scale_out: float | None = None
    capacity_before_scale_out = desired
    last_scale_in: float | None = None
    policies = (
        ("cpu", service.cpu_target, cpu_points),
        ("memory", service.memory_target, memory_points),
    )

    for minute in range(minutes):
        level = load(minute)
        carrying = sum(t.share(minute, minute + 1, "ready") for t in tasks)
        billed = sum(t.share(minute, minute + 1, "launched") for t in tasks)
        cost += per_minute_cost * Decimal(str(round(billed, 6)))
        if carrying > 0:
            # One task at the CPU target carries load 1x; a task cannot exceed 100 %.
            cpu: float | None = min(100.0, level * service.cpu_target / carrying)
            memory: float | None = a.memory_utilisation
        else:
            cpu = memory = None  # no running task sends no datapoint
        cpu_points.append(cpu)
        memory_points.append(memory)

        decided_at = minute + 1  # the alarm acts once the minute's datapoint is complete
        visible = minute + 1 - a.alarm_lag_minutes
        event = ""

        # (policy, target, latest datapoint) of each policy whose alarm fires this minute
        high: list[tuple[str, float, float]] = []
        low: list[tuple[str, float, float]] = []
        for name, target, points in policies:
            recent = [p for p in _window(points, visible, a.scale_out_datapoints) or [] if p is not None]
            if recent and len(recent) == a.scale_out_datapoints and all(p > target for p in recent):
                high.append((name, target, recent[-1]))
            recent = [p for p in _window(points, visible, a.scale_in_datapoints) or [] if p is not None]
            if (recent and len(recent) == a.scale_in_datapoints
                    and all(p < a.scale_in_fraction * target for p in recent)):
                low.append((name, target, recent[-1]))

        if high:
            # Inside the scale-out cooldown the capacity the last scale-out added counts as
            # already there: start from the capacity before it, so requests do not compound.
            in_cooldown = (
                last_scale_out is not None
                and decided_at < last_scale_out + service.scale_out_cooldown_s / 60
            )
            base = capacity_before_scale_out if in_cooldown else desired
            wanted = max(math.ceil(base * value / target - 1e-9) for _, target, value in high)
            wanted = min(wanted, service.max_capacity)
            if wanted > desired:
                cause = "+".join(name for name, _, _ in high)
                result.activities.append(Activity(decided_at, desired, wanted,
                                                  f"{cause} AlarmHigh"))
                event = f"scale out {desired}->{wanted} ({cause})"
                if not in_cooldown:
                    capacity_before_scale_out = desired
                tasks.extend(_Task(decided_at, decided_at + delay) for _ in range(wanted - desired))
                desired = wanted
                last_scale_out = decided_at
                last_scale_in = None  # a scale-out ends a scale-in cooldown
        elif len(low) == len(policies):
            in_cooldown = (
                last_scale_in is not None
                and decided_at < last_scale_in + service.scale_in_cooldown_s / 60
            )
            wanted = max(math.ceil(desired * value / target - 1e-9) for _, target, value in low)
            wanted = max(wanted, service.min_capacity)
            if wanted < desired and in_cooldown:
                event = "scale-in held (cooldown)"
            elif wanted < desired:
                result.activities.append(Activity(decided_at, desired, wanted,
                                                  "all policies AlarmLow"))
                event = f"scale in {desired}->{wanted}"
                live = [t for t in tasks if t.stopped == math.inf]
                # ECS stops tasks that are not yet running first, then the newest.
                for task in sorted(live, key=lambda t: (t.ready <= decided_at, t.launched),
                                   reverse=False)[: desired - wanted]:
                    task.stopped = decided_at
                desired = wanted
                last_scale_in = decided_at
        running = sum(1 for t in tasks if t.ready <= minute + 1 < t.stopped)
        result.minutes.append(Minute(minute, level, cpu, memory, desired, running, cost, event))
    return result


# --- output -------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render_table(result: SimulationResult) -> str:
    s = result.service
    lines = [
        f"{s.name}: min {s.min_capacity}, max {s.max_capacity}, CPU target {s.cpu_target:g}%, "
        f"memory target {s.memory_target:g}%, cooldowns out {s.scale_out_cooldown_s} s / in "
        f"{s.scale_in_cooldown_s} s, task start {result.assumptions.task_start_delay_s} s",
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
    return json.dumps(document, indent=2) + "\n"


def render_svg(result: SimulationResult, width: int = 800, height: int = 360) -> str:
    """Task counts (left axis) and CPU utilisation (right axis, 0-100 %) over time."""
    left, right, top, bottom = 50, 50, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(result.minutes) - 1)
    peak = max([result.service.max_capacity] + [m.desired for m in result.minutes])
    top_tasks = max(1, peak)

    def x(minute: float) -> float:
        return left + plot_w * minute / count

    def y_tasks(value: float) -> float:
        return top + plot_h * (1 - value / top_tasks)

    def y_pct(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    def path(points: list[tuple[float, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}"
                        for i, (px, py) in enumerate(points))

    def steps(values: list[int]) -> list[tuple[float, float]]:
        points = []
        for i, value in enumerate(values):
            points += [(x(i), y_tasks(value)), (x(min(i + 1, count)), y_tasks(value))]
        return points

    cpu = [(x(m.minute), y_pct(m.cpu)) for m in result.minutes if m.cpu is not None]
    s = result.service
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<title>{s.name}: {result.profile}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{left}" y="18" font-size="13">{s.name}: tasks and CPU under {result.profile}'
        '</text>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y_pct(s.cpu_target):.1f}" '
        f'y2="{y_pct(s.cpu_target):.1f}" stroke="#ff7f0e" stroke-dasharray="4 3"/>',
        f'<text x="{left + plot_w + 4}" y="{y_pct(s.cpu_target):.1f}">target '
        f'{s.cpu_target:g}%</text>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y_tasks(s.max_capacity):.1f}" '
        f'y2="{y_tasks(s.max_capacity):.1f}" stroke="#d62728" stroke-dasharray="2 2"/>',
        f'<text x="{left + 4}" y="{y_tasks(s.max_capacity) - 3:.1f}" fill="#d62728">max '
        f'{s.max_capacity}</text>',
        f'<path d="{path(steps([m.desired for m in result.minutes]))}" fill="none" '
        'stroke="#1f77b4" stroke-width="2"/>',
        f'<path d="{path(steps([m.running for m in result.minutes]))}" fill="none" '
        'stroke="#2ca02c" stroke-width="2" stroke-dasharray="5 3"/>',
    ]
    if cpu:
        parts.append(f'<path d="{path(cpu)}" fill="none" stroke="#ff7f0e" stroke-width="1.5"/>')
    for tick in range(0, count + 1, max(1, count // 10)):
        parts.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" '
                     f'text-anchor="middle">{tick}</text>')
    parts += [
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">minute</text>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{top_tasks}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
        f'<text x="{left + plot_w + 4}" y="{top + 4}">100%</text>',
        f'<text x="{left}" y="{height - 8}" fill="#1f77b4">desired</text>',
        f'<text x="{left + 50}" y="{height - 8}" fill="#2ca02c">running</text>',
        f'<text x="{left + 100}" y="{height - 8}" fill="#ff7f0e">CPU %</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


# --- command ------------------------------------------------------------------------------


def read_stack_config(stack: str, stack_file: Path | None = None,
                      project_dir: Path = PROJECT_DIR) -> StackConfig:
    """The validated StackConfig of a stack file, read as the CLI would pass it."""
    settings = load_stack_settings(stack, project_dir, stack_file)
    raw = {k.split(":", 1)[1]: v for k, v in settings.config.items()
           if k.startswith(f"{PROJECT}:")}
    aws = {k.split(":", 1)[1]: v for k, v in settings.config.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws)


def service_or_error(config: StackConfig, stack: str, key: str) -> ServiceConfig | None:
    service = config.services.get(key)
    if service is None:
        print(f"error: {stack}: services.{key}: no such service (allowed: "
              f"{', '.join(sorted(config.services))})", file=sys.stderr)
    return service


def handle(args: argparse.Namespace) -> int:
    try:
        config = read_stack_config(args.stack, args.stack_file, args.project_dir)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service = service_or_error(config, args.stack, args.service)
    if service is None:
        return 2
    if not service.scaling.enabled:
        print(f"error: {args.stack}: services.{args.service}.scaling.enabled is false: the "
              "service runs a fixed count, there is nothing to simulate", file=sys.stderr)
        return 2
    assumptions = Assumptions(
        task_start_delay_s=args.task_start_delay,
        alarm_lag_minutes=args.alarm_lag,
        memory_utilisation=args.memory_utilisation,
        base_load=args.base_load,
    )
    try:
        load = parse_profile(args.load, assumptions.base_load)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = simulate(ServiceModel.from_config(args.service, service), load, args.minutes,
                      assumptions, args.load)
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


def register(subparsers: argparse._SubParsersAction) -> None:
    from offline.preview import add_stack_arguments

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
    parser.add_argument("--alarm-lag", type=_bounded_int(0, 10),
                        default=defaults.alarm_lag_minutes,
                        help="minutes of CloudWatch lag before an alarm acts (default 0)")
    parser.add_argument("--memory-utilisation", type=float, default=defaults.memory_utilisation,
                        help="constant per-task memory utilisation %% (default %(default)s)")
    parser.add_argument("--base-load", type=float, default=defaults.base_load,
                        help="load outside the profile's changes, in x (default %(default)s)")
    parser.set_defaults(handler=handle)
