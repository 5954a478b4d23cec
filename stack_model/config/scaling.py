"""`services.<key>.scaling`: target tracking on CPU and memory between min and max, and the
emergency floor (holdAt); for a queue worker, backlog per task instead of CPU (queueBacklog); for
a service behind a load balancer, requests per target as well (requestsPerTarget). With
scaling on, the service leaves its desired count to Application Auto Scaling
(components/scalable_service.py, stack_model/ecs_service.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from policies.guardrails.facts.conventions import MAX_TASKS_PER_SERVICE
from policies.guardrails.facts.scaling import MIN_BACKLOG_PER_TASK, backlog_per_task_target
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, raise_problems

Seconds = Annotated[int, Field(ge=0, le=3600)]
# An SQS queue name: 1 to 80 letters, digits, '-' or '_', '.fifo' allowed at the end (SQS
# CreateQueue, QueueName); a Laravel Redis queue name is free text, held to the same shape.
QUEUE_NAME = r"^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$"


class QueueBacklogConfig(ConfigModel):
    """Backlog per task: the queue's depth over the service's running tasks, held at
    acceptableLatency / secondsPerJob (Copilot's queue_delay; Application Auto Scaling user
    guide, "Scaling policy based on Amazon SQS"). Replaces CPU tracking; memory stays."""

    connection: Literal["sqs", "redis"] = "sqs"
    """Where the jobs wait (Laravel's QUEUE_CONNECTION): sqs reads AWS/SQS
    ApproximateNumberOfMessagesVisible (free); redis reads Z360/Queue QueueDepth, which the
    application or a sidecar must publish (docs/operations.md, "Queue backlog scaling")."""
    queue_name: Annotated[str, Field(pattern=QUEUE_NAME)]
    """The SQS queue's name (not its URL), or the Laravel queue name on Redis."""
    acceptable_latency: Annotated[float, Field(gt=0, le=86_400)]
    """Seconds a job may wait before a task starts it."""
    seconds_per_job: Annotated[float, Field(gt=0, le=86_400)]
    """Seconds one task takes per job (measured: the worker's average)."""

    @property
    def target_backlog_per_task(self) -> float:
        return backlog_per_task_target(self.acceptable_latency, self.seconds_per_job)

    @model_validator(mode="after")
    def _reachable(self) -> QueueBacklogConfig:
        if self.target_backlog_per_task < MIN_BACKLOG_PER_TASK:
            raise_problems([(("acceptableLatency",), (
                f"{self.acceptable_latency:g} s is shorter than secondsPerJob "
                f"{self.seconds_per_job:g} s: a backlog per task of "
                f"{self.target_backlog_per_task:.2f} jobs, under the one job a busy task always "
                "holds, so no number of tasks reaches it; allow at least one job's time"))])
        return self


class RequestsPerTargetConfig(ConfigModel):
    """Target tracking on ALBRequestCountPerTarget (requests per task per minute), its target
    the measured per-task throughput (waf.taskRequestsPerSecond) x 60 x utilisation."""

    utilisation: Annotated[float, Field(gt=0, le=1)] = 0.7
    """Share of one task's measured throughput to hold each task at (headroom for bursts)."""


class ScalingConfig(ConfigModel):
    enabled: bool = False
    """Target tracking owns the desired count when true."""
    min: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Fewest tasks auto-scaling may run (0 allowed)."""
    max: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Most tasks auto-scaling may run."""
    cpu_target: Annotated[float, Field(ge=10, le=95)] = 70.0
    """Average CPU utilisation (%) target tracking holds."""
    memory_target: Annotated[float, Field(ge=10, le=95)] = 70.0
    """Average memory utilisation (%) target tracking holds."""
    scale_out_cooldown: Seconds = 0
    """Seconds after a scale-out before another; 0 means no wait."""
    scale_in_cooldown: Seconds = 600
    """Seconds after a scale-in before another."""
    hold_at: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] | None = None
    """Emergency floor: pin the task count here (min = max = holdAt) whatever the load says."""
    queue_backlog: QueueBacklogConfig | None = None
    """A queue worker: scale on backlog per task instead of CPU (memory tracking stays)."""
    requests_per_target: RequestsPerTargetConfig | None = None
    """Behind a load balancer: also track requests per target (needs waf.loadBalancerArn and
    waf.taskRequestsPerSecond)."""

    @model_validator(mode="after")
    def _bounds(self) -> ScalingConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.min > self.max:
            problems.append(
                (("min",), f"{self.min} is above max {self.max}: min must be <= max")
            )
        elif self.enabled and self.hold_at is not None and \
                not (self.min <= self.hold_at <= self.max):
            # With scaling off the service refuses holdAt itself (services.py).
            problems.append((
                ("holdAt",),
                f"{self.hold_at} lies outside min {self.min} .. max {self.max}: an emergency "
                "floor must be a count the service may run (raise max first if you need more)",
            ))
        raise_problems(problems)
        return self
