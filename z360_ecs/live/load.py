"""A bounded HTTP load run against a live URL: the plan, the run, its result and report.

Sends GET requests to one URL with a fixed number of requests in flight (httpx's AsyncClient)
and measures requests/s, failures (non-2xx/3xx responses and transport errors, broken down),
latency p50/p90/p99/max and the duration. Redirects are not followed: a 302 is a success, as
the log's connectivity check counted it. Every run is bounded (request count, concurrency and
duration are capped). Used by `z360-ecs loadtest` and `z360-ecs scaling --during`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

# name -> (requests, concurrency), as run in the ops log.
PRESETS: dict[str, tuple[int, int]] = {
    "connect": (1, 1),
    "test2": (500, 20),
    "test3": (2000, 50),
    "test4": (5000, 100),
}
MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 1_000
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_DURATION_S = 600.0
MAX_DURATION_CAP_S = 3_600.0


class PlanError(ValueError):
    """Arguments that would make an unbounded or meaningless run."""


@dataclass(frozen=True)
class LoadPlan:
    url: str
    requests: int
    concurrency: int
    timeout_s: float
    max_duration_s: float


def make_plan(
    url: str,
    requests: int | None,
    concurrency: int | None,
    timeout_s: float | None,
    max_duration_s: float | None,
    preset: str | None = None,
) -> LoadPlan:
    """A validated plan; flags override a preset. Raises PlanError naming the bad value."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PlanError(f"URL {url!r} is not an http:// or https:// URL with a host")
    if preset is not None:
        if preset not in PRESETS:
            raise PlanError(f"--preset {preset!r} is unknown (allowed: {', '.join(PRESETS)})")
        preset_requests, preset_concurrency = PRESETS[preset]
        requests = preset_requests if requests is None else requests
        concurrency = preset_concurrency if concurrency is None else concurrency
    if requests is None:
        raise PlanError("give the number of requests (--requests N or --preset NAME): "
                        "unbounded runs are refused")
    if not 1 <= requests <= MAX_REQUESTS:
        raise PlanError(f"--requests {requests} is not between 1 and {MAX_REQUESTS:,}")
    concurrency = 1 if concurrency is None else concurrency
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise PlanError(f"--concurrency {concurrency} is not between 1 and {MAX_CONCURRENCY:,}")
    timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
    if not 0 < timeout_s <= 300:
        raise PlanError(f"--timeout {timeout_s} is not above 0 and at most 300 seconds")
    max_duration_s = DEFAULT_MAX_DURATION_S if max_duration_s is None else max_duration_s
    if not 0 < max_duration_s <= MAX_DURATION_CAP_S:
        raise PlanError(f"--max-duration {max_duration_s} is not above 0 and at most "
                        f"{MAX_DURATION_CAP_S:g} seconds")
    return LoadPlan(url, requests, min(concurrency, requests), timeout_s, max_duration_s)


