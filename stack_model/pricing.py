"""The one pricing of a stack config: what its services cost an hour and a month, its
scenarios and right-sizing, its burn rate in USD per hour, and the fees of its WAF web ACLs.

Pure functions over a validated StackConfig. Its callers:
- the program: the stack's per-service summary export (components/stack.py), the burn-rate
  alarms' prices and the dashboard's rate widget (components/burn_rate.py, dashboard.py);
- the tools: `cost`, `report`, `flood` and the money-at-risk model (z360_ecs/models/burn_rate.py).
Prices and sizes come only from policies/guardrails/facts/fargate.py (a task's price is a fact;
pricing a config is done here); the burn-rate expression and its limits from
policies/guardrails/facts/burn_rate.py. Money stays an exact Decimal here and is rounded to the
cent only when printed (fargate.to_cents). The per-service figures are on-demand list price;
the tasks a strategy puts on Spot are priced as a range below it (SpotSplit), and a Savings Plan
as a range on the on-demand floor, never as one fixed figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from policies.guardrails.facts.burn_rate import PricedService, baseline_rate, max_rate, rate_at
from policies.guardrails.facts.cloudwatch import (
    ALARMS_PER_TARGET_TRACKING_POLICY,
    PRICE_STANDARD_ALARM_MONTH,
    published_metric_month,
)
from policies.guardrails.facts.ecs import FARGATE_SPOT, split_tasks
from policies.guardrails.facts.fargate import (
    COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE,
    HOURS_PER_MONTH,
    SPOT_DISCOUNT_RANGE,
    WAF_PRICE_PER_MILLION_REQUESTS,
    WAF_RULE_MONTHLY,
    WAF_WEB_ACL_MONTHLY,
    hourly_task_cost,
    to_cents,
)
from policies.guardrails.facts.schedule import HOURS_PER_WEEK
from policies.guardrails.facts.wafv2 import MANAGED_RULE_GROUPS
from stack_model.config import ServiceConfig, StackConfig
from stack_model.config.signals import deployment_alarm_names

# Tasks per service in the ops log's cost scenarios (quiet, moderate, high traffic).
SCENARIO_TASKS_PER_SERVICE = (1, 2, 5)

RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ServiceCost:
    """What one service costs an hour and a month, at its baseline, minimum and maximum task
    counts."""

    key: str
    service: ServiceConfig
    per_task_hour: Decimal
    """On-demand USD for one task for one hour, unrounded."""

    @property
    def per_task(self) -> Decimal:
        """On-demand USD for one task for 730 hours, unrounded."""
        return self.per_task_hour * HOURS_PER_MONTH

    @property
    def baseline_count(self) -> int:
        return baseline_count(self.service)

    @property
    def on_fraction(self) -> Decimal:
        """Share of the month the service runs: 1, or its schedule's weekly hours on / 168."""
        return self.service.on_fraction

    @property
    def per_task_on(self) -> Decimal:
        """On-demand USD for one task over the hours it runs in a month (`per_task` x
        `on_fraction`): what every monthly figure of the service multiplies."""
        return self.per_task * self.on_fraction

    @property
    def at_baseline(self) -> Decimal:
        return self.per_task_on * self.baseline_count

    @property
    def at_min(self) -> Decimal:
        return self.per_task_on * self.service.effective_min

    @property
    def at_max(self) -> Decimal:
        return self.per_task_on * self.service.effective_max

    @property
    def hourly_at_baseline(self) -> Decimal:
        return self.per_task_hour * self.baseline_count

    @property
    def hourly_at_min(self) -> Decimal:
        return self.per_task_hour * self.service.effective_min

    @property
    def hourly_at_max(self) -> Decimal:
        return self.per_task_hour * self.service.effective_max


