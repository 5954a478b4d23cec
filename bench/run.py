"""Benchmark of the offline check and the policy pack: `.venv/bin/python bench/run.py [--quick]`.

Prints every figure beside its floor (the same work with nothing of ours in it), as medians of
several runs, the two always measured alternately in one run so that the machine's load falls on
both alike:
- `z360-ecs check beta` from process start to exit, beside bench/floor_check.py (the no-op pack,
  the provider modules the program imports, the floor program, the same analyzer client);
- pack start-up until GetAnalyzerInfo answers (the real pack and the no-op pack);
- the check of beta and of 6, 100 and 1,000 synthetic services as the command runs it (the
  program under mocks while the pack starts, every Analyze pipelined, AnalyzeStack) beside
  its floor: as many plain resources with the same inputs, analysed by a pack that checks
  nothing (bench/noop_pack); with the time of one Analyze request (one by one, on a sample);
- peak memory of the check at 1,000 services (the program's process and the pack's).

Each measurement runs in a fresh interpreter (a child of this one), so imports, caches and
memory high-water marks of one do not leak into another. `--quick` runs fewer repetitions and
skips 1,000 services. It prints the machine (CPUs, load average) with the date.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

FLOOR_DIR = BENCH_DIR / "floor"
TYPED_COST_DIR = BENCH_DIR / "typed_cost"
NOOP_PACK_DIR = BENCH_DIR / "noop_pack"
SIZES = (6, 100, 1000)


# --- inside a child interpreter -------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Registration inputs as JSON: the unknown and secret markers become short strings."""
    from z360_ecs.engine.program import Computed, Secret

    if isinstance(value, (Computed, Secret)):
        return "unknown"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _floor_stack(run: Any, directory: Path) -> Path:
    """A stack file for the floor program registering one plain resource per resource of
    `run`, with the same inputs."""
    directory.mkdir(parents=True, exist_ok=True)
    shapes = [[r.name, _plain(r.inputs)] for r in run.resources]
    shapes_path = directory / "shapes.json"
    shapes_path.write_text(json.dumps(shapes))
    stack_file = directory / "Pulumi.floor.yaml"
    stack_file.write_text(json.dumps({"config": {"bench-floor:shapes": str(shapes_path)}}))
    return stack_file


ANALYZE_SAMPLE = 500
"""Registrations sent one by one after each check, to time a single Analyze request."""


def _timed_check(pack: Any, run_program: Any) -> tuple[dict[str, Any], Any]:
    """One check as `z360-ecs check` runs it (z360_ecs.engine.analyzer.LiveAnalysis: the pack
    configured, then ConfigureStack and each Analyze sent from a process of their own, while
    the program runs; the answers collected after it; AnalyzeStack), timed in parts; then a
    sample of Analyze requests one by one."""
    from z360_ecs.engine.analyzer import LiveAnalysis
    from z360_ecs.engine.program import rare_full_collections

    started, cpu_started = time.perf_counter(), time.process_time()
    with rare_full_collections(), LiveAnalysis(pack) as analysis:
        run = run_program(analysis)
        program = time.perf_counter() - started
        program_cpu = time.process_time() - cpu_started
        analysis.resource_findings(run)
        stack_started = time.perf_counter()
        pack.analyze_stack(run.registrations, run.registrations[0].urn)
        analyze_stack = time.perf_counter() - stack_started
    total = time.perf_counter() - started
    sample = run.registrations[:ANALYZE_SAMPLE]
    one_by_one = time.perf_counter()
    for registration in sample:
        pack.analyze(registration)
    return {
        "resources": len(run.registrations),
        "program": program,
        "programCpu": program_cpu,
        "analyze": stack_started - started - program,
        "analyzePerRequest": (time.perf_counter() - one_by_one) / len(sample),
        "analyzeStack": analyze_stack,
        "total": total,
    }, run


