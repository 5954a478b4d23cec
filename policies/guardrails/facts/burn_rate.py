"""Burn-rate facts: the one home of the "$ per hour" metric-math expression and its limits.

A stack's Fargate burn rate is the sum over its auto-scaled services of
`RunningTaskCount x the task's hourly list price`. The program writes that sum into CloudWatch
metric-math alarms (components/burn_rate.py); the policy pack reads it back from the alarms to
check the prices and thresholds (burn_rate.py); the offline figures use the same rates. Nothing
here imports the pack's SDK, so the program may import it.

CloudWatch facts this relies on:
- PutMetricAlarm `Metrics` takes at most 20 MetricDataQuery structures: up to 10 that retrieve a
  metric (MetricStat) and up to 10 expressions, exactly one with ReturnData true; the returned
  expression must give a single time series (botocore cloudwatch service-2.json, shape
  `MetricDataQuery` documentation). "Alarms based on metric math expressions can reference a
  maximum of 10 metrics. This is a hard limit" (CloudWatch user guide, "Limits", alarm-limits).
- An expression is 1 to 2,048 characters (botocore shape `MetricExpression`, max 2048).
- A query id starts with a lowercase letter, then letters, digits or '_' (shape `MetricId`).
- `FILL(m, 0)` gives 0 where a metric has no datapoint (user guide, "Metric math syntax and
  functions"). A service at 0 tasks sends no RunningTaskCount at all, so each term is filled.
- RunningTaskCount exists only in ECS/ContainerInsights, dimensions ClusterName + ServiceName;
  in AWS/ECS it never reports (see cloudwatch.py).
- AlarmActions holds at most 5 ARNs (botocore shape `ResourceList`, max 5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

MAX_METRICS_PER_ALARM = 10
"""MetricStat queries one PutMetricAlarm may hold (hard limit)."""
MAX_EXPRESSIONS_PER_ALARM = 10
MAX_QUERIES_PER_ALARM = 20
MAX_EXPRESSION_LENGTH = 2048
MAX_ALARM_ACTIONS = 5

METRIC_PERIOD_SECONDS = 60
"""Container Insights publishes ECS service metrics once a minute."""
METRIC_STAT = "Maximum"
"""Per minute: the most tasks that ran, so a flood is never averaged away."""
RATE_ID = "rate"
"""Id of the returned expression, the one with ReturnData true."""

BURN_RATE_TAG = "z360:burn-rate"
"""Tag on every burn-rate alarm: its value is `trip` (notifies the cost breaker) or `warn`."""
TRIP = "trip"
WARN = "warn"
COST_BREAKER_TAG = "z360:cost-breaker"
"""Tag on the cost breaker's SNS topic (value `topic`): its ARN is unknown until AWS creates
it, so the pack finds the topic by this tag and joins alarm actions to it by name."""

_TERM = re.compile(r"FILL\((m\d+),\s*0\)\s*\*\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class PricedService:
    """One auto-scaled service as the burn rate sees it."""

    key: str
    """Service key in the stack config (web, queue, ...)."""
    hourly_price: Decimal
    """USD per task-hour at list price (fargate_facts.py)."""
    min_capacity: int
    max_capacity: int


def metric_id(position: int) -> str:
    """Query id of the `position`-th service (0-based) inside one alarm: m1, m2, ..."""
    return f"m{position + 1}"


def price_literal(price: Decimal) -> str:
    """A price as the expression writes it: plain decimal, no exponent, no trailing zeros."""
    return format(price.normalize(), "f")


def rate_expression(prices: Sequence[Decimal]) -> str:
    """`FILL(m1,0)*0.04937+FILL(m2,0)*0.103185+...`: USD per hour of the services in order.

    Raises ValueError when the services do not fit one alarm (split them with `chunks`)."""
    if not 1 <= len(prices) <= MAX_METRICS_PER_ALARM:
        raise ValueError(
            f"{len(prices)} services: one metric-math alarm references 1 to "
            f"{MAX_METRICS_PER_ALARM} metrics"
        )
    text = "+".join(
        f"FILL({metric_id(i)},0)*{price_literal(price)}" for i, price in enumerate(prices)
    )
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"expression of {len(text)} characters exceeds {MAX_EXPRESSION_LENGTH}")
    return text


def parse_rate_expression(text: str) -> dict[str, Decimal] | None:
    """{metric id: price} of an expression `rate_expression` wrote, or None for any other."""
    terms = [part.strip() for part in text.split("+")]
    prices: dict[str, Decimal] = {}
    for term in terms:
        match = _TERM.fullmatch(term)
        if match is None or match[1] in prices:
            return None
        prices[match[1]] = Decimal(match[2])
    return prices or None


def chunks(services: Sequence[PricedService]) -> list[list[PricedService]]:
    """Services split into groups one alarm can watch, in order (one group up to 10)."""
    size = MAX_METRICS_PER_ALARM
    return [list(services[i:i + size]) for i in range(0, len(services), size)]


def rate_at(services: Sequence[PricedService], counts: Sequence[int]) -> Decimal:
    return sum((s.hourly_price * n for s, n in zip(services, counts, strict=True)), Decimal(0))


def baseline_rate(services: Sequence[PricedService]) -> Decimal:
    """USD per hour with every service at its min capacity (target tracking never goes lower)."""
    return rate_at(services, [s.min_capacity for s in services])


def max_rate(services: Sequence[PricedService]) -> Decimal:
    """USD per hour with every service at its max capacity."""
    return rate_at(services, [s.max_capacity for s in services])


def split_threshold(
    threshold: Decimal, groups: Sequence[Sequence[PricedService]]
) -> list[Decimal]:
    """Each group's share of a stack-wide threshold, so that no flood goes unseen.

    One group: the threshold itself. Several: each group keeps its own baseline and gets the
    stack's headroom above baseline in proportion to its own headroom (max - baseline). The
    shares add up to `threshold`, so whenever the stack's rate is above it, at least one
    group's rate is above its share: split alarms never miss what one alarm would catch. They
    may act earlier, when one group floods while the others idle. When `threshold` lies
    between the stack's baseline and maximum, every share lies between its group's.
    """
    if len(groups) == 1:
        return [threshold]
    base = [baseline_rate(g) for g in groups]
    room = [max_rate(g) - b for g, b in zip(groups, base, strict=True)]
    total_room = sum(room, Decimal(0))
    headroom = threshold - sum(base, Decimal(0))
    if total_room == 0:
        return [b + headroom / len(groups) for b in base]
    return [b + headroom * r / total_room for b, r in zip(base, room, strict=True)]
