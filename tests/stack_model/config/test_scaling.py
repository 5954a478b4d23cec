"""`services.<key>.scaling` (stack_model/config/scaling.py): the range and the emergency floor."""

from __future__ import annotations

import pytest

from stack_model.config import ScalingConfig
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    both,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("min-above-max", "beta", setter("web", "scaling", "min", value=60),
     ("services.web.scaling.min:", "60", "above max 50", "min must be <= max")),
    ("hold-at-above-max", "beta", setter("web", "scaling", "holdAt", value=60),
     ("services.web.scaling.holdAt:", "60", "outside min 1 .. max 50")),
    ("hold-at-below-min", "beta",
     both(setter("web", "scaling", "min", value=2), setter("web", "scaling", "holdAt", value=1)),
     ("services.web.scaling.holdAt:", "1", "outside min 2 .. max 50")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_range_or_floor_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_defaults_leave_scaling_off_at_one_task() -> None:
    scaling = ScalingConfig()
    assert (scaling.enabled, scaling.min, scaling.max, scaling.hold_at) == (False, 1, 1, None)


@pytest.mark.parametrize("hold_at", [1, 3, 5])
def test_a_floor_anywhere_in_the_range_is_accepted(hold_at: int) -> None:
    scaling = ScalingConfig.model_validate({"enabled": True, "min": 1, "max": 5, "holdAt": hold_at})
    assert scaling.hold_at == hold_at