def child_check(services: int | None, repeat: int) -> dict[str, Any]:
    """The check and its floor, alternately, `repeat` times each, after one warm-up of each
    on beta (imports, first-use caches and the packs' own warm-up are not measured)."""
    from bench.synthetic import write_synthetic_stack
    from z360_ecs.engine.analyzer import PACK_DIR, PolicyPackProcess, pack_python
    from z360_ecs.engine.program import run_program

    directory = Path(tempfile.mkdtemp(prefix="z360-bench-"))
    stack_file = write_synthetic_stack(services, directory) if services else None
    python = pack_python(PACK_DIR)[0]
    results: dict[str, list[dict[str, Any]]] = {"check": [], "floor": []}

    def real(path: Path | None) -> Any:
        return lambda observer: run_program("beta", stack_file=path, echo_notes=False,
                                            observer=observer)

    def floor(path: Path) -> Any:
        return lambda observer: run_program("floor", project_dir=FLOOR_DIR, stack_file=path,
                                            echo_notes=False, observer=observer)

    with PolicyPackProcess(PACK_DIR) as real_pack, PolicyPackProcess(NOOP_PACK_DIR, python) as noop:
        _, beta = _timed_check(real_pack, real(None))
        _timed_check(noop, floor(_floor_stack(beta, directory / "warm")))
        floor_file = None
        for _ in range(repeat):
            timings, run = _timed_check(real_pack, real(stack_file))
            results["check"].append(timings)
            if floor_file is None:
                floor_file = _floor_stack(run, directory)
            # Each run starts clean, as in a command's own process: a run keeps the collector
            # off, so the last run's garbage (every resource of it) would otherwise still be
            # there, and be walked, during the next.
            del run
            gc.collect()
            timings, run = _timed_check(noop, floor(floor_file))
            results["floor"].append(timings)
            del run
            gc.collect()
            if results["floor"][-1]["resources"] != results["check"][-1]["resources"]:
                raise RuntimeError("the floor registered a different number of resources")
    return results


def child_provider_modules(directory: Path) -> None:
    """The provider modules a check of beta imports (for bench/floor_check.py), and beta's
    shapes for the floor program."""
    from z360_ecs.engine.program import run_program

    run = run_program("beta", echo_notes=False)
    _floor_stack(run, directory)
    modules = sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi_aws",
                                                                     "pulumi_aws_native"))
    (directory / "modules.txt").write_text("\n".join(modules) + "\n")


def time_startup_check(repeat: int, before: Path | None = None) -> dict[str, list[float]]:
    """`z360-ecs check beta` from process start to exit, beside bench/floor_check.py, each in
    a fresh interpreter, alternately; with `before`, that checkout's check too, in the same
    rounds (run from its folder, whose modules then come first on the path)."""
    directory = Path(tempfile.mkdtemp(prefix="z360-bench-"))
    subprocess.run([sys.executable, __file__, "--child", "modules", "--directory",
                    str(directory)], check=True, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL)
    check = [sys.executable, "-m", "z360_ecs.cli", "check", "beta"]
    commands = {
        "check": (check, PROJECT_DIR),
        "floor": ([sys.executable, str(BENCH_DIR / "floor_check.py"),
                   str(directory / "Pulumi.floor.yaml"), str(directory / "modules.txt")],
                  PROJECT_DIR),
    }
    if before is not None:
        commands["before"] = (check, before)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for attempt in range(repeat + 1):
        for label, (command, cwd) in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=label == "floor", cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if attempt:  # the first round warms the file cache
                times[label].append(time.perf_counter() - started)
    return times


def child_typed_cost(count: int, repeat: int) -> dict[str, list[float]]:
    """CPU seconds to register `count` alarms through pulumi_aws, and as plain resources."""
    from z360_ecs.engine.program import run_program

    directory = Path(tempfile.mkdtemp(prefix="z360-bench-"))
    times: dict[str, list[float]] = {"typed": [], "plain": []}
    for attempt in range(repeat + 1):
        for label in times:
            stack_file = directory / f"Pulumi.{label}.yaml"
            stack_file.write_text(json.dumps({"config": {
                "bench-typed-cost:typed": label == "typed", "bench-typed-cost:count": count}}))
            started = time.process_time()
            run_program(label, project_dir=TYPED_COST_DIR, stack_file=stack_file)
            if attempt:  # the first round warms imports up
                times[label].append(time.process_time() - started)
    return times


