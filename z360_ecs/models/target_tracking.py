"""The target-tracking model: what Application Auto Scaling does with an ECS service, in steps of
the service's metric resolution (20 or 60 s).

Pure: a `ServiceModel` (targets, cooldowns, min/max, task price, metric resolution), a load
profile (`parse_profile`) and `Assumptions` in, a `SimulationResult` (one `Minute` per minute,
the scaling `Activity` list and a summary) out. Every behaviour the model assumes is a named
field of `Assumptions`; docs/verification.md ("Assumptions") gives the source of each. The
delays are calibrated to AWS's published measurements (load step -> scale-out trigger 363 s
with 60 s metrics, 86 s with 20 s; -> new capacity 386 s and 109 s), see
tests/z360_ecs/models/test_calibration.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from policies.guardrails.facts.fargate import hourly_task_cost, to_cents
from stack_model.config import ServiceConfig


class ProfileError(ValueError):
    """A --load profile that cannot be parsed."""


PROFILE_FORMS = (
    "step:10x@5[,1x@40...], ramp:1x-10x@5-25, spike:10x@5+10 or flat:3x "
    "(load in multiples of one task at its CPU target, times in minutes)"
)


@dataclass(frozen=True)
class Assumptions:
    """How the model believes AWS behaves; each field's source is in docs/verification.md ("Assumptions")."""

    scale_out_datapoints: int = 3
    """AlarmHigh: this many consecutive datapoints above the target (3 of 3)."""
    scale_in_datapoints: int = 15
    """AlarmLow: this many consecutive datapoints below scale_in_fraction x target (15 of 15)."""
    scale_in_fraction: float = 0.9
    """AlarmLow's threshold as a fraction of the target."""
    publish_delay_60_s: int = 150
    """Seconds from the end of a 60 s datapoint's period until the alarm can see it.
    Calibrated: AWS's 363 s to the trigger at 60 s, less the 3 x 60 s of datapoints."""
    publish_delay_20_s: int = 20
    """The same for 20 s datapoints. Calibrated: AWS's 86 s, less the 3 x 20 s of datapoints."""
    reinvoke_interval_s: int = 60
    """While an alarm stays in ALARM, its scaling action runs again this often."""
    scaling_action_delay_s: int = 23
    """Seconds from the alarm acting to ECS launching the new tasks (Application Auto Scaling
    -> UpdateService -> placement). Calibrated: AWS's 386 - 363 = 109 - 86 = 23 s."""
    task_start_delay_s: int = 90
    """Seconds from a task's launch until it carries load (Fargate image pull, container
    start, load balancer health check). Fargate bills from the start of the pull."""
    memory_utilisation: float = 40.0
    """Per-task memory utilisation (%), held constant: memory does not follow request load in
    this model. Above memoryTarget it would scale out; above 90 % of it, it blocks scale-in."""
    base_load: float = 1.0
    """Load before and after a profile's changes, in multiples of one task at target."""

    def publish_delay_s(self, resolution_s: int) -> int:
        return self.publish_delay_20_s if resolution_s < 60 else self.publish_delay_60_s


# The idealised model: data visible the moment its period ends, actions at once. The
# hand-worked cases in the tests use it; the calibrated defaults above are for planning.
IDEAL_DELAYS = {"publish_delay_60_s": 0, "publish_delay_20_s": 0, "scaling_action_delay_s": 0}


# --- load profiles ------------------------------------------------------------------------

_LOAD = r"(\d+(?:\.\d+)?)x"
MAX_LOAD = 10_000.0
"""Highest load a profile may name, in multiples of one task at target (ECS runs at most 5,000
tasks per service): larger numbers say nothing more and risk overflow."""
_MINUTE = r"(\d+)"


def parse_profile(text: str, base_load: float = 1.0) -> Callable[[int], float]:
    """The load for each minute described by `text`; raises ProfileError naming the problem."""
    kind, _, spec = text.partition(":")
    spec = spec.strip()
    for level in re.findall(_LOAD, spec):
        if float(level) > MAX_LOAD:
            raise ProfileError(f"--load {text!r}: {level}x is above {MAX_LOAD:g}x")
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
    metric_resolution_s: int = 60
    """Seconds per CPU/memory datapoint: 60, or 20 with high-resolution metrics."""

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
            metric_resolution_s=service.metric_resolution,
        )


@dataclass(slots=True)
class _Task:
    launched: float  # minutes
    ready: float
    stopped: float = math.inf


