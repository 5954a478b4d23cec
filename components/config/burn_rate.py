"""`costBreaker.burnRate`: the cost breaker's fast trip, in dollars per hour of Fargate.

A burn-rate alarm (components/burn_rate.py) watches the stack's Fargate spend per hour, from
Container Insights' RunningTaskCount times each task's list price. Above `warnPerHour` it tells
the alert topic; above `tripPerHour` for `tripMinutes` minutes in a row it trips the cost
breaker. The policy pack checks that both lie between the stack's baseline rate (every service
at its min) and its all-at-max rate: a trip threshold under the baseline trips at once, one at
or above the maximum never fires.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from components.config.errors import raise_problems

# CloudWatch: period x evaluation periods <= 86,400 s for periods under an hour; the alarm's
# period is 60 s (PutMetricAlarm, `Period` documentation in botocore's cloudwatch model).
MAX_TRIP_MINUTES = 86_400 // 60

DollarsPerHour = Annotated[float, Field(gt=0, le=10_000)]


class BurnRateConfig(BaseModel):
    # The settings of every config model (models._Model, which imports this module).
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True,
        strict=True,
    )

    warn_per_hour: DollarsPerHour
    """USD per hour of Fargate above which the alert topic hears (one minute is enough)."""
    trip_per_hour: DollarsPerHour
    """USD per hour of Fargate that trips the cost breaker when held for `tripMinutes`."""
    trip_minutes: Annotated[int, Field(ge=1, le=MAX_TRIP_MINUTES)] = 5
    """Consecutive one-minute datapoints above `tripPerHour` before the breaker trips."""

    @model_validator(mode="after")
    def _above_warning(self) -> BurnRateConfig:
        if self.trip_per_hour <= self.warn_per_hour:
            raise_problems([(("tripPerHour",), (
                f"{self.trip_per_hour:g} is not above warnPerHour {self.warn_per_hour:g}: the "
                "warning must come before the trip; set tripPerHour above warnPerHour"
            ))])
        return self
