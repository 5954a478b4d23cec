"""What a request flood costs: tasks it buys, how fast, and the Fargate and WAF bill per hour.

A flood of R requests/s from N client IPs hits a service whose one task serves T requests/s at
full CPU. Target tracking (the simulator's own model, models/target_tracking.py, run minute by
minute) adds tasks until CPU sits at its target or max capacity is reached. With a WAF rate
limit of L requests per W seconds per client IP, at most N x min(R/N, L/W) requests/s reach
the tasks.

That is an upper bound. WAF counts every request of a client, blocked ones too, so a client
sending faster than L/W stays over the limit and is blocked outright (after about 30 to 60 s:
WAF checks rates every 10 s); only a flood that paces each source just under the limit gets
the bound through. The bound is what the figures use.

Costs: Fargate at list price for the tasks running once the count has settled
(policies/guardrails/facts/fargate.py); WAF's web ACL and rules (prorated hourly) plus $0.60 per
million requests inspected, blocked or not.
So a rate limit caps the tasks but not the bill: WAF's request fee grows with the flood, and
past some rate it exceeds the Fargate it saves. The load balancer's LCUs and data transfer
grow with the flood either way and are not modelled.

The cost breaker (components/cost_breaker.py) lowers max capacities only after the budget
notification, which arrives about 24 h (up to 32 h) after spend starts (docs/cost-breaker.md),
and only if the stack's spend runs above its threshold; it does nothing about WAF's fees.

`compare` runs one service of a stack with and without its rate limit; `rows`, `column_labels`
and `notes` put the outcomes in words, which `z360-ecs flood` prints as a table and
`z360-ecs report` as markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from policies.guardrails.facts.fargate import HOURS_PER_MONTH, WAF_PRICE_PER_MILLION_REQUESTS
from policies.guardrails.facts.wafv2 import DEFAULT_EVALUATION_WINDOW_S
from stack_model import pricing as costing
from stack_model.config import ServiceConfig, StackConfig
from stack_model.pricing import money
from z360_ecs.models.target_tracking import Assumptions, ServiceModel, simulate

# The ops log's test 2: `ab` with 500 requests at concurrency 20 against beta web, one task.
OPS_LOG_WEB_REQUESTS_PER_SECOND = 11.06
FLOOD_START_MINUTE = 5
DEFAULT_MINUTES = 120
# The budget's data lags spend by up to about 24 h (32 h with the gap between evaluations).
DEFAULT_BREAKER_DELAY_HOURS = 24.0
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Flood:
    rate: float
    """Requests per second, all sources together."""
    sources: int
    """Client IPs the flood comes from."""

    @property
    def per_source(self) -> float:
        return self.rate / self.sources


@dataclass(frozen=True)
class RateLimit:
    limit: int
    """Requests per client IP per window."""
    window_s: int

    @property
    def per_client(self) -> float:
        """The steady rate one client can hold without being blocked."""
        return self.limit / self.window_s


@dataclass(frozen=True)
class Breaker:
    delay_hours: float
    """Hours from the start of the spend until the budget notification trips the breaker."""
    ceiling: int
    """The service's max capacity while tripped."""
    threshold_monthly: Decimal
    """Monthly spend rate (the forecast) above which the budget notification fires."""
    other_services_hourly: Decimal
    """What the stack's other services cost an hour meanwhile (at their baseline)."""


@dataclass(frozen=True)
class FloodInputs:
    service: ServiceModel
    task_requests_per_second: float
    """T: requests/s one task serves at full CPU."""
    flood: Flood
    rate_limit: RateLimit | None
    """None: no web ACL in front of the service."""
    waf_fixed_monthly: Decimal = Decimal(0)
    """The web ACL's monthly fee and its rules' (0 without a web ACL)."""
    base_load: float = 1.0
    """Real traffic under the flood, in tasks at the CPU target (the simulator's 1x)."""
    breaker: Breaker | None = None
    paced: bool = True
    """True: each source paces itself just under the limit (the upper bound). False: each
    source sends R/N, and one above the limit is blocked outright."""
    minutes: int = DEFAULT_MINUTES
    assumptions: Assumptions = Assumptions()


