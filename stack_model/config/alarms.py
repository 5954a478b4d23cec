"""`services.<key>.alarms`: the service's CPU, memory and task-count alarms, and the datapoints
they judge. What a period can hold is CloudWatch's (policies/guardrails/facts/metrics.py): here
against every resolution AWS/ECS can have; ServiceConfig judges it against the service's own
metricResolution."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from policies.guardrails.facts.conventions import MAX_TASKS_PER_SERVICE
from policies.guardrails.facts.metrics import (
    ECS_SERVICE_NAMESPACE,
    alarm_period_problem,
    max_evaluation_seconds,
)
from stack_model.config.base import ConfigModel, NoBool
from stack_model.config.errors import KeyPath, raise_problems

Percent = Annotated[float, Field(gt=0, le=100)]


class AlarmsConfig(ConfigModel):
    cpu_high: Percent | None = None
    """Alarm when average CPU (%) stays above this; unset means no alarm."""
    memory_high: Percent | None = None
    """Alarm when average memory (%) stays above this; unset means no alarm."""
    task_count_spike: Annotated[int, Field(ge=1, le=MAX_TASKS_PER_SERVICE)] | None = None
    """Alarm when RunningTaskCount exceeds this many tasks; unset means no alarm."""
    period: Annotated[Literal[10, 20, 30, 60, 120, 300, 600, 900, 3600],
                      NoBool] = 60
    """Seconds per datapoint: 60 or more, or 20 on a service with metricResolution: 20 (10 and
    30 s periods are never filled by AWS/ECS metrics)."""
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 3
    """Datapoints looked at; 3 x 60 s rides out a single busy minute."""
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=60)] = 3
    """Of those, how many must breach."""

    @model_validator(mode="after")
    def _datapoints(self) -> AlarmsConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.datapoints_to_alarm > self.evaluation_periods:
            problems.append((
                ("datapointsToAlarm",),
                f"{self.datapoints_to_alarm} exceeds evaluationPeriods "
                f"{self.evaluation_periods}: it must be <= evaluationPeriods",
            ))
        # The service's CPU and memory alarms read AWS/ECS: here, a period no resolution fills;
        # the service (ServiceConfig) judges it against its own metricResolution.
        unfilled = alarm_period_problem(ECS_SERVICE_NAMESPACE, self.period)
        if unfilled is not None:
            problems.append((("period",), f"{self.period} s: {unfilled} (20 only with "
                             "metricResolution: 20)"))
        limit = max_evaluation_seconds(self.period)
        if self.period * self.evaluation_periods > limit:
            problems.append((
                ("evaluationPeriods",),
                f"{self.evaluation_periods} x period {self.period} s = "
                f"{self.period * self.evaluation_periods} s exceeds CloudWatch's {limit} s",
            ))
        raise_problems(problems)
        return self
