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

from pydantic import Field, model_validator

from policies.guardrails.facts.burn_rate import METRIC_PERIOD_SECONDS
from policies.guardrails.facts.metrics import max_evaluation_seconds
from stack_model.config.base import ConfigModel, Money
from stack_model.config.errors import raise_problems

# One datapoint a minute, and CloudWatch bounds how far back an alarm may look (period x
# evaluation periods; facts/metrics.py): a day, at a period under an hour.
MAX_TRIP_MINUTES = max_evaluation_seconds(METRIC_PERIOD_SECONDS) // METRIC_PERIOD_SECONDS

DollarsPerHour = Annotated[Money, Field(gt=0, le=10_000)]
"""USD per hour, a Decimal exactly as written (5.00 stays 5.00, 0.1 is not 0.1000...0055)."""


class BurnRateConfig(ConfigModel):

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
                f"{self.trip_per_hour} is not above warnPerHour {self.warn_per_hour}: the "
                "warning must come before the trip; set tripPerHour above warnPerHour"
            ))])
        return self