@dataclass(frozen=True)
class FloodOutcome:
    inputs: FloodInputs
    admitted_rate: float
    """Flood requests/s that reach the tasks (upper bound with a rate limit)."""
    load: float
    """Total load in tasks at the CPU target (the simulator's x)."""
    tasks_reached: int
    """The highest desired count: CPU reads at most 100 %, so target tracking overshoots."""
    steady_tasks: int
    """The desired count at the end of the run, once scale-in has settled; costs use it."""
    minutes_to_max: int | None
    """Minutes from the flood's start until desired count reaches max capacity; None: never."""
    fargate_hourly: Decimal
    waf_hourly: Decimal
    breaker_trips: bool
    breaker_after_hours: float | None

    @property
    def hourly(self) -> Decimal:
        return self.fargate_hourly + self.waf_hourly

    @property
    def daily(self) -> Decimal:
        """24 hours at the flood's steady state, before any breaker."""
        return self.hourly * 24

    @property
    def tripped_hourly(self) -> Decimal | None:
        """Fargate + WAF an hour once the breaker has lowered max capacity."""
        breaker = self.inputs.breaker
        if breaker is None or not self.breaker_trips:
            return None
        tasks = min(self.steady_tasks, breaker.ceiling)
        return self.inputs.service.hourly_task_cost * tasks + self.waf_hourly

    @property
    def before_breaker(self) -> Decimal | None:
        """What the flood costs until the breaker trips (None: it never trips)."""
        if self.breaker_after_hours is None:
            return None
        return self.hourly * Decimal(str(self.breaker_after_hours))

    @property
    def reached_max(self) -> bool:
        return self.tasks_reached >= self.inputs.service.max_capacity


def admitted_rate(flood: Flood, rate_limit: RateLimit | None, paced: bool = True) -> float:
    """Flood requests/s past the rate limit: every one without it; with it, at most L/W per
    source (paced), or none from a source above the limit (not paced: it stays blocked, since
    WAF counts its blocked requests too)."""
    if rate_limit is None:
        return flood.rate
    if not paced and flood.per_source > rate_limit.per_client:
        return 0.0
    return flood.sources * min(flood.per_source, rate_limit.per_client)


def requests_per_task_at_target(task_requests_per_second: float, cpu_target: float) -> float:
    """What one task serves with CPU at the target: the simulator's 1x."""
    return task_requests_per_second * cpu_target / 100


def waf_hourly(rate_limit: RateLimit | None, fixed_monthly: Decimal, requests_per_second: float
               ) -> Decimal:
    """The web ACL's fees for an hour: its share of the monthly fees plus every request."""
    if rate_limit is None:
        return Decimal(0)
    millions = Decimal(str(requests_per_second)) * SECONDS_PER_HOUR / Decimal(1_000_000)
    return fixed_monthly / HOURS_PER_MONTH + millions * WAF_PRICE_PER_MILLION_REQUESTS


def model_flood(inputs: FloodInputs) -> FloodOutcome:
    """Run the flood through the target-tracking model; see the module docstring."""
    service = inputs.service
    per_task = requests_per_task_at_target(inputs.task_requests_per_second, service.cpu_target)
    admitted = admitted_rate(inputs.flood, inputs.rate_limit, inputs.paced)
    load = inputs.base_load + admitted / per_task
    base = inputs.base_load

    def profile(minute: int) -> float:
        return load if minute >= FLOOD_START_MINUTE else base

    result = simulate(service, profile, inputs.minutes,
                      replace(inputs.assumptions, base_load=base),
                      f"flood {inputs.flood.rate:g} requests/s from {inputs.flood.sources}")
    tasks = max(m.desired for m in result.minutes)
    steady = result.minutes[-1].desired
    to_max = next((m.minute + 1 - FLOOD_START_MINUTE for m in result.minutes
                   if m.desired >= service.max_capacity and m.minute >= FLOOD_START_MINUTE), None)
    # Every request the web ACL sees is billed: the whole flood and the real traffic under it.
    inspected = inputs.flood.rate + base * per_task
    waf = waf_hourly(inputs.rate_limit, inputs.waf_fixed_monthly, inspected)
    fargate = service.hourly_task_cost * steady
    trips, after = False, None
    breaker = inputs.breaker
    if breaker is not None:
        monthly_rate = (fargate + waf + breaker.other_services_hourly) * HOURS_PER_MONTH
        trips = monthly_rate > breaker.threshold_monthly
        after = breaker.delay_hours if trips else None
    return FloodOutcome(
        inputs=inputs, admitted_rate=admitted, load=load, tasks_reached=tasks,
        steady_tasks=steady, minutes_to_max=to_max, fargate_hourly=fargate, waf_hourly=waf,
        breaker_trips=trips, breaker_after_hours=after,
    )


