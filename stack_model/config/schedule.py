"""`services.<key>.schedule`: working hours. At `sleep` Application Auto Scaling sets the
service's min and max capacity to 0; at `wake` it puts back the configured min and max
(components/scalable_service.py creates the two scheduled actions). A stack-wide schedule is
`serviceDefaults.schedule`; a service overrides any part of it, or opts out with
`schedule: {enabled: false}`.

The keys are `wake` and `sleep`, not `on` and `off`: YAML 1.1 readers take a bare `on`/`off`
key for a boolean. Every check of the syntax, the time zone and the hours lives in
policies/guardrails/facts/schedule.py, which the pack and the pricing read too.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import field_validator, model_validator

from policies.guardrails.facts.schedule import (
    on_fraction,
    same_minute,
    timezone_problem,
    weekly_cron_problem,
)
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, format_value, raise_problems


class ScheduleConfig(ConfigModel):
    enabled: bool = True
    """Whether the schedule applies; false opts a service out of serviceDefaults.schedule."""
    timezone: str
    """IANA time zone the cron times are read in (PutScheduledAction Timezone), e.g.
    Europe/London; daylight saving is followed."""
    wake: str
    """When the service starts: an Application Auto Scaling cron that repeats weekly, e.g.
    `cron(0 8 ? * MON-FRI *)` (Minutes Hours Day-of-month Month Day-of-week Year)."""
    sleep: str
    """When it stops (min = max = 0), e.g. `cron(0 20 ? * MON-FRI *)`."""

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        problem = timezone_problem(value)
        if problem:
            raise ValueError(f"{format_value(value)} {problem}")
        return value

    @field_validator("wake", "sleep")
    @classmethod
    def _cron(cls, value: str) -> str:
        problem = weekly_cron_problem(value)
        if problem:
            raise ValueError(f"{format_value(value)} {problem}")
        return value

    @model_validator(mode="after")
    def _hours(self) -> ScheduleConfig:
        problems: list[tuple[KeyPath, str]] = []
        if same_minute(self.wake, self.sleep):
            problems.append((("sleep",), (
                f"{format_value(self.sleep)} fires in a minute {format_value(self.wake)} "
                "(wake) fires too: AWS runs both in no stated order; move one of them")))
        raise_problems(problems)
        return self

    @property
    def on_fraction(self) -> Decimal:
        """Share of the week the service runs (weekly on-hours / 168)."""
        return on_fraction(self.wake, self.sleep)
