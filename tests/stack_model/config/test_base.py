"""config/base.py: every model refuses unknown keys and booleans as numbers, and keeps money exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import pytest
from pydantic import ValidationError

from stack_model.config.base import ConfigModel, Money, NoBool, to_money
from stack_model.config.limits import MAX_BUDGET_AMOUNT


class Sample(ConfigModel):
    period: Annotated[Literal[60, 300], NoBool] = 60
    amount: Money = Decimal(1)


def test_money_is_exactly_as_written():
    assert to_money(0.1) == Decimal("0.1") and to_money(3) == Decimal(3)
    assert Sample.model_validate({"amount": 2500.5}).amount == Decimal("2500.5")


@pytest.mark.parametrize("value, words", [(True, "boolean"), ("12", "remove the quotes"),
                                          ([1], "must be a number")])
def test_money_refuses_what_is_not_a_number(value, words):
    with pytest.raises(ValueError, match=words):
        to_money(value)


def test_money_is_bounded_by_budgets_maximum():
    with pytest.raises(ValidationError):
        Sample.model_validate({"amount": MAX_BUDGET_AMOUNT + 1})


def test_a_boolean_is_not_taken_for_a_literal_number():
    assert Sample.model_validate({"period": 300}).period == 300
    with pytest.raises(ValidationError, match="boolean"):
        Sample.model_validate({"period": True})


def test_unknown_keys_and_infinite_numbers_are_refused():
    with pytest.raises(ValidationError, match="Extra inputs"):
        Sample.model_validate({"perod": 60})
    with pytest.raises(ValidationError):
        Sample.model_validate({"amount": float("inf")})