def break_even_rate(service: ServiceModel, task_requests_per_second: float,
                    rate_limit: RateLimit, sources: int, fixed_monthly: Decimal) -> float | None:
    """Flood requests/s above which the web ACL's fees exceed the Fargate it saves at steady
    state (each side at its steady task count, ignoring min capacity); None when never."""
    per_task = requests_per_task_at_target(task_requests_per_second, service.cpu_target)
    capped = min(service.max_capacity,
                 math.ceil(sources * rate_limit.per_client / per_task - 1e-9))
    saving = service.hourly_task_cost * (service.max_capacity - capped) - fixed_monthly / \
        HOURS_PER_MONTH
    if saving <= 0:
        return None
    per_request_hour = SECONDS_PER_HOUR * WAF_PRICE_PER_MILLION_REQUESTS / Decimal(1_000_000)
    return float(saving / per_request_hour)


# --- a stack's service under a flood: what `flood` and `report` both run ----------------------

# The flood the report shows: the 1,000 requests/s from 10 client IPs.
REPORT_FLOOD = Flood(rate=1000, sources=10)


def breaker_for(config: StackConfig, key: str, delay_hours: float) -> Breaker | None:
    """The stack's cost breaker as the model sees it; None without an enabled one."""
    ceilings = costing.breaker_ceilings(config)
    limit = costing.budget_limit(config)
    breaker = config.cost_breaker
    if ceilings is None or limit is None or breaker is None:
        return None
    others = costing.total(
        cost.hourly_at_baseline for cost in costing.stack_costs(config) if cost.key != key
    )
    return Breaker(
        delay_hours=delay_hours,
        ceiling=ceilings[key],
        threshold_monthly=limit * Decimal(str(breaker.threshold_percent)) / 100,
        other_services_hourly=others,
    )


def rate_limit_for(service: ServiceConfig, limit: int | None, window: int | None
                   ) -> RateLimit | None:
    """--rate-limit/--window over the service's waf config; None when neither gives a limit."""
    waf = service.waf
    chosen = limit if limit is not None else (waf.rate_limit if waf.enabled else None)
    if chosen is None:
        return None
    return RateLimit(chosen, window or (waf.evaluation_window if waf.enabled
                                        else DEFAULT_EVALUATION_WINDOW_S))


def compare(config: StackConfig, key: str, flood: Flood, throughput: float,
            rate_limit: RateLimit | None, delay_hours: float = DEFAULT_BREAKER_DELAY_HOURS,
            base_load: float = 1.0, minutes: int = DEFAULT_MINUTES
            ) -> tuple[FloodOutcome, FloodOutcome | None]:
    """(no web ACL, with the rate limit, each source paced at it) for one service; the second
    is None without a limit."""
    service = config.services[key]
    model = ServiceModel.from_config(key, service)
    breaker = breaker_for(config, key, delay_hours)
    common: dict[str, Any] = dict(service=model, task_requests_per_second=throughput,
                                  flood=flood, base_load=base_load, breaker=breaker,
                                  minutes=minutes)
    without = model_flood(FloodInputs(rate_limit=None, **common))
    if rate_limit is None:
        return without, None
    fixed = costing.WebAclCost(key, costing.WAF_RULES_PER_WEB_ACL).monthly
    return without, model_flood(FloodInputs(rate_limit=rate_limit, waf_fixed_monthly=fixed,
                                            **common))


def unpaced(paced: FloodOutcome) -> FloodOutcome | None:
    """The same flood with each source sending its share, when that is above the limit (the
    sources are then blocked outright); None when the sources stay under it."""
    limit = paced.inputs.rate_limit
    if limit is None or paced.inputs.flood.per_source <= limit.per_client:
        return None
    return model_flood(replace(paced.inputs, paced=False))


