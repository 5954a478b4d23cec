"""Budget rules: the stack that declares a budget has a monthly cost budget that notifies, and
the worst-case Fargate bill is compared with it.

Both are stack policies (see `stack_policy` in _kit.py for what that means on `pulumi up`).
Costs come from facts/fargate.py, a service on working hours priced at its hours on
(facts/schedule.py, as stack_model/pricing.py does); a budget alerts, it caps nothing, so a
worst case above it is worth knowing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import NotApplicable, known, known_number, number, setting, show, stack_policy
from .ecs import strategy_items
from .facts.ecs import FARGATE_SPOT, split_tasks
from .facts.fargate import SPOT_DISCOUNT_RANGE, Architecture, monthly_task_cost, to_cents
from .facts.schedule import on_fraction, weekly_cron_problem


def _money(amount: Decimal) -> str:
    return f"${to_cents(amount):,}"


def _budget_name(budget: PolicyResource) -> str:
    return str(known(lambda: budget.props.get("name"))[1] or budget.name)


def _count(mapping: Mapping[str, Any], key: str) -> int:
    return len(mapping.get(key) or [])


def _limit_fields(props: Mapping[str, Any]) -> Sequence[Any]:
    """(budgetType, timeUnit, limitAmount) of a budget."""
    return props.get("budgetType"), props.get("timeUnit"), props.get("limitAmount")


def _budget_problems(props: Mapping[str, Any]) -> list[str]:
    problems = []
    if props.get("budgetType") != "COST":
        problems.append(f"budgetType is {props.get('budgetType')!r}, not COST")
    if props.get("timeUnit") != "MONTHLY":
        problems.append(f"timeUnit is {props.get('timeUnit')!r}, not MONTHLY")
    notifications = props.get("notifications") or []
    if len(notifications) == 0:
        problems.append("it has no notifications")
    for position, notification in enumerate(notifications, start=1):
        emails = known(partial(_count, notification, "subscriberEmailAddresses"))
        topics = known(partial(_count, notification, "subscriberSnsTopicArns"))
        if emails == (True, 0) and topics == (True, 0):
            problems.append(f"notification {position} has no subscriber")
    return problems


def check_budget_monthly_cost(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack with budgets has a monthly COST budget with notifications that reach someone."""
    index = StackIndex.build(args.resources)
    if not index.budgets:
        raise NotApplicable("this stack declares no budget")
    findings = []
    for budget in index.budgets:
        ok, problems = known(partial(_budget_problems, budget.props))
        if not ok or not problems:
            return  # one good (or not yet known) budget is enough
        findings.append((budget, problems))
    for budget, problems in findings:
        report(
            f"budget {_budget_name(budget)}: {'; '.join(problems)}. The stack needs a "
            "monthly COST budget whose notifications reach someone",
            budget.urn,
        )


COST_SCHEMA = {
    "maxPercentOfBudget": {
        "type": "number",
        "minimum": 0,
        "default": 100,
        "description": "Report when the worst-case monthly Fargate cost exceeds this percent "
                       "of the budget limit.",
    },
}


def _task_cost(task_definition: PolicyResource) -> Decimal | None:
    props = task_definition.props
    cpu, memory = number(props.get("cpu")), number(props.get("memory"))
    platform = props.get("runtimePlatform") or {}
    architecture = platform.get("cpuArchitecture") or Architecture.X86_64.value
    if cpu is None or memory is None or architecture not in Architecture.__members__:
        return None
    return monthly_task_cost(int(cpu), int(memory), architecture)


@dataclass(frozen=True)
class WorstCaseLine:
    """One service at its most tasks, split by provider as its strategy places them."""

    service: str
    count: int
    per_task: Decimal
    """Monthly on-demand list price of one task, at its hours on for a service on working
    hours."""
    spot_tasks: int = 0
    """Tasks the strategy puts on FARGATE_SPOT at `count` (facts/ecs.py split_tasks)."""

    @property
    def at_list(self) -> Decimal:
        """The most it can cost: every task at the on-demand list price."""
        return self.per_task * self.count

    @property
    def monthly_range(self) -> tuple[Decimal, Decimal]:
        """(lowest, highest): on-demand tasks exact, Spot tasks within SPOT_DISCOUNT_RANGE."""
        on_demand = self.per_task * (self.count - self.spot_tasks)
        spot = self.per_task * self.spot_tasks
        low, high = SPOT_DISCOUNT_RANGE
        return on_demand + spot * (1 - high), on_demand + spot * (1 - low)


def spot_tasks_at(ecs_service: PolicyResource | None, count: int) -> int:
    """Tasks of `count` the service's capacity provider strategy puts on FARGATE_SPOT (ECS's
    rule: the base first, then the weights); 0 without a strategy or with one not yet known."""
    if ecs_service is None:
        return 0
    ok, items = known(partial(strategy_items, ecs_service.props))
    if not ok or not items:
        return 0
    strategy = [(str(item.get("capacityProvider")), int(number(item.get("base")) or 0),
                 int(number(item.get("weight")) or 0)) for item in items]
    return split_tasks(count, strategy).get(FARGATE_SPOT, 0)


