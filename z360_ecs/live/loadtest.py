"""`z360-ecs loadtest URL`: a bounded HTTP load run, reporting what the ops log recorded.

Needs a network and a live service at URL; it calls no AWS API.

Sends GET requests to one URL with a fixed number of requests in flight (httpx's AsyncClient)
and prints requests/s, failures (non-2xx/3xx responses and transport errors, broken down),
latency p50/p90/p99/max and the duration. Redirects are not followed: a 302 is a success, as
the log's connectivity check counted it.

Every run is bounded: the request count must be given (--requests or --preset), and is capped;
so is concurrency; and --max-duration stops the run, reporting partial results. Presets
reproduce the log's tests: connect (1 request), test2 (500 at 20), test3 (2,000 at 50),
test4 (5,000 at 100). Exit codes: 0 all requests succeeded, 1 failures or a run cut short by
the time limit, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

from z360_ecs.live.load import (
    PlanError,
    Progress,
    add_plan_arguments,
    exit_code,
    plan_from_args,
    render_text,
    run_async,
    run_load,
)


def handle(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_args(args, args.url)
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = run_async(run_load(plan, Progress(plan.requests)))
    if args.json:
        sys.stdout.write(json.dumps(result.summary(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return exit_code(result)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "loadtest",
        help="needs a network: send a bounded HTTP load to one URL and report latency and failures",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="http:// or https:// URL to GET")
    add_plan_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=handle)
