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
from pathlib import Path
from typing import Any

from policies.guardrails.facts.wafv2 import (
    EVALUATION_WINDOWS_S,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
)
from stack_model.config import ConfigError, ServiceConfig
from stack_model.config.source import SourceError, decode_utf8, read_config_json, read_file
from stack_model.pricing import money_json
from z360_ecs.common import (
    StackFileError,
    add_stack_arguments,
    read_stack_config,
    service_or_error,
)
from z360_ecs.models.flood import (
    DEFAULT_BREAKER_DELAY_HOURS,
    DEFAULT_MINUTES,
    Flood,
    FloodOutcome,
    column_labels,
    compare,
    notes,
    rate_limit_for,
    rows,
    unpaced,
)

MAX_THROUGHPUT = 1_000_000
"""Most requests/s one task may be said to serve (--throughput, a loadtest result)."""


class FloodInputError(ValueError):
    """Arguments or config the model cannot run with; the message names what to fix."""


def throughput_for(service: ServiceConfig, key: str, given: float | None,
                   loadtest: Path | None) -> float:
    if given is not None:
        return given
    if loadtest is not None:
        try:
            # The one file reader (a regular file, never blocking, bounded) and the reading
            # rules of config text: strict UTF-8, NaN and Infinity (which json.loads takes by
            # default) refused.
            document = read_config_json(
                decode_utf8(read_file(loadtest), "the loadtest result"), "--loadtest")
        except SourceError as exc:
            raise FloodInputError(f"--loadtest {loadtest}: {exc.message}") from None
        rate = document.get("requestsPerSecond") if isinstance(document, dict) else None
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) \
                or not 0 < rate <= MAX_THROUGHPUT:
            raise FloodInputError(f"--loadtest {loadtest}: no requestsPerSecond above 0 and at "
                                  f"most {MAX_THROUGHPUT:,} (write it with `z360-ecs loadtest "
                                  "URL ... --json > FILE`)")
        return float(rate)
    if service.waf.task_requests_per_second is not None:
        return service.waf.task_requests_per_second
    raise FloodInputError(
        f"services.{key}.waf.taskRequestsPerSecond is unset: give --throughput T (requests/s "
        "one task serves) or --loadtest FILE"
    )


# --- output -------------------------------------------------------------------------------


def render_text(key: str, without: FloodOutcome, with_limit: FloodOutcome | None) -> str:
    flood = without.inputs.flood
    lines = [
        f"{key}: flood of {flood.rate:,g} requests/s from {flood.sources} client IPs, one task "
        f"serving {without.inputs.task_requests_per_second:g} requests/s at full CPU",
        "",
    ]
    table = [["", *column_labels(without, with_limit)],
             *[[name, *cells] for name, cells in rows(without, with_limit)]]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines += ["", *notes(without, with_limit)]
    return "\n".join(lines) + "\n"


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
    # allow_nan=False: NaN is not JSON; a model that made one fails here, not in the reader.
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


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
    parser.add_argument("--throughput", type=_positive(float, 0.001, MAX_THROUGHPUT),
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
