"""`z360-ecs cost STACK`: what a stack's Fargate tasks cost a month, from list prices.

Reads the stack config as the program does (Pulumi.yaml defaults, then the stack file, then
the same validation) and prints, per service, the monthly cost of one task and of the
baseline, minimum and maximum task counts; totals; the scenarios of one, two and five tasks
per service and of every service at its maximum, against the budget; Spot and Compute Savings
Plan savings as ranges; and, with `--baseline`, the saving against an earlier config.

`--baseline SPEC` takes a stack config file path (relative to the current directory), or
`REV:PATH` for that file at a git revision of the project's repository (PATH from the
repository root), from any working directory.

`--json` prints money as strings rounded half up to two decimals ("36.04"), and ratios as
strings to four decimals; the text output uses the same rounding.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from policies.guardrails.facts.cloudwatch import (
    PRICE_CUSTOM_METRIC_MONTH,
    PRICE_HIGH_RESOLUTION_ALARM_MONTH,
    PRICE_STANDARD_ALARM_MONTH,
    PRICES_SOURCE,
)
from policies.guardrails.facts.fargate import SPOT_DISCOUNT_RANGE
from stack_model import pricing as costing
from stack_model.config import PROJECT, StackConfig
from stack_model.pricing import money, money_json
from z360_ecs.common import (
    Baseline,
    add_baseline_argument,
    add_stack_arguments,
    baseline_or_report,
    load_or_report,
)
from z360_ecs.models import resolution

# --- text --------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [line(header), line(["-" * w for w in widths]), *[line(row) for row in rows]]


def _count_cost(count: int, amount: Decimal) -> str:
    return f"{count} = {money(amount)}"


def render_text(stack: str, config: StackConfig, baseline: Baseline | None = None) -> str:
    costs = costing.stack_costs(config)
    lines = [
        f"{PROJECT} {stack}: monthly Fargate cost, on-demand list price, us-east-1, "
        f"{costing.hours_per_month()} hours a month",
        "",
    ]
    rows = [
        [
            cost.key,
            f"{cost.service.cpu}/{cost.service.memory}",
            cost.service.architecture,
            costing.strategy_label(cost.service),
            money(cost.per_task_on),
            _count_cost(cost.baseline_count, cost.at_baseline),
            _count_cost(cost.service.effective_min, cost.at_min),
            _count_cost(cost.service.effective_max, cost.at_max),
        ]
        for cost in costs
    ]
    rows.append([
        "total", "", "", "", "",
        _count_cost(sum(c.baseline_count for c in costs), costing.total(c.at_baseline for c in costs)),
        _count_cost(sum(c.service.effective_min for c in costs),
                    costing.total(c.at_min for c in costs)),
        _count_cost(sum(c.service.effective_max for c in costs), costing.worst_case(costs)),
    ])
    lines += _table(
        ["service", "cpu/MiB", "arch", "provider", "per task", "baseline", "min", "max"],
        rows, right={4, 5, 6, 7},
    )
    lines += ["", "Scenarios:"]
    lines += [f"  {line}".rstrip() for line in _scenario_lines(config, costs)]
    lines += ["", *costing.discount_notes(costs)]
    if costing.schedule_lines(costs):
        lines += ["", *costing.schedule_lines(costs)]
    if costing.web_acl_costs(config):
        lines += ["", *costing.waf_lines(config)]
    lines += _cloudwatch_lines(config)
    lines += _signal_lines(config)
    if baseline is not None:
        lines += ["", *_baseline_lines(config, baseline)]
    return "\n".join(lines) + "\n"


def _cloudwatch_lines(config: StackConfig) -> list[str]:
    """What the services with 20 s metrics add to CloudWatch (facts/cloudwatch.py prices)."""
    extras = resolution.stack_cloudwatch_extra(config)
    if not extras:
        return []
    total = costing.total(e.monthly for e in extras)
    lines = ["", f"CloudWatch for 20 s metrics ({PRICES_SOURCE}), a month:"]
    lines += [f"  {e.key}: {money(e.monthly)} ({e.metrics} metrics at "
              f"${PRICE_CUSTOM_METRIC_MONTH}, {e.alarms} alarms at "
              f"+${PRICE_HIGH_RESOLUTION_ALARM_MONTH - PRICE_STANDARD_ALARM_MONTH})"
              for e in extras]
    lines.append(f"  total: {money(total)}")
    return lines


def _signal_lines(config: StackConfig) -> list[str]:
    """What scaling signals and deployment alarms add to CloudWatch (stack_model/pricing.py)."""
    costs = costing.stack_signal_costs(config)
    if not costs:
        return []
    lines = ["", f"CloudWatch for scaling signals and deployment alarms ({PRICES_SOURCE}), "
                 "a month:"]
    for cost in costs:
        shown = "; ".join(f"{what} {money(amount)}" for what, amount in cost.items)
        lines.append(f"  {cost.key}: {money(cost.monthly)} ({shown})")
    lines.append(f"  total: {money(costing.total(c.monthly for c in costs))}")
    return lines


def _scenario_lines(config: StackConfig, costs: list[costing.ServiceCost]) -> list[str]:
    limit = costing.budget_limit(config)
    services = len(costs)
    rows = [
        [f"{n} task{'s' if n > 1 else ''} per service", str(n * services),
         money(costing.scenario_cost(costs, n)), ""]
        for n in costing.SCENARIO_TASKS_PER_SERVICE
    ]
    worst = costing.worst_case(costs)
    worst_row = ["every service at its max (worst case)",
                 str(sum(c.service.effective_max for c in costs)), money(worst), ""]
    capped = costing.capped_worst_case(config, costs)
    ceilings = costing.breaker_ceilings(config)
    capped_row = None
    if capped is not None and ceilings is not None:
        capped_row = ["worst case with the cost breaker tripped", str(sum(ceilings.values())),
                      money(capped), ""]
    if limit is not None:
        worst_row[3] = f"{costing.ratio(worst, limit):.2f} x the budget limit"
        if capped_row is not None and capped is not None:
            capped_row[3] = f"{costing.ratio(capped, limit):.2f} x the budget limit"
    rows.append(worst_row)
    if capped_row is not None:
        rows.append(capped_row)
    lines = _table(["scenario", "tasks", "monthly", "against budget"], rows, right={1, 2})
    lines.append("")
    if config.budget is None:
        lines.append("This stack declares no budget: there is no limit to compare with.")
    else:
        lines.append(
            f"Budget {config.budget.name}: {money(limit or Decimal(0))} a month. It is "
            "account-wide, so it also counts everything else the account spends; the "
            "comparison covers these Fargate tasks only. A budget alerts; it caps nothing."
        )
    if capped is not None:
        lines.append(
            "The cost breaker lowers max capacities only after the budget notification fires "
            f"(at {config.cost_breaker.threshold_percent:g} % of the limit, "  # type: ignore[union-attr]
            f"{config.cost_breaker.notification_type}); the capped figure is the monthly rate "  # type: ignore[union-attr]
            "once it has."
        )
    return lines




def _baseline_lines(config: StackConfig, baseline: Baseline) -> list[str]:
    changes = costing.compare(baseline.config, config)
    rows = []
    for change in changes:
        before, after = change.before, change.after
        per_task = change.saving_per_task
        rows.append([
            change.key,
            costing.size_label(before.service) if before else "(none)",
            costing.size_label(after.service) if after else "(removed)",
            money(per_task) if per_task is not None else "",
            f"{before.baseline_count if before else 0} -> {after.baseline_count if after else 0}",
            money(change.saving_at_baseline),
        ])
    rows.append(["total", "", "", "", "",
                 money(costing.total(c.saving_at_baseline for c in changes))])
    return [
        f"Against baseline {baseline.spec} (saving = baseline cost - current cost):",
        *_table(["service", "before", "after", "per task", "baseline tasks", "at baseline"],
                rows, right={3, 4, 5}),
    ]


# --- json --------------------------------------------------------------------------------


def render_json(stack: str, config: StackConfig, baseline: Baseline | None = None) -> str:
    costs = costing.stack_costs(config)
    limit = costing.budget_limit(config)
    worst = costing.worst_case(costs)
    capped = costing.capped_worst_case(config, costs)
    ceilings = costing.breaker_ceilings(config)
    at_baseline = costing.total(c.at_baseline for c in costs)
    document: dict[str, Any] = {
        "stack": stack,
        "currency": "USD",
        "hoursPerMonth": int(costing.hours_per_month()),
        "services": {
            cost.key: {
                "cpu": cost.service.cpu,
                "memory": cost.service.memory,
                "architecture": cost.service.architecture,
                "capacityProviderStrategy": [
                    {"capacityProvider": p, "base": b, "weight": w}
                    for p, b, w in cost.service.strategy
                ] or None,
                "launchType": cost.service.launch_type,
                "spotTasksAtBaseline": costing.split_at(cost, cost.baseline_count).spot_tasks,
                "spotTasksAtMax": costing.split_at(cost, cost.service.effective_max).spot_tasks,
                "scaling": cost.service.scaling.enabled,
                "baselineCount": cost.baseline_count,
                "minCount": cost.service.effective_min,
                "maxCount": cost.service.effective_max,
                "monthlyTaskCost": money_json(cost.per_task),
                "monthlyAtBaseline": money_json(cost.at_baseline),
                "monthlyAtMin": money_json(cost.at_min),
                "monthlyAtMax": money_json(cost.at_max),
            }
            for cost in costs
        },
        "cloudWatchHighResolution": {
            e.key: {"metrics": e.metrics, "alarms": e.alarms, "monthly": money_json(e.monthly)}
            for e in resolution.stack_cloudwatch_extra(config)
        },
        "totals": {
            "monthlyAtBaseline": money_json(at_baseline),
            "monthlyAtMin": money_json(costing.total(c.at_min for c in costs)),
            "monthlyAtMax": money_json(worst),
        },
        "scenarios": [
            {"tasksPerService": n, "tasks": n * len(costs),
             "monthly": money_json(costing.scenario_cost(costs, n))}
            for n in costing.SCENARIO_TASKS_PER_SERVICE
        ],
        "worstCase": {
            "tasks": sum(c.service.effective_max for c in costs),
            "monthly": money_json(worst),
            "ratioToBudget": str(costing.ratio(worst, limit)) if limit is not None else None,
        },
        "cappedWorstCase": None,
        "budget": None,
        "spot": _spot_json(costs),
        "computeSavingsPlan": _savings_plan_json(costs),
    }
    if capped is not None and ceilings is not None:
        document["cappedWorstCase"] = {
            "ceilings": ceilings,
            "tasks": sum(ceilings.values()),
            "monthly": money_json(capped),
            "ratioToBudget": str(costing.ratio(capped, limit)) if limit is not None else None,
        }
    acls = costing.web_acl_costs(config)
    document["waf"] = {
        "webAcls": {a.key: {"rules": a.rules, "monthly": money_json(a.monthly)} for a in acls},
        "monthlyFixed": money_json(costing.total(a.monthly for a in acls)),
        "perMillionRequests": money_json(costing.WAF_PRICE_PER_MILLION_REQUESTS),
        "source": "https://aws.amazon.com/waf/pricing/",
    }
    if config.budget is not None and limit is not None:
        document["budget"] = {
            "name": config.budget.name,
            "monthlyLimit": money_json(limit),
            "scope": "account",
            "caps": False,
        }
    if baseline is not None:
        changes = costing.compare(baseline.config, config)
        document["baseline"] = {
            "spec": baseline.spec,
            "services": {
                change.key: {
                    "before": costing.size_label(change.before.service) if change.before else None,
                    "after": costing.size_label(change.after.service) if change.after else None,
                    "savingPerTask": (
                        money_json(change.saving_per_task)
                        if change.saving_per_task is not None else None
                    ),
                    "savingAtBaseline": money_json(change.saving_at_baseline),
                }
                for change in changes
            },
            "totalSavingAtBaseline": money_json(
                costing.total(c.saving_at_baseline for c in changes)
            ),
        }
    return json.dumps(document, indent=2) + "\n"


def _split_json(split: costing.SpotSplit) -> dict[str, Any]:
    return {
        "onDemandTasks": split.on_demand_tasks,
        "spotTasks": split.spot_tasks,
        "onDemandMonthly": money_json(split.on_demand),
        "spotMonthlyAtList": money_json(split.spot_at_list),
        "monthlyRange": [money_json(a) for a in split.monthly_range],
    }


def _spot_json(costs: list[costing.ServiceCost]) -> dict[str, Any]:
    """The baseline and the worst case split by provider, the Spot share as a range."""
    return {
        "discountRange": [str(d) for d in SPOT_DISCOUNT_RANGE],
        "baseline": _split_json(costing.baseline_split(costs)),
        "worstCase": _split_json(costing.worst_case_split(costs)),
    }


def _savings_plan_json(costs: list[costing.ServiceCost]) -> dict[str, Any]:
    """The on-demand floor and the commitment it always uses, per discount bound."""
    floor = costing.on_demand_floor_hourly(costs)
    low, high = costing.COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE
    return {
        "discountRange": [str(d) for d in costing.COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE],
        "onDemandFloorHourly": str(floor.quantize(Decimal("0.0001"))),
        "largestCommitmentHourly": [str((floor * (1 - d)).quantize(Decimal("0.0001")))
                                    for d in (high, low)],
        "floorMonthlyRange": [
            money_json(a) for a in costing.savings_plan_range(floor * costing.hours_per_month())
        ],
    }


# --- command -----------------------------------------------------------------------------


def handle(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return 2
    baseline = None
    if args.baseline is not None:
        baseline = baseline_or_report(args.baseline, args)
        if baseline is None:
            return 2
    render = render_json if args.json else render_text
    sys.stdout.write(render(args.stack, config, baseline))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cost", help="monthly Fargate cost of a stack: per service, scenarios, worst case",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print JSON; money as strings with two decimals")
    add_baseline_argument(parser, "no comparison by default")
    parser.set_defaults(handler=handle)
