"""Benchmark of the offline check and the policy pack: `.venv/bin/python bench/run.py [--quick]`.

Prints, as medians of several runs:
- the check of beta (the program under mocks, one Analyze per resource, AnalyzeStack) beside
  its floor: as many plain resources with the same inputs, registered with bare mocks and
  analysed by a pack that checks nothing (bench/noop_pack), timed alternately in one process;
- pack start-up until GetAnalyzerInfo answers (the real pack and the no-op pack);
- time per Analyze request and AnalyzeStack time at 6, 100 and 1,000 synthetic services;
- peak memory of the check at 1,000 services (the program's process and the pack's).

Each measurement runs in a fresh interpreter (a child of this one), so imports, caches and
memory high-water marks of one do not leak into another. `--quick` runs fewer repetitions and
skips 1,000 services.
"""

from __future__ import annotations

import argparse
import json
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


def _timed_check(pack: Any, run_program: Any) -> tuple[dict[str, Any], Any]:
    """One check, timed in parts: run the program, then what z360_ecs.engine.analyzer.analyze_run
    does (Configure, ConfigureStack, one Analyze per resource, AnalyzeStack)."""
    from z360_ecs.engine.analyzer import merge_config

    started, cpu_started = time.perf_counter(), time.process_time()
    run = run_program()
    program = time.perf_counter() - started
    program_cpu = time.process_time() - cpu_started
    pack.configure(merge_config(pack.info))
    pack.configure_stack(run)
    analyze_started = time.perf_counter()
    for registration in run.registrations:
        pack.analyze(registration)
    analyze = time.perf_counter() - analyze_started
    stack_started = time.perf_counter()
    pack.analyze_stack(run.registrations, run.registrations[0].urn)
    analyze_stack = time.perf_counter() - stack_started
    return {
        "resources": len(run.registrations),
        "program": program,
        "programCpu": program_cpu,
        "analyze": analyze,
        "analyzePerRequest": analyze / len(run.registrations),
        "analyzeStack": analyze_stack,
        "total": time.perf_counter() - started,
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
    with PolicyPackProcess(PACK_DIR) as real, PolicyPackProcess(NOOP_PACK_DIR, python) as noop:
        _, beta = _timed_check(real, lambda: run_program("beta"))
        warm_floor = _floor_stack(beta, directory / "warm")
        _timed_check(noop, lambda: run_program("floor", project_dir=FLOOR_DIR,
                                               stack_file=warm_floor))
        floor_file = None
        for _ in range(repeat):
            timings, run = _timed_check(real, lambda: run_program("beta", stack_file=stack_file))
            results["check"].append(timings)
            if floor_file is None:
                floor_file = _floor_stack(run, directory)
            del run
            timings, run = _timed_check(noop, lambda path=floor_file: run_program(
                "floor", project_dir=FLOOR_DIR, stack_file=path))
            results["floor"].append(timings)
            del run
            if results["floor"][-1]["resources"] != results["check"][-1]["resources"]:
                raise RuntimeError("the floor registered a different number of resources")
    return results


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
    """Peak RSS of one check (or of its floor) at `services` services, in a fresh interpreter."""
    from bench.synthetic import write_synthetic_stack
    from z360_ecs.engine.analyzer import PACK_DIR, PolicyPackProcess, analyze_run, pack_python
    from z360_ecs.engine.program import run_program

    directory = Path(tempfile.mkdtemp(prefix="z360-bench-"))
    stack_file = write_synthetic_stack(services, directory)
    started = time.perf_counter()
    if floor:
        # The shapes come from a real run in another interpreter, so this one's peak is the
        # floor's own.
        subprocess.run(
            [sys.executable, __file__, "--child", "shapes", "--services", str(services),
             "--directory", str(directory)],
            check=True,
        )
        started = time.perf_counter()
        run = run_program("floor", project_dir=FLOOR_DIR,
                          stack_file=directory / "Pulumi.floor.yaml")
        pack_dir, python = NOOP_PACK_DIR, pack_python(PACK_DIR)[0]
    else:
        run = run_program("beta", stack_file=stack_file)
        pack_dir, python = PACK_DIR, None
    with PolicyPackProcess(pack_dir, python) as pack:
        analyze_run(run, pack=pack)
        pack_hwm = _vm_hwm_kib(pack.process.pid)
    return {
        "resources": len(run.registrations),
        "seconds": time.perf_counter() - started,
        "programPeakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "packPeakMiB": pack_hwm / 1024,
    }


def child_shapes(services: int, directory: Path) -> None:
    from bench.synthetic import write_synthetic_stack
    from z360_ecs.engine.program import run_program

    run = run_program("beta", stack_file=write_synthetic_stack(services, directory))
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


def report_check(label: str, result: dict[str, list[dict[str, Any]]]) -> None:
    check, floor = result["check"], result["floor"]
    resources = check[0]["resources"]
    print(f"\n{label}: {resources} resources, median of {len(check)} runs")
    print(f"  {'':22}{'check':>12}{'floor':>12}{'ratio':>8}")
    for key, name, fmt in (("total", "whole check", _s), ("program", "program under mocks", _s),
                           ("programCpu", "  its CPU time", _s),
                           ("analyze", "all Analyze requests", _s),
                           ("analyzePerRequest", "per Analyze request", _ms),
                           ("analyzeStack", "AnalyzeStack", _ms)):
        mine, base = _median(check, key), _median(floor, key)
        print(f"  {name:22}{fmt(mine):>12}{fmt(base):>12}{mine / base:>7.2f}x")


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

    repeat = 2 if args.quick else 5
    sizes = [n for n in SIZES if not (args.quick and n >= 1000)]
    print(f"z360-ecs benchmark ({'quick' if args.quick else 'full'}); times are medians, "
          "each measurement in its own interpreter")

    startup = _child("startup", "--repeat", str(repeat))
    print("\npolicy pack start-up until GetAnalyzerInfo answers "
          f"(pack venv bytecode: {_bytecode_state()})")
    for label, name in (("real", "z360-ecs-guardrails"), ("noop", "no-op pack")):
        print(f"  {name:22}{_s(statistics.median(startup[label])):>12}")

    typed = _child("typed", "--services", "1000", "--repeat", str(repeat))
    typed_cpu, plain_cpu = (statistics.median(typed[k]) for k in ("typed", "plain"))
    print("\n1,000 CloudWatch alarms under mocks, CPU time (what pulumi_aws classes cost)")
    print(f"  {'pulumi_aws MetricAlarm':22}{_s(typed_cpu):>12}")
    print(f"  {'plain CustomResource':22}{_s(plain_cpu):>12}{typed_cpu / plain_cpu:>7.2f}x")

    report_check("check of beta", _child("check", "--repeat", str(repeat)))
    for services in sizes:
        runs = repeat if services < 1000 else (1 if args.quick else 3)
        report_check(f"synthetic stack, {services} services",
                     _child("check", "--services", str(services), "--repeat", str(runs)))

    if not args.quick:
        print("\npeak memory (RSS high-water mark) of one check at 1,000 services")
        for label, extra in (("check", ()), ("floor", ("--floor",))):
            memory = _child("memory", "--services", "1000", *extra)
            print(f"  {label:8} program {memory['programPeakMiB']:,.0f} MiB + pack "
                  f"{memory['packPeakMiB']:,.0f} MiB = "
                  f"{memory['programPeakMiB'] + memory['packPeakMiB']:,.0f} MiB "
                  f"({memory['resources']} resources, {_s(memory['seconds'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
