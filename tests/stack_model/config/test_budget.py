"""`budget` (stack_model/config/budget.py): the budget's name and its alert amounts. The cost
breaker's extra notification against the limit: test_stack.py."""

from __future__ import annotations

import pytest

from tests.support.config_mutations import (
    BUDGET,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    load,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("zero-alert-amount", "beta", setter("alertAmounts", value=[0, 500], stack_key=BUDGET),
     ("budget.alertAmounts:", "alert amount 0", "must be above 0")),
    ("negative-alert-amount", "beta", setter("alertAmounts", value=[-5], stack_key=BUDGET),
     ("budget.alertAmounts:", "-5", "must be above 0")),
    ("duplicate-alert-amount", "beta", setter("alertAmounts", value=[500, 500], stack_key=BUDGET),
     ("budget.alertAmounts:", "500", "listed more than once")),
    ("eleven-notifications", "beta",
     setter("alertAmounts", value=list(range(100, 1200, 100)), stack_key=BUDGET),
     ("budget.alertAmounts:", "11 alert amounts", "at most 10")),
    ("budget-name-too-long", "beta", setter("name", value="b" * 101, stack_key=BUDGET),
     ("budget.name:", "101 characters", "1 to 100")),
    ("budget-name-with-colon", "beta", setter("name", value="z360:monthly", stack_key=BUDGET),
     ("budget.name:", "'z360:monthly'", "may not contain ':'")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_budget_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_alert_amounts_above_the_limit_are_legal() -> None:
    # Being told when spend overshoots the budget is the point of an alert above the limit.
    config = load("beta", setter("alertAmounts", value=[2000, 2500, 3000], stack_key=BUDGET))
    assert config.budget is not None
    assert config.budget.alert_amounts == [2000, 2500, 3000]
    assert config.budget.monthly_limit == 2500
