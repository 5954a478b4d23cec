"""What a request flood costs: tasks it buys, how fast, and the Fargate and WAF bill per hour.

A flood of R requests/s from N client IPs hits a service whose one task serves T requests/s at
full CPU. Target tracking (the simulator's own model, offline/simulate.py, run minute by minute)
adds tasks until CPU sits at its target or max capacity is reached. With a WAF rate limit of L
requests per W seconds per client IP, at most N x min(R/N, L/W) requests/s reach the tasks.

That is an upper bound. WAF counts every request of a client, blocked ones too, so a client
sending faster than L/W stays over the limit and is blocked outright (after about 30 to 60 s:
WAF checks rates every 10 s); only a flood that paces each source just under the limit gets
the bound through. The bound is what the figures use.

Costs: Fargate at list price for the tasks running once the count has settled
(policies/guardrails/fargate.py); WAF's web ACL and rules (prorated hourly) plus $0.60 per
million requests inspected, blocked or not.
So a rate limit caps the tasks but not the bill: WAF's request fee grows with the flood, and
past some rate it exceeds the Fargate it saves. The load balancer's LCUs and data transfer
grow with the flood either way and are not modelled.

The cost breaker (components/cost_breaker.py) lowers max capacities only after the budget
notification, which arrives about 24 h (up to 32 h) after spend starts (docs: cost breaker),
and only if the stack's spend runs above its threshold; it does nothing about WAF's fees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

from offline.simulate import Assumptions, ServiceModel, simulate
from policies.guardrails.fargate import (
    HOURS_PER_MONTH,
    WAF_PRICE_PER_MILLION_REQUESTS,
)

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