def scheduled_fraction(index: StackIndex, target: PolicyResource) -> tuple[Decimal, int]:
    """(share of the week the target's service runs, the highest MaxCapacity its scheduled
    actions set) from its working hours: one action to 0 (sleep) and one above (wake), both
    weekly crons (facts/schedule.py). Anything else, (1, 0): priced as always on."""
    ok, resource_id = known(partial(target.props.get, "resourceId"))
    actions = index.scheduled_actions.get(str(resource_id), []) if ok else []
    sleeps = [a for a in actions if a.max_capacity == 0]
    wakes = [a for a in actions if a.max_capacity is not None and a.max_capacity > 0]
    highest = int(max((a.max_capacity or 0 for a in actions), default=0))
    if len(sleeps) != 1 or len(wakes) != 1:
        return Decimal(1), highest
    wake, sleep = wakes[0].schedule or "", sleeps[0].schedule or ""
    if weekly_cron_problem(wake) or weekly_cron_problem(sleep) or \
            wakes[0].timezone != sleeps[0].timezone:
        return Decimal(1), highest
    return on_fraction(wake, sleep), highest


def worst_case_lines(index: StackIndex) -> list[WorstCaseLine]:
    """Every service with a task definition at its most tasks (the scalable target's
    maxCapacity or a higher one its scheduled actions set, else the service's desiredCount),
    split by its strategy, a service on working hours at its hours on, costliest first."""
    lines = []
    for service, task_definition in index.task_definitions.items():
        ok, per_task = known(partial(_task_cost, task_definition))
        if not ok or per_task is None:
            continue
        target = index.targets_by_service.get(service)
        ecs_service = index.services_by_service.get(service)
        fraction = Decimal(1)
        if target is not None:
            count = known_number(target.props, "maxCapacity")
            fraction, scheduled_max = scheduled_fraction(index, target)
            if count is not None:
                count = max(count, scheduled_max)
        elif ecs_service is not None:
            count = known_number(ecs_service.props, "desiredCount")
        else:
            count = None
        if count is None:
            continue
        lines.append(WorstCaseLine(service, int(count), per_task * fraction,
                                   spot_tasks_at(ecs_service, int(count))))
    return sorted(lines, key=lambda line: (-line.at_list, line.service))


def _line_detail(line: WorstCaseLine) -> str:
    text = f"{line.service} {line.count} x {_money(line.per_task)} = {_money(line.at_list)}"
    if not line.spot_tasks:
        return text
    low, high = line.monthly_range
    return f"{text} ({line.spot_tasks} on Spot: {_money(low)} to {_money(high)})"


def check_worst_case_cost(args: StackValidationArgs, report: ReportViolation) -> None:
    """Worst-case monthly Fargate cost, every service at max capacity, against the budget. The
    tasks a strategy puts on Spot cost a range below list price; the rule judges the top of
    that range (Spot has no fixed price), and prints both ends."""
    index = StackIndex.build(args.resources)
    limits = []
    for budget in index.budgets:
        ok, props = known(partial(_limit_fields, budget.props))
        if ok and props[0] == "COST" and props[1] == "MONTHLY":
            try:
                limits.append((budget, Decimal(str(props[2]))))
            except InvalidOperation:
                continue
    if not limits:
        raise NotApplicable("no monthly COST budget with a known limit")
    lines = worst_case_lines(index)
    low = sum((line.monthly_range[0] for line in lines), Decimal(0))
    total = sum((line.monthly_range[1] for line in lines), Decimal(0))
    spot_tasks = sum(line.spot_tasks for line in lines)
    percent = number(setting(args, COST_SCHEMA, "maxPercentOfBudget")) or 0.0
    percent_allowed = Decimal(str(percent))
    detail = ", ".join(_line_detail(line) for line in lines)
    spot = (f"; with {spot_tasks} tasks on Fargate Spot, {_money(low)} to {_money(total)}"
            if spot_tasks else "")
    for budget, limit in limits:
        if limit <= 0 or total * 100 <= limit * percent_allowed:
            continue
        report(
            f"worst case, every service at max capacity: {_money(total)} a month in Fargate "
            f"alone (on-demand list price{spot}), {total * 100 / limit:.0f} % of budget "
            f"{_budget_name(budget)} limit {_money(limit)} (policy config "
            f"worst-case-cost.maxPercentOfBudget {show(percent)}). A budget alerts, it caps "
            f"nothing: lower max capacities or raise the budget. Per service: {detail}",
            budget.urn,
        )


RESOURCE_POLICIES: list[ResourceValidationPolicy] = []

STACK_POLICIES = [
    stack_policy(
        "budget-monthly-cost",
        "A stack that declares a budget has a monthly COST budget with notifications.",
        EnforcementLevel.MANDATORY, check_budget_monthly_cost, {},
    ),
    stack_policy(
        "worst-case-cost",
        "The worst-case monthly Fargate cost, every service at max capacity, fits the budget.",
        EnforcementLevel.ADVISORY, check_worst_case_cost, COST_SCHEMA,
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
