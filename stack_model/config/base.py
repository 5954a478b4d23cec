"""The base of every stack-config model and the number types they share.

ConfigModel: camelCase keys, unknown keys refused, strict, frozen, no infinite or NaN number.
The number rules every model follows (docs/operations.md, "Reading rules"):
- finite: `allow_inf_nan=False` here, after the readers refused `.inf`/`.nan` (source.py);
- no booleans as numbers: strict mode refuses true for an int or float field, but a Literal
  of ints takes True as 1, so such fields carry `NoBool`;
- money is Decimal, exactly as written (`Money`, `money_field`), never a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from stack_model.config.errors import format_value, yaml_kind
from stack_model.config.limits import MAX_BUDGET_AMOUNT


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        strict=True,
        # No AWS number is infinite or NaN; the readers refuse them first (source.py).
        allow_inf_nan=False,
    )


def no_bool(value: Any) -> Any:
    """Refuse true/false where a number is expected: a Literal of ints takes True as 1."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean; must be a whole number")
    return value


NoBool = BeforeValidator(no_bool)
"""For Literal-of-int fields: `Annotated[Literal[60, 300], NoBool]`."""


def to_money(value: Any) -> Any:
    """USD as Decimal, exactly as written: 0.1 stays 0.1, never 0.1000000000000000055."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean; must be an amount in USD")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: the number as written.
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    quotes = " (remove the quotes)" if isinstance(value, str) else ""
    raise ValueError(f"{format_value(value)} is {yaml_kind(value)}; must be a number{quotes}")


Money = Annotated[Decimal, BeforeValidator(to_money), Field(le=MAX_BUDGET_AMOUNT)]
"""A USD amount, at most Budgets' NotificationThreshold maximum (botocore budgets model:
NotificationThreshold max 15,000,000,000,000)."""
