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

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

# CloudWatch: period x evaluation periods <= 86,400 s for periods under an hour; the alarm's
# period is 60 s (PutMetricAlarm, `Period` documentation in botocore's cloudwatch model).
MAX_TRIP_MINUTES = 86_400 // 60

DollarsPerHour = Annotated[float, Field(gt=0, le=10_000)]


class BurnRateConfig(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True,
        strict=False,  # a stack file may write 3 for 3.0
    )

    warn_per_hour: DollarsPerHour
    """USD per hour of Fargate above which the alert topic hears (one minute is enough)."""
    trip_per_hour: DollarsPerHour
    """USD per hour of Fargate that trips the cost breaker when held for `tripMinutes`."""
    trip_minutes: Annotated[int, Field(ge=1, le=MAX_TRIP_MINUTES, strict=True)] = 5
    """Consecutive one-minute datapoints above `tripPerHour` before the breaker trips."""

    @field_validator("trip_per_hour")
    @classmethod
    def _above_warning(cls, value: float, info: ValidationInfo) -> float:
        warn = info.data.get("warn_per_hour")
        if warn is not None and value <= warn:
            raise ValueError(
                f"{value:g} is not above warnPerHour {warn:g}: the warning must come before "
                "the trip; set tripPerHour above warnPerHour"
            )
        return value
