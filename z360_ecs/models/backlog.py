"""The queue-backlog model: how long a queue worker takes to drain a backlog, under the scaling
it is configured with.

Pure: a `QueueModel` (job time, min/max, cooldowns, the signal it scales on), a `BacklogLoad`
(`parse_backlog`: jobs dropped at a minute, plus steady arrivals) and the target-tracking
`Assumptions` (models/target_tracking.py: datapoints to alarm, publish and action delays, task
start) in, a `BacklogResult` (one `BacklogMinute` per minute and a summary) out.

Each running task works one job at a time, `seconds_per_job` each. Two signals:
- backlog per task (scaling.queueBacklog): the queue's depth over the running tasks, one
  datapoint a minute (AWS/SQS and Container Insights publish every 60 s); target tracking asks
  for ceil(desired x value / target), i.e. about backlog / target tasks;
- CPU (the service without queueBacklog): a busy task's CPU is `job_cpu` percent. I/O-bound
  jobs (webhooks, CRM and model calls) wait on the network, so CPU stays under the target
  however long the queue grows, and the service never scales out.
Memory tracking is the second policy either way, at the constant `Assumptions.
memory_utilisation`: with several policies AWS scales in only when every one agrees
(Application Auto Scaling user guide, "Target tracking scaling policies", multiple policies).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policies.guardrails.facts.fargate import hourly_task_cost, to_cents
from stack_model.config import ServiceConfig
from z360_ecs.models.target_tracking import Assumptions, ProfileError

BACKLOG_FORM = "backlog:JOBS@MINUTE[+RATE/s] (JOBS queued at MINUTE, RATE jobs/s arriving throughout)"
MAX_JOBS = 100_000_000
METRIC_PERIOD_S = 60  # AWS/SQS and ECS/ContainerInsights publish once a minute


@dataclass(frozen=True)
class BacklogLoad:
    jobs: int
    """Jobs dropped on the queue at once."""
    at_minute: int
    """Minute they arrive."""
    arrivals_per_s: float = 0.0
    """Jobs arriving every second, throughout."""


def parse_backlog(text: str) -> BacklogLoad:
    """`backlog:10000@5` or `backlog:10000@5+2/s`; raises ProfileError naming the problem."""
    match = re.fullmatch(r"backlog:(\d+)@(\d+)(?:\+(\d+(?:\.\d+)?)/s)?", text.strip())
    if not match:
        raise ProfileError(f"--load {text!r} is not {BACKLOG_FORM}")
    jobs = int(match[1])
    if jobs > MAX_JOBS:
        raise ProfileError(f"--load {text!r}: {jobs:,} jobs is above {MAX_JOBS:,}")
    return BacklogLoad(jobs, int(match[2]), float(match[3] or 0))


@dataclass(frozen=True)
class QueueModel:
    name: str
    min_capacity: int
    max_capacity: int
    seconds_per_job: float
    scale_out_cooldown_s: int
    scale_in_cooldown_s: int
    memory_target: float
    hourly_task_cost: Decimal
    backlog_target: float | None
    """Jobs per task target tracking holds; None when the service tracks CPU instead."""
    cpu_target: float = 70.0
    job_cpu: float = 10.0
    """CPU % of a task busy with one I/O-bound job (CPU tracking only)."""

    @property
    def signal(self) -> str:
        return "backlog per task" if self.backlog_target is not None else "CPU"

    @classmethod
    def from_config(
        cls, key: str, service: ServiceConfig, *, seconds_per_job: float | None = None,
        cpu_tracking: bool = False, job_cpu: float = 10.0,
    ) -> QueueModel:
        """The service as configured; `cpu_tracking` models it without queueBacklog (CPU and
        memory tracking, as before). The job time is queueBacklog's unless given."""
        backlog = service.scaling.queue_backlog
        job = seconds_per_job or (backlog.seconds_per_job if backlog else None)
        if job is None:
            raise ValueError(f"services.{key}.scaling.queueBacklog is unset: give the job time "
                             "(--seconds-per-job)")
        return cls(
            name=key, min_capacity=service.effective_min, max_capacity=service.effective_max,
            seconds_per_job=job,
            scale_out_cooldown_s=service.scaling.scale_out_cooldown,
            scale_in_cooldown_s=service.scaling.scale_in_cooldown,
            memory_target=service.scaling.memory_target,
            hourly_task_cost=hourly_task_cost(service.cpu, service.memory, service.architecture),
            backlog_target=(backlog.target_backlog_per_task
                            if backlog is not None and not cpu_tracking else None),
            cpu_target=service.scaling.cpu_target, job_cpu=job_cpu,
        )


@dataclass
class BacklogMinute:
    minute: int
    backlog: int
    """Jobs waiting at the end of the minute."""
    desired: int
    running: int
    cost_so_far: Decimal
    event: str = ""


@dataclass
class BacklogResult:
    model: QueueModel
    load: BacklogLoad
    minutes: list[BacklogMinute] = field(default_factory=list)
    drained_at_s: int | None = None
    """Second the dropped backlog was gone (under one job waiting), or None within the run."""

    def summary(self) -> dict[str, Any]:
        start = self.load.at_minute * 60
        drain = self.drained_at_s - start if self.drained_at_s is not None else None
        return {
            "signal": self.model.signal,
            "jobsDropped": self.load.jobs,
            "dropMinute": self.load.at_minute,
            "secondsToDrain": drain,
            "minutesToDrain": round(drain / 60, 1) if drain is not None else None,
            "peakDesired": max((m.desired for m in self.minutes), default=0),
            "peakRunning": max((m.running for m in self.minutes), default=0),
            "cost": str(to_cents(self.minutes[-1].cost_so_far)) if self.minutes else "0.00",
        }