def _tasks_over(spans: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """Tasks over [start, end): each task's span (from, stopped) counted by the fraction of
    [start, end) it covers, summed. Carrying load spans from `ready`, billing from `launched`."""
    width = end - start
    return sum(max(0.0, min(end, stopped) - max(start, begin)) / width for begin, stopped in spans)


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
    at_second: int
    """Second at which the desired count was set (the new tasks launched)."""
    from_count: int
    to_count: int
    cause: str
    triggered_at_second: int = 0
    """Second at which the alarm acted."""

    @property
    def at_minute(self) -> float:
        """`at_second` in minutes (a whole number with 60 s metrics and no delays)."""
        return self.at_second / 60


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
            and not any(a.at_second >= self.minutes[-1].minute * 60 for a in self.activities)
        )
        start_s = start * 60 if start is not None else None
        first_ready = None
        if first_out is not None:
            first_ready = first_out.at_second + self.assumptions.task_start_delay_s
        return {
            "loadStartMinute": start,
            "metricResolutionSeconds": self.service.metric_resolution_s,
            "firstScaleOutMinute": round(first_out.at_minute, 2) if first_out else None,
            "secondsToTrigger": (
                first_out.triggered_at_second - start_s
                if first_out and start_s is not None else None
            ),
            "secondsToFirstScaleOut": (
                first_out.at_second - start_s if first_out and start_s is not None else None
            ),
            "secondsToNewTasksCarryingLoad": (
                first_ready - start_s if first_ready is not None and start_s is not None else None
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


def _extend_run(runs: list[int], holds: bool) -> None:
    """Append the length of the run of datapoints in a row, ending at the new one, for which
    a test `holds`."""
    runs.append((runs[-1] + 1 if runs else 1) if holds else 0)


def simulate(
    service: ServiceModel,
    load: Callable[[int], float],
    minutes: int,
    assumptions: Assumptions = Assumptions(),
    profile: str = "",
) -> SimulationResult:
    """Run the model for `minutes`, one datapoint period at a time; see the module docstring.

    Time is in whole seconds. A datapoint covers [t - R, t) for the resolution R, becomes
    visible publish_delay later, and each alarm is evaluated at every multiple of R. An alarm
    that finds its last N visible datapoints all beyond its threshold acts at once and then every
    reinvoke_interval while it stays so; its new desired count takes effect
    scaling_action_delay later, and the tasks it adds carry load task_start_delay after that."""
    a = assumptions
    period = service.metric_resolution_s
    delay = a.publish_delay_s(period)
    tasks = [_Task(launched=-600.0, ready=-600.0) for _ in range(service.initial_count)]
    desired = service.initial_count
    cpu_points: list[float | None] = []
    memory_points: list[float | None] = []
    ends: list[int] = []  # end second of each datapoint's period
    result = SimulationResult(service, assumptions, profile)
    cost = Decimal(0)
    per_second_cost = service.hourly_task_cost / 3600
    last_scale_out: float | None = None
    capacity_before_scale_out = desired
    last_scale_in: float | None = None
    last_high_action: float | None = None
    last_low_action: float | None = None
    pending: list[tuple[int, int, int, str]] = []  # (apply at, wanted, triggered at, cause)
    # Per policy, the run of datapoints in a row ending at each one that are above its target
    # (AlarmHigh's test) and below scale_in_fraction x target (AlarmLow's): an alarm acts when
    # the run ending at the last visible datapoint is as long as it needs. A missing datapoint
    # ends both runs.
    policies: tuple[tuple[str, float, list[float | None], list[int], list[int]], ...] = (
        ("cpu", service.cpu_target, cpu_points, [], []),
        ("memory", service.memory_target, memory_points, [], []),
    )
    events: dict[int, list[str]] = {}
    minute_cpu: dict[int, list[float]] = {}
    end = minutes * 60

    def note(second: int, text: str) -> None:
        events.setdefault(max(0, (second - 1) // 60), []).append(text)

    def apply(now: int) -> None:
        nonlocal desired, last_scale_out, capacity_before_scale_out, last_scale_in
        if not pending:  # the common second: nothing is due
            return
        for item in [p for p in pending if p[0] == now]:
            pending.remove(item)
            _, wanted, triggered, cause = item
            if wanted <= desired:
                continue
            in_cooldown = (last_scale_out is not None
                           and triggered < last_scale_out + service.scale_out_cooldown_s)
            if not in_cooldown:
                capacity_before_scale_out = desired
            result.activities.append(Activity(now, desired, wanted, f"{cause} AlarmHigh",
                                              triggered))
            note(now, f"scale out {desired}->{wanted} ({cause})")
            tasks.extend(_Task(now / 60, (now + a.task_start_delay_s) / 60)
                         for _ in range(wanted - desired))
            desired = wanted
            last_scale_out = triggered
            last_scale_in = None  # a scale-out ends a scale-in cooldown

    def next_second(now: int) -> int:
        """The next second at which anything can happen: a datapoint's period or a minute
        ends, or a scaling action comes due. Between them nothing changes, so they are the
        only seconds the loop visits."""
        due = [second for second, *_ in pending if second > now]
        return min(now - now % period + period, now - now % 60 + 60, *due)

    visible = 0  # datapoints published by now: `ends` and `now` only grow
    now = 0
    while now <= end:
        apply(now)
        if now > 0 and now % period == 0:
            start_s, start_min = (now - period) / 60, now / 60
            level = load((now - period) // 60)
            carrying = _tasks_over(((t.ready, t.stopped) for t in tasks), start_s, start_min)
            if carrying > 0:
                # One task at the CPU target carries load 1x; a task cannot exceed 100 %.
                busy = min(100.0, level * service.cpu_target / carrying)
                minute_cpu.setdefault((now - period) // 60, []).append(busy)
                cpu: float | None = busy
                memory: float | None = a.memory_utilisation
            else:
                cpu = memory = None  # no running task sends no datapoint
            cpu_points.append(cpu)
            memory_points.append(memory)
            for _, target, points, above, below in policies:
                point = points[-1]
                _extend_run(above, point is not None and point > target)
                _extend_run(below, point is not None and point < a.scale_in_fraction * target)
            ends.append(now)

            while visible < len(ends) and ends[visible] + delay <= now:
                visible += 1
            high: list[tuple[str, float, float]] = []
            low: list[tuple[str, float, float]] = []
            for name, target, points, above, below in policies:
                if visible and above[visible - 1] >= a.scale_out_datapoints:
                    high.append((name, target, cast(float, points[visible - 1])))
                if visible and below[visible - 1] >= a.scale_in_datapoints:
                    low.append((name, target, cast(float, points[visible - 1])))
            if not high:
                last_high_action = None
            if len(low) < len(policies):
                last_low_action = None

            if high and (last_high_action is None
                         or now >= last_high_action + a.reinvoke_interval_s):
                last_high_action = now
                # Inside the scale-out cooldown the capacity the last scale-out added counts
                # as already there: start from the capacity before it, so requests do not
                # compound.
                in_cooldown = (last_scale_out is not None
                               and now < last_scale_out + service.scale_out_cooldown_s)
                base = capacity_before_scale_out if in_cooldown else desired
                wanted = max(math.ceil(base * value / target - 1e-9) for _, target, value in high)
                wanted = min(wanted, service.max_capacity)
                cause = "+".join(name for name, _, _ in high)
                if wanted > desired:
                    pending.append((now + a.scaling_action_delay_s, wanted, now, cause))
                    apply(now)
            elif not high and len(low) == len(policies) and (
                    last_low_action is None or now >= last_low_action + a.reinvoke_interval_s):
                last_low_action = now
                in_cooldown = (last_scale_in is not None
                               and now < last_scale_in + service.scale_in_cooldown_s)
                wanted = max(math.ceil(desired * value / target - 1e-9) for _, target, value in low)
                wanted = max(wanted, service.min_capacity)
                if wanted < desired and in_cooldown:
                    note(now, "scale-in held (cooldown)")
                elif wanted < desired:
                    result.activities.append(Activity(now, desired, wanted,
                                                      "all policies AlarmLow", now))
                    note(now, f"scale in {desired}->{wanted}")
                    live = [t for t in tasks if t.stopped == math.inf]
                    # ECS stops tasks that are not yet running first, then the newest.
                    for task in sorted(live, key=lambda t: (t.ready <= now / 60, t.launched),
                                       reverse=False)[: desired - wanted]:
                        task.stopped = now / 60
                    desired = wanted
                    last_scale_in = now

        if now > 0 and now % 60 == 0:
            minute = now // 60 - 1
            billed = _tasks_over(((t.launched, t.stopped) for t in tasks), minute, minute + 1)
            cost += per_second_cost * 60 * Decimal(str(round(billed, 6)))
            running = sum(1 for t in tasks if t.ready <= minute + 1 < t.stopped)
            # A task stopped before this minute, and before the next datapoint's period,
            # adds nothing to any later share or count.
            forgotten = min(minute, (now - period) / 60)
            tasks[:] = [t for t in tasks if t.stopped >= forgotten]
            values = minute_cpu.get(minute)
            cpu_avg = sum(values) / len(values) if values else None
            result.minutes.append(Minute(
                minute, load(minute), cpu_avg,
                a.memory_utilisation if values else None, desired, running, cost,
                "; ".join(events.get(minute, [])),
            ))
        now = next_second(now)
    return result
