"""`budget`: the monthly AWS budget and the actual-spend amounts that notify the alert topic.
The cost breaker adds one notification of its own; StackConfig checks the total (stack.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from stack_model.config.base import ConfigModel, Money
from stack_model.config.errors import format_value
from stack_model.config.limits import BUDGET_NAME_MAX, MAX_BUDGET_NOTIFICATIONS


class BudgetConfig(ConfigModel):
    name: str
    """Budget name (unique in the account; 1 to 100 characters, no ':' or '\\')."""
    monthly_limit: Annotated[Money, Field(gt=0)]
    """USD a month the budget tracks."""
    alert_amounts: Annotated[list[Money], Field(min_length=1)]
    """Actual spend (USD) at which the recipients are told; AWS allows 10 notifications."""
    import_id: str | None = None
    """`<account id>:<budget name>` of an existing budget to adopt."""

    @field_validator("name")
    @classmethod
    def _budget_name(cls, value: str) -> str:
        if not 1 <= len(value) <= BUDGET_NAME_MAX:
            raise ValueError(f"{format_value(value)} is {len(value)} characters: AWS Budgets "
                             f"allows 1 to {BUDGET_NAME_MAX}")
        if ":" in value or "\\" in value:
            raise ValueError(f"{value!r}: budget names may not contain ':' or '\\'")
        return value

    @field_validator("alert_amounts")
    @classmethod
    def _amounts(cls, value: list[Decimal]) -> list[Decimal]:
        if len(value) > MAX_BUDGET_NOTIFICATIONS:
            raise ValueError(
                f"{len(value)} alert amounts: AWS Budgets allows at most "
                f"{MAX_BUDGET_NOTIFICATIONS} notifications per budget"
            )
        for amount in value:
            if amount <= 0:
                raise ValueError(f"alert amount {amount} must be above 0 (USD of actual spend)")
        duplicates = sorted({a for a in value if value.count(a) > 1})
        if duplicates:
            raise ValueError(
                f"alert amounts {', '.join(str(a) for a in duplicates)} are listed more than "
                "once: each amount sends one notification"
            )
        return value
