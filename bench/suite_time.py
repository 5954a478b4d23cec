"""Wall time of the whole test suite as CI runs it: `scripts/test`, several times, and the median.

`.venv/bin/python bench/suite_time.py [--runs N] [--tree DIR] [-- PYTEST ARGS]` runs
`scripts/test` N times (default 3) one after the other and prints each run's wall time, the CPU
time it used (its processes and theirs: pytest, xdist workers, pack processes), the load
average before it, and the median wall time. Arguments after `--` go to pytest (`-- -n 0`
times one process). `--tree DIR` times another checkout's `scripts/test` (an older commit,
set up in its own folder), to compare before and after back to back.

The machine may be shared: compare figures taken back to back in one session, and read the CPU
time beside the wall time (CPU time hardly moves with load; wall time does).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_suite(pytest_args: list[str], tree: Path = PROJECT_DIR) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, pytest's summary line) of one `scripts/test` run in `tree`."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        [str(tree / "scripts" / "test"), *pytest_args],
        cwd=tree, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    lines = result.stdout.strip().splitlines()
    summary = lines[-1] if lines else ""
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"scripts/test failed (exit {result.returncode}): {summary}")
    return wall, cpu, summary


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="how many runs (default 3)")
    parser.add_argument("--tree", type=Path, default=PROJECT_DIR,
                        help="the checkout whose scripts/test to time (default this one)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: at least 1")
    walls = []
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        wall, cpu, summary = time_suite(pytest_args, args.tree.resolve())
        walls.append(wall)
        print(f"run {run}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, load before {load:4.1f}  "
              f"({summary})", flush=True)
    extra = f" with pytest args {' '.join(pytest_args)}" if pytest_args else ""
    print(f"median of {args.runs}: {statistics.median(walls):.1f} s wall ({args.tree.resolve()}: "
          f"scripts/test{extra}, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