@dataclass(frozen=True)
class SizeChange:
    """One service key compared between a baseline config and the current one."""

    key: str
    before: ServiceCost | None
    """None when the service is new."""
    after: ServiceCost | None
    """None when the service was removed."""

    @property
    def resized(self) -> bool:
        return (
            self.before is not None
            and self.after is not None
            and size_label(self.before.service) != size_label(self.after.service)
        )

    @property
    def saving_per_task(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.before.per_task - self.after.per_task

    @property
    def saving_at_baseline(self) -> Decimal:
        """Monthly saving with each side at its own baseline count (a removed service saves
        all it cost, a new one saves a negative amount)."""
        before = self.before.at_baseline if self.before else Decimal(0)
        after = self.after.at_baseline if self.after else Decimal(0)
        return before - after

    @property
    def max_before(self) -> int | None:
        """The baseline's scaling maximum, when the baseline scaled this service."""
        if self.before is None or not self.before.service.scaling.enabled:
            return None
        return self.before.service.effective_max


def baseline_count(service: ServiceConfig) -> int:
    """Tasks a service runs with no load: its fixed desired count, or, when auto-scaling owns
    the count, the floor target tracking settles on (scaling.min, or scaling.holdAt)."""
    return service.effective_min


def service_cost(key: str, service: ServiceConfig) -> ServiceCost:
    return ServiceCost(
        key=key,
        service=service,
        per_task_hour=hourly_task_cost(service.cpu, service.memory, service.architecture),
    )


def summary_figures(cost: ServiceCost) -> dict[str, str]:
    """The money of the stack's per-service summary export (components/stack.py): exact
    strings to the cent, a task's month and the service's month at its baseline and max."""
    return {
        "monthlyTaskCost": money_json(cost.per_task),
        "monthlyCostAtBaseline": money_json(cost.at_baseline),
        "monthlyCostAtMax": money_json(cost.at_max),
    }


def stack_costs(config: StackConfig) -> list[ServiceCost]:
    """One ServiceCost per service, in stack file order."""
    return [service_cost(key, service) for key, service in config.services.items()]


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def scenario_cost(costs: Iterable[ServiceCost], tasks_per_service: int) -> Decimal:
    """Monthly cost with every service running `tasks_per_service` tasks."""
    return total(cost.per_task_on * tasks_per_service for cost in costs)


def worst_case(costs: Iterable[ServiceCost]) -> Decimal:
    """Monthly cost with every service at its maximum task count."""
    return total(cost.at_max for cost in costs)


def breaker_ceilings(config: StackConfig) -> dict[str, int] | None:
    """Max task count per service while an enabled cost breaker is tripped; None without one.

    A service's ceiling is its emergency ceiling (or the default), never below the service's
    minimum and never above its own maximum. A service without auto-scaling has no maximum
    to lower and keeps its fixed count.
    """
    breaker = config.cost_breaker
    if breaker is None or not breaker.enabled:
        return None
    ceilings = {}
    for key, service in config.services.items():
        if not service.scaling.enabled:
            ceilings[key] = service.effective_max
            continue
        ceiling = breaker.emergency_ceilings.get(key, breaker.default_emergency_ceiling)
        ceilings[key] = min(service.effective_max, max(ceiling, service.effective_min))
    return ceilings


def capped_worst_case(config: StackConfig, costs: Iterable[ServiceCost]) -> Decimal | None:
    """Monthly cost with every service at its breaker ceiling; None without a breaker."""
    ceilings = breaker_ceilings(config)
    if ceilings is None:
        return None
    return total(cost.per_task_on * ceilings[cost.key] for cost in costs)


def budget_limit(config: StackConfig) -> Decimal | None:
    """The budget's monthly limit in USD, exactly as written in the stack file."""
    if config.budget is None:
        return None
    return Decimal(str(config.budget.monthly_limit))


def ratio(amount: Decimal, limit: Decimal) -> Decimal:
    """amount / limit to four places (2.8602 means 286 % of the limit)."""
    return (amount / limit).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def discounted_range(
    amount: Decimal, discounts: tuple[Decimal, Decimal]
) -> tuple[Decimal, Decimal]:
    """(lowest, highest) cost of `amount` after a discount somewhere in `discounts`."""
    low_discount, high_discount = discounts
    return amount * (1 - high_discount), amount * (1 - low_discount)


def spot_range(amount: Decimal) -> tuple[Decimal, Decimal]:
    """What on-demand `amount` could cost on Fargate Spot: Spot has no fixed price."""
    return discounted_range(amount, SPOT_DISCOUNT_RANGE)


def savings_plan_range(amount: Decimal) -> tuple[Decimal, Decimal]:
    """What on-demand `amount` could cost under a Compute Savings Plan."""
    return discounted_range(amount, COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE)


def compare(before: StackConfig, after: StackConfig) -> list[SizeChange]:
    """Service-by-service comparison, matched by service key: current services in stack file
    order, then services only the baseline has."""
    before_costs = {cost.key: cost for cost in stack_costs(before)}
    after_costs = {cost.key: cost for cost in stack_costs(after)}
    changes = [SizeChange(key, before_costs.get(key), cost) for key, cost in after_costs.items()]
    changes.extend(
        SizeChange(key, cost, None) for key, cost in before_costs.items() if key not in after_costs
    )
    return changes


def size_label(service: ServiceConfig) -> str:
    """`cpu/memory` as the ops log writes sizes, with the architecture when it is ARM."""
    label = f"{service.cpu}/{service.memory}"
    return label if service.architecture == "X86_64" else f"{label} {service.architecture}"


def money(amount: Decimal) -> str:
    """`$1,234.57`: rounded half up to the cent, for people."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def money_json(amount: Decimal) -> str:
    """`1234.57`: rounded half up to the cent, for machines (a string, so no float error)."""
    return f"{to_cents(amount):.2f}"


def percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f} %"


def hours_per_month() -> Decimal:
    return HOURS_PER_MONTH


def discount_notes(costs: list[ServiceCost]) -> list[str]:
    """Spot, as the strategies place the tasks, and a Compute Savings Plan on the on-demand
    floor: ranges, never a fixed saving."""
    return [*spot_lines(costs), savings_plan_line(costs)]


# --- Fargate Spot: the tasks each strategy puts on Spot, priced as a range --------------------
# ECS places a service's tasks by its strategy: the base first, then the weights
# (facts/ecs.py split_tasks, the same function the pack's worst-case rule uses). Tasks on
# FARGATE cost the list price exactly; tasks on FARGATE_SPOT somewhere in SPOT_DISCOUNT_RANGE
# below it. The burn-rate alarms keep the list price for every task (components/burn_rate.py).


@dataclass(frozen=True)
class SpotSplit:
    """Tasks at one count per service, split by provider, and their monthly cost."""

    on_demand_tasks: int
    spot_tasks: int
    on_demand: Decimal
    """Monthly cost of the on-demand tasks: exact, list price."""
    spot_at_list: Decimal
    """Monthly cost of the Spot tasks at the on-demand list price: the most they can cost."""

    @property
    def at_list(self) -> Decimal:
        return self.on_demand + self.spot_at_list

    @property
    def monthly_range(self) -> tuple[Decimal, Decimal]:
        """(lowest, highest) monthly cost: the on-demand part exact, the Spot part a range."""
        low, high = spot_range(self.spot_at_list)
        return self.on_demand + low, self.on_demand + high

    def __add__(self, other: SpotSplit) -> SpotSplit:
        return SpotSplit(self.on_demand_tasks + other.on_demand_tasks,
                         self.spot_tasks + other.spot_tasks,
                         self.on_demand + other.on_demand, self.spot_at_list + other.spot_at_list)


NO_TASKS = SpotSplit(0, 0, Decimal(0), Decimal(0))


def split_at(cost: ServiceCost, count: int) -> SpotSplit:
    """`count` tasks of one service, placed by its strategy (all on demand on a launch type),
    each priced at its hours on."""
    placed = split_tasks(count, list(cost.service.strategy)) if cost.service.strategy else {}
    spot = placed.get(FARGATE_SPOT, 0)
    on_demand = count - spot
    return SpotSplit(on_demand, spot, cost.per_task_on * on_demand, cost.per_task_on * spot)


def baseline_split(costs: Iterable[ServiceCost]) -> SpotSplit:
    """Every service at its baseline count."""
    return sum((split_at(c, c.baseline_count) for c in costs), NO_TASKS)


def worst_case_split(costs: Iterable[ServiceCost]) -> SpotSplit:
    """Every service at its maximum: the worst case, with its Spot share as a range."""
    return sum((split_at(c, c.service.effective_max) for c in costs), NO_TASKS)


def strategy_label(service: ServiceConfig) -> str:
    """The strategy in a few characters: `FARGATE`, `FARGATE_SPOT`, `FARGATE 1 + SPOT from 2`,
    `FARGATE b1 w1, FARGATE_SPOT w1`, or `launchType FARGATE`."""
    if service.launch_type is not None:
        return f"launchType {service.launch_type}"
    if service.spot_from is not None:
        return (FARGATE_SPOT if service.spot_from == 1
                else f"{FARGATE_SPOT} from task {service.spot_from}")
    items = service.strategy
    if len(items) == 1:
        return items[0][0]
    return ", ".join(f"{provider}{f' b{base}' if base else ''} w{weight}"
                     for provider, base, weight in items)


def spot_lines(costs: list[ServiceCost]) -> list[str]:
    """The baseline and the worst case with each strategy's Spot share as a range, or the
    range Spot would give the baseline when no service uses it."""
    spot_from, spot_to = SPOT_DISCOUNT_RANGE
    discount = (f"{percent(spot_from)} to {percent(spot_to)} off, never a fixed saving (the "
                "price moves, and tasks can be interrupted)")
    base, worst = baseline_split(costs), worst_case_split(costs)
    if not worst.spot_tasks:
        low, high = spot_range(base.at_list)
        return [f"Fargate Spot: {discount}. No service runs on Spot; the baseline on Spot would "
                f"be {money(low)} to {money(high)} a month."]
    lines = [f"Fargate Spot: {discount}. Tasks split as ECS places them (the base first, "
             "then the weights); on-demand tasks at list price, Spot tasks as a range:"]
    for label, split in (("baseline", base), ("worst case", worst)):
        low, high = split.monthly_range
        lines.append(
            f"  {label}: {split.on_demand_tasks} on demand {money(split.on_demand)} + "
            f"{split.spot_tasks} on Spot ({money(split.spot_at_list)} at list) = "
            f"{money(low)} to {money(high)} a month ({money(split.at_list)} all at list)")
    return lines


def on_demand_floor_hourly(costs: Iterable[ServiceCost]) -> Decimal:
    """USD per hour at list of the tasks that always run on demand: the baseline's tasks not
    on Spot, of services without working hours. A Compute Savings Plan discounts on-demand
    Fargate usage; Spot usage is billed at Spot prices and is not covered (AWS Savings Plans
    FAQ); a commitment is spent every hour, so a service asleep out of hours adds nothing it
    always uses."""
    return sum((split_at(c, c.baseline_count).on_demand for c in costs
                if c.on_fraction == 1), Decimal(0)) / HOURS_PER_MONTH


def savings_plan_line(costs: list[ServiceCost]) -> str:
    """The largest Compute Savings Plan commitment the on-demand floor always uses: the floor's
    list price less the plan's discount, in USD per hour (a commitment is an hourly spend)."""
    floor = on_demand_floor_hourly(costs)
    plan_from, plan_to = COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE
    if floor == 0:
        return ("Compute Savings Plan: no task runs on demand every hour (each is on Spot or "
                "asleep out of working hours), so no commitment would always be used: none.")
    smallest, largest = (floor * (1 - plan_to), floor * (1 - plan_from))
    monthly = floor * HOURS_PER_MONTH
    low, high = savings_plan_range(monthly)
    return (
        f"Compute Savings Plan: {percent(plan_from)} to {percent(plan_to)} off on-demand "
        "usage (not Spot), depending on term and payment option. The on-demand floor (the "
        f"baseline's tasks not on Spot) is {money_hourly(floor)} an hour at list "
        f"({money(monthly)} a month); it always uses a commitment of up to "
        f"{money_hourly(largest)} an hour at {percent(plan_from)} off "
        f"({money_hourly(smallest)} at {percent(plan_to)}), and under such a plan costs "
        f"{money(low)} to {money(high)} a month. Anything above the floor may go unused.")


def money_hourly(amount: Decimal) -> str:
    """`$0.1234`: an hourly rate, to a hundredth of a cent (Savings Plans commit in $0.001)."""
    return f"${amount.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,}"


def schedule_lines(costs: list[ServiceCost]) -> list[str]:
    """The scheduled services' hours in words, for `cost`, `report` and the review; empty
    without any. Services on the same schedule share a line."""
    groups: dict[tuple[str, str, str], list[ServiceCost]] = {}
    for cost in costs:
        schedule = cost.service.schedule
        if cost.service.scheduled and schedule is not None:
            groups.setdefault((schedule.wake, schedule.sleep, schedule.timezone), []).append(cost)
    if not groups:
        return []
    lines = ["Working hours (services.<key>.schedule): the figures above price these services "
             "at their hours on, weekly hours x 730/168 (hours started by `z360-ecs wake` come "
             "on top):"]
    for (wake, sleep, timezone), group in groups.items():
        fraction = group[0].on_fraction
        lines.append(
            f"  {', '.join(c.key for c in group)}: on {fraction * HOURS_PER_WEEK:.2f} of 168 h "
            f"a week (wake {wake}, sleep {sleep}, {timezone}): "
            f"{money(total(c.per_task_on * c.baseline_count for c in group))} a month at "
            f"baseline instead of {money(total(c.per_task * c.baseline_count for c in group))}"
        )
    return lines


# --- the burn rate: USD per hour of the auto-scaled services ---------------------------------
# What the burn-rate alarms write into their expression (components/burn_rate.py), what the
# dashboard's rate widget draws, and what the money-at-risk figures use (models/burn_rate.py).


def priced(key: str, service: ServiceConfig) -> PricedService:
    """One service as the burn rate sees it: its task's hourly price and its capacity range."""
    return PricedService(
        key=key,
        hourly_price=service_cost(key, service).per_task_hour,
        min_capacity=service.effective_min,
        max_capacity=service.effective_max,
    )


def priced_services(config: StackConfig) -> list[PricedService]:
    """The stack's auto-scaled services as the burn rate sees them, in stack file order (fixed
    counts cannot run away, and the breaker has no max of theirs to lower)."""
    return [priced(key, s) for key, s in config.services.items() if s.scaling.enabled]


def budget_rate(config: StackConfig) -> Decimal | None:
    """The budget's limit as a rate: USD per hour that spends it in a 730-hour month."""
    limit = budget_limit(config)
    return None if limit is None else limit / HOURS_PER_MONTH


@dataclass(frozen=True)
class BurnRateFigures:
    """A stack's burn rate in USD per hour: the prices in the rate and the lines drawn beside
    it (the dashboard's widget, the alarms' descriptions, the report)."""

    services: tuple[PricedService, ...]
    """The auto-scaled services, in stack file order; never empty."""
    warn_per_hour: Decimal | None
    """`costBreaker.burnRate.warnPerHour`; None without an enabled breaker with a burn rate."""
    trip_per_hour: Decimal | None
    """`costBreaker.burnRate.tripPerHour`; None likewise."""
    budget_per_hour: Decimal | None
    """The budget's limit / 730 h: the pace that spends the month's budget."""
    ceilings_per_hour: Decimal | None
    """Every service in the rate at its breaker ceiling; None without an enabled breaker."""

    @property
    def prices(self) -> dict[str, Decimal]:
        """Service key -> hourly task price, for the services in the rate."""
        return {s.key: s.hourly_price for s in self.services}

    @property
    def baseline_per_hour(self) -> Decimal:
        """Every service in the rate at its minimum (target tracking never goes lower)."""
        return baseline_rate(self.services)

    @property
    def max_per_hour(self) -> Decimal:
        """Every service in the rate at its max."""
        return max_rate(self.services)


def burn_rate_figures(config: StackConfig) -> BurnRateFigures | None:
    """The stack's burn-rate figures; None without an auto-scaled service."""
    services = priced_services(config)
    if not services:
        return None
    breaker = config.cost_breaker
    burn = breaker.burn_rate if breaker is not None and breaker.enabled else None
    ceilings = breaker_ceilings(config)
    return BurnRateFigures(
        services=tuple(services),
        warn_per_hour=burn.warn_per_hour if burn else None,
        trip_per_hour=burn.trip_per_hour if burn else None,
        budget_per_hour=budget_rate(config),
        ceilings_per_hour=(None if ceilings is None
                           else rate_at(services, [ceilings[s.key] for s in services])),
    )


# --- AWS WAF ---------------------------------------------------------------------------------

# Rules in each web ACL the program creates: the rate-based rule and the managed rule groups.
WAF_RULES_PER_WEB_ACL = 1 + len(MANAGED_RULE_GROUPS)


@dataclass(frozen=True)
class WebAclCost:
    """The fixed monthly fees of one service's web ACL; requests are billed on top."""

    key: str
    rules: int

    @property
    def monthly(self) -> Decimal:
        return WAF_WEB_ACL_MONTHLY + WAF_RULE_MONTHLY * self.rules


def web_acl_costs(config: StackConfig) -> list[WebAclCost]:
    """One entry per service with `waf.enabled`, in stack file order."""
    return [WebAclCost(key, WAF_RULES_PER_WEB_ACL)
            for key, service in config.services.items() if service.waf.enabled]


def waf_request_cost(requests: Decimal) -> Decimal:
    """What AWS WAF charges for inspecting `requests` requests (blocked ones included)."""
    return requests / Decimal(1_000_000) * WAF_PRICE_PER_MILLION_REQUESTS


def waf_lines(config: StackConfig) -> list[str]:
    """The web ACLs' fees in words, for `cost` and `report`; empty without any."""
    acls = web_acl_costs(config)
    if not acls:
        return []
    fixed = total(a.monthly for a in acls)
    return [
        f"AWS WAF: {len(acls)} web ACL{'s' if len(acls) > 1 else ''} "
        f"({', '.join(a.key for a in acls)}), each {money(WAF_WEB_ACL_MONTHLY)} a month plus "
        f"{WAF_RULES_PER_WEB_ACL} rules at {money(WAF_RULE_MONTHLY)} = "
        f"{money(acls[0].monthly)}; {money(fixed)} a month in all, plus "
        f"{money(WAF_PRICE_PER_MILLION_REQUESTS)} per million requests inspected, blocked ones "
        f"included (10 million requests: {money(waf_request_cost(Decimal(10_000_000)))}). "
        "Source: aws.amazon.com/waf/pricing.",
    ]


# --- CloudWatch for the scaling signals and deployment alarms (issue 26) -----------------------

PUBLISH_INTERVAL_S = 60
"""How often an application publishes a custom metric (queue depth, calls in flight): once a
minute, the period target tracking reads."""


@dataclass(frozen=True)
class SignalCost:
    """What one service's scaling signals and deployment alarms add to CloudWatch a month."""

    key: str
    items: tuple[tuple[str, Decimal], ...]

    @property
    def monthly(self) -> Decimal:
        return sum((amount for _, amount in self.items), Decimal(0))


def signal_costs(key: str, service: ServiceConfig) -> SignalCost:
    """Each alarm at its list price (facts/cloudwatch.py); a target-tracking policy brings the
    two alarms Application Auto Scaling creates for it, and a metric-math alarm is counted
    once per metric it reads (the upper end: CloudWatch bills per alarm metric). SQS and load
    balancer metrics are free; a published metric costs its metric-month and its PutMetricData
    requests, one a minute from each publisher (the baseline count of tasks for calls)."""
    items: list[tuple[str, Decimal]] = []
    per_policy = ALARMS_PER_TARGET_TRACKING_POLICY
    scaling = service.scaling
    if scaling.enabled and scaling.queue_backlog is not None:
        # depth / tasks: two metrics per alarm, in place of the CPU policy's one.
        extra = per_policy * (2 - 1)
        items.append((f"backlog policy ({per_policy} alarms on 2 metrics, in place of CPU's)",
                      PRICE_STANDARD_ALARM_MONTH * extra))
        if scaling.queue_backlog.connection == "redis":
            items.append(("Z360/Queue QueueDepth published once a minute",
                          published_metric_month(PUBLISH_INTERVAL_S)))
    if scaling.enabled and scaling.requests_per_target is not None:
        items.append((f"requests-per-target policy ({per_policy} alarms)",
                      PRICE_STANDARD_ALARM_MONTH * per_policy))
    calls = service.task_protection.calls_per_task
    if scaling.enabled and calls is not None:
        items.append((f"calls policy ({per_policy} alarms) and Z360/Voice CallsInFlight from "
                      f"{service.effective_min} task(s)",
                      PRICE_STANDARD_ALARM_MONTH * per_policy
                      + published_metric_month(PUBLISH_INTERVAL_S, service.effective_min)))
    alarms = len(deployment_alarm_names(service))
    if alarms:
        items.append((f"{alarms} deployment alarms", PRICE_STANDARD_ALARM_MONTH * alarms))
    return SignalCost(key, tuple(items))


def stack_signal_costs(config: StackConfig) -> list[SignalCost]:
    """The services whose signals or deployment alarms cost anything."""
    costs = [signal_costs(key, service) for key, service in config.services.items()]
    return [cost for cost in costs if cost.items]