def child_startup(repeat: int) -> dict[str, list[float]]:
    from z360_ecs.engine.analyzer import PACK_DIR, PolicyPackProcess, pack_python

    python = pack_python(PACK_DIR)[0]
    times: dict[str, list[float]] = {"real": [], "noop": []}
    for _ in range(repeat):
        for label, directory in (("real", PACK_DIR), ("noop", NOOP_PACK_DIR)):
            with PolicyPackProcess(directory, python) as pack:
                times[label].append(pack.startup_seconds)
    return times


def _vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


def child_memory(services: int, floor: bool) -> dict[str, Any]:
    """Peak RSS of one check (or of its floor) at `services` services, in a fresh interpreter,
    as the command runs it."""
    from bench.synthetic import write_synthetic_stack
    from z360_ecs.engine.analyzer import PACK_DIR, LiveAnalysis, PolicyPackProcess, pack_python
    from z360_ecs.engine.program import run_program

    directory = Path(tempfile.mkdtemp(prefix="z360-bench-"))
    stack_file = write_synthetic_stack(services, directory)
    if floor:
        # The shapes come from a real run in another interpreter, so this one's peak is the
        # floor's own.
        subprocess.run(
            [sys.executable, __file__, "--child", "shapes", "--services", str(services),
             "--directory", str(directory)],
            check=True,
        )
        stack, project_dir = "floor", FLOOR_DIR
        stack_file = directory / "Pulumi.floor.yaml"
        pack_dir, python = NOOP_PACK_DIR, pack_python(PACK_DIR)[0]
    else:
        stack, project_dir, pack_dir, python = "beta", PROJECT_DIR, PACK_DIR, None
    started = time.perf_counter()
    with PolicyPackProcess(pack_dir, python, connect=False) as pack, \
            LiveAnalysis(pack) as analysis:
        run = run_program(stack, project_dir=project_dir, stack_file=stack_file,
                          echo_notes=False, observer=analysis)
        # The Analyze stream's process holds nothing but the requests in flight; it ends
        # once it has answered, so its peak is read before.
        stream_hwm = _vm_hwm_kib(analysis.stream.pid)
        analysis.findings(run)
        pack_hwm = _vm_hwm_kib(pack.process.pid)  # type: ignore[union-attr]
    return {
        "resources": len(run.registrations),
        "seconds": time.perf_counter() - started,
        "programPeakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "packPeakMiB": pack_hwm / 1024,
        "streamPeakMiB": stream_hwm / 1024,
    }


def child_shapes(services: int, directory: Path) -> None:
    from bench.synthetic import write_synthetic_stack
    from z360_ecs.engine.program import run_program

    run = run_program("beta", stack_file=write_synthetic_stack(services, directory),
                      echo_notes=False)
    _floor_stack(run, directory)


# --- the parent ---------------------------------------------------------------------------


def _child(*arguments: str) -> Any:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        check=True, stdout=subprocess.PIPE, cwd=PROJECT_DIR,
    )
    return json.loads(completed.stdout.decode().strip().splitlines()[-1])


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:,.2f} s"


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def _row(name: str, mine: float, base: float, fmt: Any) -> None:
    ratio = f"{mine / base:>7.2f}x" if base > 0 else f"{'-':>8}"
    print(f"  {name:30}{fmt(mine):>12}{fmt(base):>12}{ratio}")


def report_check(label: str, result: dict[str, list[dict[str, Any]]]) -> None:
    check, floor = result["check"], result["floor"]
    resources = check[0]["resources"]
    print(f"\n{label}: {resources} resources, median of {len(check)} runs")
    print(f"  {'':30}{'check':>12}{'floor':>12}{'ratio':>8}")
    for key, name, fmt in (("total", "whole check", _s),
                           ("program", "program under mocks (wall)", _s),
                           ("programCpu", "  its CPU time", _s),
                           ("analyze", "Analyze after the program", _s),
                           ("analyzeStack", "AnalyzeStack", _ms),
                           ("analyzePerRequest", "one Analyze request", _ms)):
        _row(name, _median(check, key), _median(floor, key), fmt)


