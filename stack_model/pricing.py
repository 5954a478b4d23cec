"""The cost model: monthly Fargate cost of a stack, its scenarios and its right-sizing, and
the fees of its WAF web ACLs.

Pure functions over a validated StackConfig. Prices and sizes come only from
policies/guardrails/facts/fargate.py; money stays an exact Decimal here and is rounded to the cent
only when printed (fargate.to_cents). Every figure is on-demand list price: a Spot task costs
somewhere below it, so Spot and Savings Plans are shown as ranges of savings, never as one
fixed figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from policies.guardrails.facts.fargate import (
    COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE,
    HOURS_PER_MONTH,
    SPOT_DISCOUNT_RANGE,
    WAF_PRICE_PER_MILLION_REQUESTS,
    WAF_RULE_MONTHLY,
    WAF_WEB_ACL_MONTHLY,
    monthly_task_cost,
    to_cents,
)
from policies.guardrails.facts.wafv2 import MANAGED_RULE_GROUPS
from stack_model.config import ServiceConfig, StackConfig

# Tasks per service in the ops log's cost scenarios (quiet, moderate, high traffic).
SCENARIO_TASKS_PER_SERVICE = (1, 2, 5)

RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ServiceCost:
    """What one service costs a month, at its baseline, minimum and maximum task counts."""

    key: str
    service: ServiceConfig
    per_task: Decimal
    """On-demand USD for one task for 730 hours, unrounded."""

    @property
    def baseline_count(self) -> int:
        return baseline_count(self.service)

    @property
    def at_baseline(self) -> Decimal:
        return self.per_task * self.baseline_count

    @property
    def at_min(self) -> Decimal:
        return self.per_task * self.service.effective_min

    @property
    def at_max(self) -> Decimal:
        return self.per_task * self.service.effective_max


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
        per_task=monthly_task_cost(service.cpu, service.memory, service.architecture),
    )


def stack_costs(config: StackConfig) -> list[ServiceCost]:
    """One ServiceCost per service, in stack file order."""
    return [service_cost(key, service) for key, service in config.services.items()]


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def scenario_cost(costs: Iterable[ServiceCost], tasks_per_service: int) -> Decimal:
    """Monthly cost with every service running `tasks_per_service` tasks."""
    return total(cost.per_task * tasks_per_service for cost in costs)


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
    return total(cost.per_task * ceilings[cost.key] for cost in costs)


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
    """Spot and a Compute Savings Plan as ranges of the baseline cost, never a fixed saving."""
    at_baseline = total(c.at_baseline for c in costs)
    spot_low, spot_high = spot_range(at_baseline)
    plan_low, plan_high = savings_plan_range(at_baseline)
    spot_from, spot_to = SPOT_DISCOUNT_RANGE
    plan_from, plan_to = COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE
    notes = [
        f"Fargate Spot: {percent(spot_from)} to {percent(spot_to)} off, never a fixed saving "
        "(the price moves, and tasks can be interrupted). The baseline on Spot: "
        f"{money(spot_low)} to {money(spot_high)} a month.",
        f"Compute Savings Plan: {percent(plan_from)} to {percent(plan_to)} off, depending on "
        "term and payment option, for a commitment to an hourly spend. The baseline under a "
        f"plan: {money(plan_low)} to {money(plan_high)} a month.",
    ]
    spot = [c.key for c in costs if c.service.capacity_provider == "FARGATE_SPOT"]
    if spot:
        notes.append(
            f"Already on FARGATE_SPOT: {', '.join(spot)}. Their figures above are on-demand "
            "prices, the most those tasks can cost."
        )
    return notes


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
