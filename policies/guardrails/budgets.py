"""Budget rules: the stack that declares a budget has a monthly cost budget that notifies, and
the worst-case Fargate bill is compared with it.

Both are stack policies (see `stack_policy` in _kit.py for what that means on `pulumi up`).
Costs come from facts/fargate.py, a service on working hours priced at its hours on
(facts/schedule.py, as stack_model/pricing.py does); a budget alerts, it caps nothing, so a
worst case above it is worth knowing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from .facts.fargate import Architecture, monthly_task_cost, to_cents
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


def worst_case_lines(index: StackIndex) -> list[tuple[str, int, Decimal]]:
    """(service, tasks at most, monthly cost at that count) for every service with a task
    definition: the scalable target's maxCapacity (or a higher one its scheduled actions set),
    else the service's desiredCount; a service on working hours at its hours on."""
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
        lines.append((service, int(count), per_task * int(count) * fraction))
    return sorted(lines, key=lambda line: (-line[2], line[0]))


def check_worst_case_cost(args: StackValidationArgs, report: ReportViolation) -> None:
    """Worst-case monthly Fargate cost, every service at max capacity, against the budget."""
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
    total = sum((cost for _, _, cost in lines), Decimal(0))
    percent = number(setting(args, COST_SCHEMA, "maxPercentOfBudget")) or 0.0
    percent_allowed = Decimal(str(percent))
    detail = ", ".join(
        f"{service} {count} x {_money(cost / count if count else Decimal(0))} = {_money(cost)}"
        for service, count, cost in lines
    )
    for budget, limit in limits:
        if limit <= 0 or total * 100 <= limit * percent_allowed:
            continue
        report(
            f"worst case, every service at max capacity: {_money(total)} a month in Fargate "
            f"alone (on-demand list price), {total * 100 / limit:.0f} % of budget "
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
