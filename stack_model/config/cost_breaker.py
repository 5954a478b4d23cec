"""`costBreaker`: when spend crosses the budget's threshold, lower each scalable service's max
capacity to its emergency ceiling (components/cost_breaker.py, docs/cost-breaker.md). Its fast
trip, `burnRate`, is burn_rate.py's; the checks against the budget and the services run in
StackConfig (stack.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from policies.guardrails.facts.conventions import MAX_TASKS_PER_SERVICE
from stack_model.config.base import ConfigModel
from stack_model.config.burn_rate import BurnRateConfig


class CostBreakerConfig(ConfigModel):
    enabled: bool = False
    """Lower max capacities automatically when spend crosses the threshold."""
    threshold_percent: Annotated[float, Field(gt=0, le=1000)] = 80.0
    """Percent of the budget limit that trips the breaker."""
    notification_type: Literal["ACTUAL", "FORECASTED"] = "FORECASTED"
    """Trip on actual spend, or on AWS's forecast of the month's spend."""
    emergency_ceilings: dict[str, Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)]] = {}
    """Service key -> max capacity while tripped."""
    default_emergency_ceiling: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 2
    """Max capacity while tripped, for services not listed."""
    burn_rate: BurnRateConfig | None = None
    """Trip within minutes on Fargate's dollars per hour, not only on the budget."""
