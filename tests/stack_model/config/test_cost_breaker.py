"""`costBreaker` (stack_model/config/cost_breaker.py): its fields follow every model's number
rules. Ceilings against the services, and the budget it needs: test_stack.py; burnRate:
test_burn_rate.py."""

from __future__ import annotations

import pytest

from stack_model.config import CostBreakerConfig
from tests.support.config_mutations import (
    BREAKER,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    # The cost breaker's fields follow the number rules of every model (config/base.py).
    ("breaker-threshold-bool", "beta", setter("thresholdPercent", value=True, stack_key=BREAKER),
     ("costBreaker.thresholdPercent:", "True")),
    ("breaker-threshold-nan", "beta",
     setter("thresholdPercent", value=float("nan"), stack_key=BREAKER),
     ("costBreaker.thresholdPercent:", "finite")),
    ("breaker-ceiling-bool", "beta",
     setter("emergencyCeilings", "web", value=True, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.web:", "True")),
    ("breaker-default-ceiling-fraction", "beta",
     setter("defaultEmergencyCeiling", value=2.5, stack_key=BREAKER),
     ("costBreaker.defaultEmergencyCeiling:", "2.5")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_breaker_setting_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_the_breaker_is_off_unless_enabled_and_trips_on_the_forecast() -> None:
    breaker = CostBreakerConfig()
    assert (breaker.enabled, breaker.threshold_percent, breaker.notification_type) == (
        False, 80.0, "FORECASTED")
    assert (breaker.emergency_ceilings, breaker.default_emergency_ceiling) == ({}, 2)
    assert breaker.burn_rate is None