@dataclass
class LoadResult:
    plan: LoadPlan
    duration_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    stopped_at_time_limit: bool = False
    started_at: float = 0.0
    """time.time() when the first request went out."""

    @property
    def completed(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    @property
    def succeeded(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 400)

    @property
    def failures(self) -> dict[str, int]:
        breakdown = {f"HTTP {status}": n for status, n in sorted(self.statuses.items())
                     if not 200 <= status < 400}
        breakdown.update(sorted(self.errors.items()))
        return breakdown

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the latencies, in seconds."""
        if not self.latencies_s:
            return None
        ordered = sorted(self.latencies_s)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1]

    def summary(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 1)

        return {
            "url": self.plan.url,
            "requestsPlanned": self.plan.requests,
            "concurrency": self.plan.concurrency,
            "completed": self.completed,
            "succeeded": self.succeeded,
            "failed": sum(self.failures.values()),
            "failures": self.failures,
            "statusCounts": {str(k): v for k, v in sorted(self.statuses.items())},
            "durationSeconds": round(self.duration_s, 3),
            "requestsPerSecond": (
                round(self.completed / self.duration_s, 2) if self.duration_s > 0 else None
            ),
            "latencyMs": {"p50": ms(self.percentile(0.50)), "p90": ms(self.percentile(0.90)),
                          "p99": ms(self.percentile(0.99)),
                          "max": ms(max(self.latencies_s) if self.latencies_s else None)},
            "stoppedAtTimeLimit": self.stopped_at_time_limit,
        }


class Progress:
    """A bar redrawn in place on a terminal; a line every tenth of the run otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._next_line = 0
        self._last_draw = 0.0

    def update(self, done: int, started: float) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = done / elapsed
        if self.tty:
            now = time.monotonic()
            if done < self.total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            filled = int(self.width * done / self.total)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {rate:.1f} req/s")
            if done >= self.total:
                self.stream.write("\n")
        elif done >= self._next_line or done >= self.total:
            self.stream.write(f"progress: {done}/{self.total} ({100 * done // self.total}%) "
                              f"{elapsed:.1f} s, {rate:.1f} req/s\n")
            self._next_line = done + max(1, self.total // 10)
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def run_load(
    plan: LoadPlan,
    progress: Progress | None = None,
    on_request: Callable[[], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LoadResult:
    """Send plan.requests GETs, plan.concurrency at a time, stopping at plan.max_duration_s."""
    result = LoadResult(plan)
    issued = 0
    started = time.monotonic()
    result.started_at = time.time()
    deadline = started + plan.max_duration_s
    limits = httpx.Limits(max_connections=plan.concurrency,
                          max_keepalive_connections=plan.concurrency)

    async with httpx.AsyncClient(timeout=httpx.Timeout(plan.timeout_s), limits=limits,
                                 follow_redirects=False, transport=transport) as client:

        async def worker() -> None:
            nonlocal issued
            while issued < plan.requests and time.monotonic() < deadline:
                issued += 1
                if on_request is not None:
                    on_request()
                began = time.monotonic()
                try:
                    response = await client.get(plan.url)
                    result.statuses[response.status_code] += 1
                except httpx.TimeoutException:
                    result.errors["timeout"] += 1
                except httpx.ConnectError:
                    result.errors["connection error"] += 1
                except httpx.HTTPError as exc:
                    result.errors[type(exc).__name__] += 1
                result.latencies_s.append(time.monotonic() - began)
                if progress is not None:
                    progress.update(result.completed, started)

        workers = [asyncio.create_task(worker()) for _ in range(plan.concurrency)]
        _, pending = await asyncio.wait(workers, timeout=plan.max_duration_s)
        if pending:
            # Requests still in flight at the limit are abandoned, not counted.
            result.stopped_at_time_limit = True
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        elif result.completed < plan.requests:
            result.stopped_at_time_limit = True
    result.duration_s = time.monotonic() - started
    if progress is not None:
        progress.finish()
    return result


def run_async(coroutine: Any) -> Any:
    """Run a coroutine on a private event loop.

    Unlike asyncio.run this leaves the thread's current event loop alone: Pulumi's runtime
    (the mock engine the other commands and tests use) needs it to still be there.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def render_text(result: LoadResult) -> str:
    s = result.summary()
    latency = s["latencyMs"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ms"

    lines = [
        f"URL:               {s['url']}",
        f"Requests:          {s['completed']} of {s['requestsPlanned']} at concurrency "
        f"{s['concurrency']}",
        f"Duration:          {s['durationSeconds']:.2f} s",
        f"Requests/sec:      {s['requestsPerSecond']}",
        f"Succeeded:         {s['succeeded']} (2xx/3xx)",
        f"Failed:            {s['failed']}",
    ]
    lines += [f"  {kind}: {count}" for kind, count in s["failures"].items()]
    lines += [
        f"Latency p50/p90/p99/max: {ms(latency['p50'])} / {ms(latency['p90'])} / "
        f"{ms(latency['p99'])} / {ms(latency['max'])}",
    ]
    if s["stoppedAtTimeLimit"]:
        lines.append(f"STOPPED at the {result.plan.max_duration_s:g} s time limit: "
                     "partial results")
    lines.append("Status:            " + ("PASSED" if exit_code(result) == 0 else "FAILED"))
    return "\n".join(lines) + "\n"


def exit_code(result: LoadResult) -> int:
    return 1 if result.failures or result.stopped_at_time_limit else 0


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, help=f"requests to send (at most {MAX_REQUESTS:,})")
    parser.add_argument("--concurrency", type=int,
                        help=f"requests in flight at once (default 1, at most {MAX_CONCURRENCY:,})")
    parser.add_argument("--timeout", type=float,
                        help=f"seconds per request (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--max-duration", type=float,
                        help=f"stop after this many seconds (default {DEFAULT_MAX_DURATION_S:g})")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="the ops log's tests: connect 1, test2 500@20, test3 2000@50, "
                             "test4 5000@100")


def plan_from_args(args: argparse.Namespace, url: str) -> LoadPlan:
    return make_plan(url, args.requests, args.concurrency, args.timeout, args.max_duration,
                     args.preset)
