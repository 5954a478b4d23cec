"""Money at risk before the cost breaker acts: the budget path against the burn-rate path.

A flood takes every auto-scaled service to its max. Until the breaker lowers the maxima and the
surplus tasks stop, Fargate bills at up to the all-at-max rate. Two ways the breaker hears of it:

- budget path: AWS billing data lags (up to ~24 h) and Budgets evaluates a few times a day
  (~8 h apart), so the FORECASTED notification can come ~32 h after the flood starts;
- burn-rate path (the alarms of components/burn_rate.py, priced by stack_model/pricing.py):
  RunningTaskCount x price per hour, one datapoint a minute, published after Container
  Insights' delay; the trip alarm needs `tripMinutes` consecutive datapoints above the
  threshold; then SNS -> Lambda lowers the maxima and the surplus tasks drain.

Two figures per path: an upper bound with every service at max from the first minute (what the
~$313 budget figure assumes), and, for the burn-rate path, the flood played through the target
tracking model (models/target_tracking.py) minute by minute, which gives the minutes from a
flood's start to the trip. Every delay is a named field of `Delays`, with its source.

Pure functions over a validated StackConfig; the report (commands/report.py, "Cost breaker:
money at risk") renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from policies.guardrails.facts.burn_rate import max_rate
from stack_model.config import StackConfig
from stack_model.pricing import priced_services
from z360_ecs.models.target_tracking import ServiceModel, parse_profile, simulate

FLOOD_PROFILE = "step:100x@1"
"""Load far beyond any service's max (load in multiples of one task at target): every service
scales out as fast as target tracking lets it, to its max."""
SIMULATED_MINUTES = 90


@dataclass(frozen=True)
class Delays:
    """How long each step takes; minutes unless named otherwise."""

    metric_period: int = 1
    """The trip alarm's period: a minute's RunningTaskCount datapoint is complete at its end."""
    container_insights: int = 2
    """From a minute's end until its Container Insights datapoint can be evaluated. AWS does not
    publish a figure ("metrics are not visible until the container tasks have been running for
    some time", CloudWatch user guide, Container Insights metrics); 2 is an assumption to
    measure on beta, like the simulator's alarm lag."""
    breaker: int = 1
    """SNS delivery, the function's cold start and one RegisterScalableTarget per service:
    seconds, rounded up. A failed invocation is retried after about 1 and 2 more minutes
    (Lambda asynchronous invocation)."""
    drain: int = 5
    """From lowering the max until the surplus tasks stop billing: the load balancer's default
    deregistration delay is 300 s (Elastic Load Balancing, target group attributes)."""
    billing_lag_hours: int = 24
    """AWS billing data, which Budgets reads, can lag by up to about a day."""
    budget_evaluation_gap_hours: int = 8
    """Budgets evaluates about three times a day."""


@dataclass(frozen=True)
class Path:
    name: str
    minutes_to_notice: Decimal
    """From the flood's start until the breaker is invoked."""
    minutes_to_act: Decimal
    """From the flood's start until the surplus tasks stop billing."""
    money_at_risk: Decimal
    """Fargate spend from the flood's start until then (USD, unrounded)."""


def budget_path(config: StackConfig, delays: Delays = Delays()) -> Path:
    """Every service at max from the first minute, heard of when Budgets next evaluates."""
    rate = max_rate(priced_services(config))
    notice = Decimal(60 * (delays.billing_lag_hours + delays.budget_evaluation_gap_hours))
    act = notice + delays.breaker + delays.drain
    return Path("budget notification", notice, act, rate * act / 60)


def trip_minutes(config: StackConfig) -> int | None:
    breaker = config.cost_breaker
    if breaker is None or not breaker.enabled or breaker.burn_rate is None:
        return None
    return breaker.burn_rate.trip_minutes


def burn_rate_bound(config: StackConfig, delays: Delays = Delays()) -> Path | None:
    """Every service at max from the first minute: the alarm sees `tripMinutes` full
    datapoints above the threshold, each after Container Insights' delay."""
    minutes = trip_minutes(config)
    if minutes is None:
        return None
    rate = max_rate(priced_services(config))
    notice = Decimal(minutes * delays.metric_period + delays.container_insights)
    act = notice + delays.breaker + delays.drain
    return Path("burn-rate alarm, all at max at once", notice, act, rate * act / 60)


@dataclass(frozen=True)
class FloodMinute:
    minute: int
    """Minutes since the flood started."""
    running_rate: Decimal
    """USD per hour of the tasks RUNNING at the minute's end: what RunningTaskCount x price
    reports (a task pulling its image is billed, not counted)."""
    billed: Decimal
    """USD Fargate billed during this minute."""


def flood(config: StackConfig, profile: str = FLOOD_PROFILE,
          minutes: int = SIMULATED_MINUTES) -> list[FloodMinute]:
    """The stack's auto-scaled services through the simulator, summed per minute from the
    flood's start."""
    runs = []
    for service in priced_services(config):
        model = ServiceModel.from_config(service.key, config.services[service.key])
        runs.append((service, simulate(model, parse_profile(profile), minutes, profile=profile)))
    start = min((r.load_start or 0) for _, r in runs) if runs else 0
    out = []
    for minute in range(start, minutes):
        rate = Decimal(0)
        billed = Decimal(0)
        for service, result in runs:
            row = result.minutes[minute]
            rate += service.hourly_price * row.running
            before = result.minutes[minute - 1].cost_so_far if minute > 0 else Decimal(0)
            billed += row.cost_so_far - before
        out.append(FloodMinute(minute - start, rate, billed))
    return out


def first_trip(rates: Sequence[Decimal], threshold: Decimal, minutes: int) -> int | None:
    """Index of the minute whose datapoint completes `minutes` consecutive datapoints above
    `threshold` (GreaterThanThreshold, N of N), or None."""
    run = 0
    for index, rate in enumerate(rates):
        run = run + 1 if rate > threshold else 0
        if run >= minutes:
            return index
    return None


def burn_rate_simulated(config: StackConfig, delays: Delays = Delays(),
                        profile: str = FLOOD_PROFILE) -> Path | None:
    """The flood played minute by minute; None without a burn-rate trip or when it never
    trips within the simulated minutes. Spend after the breaker is invoked is taken from the
    uncapped simulation (tasks keep launching until the max is lowered): an upper bound."""
    breaker = config.cost_breaker
    if breaker is None or not breaker.enabled or breaker.burn_rate is None:
        return None
    minutes = flood(config, profile)
    threshold = breaker.burn_rate.trip_per_hour
    index = first_trip([m.running_rate for m in minutes], threshold,
                       breaker.burn_rate.trip_minutes)
    if index is None:
        return None
    # Minute `index` ends at index + 1; its datapoint is evaluated after the delay.
    notice = index + 1 + delays.container_insights
    act = notice + delays.breaker + delays.drain
    if act > len(minutes):
        return None
    spent = sum((m.billed for m in minutes[:act]), Decimal(0))
    return Path("burn-rate alarm, simulated flood", Decimal(notice), Decimal(act), spent)


def paths(config: StackConfig, delays: Delays = Delays()) -> list[Path]:
    """The ways a flood reaches the stack's enabled cost breaker, slowest first: the budget's
    notification, then (with `costBreaker.burnRate`) the burn-rate bound and the simulated
    flood when it trips. Empty without an enabled breaker or an auto-scaled service."""
    breaker = config.cost_breaker
    if breaker is None or not breaker.enabled or not priced_services(config):
        return []
    found = [budget_path(config, delays), burn_rate_bound(config, delays),
             burn_rate_simulated(config, delays)]
    return [path for path in found if path is not None]