def _bytecode_state() -> str:
    """Whether the pack's interpreter finds compiled SDK modules: without them every start
    compiles pulumi, grpc and protobuf from source again."""
    from z360_ecs.engine.analyzer import PACK_DIR, pack_python

    python = pack_python(PACK_DIR)[0]
    probe = subprocess.run(
        [python, "-c", "import importlib.util, os, pulumi; "
         "print(os.path.exists(importlib.util.cache_from_source(pulumi.__file__)))"],
        stdout=subprocess.PIPE, text=True, check=True,
    )
    return "compiled" if probe.stdout.strip() == "True" else "not compiled (run scripts/setup)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions, and no 1,000-service runs")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also time `z360-ecs check beta` of another checkout (e.g. "
                             "`git archive <commit> | tar -x -C DIR`, with DIR/policies/venv "
                             "linked to this one's) in the same rounds")
    parser.add_argument("--startup-only", action="store_true",
                        help="only the start-to-exit time of `check beta` and its floor")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--services", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "check":
        print(json.dumps(child_check(args.services, args.repeat)))
        return 0
    if args.child == "typed":
        print(json.dumps(child_typed_cost(args.services, args.repeat)))
        return 0
    if args.child == "startup":
        print(json.dumps(child_startup(args.repeat)))
        return 0
    if args.child == "memory":
        print(json.dumps(child_memory(args.services, args.floor)))
        return 0
    if args.child == "shapes":
        child_shapes(args.services, args.directory)
        return 0
    if args.child == "modules":
        child_provider_modules(args.directory)
        return 0

    repeat = 2 if args.quick else 5
    sizes = [n for n in SIZES if not (args.quick and n >= 1000)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"z360-ecs benchmark ({'quick' if args.quick else 'full'}), "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {load}; "
          "times are medians, each measurement in its own interpreter")
    print(f"  {'':30}{'check':>12}{'floor':>12}{'ratio':>8}")

    startup_check = time_startup_check(2 * repeat + 1, args.before)
    print("\n`z360-ecs check beta` from process start to exit (floor: bench/floor_check.py)")
    _row("wall time", statistics.median(startup_check["check"]),
         statistics.median(startup_check["floor"]), _s)
    if args.before is not None:
        _row(f"  before ({args.before})", statistics.median(startup_check["before"]),
             statistics.median(startup_check["floor"]), _s)
    if args.startup_only:
        return 0

    startup = _child("startup", "--repeat", str(repeat))
    print("\npolicy pack start-up until GetAnalyzerInfo answers "
          f"(pack venv bytecode: {_bytecode_state()}; floor: the no-op pack)")
    _row("z360-ecs-guardrails", statistics.median(startup["real"]),
         statistics.median(startup["noop"]), _s)

    typed = _child("typed", "--services", "1000", "--repeat", str(repeat))
    typed_cpu, plain_cpu = (statistics.median(typed[k]) for k in ("typed", "plain"))
    print("\n1,000 CloudWatch alarms under mocks, CPU time (what pulumi_aws classes cost; "
          "floor: plain CustomResources)")
    _row("pulumi_aws MetricAlarm", typed_cpu, plain_cpu, _s)

    report_check("check of beta", _child("check", "--repeat", str(repeat)))
    for services in sizes:
        runs = repeat if services < 1000 else (1 if args.quick else 3)
        report_check(f"synthetic stack, {services} services",
                     _child("check", "--services", str(services), "--repeat", str(runs)))

    if not args.quick:
        print("\npeak memory (RSS high-water mark) of one check at 1,000 services")
        memory = {label: _child("memory", "--services", "1000", *extra)
                  for label, extra in (("check", ()), ("floor", ("--floor",)))}
        processes = (("programPeakMiB", "program's process"), ("packPeakMiB", "pack's"),
                     ("streamPeakMiB", "Analyze stream's"))
        for key, name in processes:
            _row(name, memory["check"][key], memory["floor"][key], _mib)
        _row("all three", sum(memory["check"][k] for k, _ in processes),
             sum(memory["floor"][k] for k, _ in processes), _mib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