# --- the figures in words: `flood` prints them as a table, `report` as markdown --------------


def _minutes(value: int | None) -> str:
    return "never" if value is None else f"{value} min"


def _breaker(outcome: FloodOutcome) -> str:
    breaker = outcome.inputs.breaker
    if breaker is None:
        return "no breaker in this stack"
    if not outcome.breaker_trips:
        monthly = (outcome.hourly + breaker.other_services_hourly) * HOURS_PER_MONTH
        return f"never trips ({money(monthly)}/month < {money(breaker.threshold_monthly)})"
    return (f"trips after ~{outcome.breaker_after_hours:g} h, having cost "
            f"{money(outcome.before_breaker or Decimal(0))}; then "
            f"{money(outcome.tripped_hourly or Decimal(0))}/h at {breaker.ceiling} tasks")


def columns(without: FloodOutcome, with_limit: FloodOutcome | None) -> list[FloodOutcome]:
    """No web ACL; the rate limit, sources paced at it; the rate limit, sources over it."""
    extra = unpaced(with_limit) if with_limit is not None else None
    return [o for o in (without, with_limit, extra) if o is not None]


def rows(without: FloodOutcome, with_limit: FloodOutcome | None) -> list[tuple[str, list[str]]]:
    outcomes = columns(without, with_limit)

    def each(read: Callable[[FloodOutcome], str]) -> list[str]:
        return [read(o) for o in outcomes]

    max_capacity = without.inputs.service.max_capacity
    return [
        ("requests/s reaching the tasks", each(lambda o: f"{o.admitted_rate:,.0f}")),
        ("load, in tasks at the CPU target", each(lambda o: f"{o.load:,.1f}")),
        (f"tasks reached, peak / settled (max {max_capacity})",
         each(lambda o: f"{o.tasks_reached} / {o.steady_tasks}")),
        ("time to max capacity", each(lambda o: _minutes(o.minutes_to_max))),
        ("Fargate per hour (settled)", each(lambda o: money(o.fargate_hourly))),
        ("WAF per hour", each(lambda o: money(o.waf_hourly))),
        ("Fargate + WAF per hour", each(lambda o: money(o.hourly))),
        ("Fargate + WAF per day", each(lambda o: money(o.daily))),
        ("cost breaker", each(_breaker)),
    ]


def column_labels(without: FloodOutcome, with_limit: FloodOutcome | None) -> list[str]:
    labels = []
    for outcome in columns(without, with_limit):
        limit = outcome.inputs.rate_limit
        if limit is None:
            labels.append("no web ACL")
        elif outcome.inputs.paced:
            labels.append(f"rate limit {limit.limit:,}/{limit.window_s} s, sources paced at it")
        else:
            labels.append(f"rate limit, sources at {outcome.inputs.flood.per_source:,.4g}/s "
                          "(blocked)")
    return labels


def notes(without: FloodOutcome, with_limit: FloodOutcome | None) -> list[str]:
    out = []
    if with_limit is not None and with_limit.inputs.rate_limit is not None:
        limit = with_limit.inputs.rate_limit
        flood = with_limit.inputs.flood
        if flood.per_source > limit.per_client:
            out.append(
                f"Each source sends {flood.per_source:,.1f} requests/s, above the "
                f"{limit.per_client:g} a client may hold: WAF counts blocked requests too, so "
                "these sources are blocked outright within about a minute (last column). The "
                "worst case is the same sources paced just under the limit (middle column)."
            )
        even = break_even_rate(without.inputs.service, without.inputs.task_requests_per_second,
                               limit, flood.sources, with_limit.inputs.waf_fixed_monthly)
        if even is not None:
            out.append(
                f"WAF bills every request it inspects: above about {even:,.0f} requests/s its "
                "fees exceed the Fargate the rate limit saves. The rate limit keeps the "
                "service up and caps its tasks; it does not cap the bill."
            )
    out.append("Not modelled: the load balancer's LCUs and data transfer, which grow with "
               "the flood with or without a web ACL.")
    return out
