"""`services.<key>.scaling`: target tracking on CPU and memory between min and max, and the
emergency floor (holdAt). With scaling on, the service leaves its desired count to Application
Auto Scaling (components/scalable_service.py, stack_model/ecs_service.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from policies.guardrails.facts.conventions import MAX_TASKS_PER_SERVICE
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, raise_problems

Seconds = Annotated[int, Field(ge=0, le=3600)]


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
