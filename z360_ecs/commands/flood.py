"""`z360-ecs flood STACK SERVICE --rate R --sources N`: what a request flood costs, offline.

Runs the flood model (z360_ecs/models/flood.py) twice: with no web ACL, and with the service's
WAF rate limit (`services.<key>.waf`, or --rate-limit/--window). For each it prints the
requests/s that reach the tasks, the tasks target tracking reaches, the minutes to max
capacity, Fargate and WAF cost per hour and per day, and when the cost breaker would trip.

Per-task throughput T (requests/s one task serves at full CPU) comes from --throughput, else
from a `z360-ecs loadtest --json` result (--loadtest FILE, its requestsPerSecond), else from
`services.<key>.waf.taskRequestsPerSecond`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.config import ConfigError, ServiceConfig, StackConfig
from offline import costing
from offline.costing import money, money_json
from offline.engine import StackFileError
from offline.simulate import ServiceModel, read_stack_config, service_or_error
from policies.guardrails.fargate import HOURS_PER_MONTH, hourly_task_cost
from policies.guardrails.wafv2_facts import (
    DEFAULT_EVALUATION_WINDOW_S,
    EVALUATION_WINDOWS_S,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
)
from z360_ecs.models.flood import (
    DEFAULT_BREAKER_DELAY_HOURS,
    DEFAULT_MINUTES,
    Breaker,
    Flood,
    FloodInputs,
    FloodOutcome,
    RateLimit,
    break_even_rate,
    model_flood,
)

# The flood the report shows: the 1,000 requests/s from 10 client IPs.
REPORT_FLOOD = Flood(rate=1000, sources=10)


class FloodInputError(ValueError):
    """Arguments or config the model cannot run with; the message names what to fix."""


def breaker_for(config: StackConfig, key: str, delay_hours: float) -> Breaker | None:
    """The stack's cost breaker as the model sees it; None without an enabled one."""
    ceilings = costing.breaker_ceilings(config)
    limit = costing.budget_limit(config)
    breaker = config.cost_breaker
    if ceilings is None or limit is None or breaker is None:
        return None
    others = sum(
        (hourly_task_cost(s.cpu, s.memory, s.architecture) * costing.baseline_count(s)
         for k, s in config.services.items() if k != key),
        Decimal(0),
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


def throughput_for(service: ServiceConfig, key: str, given: float | None,
                   loadtest: Path | None) -> float:
    if given is not None:
        return given
    if loadtest is not None:
        try:
            document = json.loads(loadtest.read_text())
        except (OSError, ValueError) as exc:
            raise FloodInputError(f"--loadtest {loadtest}: cannot read a JSON result: {exc}") \
                from None
        rate = document.get("requestsPerSecond") if isinstance(document, dict) else None
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate <= 0:
            raise FloodInputError(f"--loadtest {loadtest}: no positive requestsPerSecond (write "
                                  "it with `z360-ecs loadtest URL ... --json > FILE`)")
        return float(rate)
    if service.waf.task_requests_per_second is not None:
        return service.waf.task_requests_per_second
    raise FloodInputError(
        f"services.{key}.waf.taskRequestsPerSecond is unset: give --throughput T (requests/s "
        "one task serves) or --loadtest FILE"
    )


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


# --- output -------------------------------------------------------------------------------


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


def _labels(without: FloodOutcome, with_limit: FloodOutcome | None) -> list[str]:
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


def render_text(key: str, without: FloodOutcome, with_limit: FloodOutcome | None) -> str:
    flood = without.inputs.flood
    lines = [
        f"{key}: flood of {flood.rate:,g} requests/s from {flood.sources} client IPs, one task "
        f"serving {without.inputs.task_requests_per_second:g} requests/s at full CPU",
        "",
    ]
    table = [["", *_labels(without, with_limit)],
             *[[name, *cells] for name, cells in rows(without, with_limit)]]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines += ["", *notes(without, with_limit)]
    return "\n".join(lines) + "\n"


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


def render_json(key: str, without: FloodOutcome, with_limit: FloodOutcome | None) -> str:
    def one(outcome: FloodOutcome) -> dict[str, Any]:
        limit = outcome.inputs.rate_limit
        return {
            "rateLimit": {"limit": limit.limit, "windowSeconds": limit.window_s} if limit else None,
            "admittedRequestsPerSecond": round(outcome.admitted_rate, 3),
            "load": round(outcome.load, 3),
            "tasksReached": outcome.tasks_reached,
            "tasksSettled": outcome.steady_tasks,
            "minutesToMaxCapacity": outcome.minutes_to_max,
            "fargateHourly": money_json(outcome.fargate_hourly),
            "wafHourly": money_json(outcome.waf_hourly),
            "hourly": money_json(outcome.hourly),
            "daily": money_json(outcome.daily),
            "breakerTrips": outcome.breaker_trips,
            "breakerAfterHours": outcome.breaker_after_hours,
            "costBeforeBreaker": (money_json(outcome.before_breaker)
                                  if outcome.before_breaker is not None else None),
        }

    flood = without.inputs.flood
    document = {
        "service": key,
        "flood": {"requestsPerSecond": flood.rate, "sources": flood.sources},
        "taskRequestsPerSecond": without.inputs.task_requests_per_second,
        "withoutWebAcl": one(without),
        "withRateLimit": one(with_limit) if with_limit else None,
        "withRateLimitSourcesBlocked": (
            one(extra) if with_limit and (extra := unpaced(with_limit)) else None),
    }
    return json.dumps(document, indent=2) + "\n"


def report_section(config: StackConfig) -> list[str]:
    """Markdown for `z360-ecs report`: REPORT_FLOOD against every service with a web ACL."""
    keys = [k for k, s in config.services.items()
            if s.waf.enabled and s.waf.task_requests_per_second is not None]
    lines = ["", "## What a flood costs", ""]
    if not keys:
        return lines + ["No service in this stack has a web ACL with a per-task throughput "
                        "(`services.<key>.waf`): `z360-ecs flood STACK SERVICE` models one."]
    flood = REPORT_FLOOD
    lines += [
        f"A flood of {flood.rate:,g} requests/s from {flood.sources} client IPs against each "
        "service with a web ACL, from `z360-ecs flood` (target tracking as `z360-ecs simulate` "
        f"models it; the breaker's delay {DEFAULT_BREAKER_DELAY_HOURS:g} h). Throughput per "
        "task is `waf.taskRequestsPerSecond`.",
    ]
    for key in keys:
        service = config.services[key]
        without, with_limit = compare(config, key, flood, service.waf.task_requests_per_second
                                      or 0.0, rate_limit_for(service, None, None))
        header = ["", *_labels(without, with_limit)]
        body = [[name, *cells] for name, cells in rows(without, with_limit)]
        lines += ["", f"### {key} ({service.waf.task_requests_per_second:g} requests/s per "
                  "task)", ""]
        lines += ["| " + " | ".join(row) + " |"
                  for row in [header, ["---"] + ["---:"] * (len(header) - 1), *body]]
        lines += ["", *(f"- {note}" for note in notes(without, with_limit))]
    return lines


# --- command ------------------------------------------------------------------------------


def handle(args: argparse.Namespace) -> int:
    try:
        config = read_stack_config(args.stack, args.stack_file, args.project_dir)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service = service_or_error(config, args.stack, args.service)
    if service is None:
        return 2
    if not service.scaling.enabled:
        print(f"error: {args.stack}: services.{args.service}.scaling.enabled is false: a "
              "fixed task count is all a flood can reach", file=sys.stderr)
        return 2
    try:
        throughput = throughput_for(service, args.service, args.throughput, args.loadtest)
    except FloodInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    flood = Flood(args.rate, args.sources)
    without, with_limit = compare(
        config, args.service, flood, throughput,
        rate_limit_for(service, args.rate_limit, args.window),
        args.breaker_delay, args.base_load, args.minutes,
    )
    render = render_json if args.json else render_text
    sys.stdout.write(render(args.service, without, with_limit))
    return 0


def _positive(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low:g} and {high:g}")
        return value
    return parse


def _window(text: str) -> int:
    value = _positive(int, 0, 3600)(text)
    if value not in EVALUATION_WINDOWS_S:
        raise argparse.ArgumentTypeError(
            f"{value} is not a WAF evaluation window ({', '.join(map(str, EVALUATION_WINDOWS_S))})")
    return int(value)


def register(subparsers: argparse._SubParsersAction) -> None:
    from offline.preview import add_stack_arguments

    parser = subparsers.add_parser(
        "flood", help="model what a request flood costs a service, with and without WAF",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("service", help="service key in the stack config (web, gateway, ...)")
    parser.add_argument("--rate", type=_positive(float, 0.001, 10_000_000), required=True,
                        help="flood requests per second, all sources together")
    parser.add_argument("--sources", type=_positive(int, 1, 10_000_000), required=True,
                        help="client IPs the flood comes from")
    parser.add_argument("--throughput", type=_positive(float, 0.001, 1_000_000),
                        help="requests/s one task serves at full CPU")
    parser.add_argument("--loadtest", type=Path,
                        help="read the throughput from a `z360-ecs loadtest --json` result")
    parser.add_argument("--rate-limit", type=_positive(int, RATE_LIMIT_MIN, RATE_LIMIT_MAX),
                        help="requests per client IP per window (default: services.<key>.waf)")
    parser.add_argument("--window", type=_window, help="evaluation window in seconds")
    parser.add_argument("--breaker-delay", type=_positive(float, 0, 24 * 31),
                        default=DEFAULT_BREAKER_DELAY_HOURS,
                        help="hours until the budget notification trips the breaker "
                             "(default %(default)s)")
    parser.add_argument("--base-load", type=_positive(float, 0, 10_000), default=1.0,
                        help="real traffic under the flood, in tasks at the CPU target "
                             "(default %(default)s)")
    parser.add_argument("--minutes", type=_positive(int, 10, 24 * 60), default=DEFAULT_MINUTES,
                        help="minutes to simulate (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=handle)