@dataclass
class _Worker:
    ready_at: float
    stopped_at: float = math.inf

    def working(self, now: float) -> bool:
        return self.ready_at <= now < self.stopped_at


def simulate_backlog(
    model: QueueModel, load: BacklogLoad, minutes: int, assumptions: Assumptions | None = None,
) -> BacklogResult:
    """Run `minutes` of the queue one second at a time; see the module docstring."""
    a = assumptions or Assumptions()
    delay = a.publish_delay_s(METRIC_PERIOD_S)
    workers = [_Worker(-600.0) for _ in range(model.min_capacity)]
    desired = model.min_capacity
    backlog = 0.0
    points: dict[str, list[float | None]] = {"signal": [], "memory": []}
    ends: list[int] = []
    targets = {"signal": model.backlog_target if model.backlog_target is not None
               else model.cpu_target, "memory": model.memory_target}
    pending: list[tuple[int, int]] = []  # (apply at second, wanted)
    last_out: int | None = None
    last_in: int | None = None
    last_high: int | None = None
    result = BacklogResult(model, load)
    cost = Decimal(0)
    per_second = model.hourly_task_cost / 3600
    events: dict[int, list[str]] = {}
    busy_seconds = 0.0

    def note(second: int, text: str) -> None:
        events.setdefault(second // 60, []).append(text)  # in the row of the minute it falls in

    for now in range(0, minutes * 60 + 1):
        if now > 0 and now % 60 == 0:
            # The minute that ends now, before anything this second does.
            minute = now // 60 - 1
            running = sum(1 for w in workers if w.working(now))
            result.minutes.append(BacklogMinute(minute, math.ceil(backlog - 1e-9), desired,
                                                running, cost, "; ".join(events.get(minute, []))))
        if now == minutes * 60:
            break
        if now > 0 and now % METRIC_PERIOD_S == 0:
            # The datapoint of [now - 60, now): before anything this second does.
            ends.append(now)
            live = [w for w in workers if w.stopped_at == math.inf]
            working = sum(1 for w in live if w.working(now))
            if working == 0:
                points["signal"].append(None)  # no running task: no RunningTaskCount datapoint
                points["memory"].append(None)
            else:
                if model.backlog_target is not None:
                    value = backlog / working
                else:  # a busy task's CPU, averaged over the minute's capacity
                    value = model.job_cpu * min(1.0, busy_seconds / (working * METRIC_PERIOD_S))
                points["signal"].append(value)
                points["memory"].append(a.memory_utilisation)
            busy_seconds = 0.0
            visible = sum(1 for e in ends if e + delay <= now)
            high, low = [], []
            for name, series in points.items():
                seen = series[:visible]
                out = [p for p in seen[-a.scale_out_datapoints:] if p is not None]
                if len(out) == a.scale_out_datapoints and all(p > targets[name] for p in out):
                    high.append(out[-1] / targets[name])
                inn = [p for p in seen[-a.scale_in_datapoints:] if p is not None]
                if len(inn) == a.scale_in_datapoints and \
                        all(p < a.scale_in_fraction * targets[name] for p in inn):
                    low.append(inn[-1] / targets[name])
            if high and (last_high is None or now >= last_high + a.reinvoke_interval_s):
                last_high = now
                cooling = last_out is not None and now < last_out + model.scale_out_cooldown_s
                wanted = min(model.max_capacity, math.ceil(desired * max(high) - 1e-9))
                if wanted > desired and not cooling:
                    pending.append((now + a.scaling_action_delay_s, wanted))
                    last_out, last_in = now, None
            elif not high and len(low) == len(points):
                cooling = last_in is not None and now < last_in + model.scale_in_cooldown_s
                wanted = max(model.min_capacity, math.ceil(desired * max(low) - 1e-9))
                if wanted < desired and not cooling:
                    note(now, f"scale in {desired}->{wanted}")
                    # ECS stops tasks not yet running first, then the newest.
                    for worker in sorted(live, key=lambda w: w.ready_at, reverse=True)[
                            : desired - wanted]:
                        worker.stopped_at = now
                    desired, last_in = wanted, now
        for item in [p for p in pending if p[0] <= now]:
            pending.remove(item)
            if item[1] > desired:
                note(now, f"scale out {desired}->{item[1]}")
                workers.extend(_Worker(now + a.task_start_delay_s)
                               for _ in range(item[1] - desired))
                desired = item[1]
        if now == load.at_minute * 60:
            backlog += load.jobs
        backlog += load.arrivals_per_s
        live = [w for w in workers if w.stopped_at == math.inf]
        working = sum(1 for w in live if w.working(now))
        done = min(backlog, working / model.seconds_per_job)
        busy_seconds += done * model.seconds_per_job
        backlog -= done
        if result.drained_at_s is None and now >= load.at_minute * 60 and backlog < 1:
            result.drained_at_s = now + 1  # at the end of this second
        cost += per_second * len(live)
    return result
