"""`costBreaker.burnRate`: beta's values, and bad values refused naming their key path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import botocore.session
import pytest

from policies.guardrails.facts.burn_rate import METRIC_PERIOD_SECONDS
from stack_model.config import ConfigError
from stack_model.config.burn_rate import MAX_TRIP_MINUTES
from tests.support.configs import beta_config

CLOUDWATCH = botocore.session.get_session().get_service_model("cloudwatch")


def _with_burn_rate(**burn: Any):
    def mutate(document):
        document["z360-ecs:costBreaker"]["burnRate"] = burn
    return mutate


def test_beta_burn_rate_config():
    burn = beta_config().cost_breaker.burn_rate
    assert (burn.warn_per_hour, burn.trip_per_hour, burn.trip_minutes) == (
        Decimal("3.42"), Decimal("5"), 5)


def test_trip_minutes_bound_is_cloudwatchs_day_at_one_minute_periods():
    # period x evaluation periods <= 86,400 s below an hour (botocore's PutMetricAlarm model)
    period = CLOUDWATCH.operation_model("PutMetricAlarm").input_shape.members["Period"]
    assert "can't be longer than one day (86,400 seconds)" in period.documentation
    assert MAX_TRIP_MINUTES * METRIC_PERIOD_SECONDS == 86_400


@pytest.mark.parametrize("burn, path, words", [
    ({"warnPerHour": 3.5, "tripPerHour": 3.42}, "costBreaker.burnRate.tripPerHour",
     "not above warnPerHour 3.5"),
    ({"warnPerHour": 2, "tripPerHour": 2}, "costBreaker.burnRate.tripPerHour",
     "2 is not above warnPerHour 2"),
    ({"warnPerHour": 2, "tripPerHour": 3, "tripMinutes": 0}, "costBreaker.burnRate.tripMinutes",
     "greater than or equal to 1"),
    ({"warnPerHour": 2, "tripPerHour": 3, "tripMinutes": 1441},
     "costBreaker.burnRate.tripMinutes", "1440"),
    ({"warnPerHour": 2, "tripPerHour": 3, "tripMinutes": 5.5},
     "costBreaker.burnRate.tripMinutes", ""),
    ({"warnPerHour": -1, "tripPerHour": 3}, "costBreaker.burnRate.warnPerHour", "greater than 0"),
    ({"warnPerHour": "2", "tripPerHour": 3}, "costBreaker.burnRate.warnPerHour", ""),
    ({"warnPerHour": 2, "tripPerHour": 3, "tripMinuts": 5}, "costBreaker.burnRate.tripMinuts",
     ""),
    ({"tripPerHour": 3}, "costBreaker.burnRate.warnPerHour", ""),
    # The number rules every config model follows (stack_model/config/base.py).
    ({"warnPerHour": True, "tripPerHour": 3}, "costBreaker.burnRate.warnPerHour", "boolean"),
    ({"warnPerHour": 2, "tripPerHour": float("inf")}, "costBreaker.burnRate.tripPerHour", ""),
    ({"warnPerHour": float("nan"), "tripPerHour": 3}, "costBreaker.burnRate.warnPerHour", ""),
    ({"warnPerHour": 2, "tripPerHour": 3, "tripMinutes": True},
     "costBreaker.burnRate.tripMinutes", ""),
    ({"warnPerHour": 2, "tripPerHour": 10_001}, "costBreaker.burnRate.tripPerHour", "10000"),
])
def test_bad_burn_rate_is_refused_naming_its_key(burn, path, words):
    with pytest.raises(ConfigError) as caught:
        beta_config(_with_burn_rate(**burn))
    (problem,) = [p for p in caught.value.problems if "burnRate" in p]
    assert problem.startswith(path) and words in problem, problem


def test_whole_numbers_are_dollars_too():
    burn = beta_config(_with_burn_rate(warnPerHour=3, tripPerHour=5)).cost_breaker.burn_rate
    assert (burn.warn_per_hour, burn.trip_per_hour) == (Decimal(3), Decimal(5))


def test_dollars_per_hour_are_exact_decimals():
    """0.1 + 0.2 is 0.3 here: the thresholds are split across alarms and compared with rates
    in Decimal, never as binary fractions."""
    burn = beta_config(_with_burn_rate(warnPerHour=0.1, tripPerHour=0.3)).cost_breaker.burn_rate
    assert burn.warn_per_hour == Decimal("0.1") and burn.trip_per_hour == Decimal("0.3")
