"""Hostile stack files: generators (hypothesis strategies) shared by the fuzz suite, and a
script that prints the figures: counts per class and the peak memory of reading the largest
input the reader accepts.

    .venv/bin/python -m bench.hostile_input [--examples N]

Every generated file is malformed by construction (one mutation of the beta stack file that no
reading of the rules allows, or something that is not a stack file at all: a FIFO, /dev/zero, a
directory, a 50 MB sparse file, each also behind a symbolic link), and is run through the CLI's
`cost` command (the reader and the config model, no program run), with a time bound. Classes:
- refused clearly: exit 2, one `error:` line naming the key path, no traceback;
- wrongly accepted: exit 0;
- crashed: anything else (a traceback, another exit code, a message without the key path, a
  run still blocked after RUN_SECONDS).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from stack_model.config.load import _model_for
from stack_model.config.source import MAX_DOCUMENT_BYTES, MAX_NODES, parse_yaml
from z360_ecs import PROJECT_DIR

BETA = PROJECT_DIR / "Pulumi.beta.yaml"
NAMESPACE = "z360-ecs:"


@dataclass(frozen=True)
class Mutation:
    kind: str
    text: bytes
    path: str
    """The key path the refusal must name ('' when the whole file is at fault); for what is not
    a stack file, what the refusal must say it is (its kind, or its real size)."""
    node: str = "file"
    """What `place` puts down: a file holding `text`, or one of NOT_FILES."""
    linked: bool = False
    """Behind a symbolic link (the reader follows links, and judges what they name)."""


def _document() -> dict[str, Any]:
    return dict(parse_yaml(BETA.read_text()))


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_leaves(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_leaves(value, (*path, index)))
    else:
        found.append((path, data))
    return found


def _mappings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(data, dict):
        found.append(path)
        for key, value in data.items():
            found.extend(_mappings(value, (*path, key)))
    return found


def _config_path(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """(`z360-ecs:services`, web, cpu) -> (services, web, cpu)."""
    return (str(path[0])[len(NAMESPACE):], *path[1:])


def _shown(path: tuple[Any, ...]) -> str:
    """The key a refusal names: a list item's problem may be reported at its list."""
    while path and isinstance(path[-1], int):
        path = path[:-1]
    return ".".join(map(str, _config_path(path)))


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document["config"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


_DOCUMENT = _document()
_CONFIG = _DOCUMENT["config"]
NUMBER_LEAVES = [p for p, v in _leaves(_CONFIG)
                 if p[0].startswith(NAMESPACE) and isinstance(v, (int, float))
                 and not isinstance(v, bool)]
BOOL_LEAVES = [p for p, v in _leaves(_CONFIG) if p[0].startswith(NAMESPACE) and isinstance(v, bool)]
MODEL_MAPPINGS = [p for p in _mappings(_CONFIG) if p and p[0].startswith(NAMESPACE)
                  and _model_for(_config_path(p)) is not None]

# Plain YAML forms, none of which is a valid value for a number in this config (null is not
# among them: it means "unset" for the optional ones).
BAD_NUMBERS = [".inf", "-.inf", ".nan", ".NaN", "true", "false", "0400", "010", "10:00",
               "1:30:00", "1_000", "0b101", "'12'", "\"12\"", "-1", "1e30", "1e999",
               "[]", "{}", "yes", "on", "2024-01-01", "12abc", "0x", "!!float 12", "!!binary AA=="]
BAD_BOOLS = ["yes", "no", "on", "off", "1", "0", "'true'", "\"false\"", "Y", "n", "[]", "{}",
             "~", "1.0", ".nan", "!!bool yes"]


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, width=1000)


@st.composite
def bad_number(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(NUMBER_LEAVES))
    form = draw(st.sampled_from(BAD_NUMBERS))
    document = _document()
    marker = "__Z360_MARK__"
    _set(document, path, marker)
    text = _dump(document).replace(f"'{marker}'", form).replace(marker, form)
    return Mutation("number", text.encode(), _shown(path))


@st.composite
def bad_bool(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(BOOL_LEAVES))
    form = draw(st.sampled_from(BAD_BOOLS))
    document = _document()
    marker = "__Z360_MARK__"
    _set(document, path, marker)
    text = _dump(document).replace(f"'{marker}'", form).replace(marker, form)
    return Mutation("boolean", text.encode(), _shown(path))


@st.composite
def unknown_key(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(MODEL_MAPPINGS))
    document = _document()
    target: Any = document["config"]
    for part in path:
        target = target[part]
    existing = list(target)
    base = draw(st.sampled_from(existing)) if existing else "key"
    # A typo (one letter dropped or doubled, case flipped) or a new word.
    how = draw(st.integers(0, 3))
    name = {0: base[:-1], 1: base + base[-1], 2: base.swapcase(), 3: "x" + base}[how]
    if name in existing or not name:
        name = base + "Typo"
    target[name] = draw(st.sampled_from([True, 1, "x", [1], {"a": 1}]))
    return Mutation("unknown key", _dump(document).encode(), _shown((*path, name)))


@st.composite
def unknown_top_level(draw: st.DrawFn) -> Mutation:
    document = _document()
    key = draw(st.sampled_from(["protcet", "costbreaker", "Protect", "budgets", "service",
                                "dashbaord", "alert"]))
    document["config"][f"{NAMESPACE}{key}"] = True
    return Mutation("unknown top-level key", _dump(document).encode(), key)


@st.composite
def duplicate_key(draw: st.DrawFn) -> Mutation:
    lines = BETA.read_text().splitlines()
    candidates = [i for i, line in enumerate(lines)
                  if line.startswith("    ") and not line.lstrip().startswith(("#", "-"))
                  and ": " in line and not line.rstrip().endswith(":")]
    index = draw(st.sampled_from(candidates))
    lines.insert(index + 1, lines[index])
    key = lines[index].split(":", 1)[0].strip()
    return Mutation("duplicate key", ("\n".join(lines) + "\n").encode(), key)


@st.composite
def alias_bomb(draw: st.DrawFn) -> Mutation:
    width = draw(st.integers(5, 12))
    depth = draw(st.integers(4, 9))
    names = [f"l{i}" for i in range(depth)]
    bomb = [f"  z360-ecs:zz0: &l0 [{', '.join(['x'] * width)}]"]
    for previous, name in zip(names, names[1:], strict=False):
        bomb.append(f"  z360-ecs:zz{name}: &{name} [{', '.join(['*' + previous] * width)}]")
    return Mutation("alias bomb", (BETA.read_text() + "\n".join(bomb) + "\n").encode(), "")


@st.composite
def bad_bytes(draw: st.DrawFn) -> Mutation:
    data = BETA.read_bytes()
    at = draw(st.integers(0, len(data)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xfe\xff", b"\x80"]))
    return Mutation("non-UTF-8", data[:at] + junk + data[at:], "")


@st.composite
def oversized(draw: st.DrawFn) -> Mutation:
    pad = draw(st.integers(MAX_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES * 2))
    return Mutation("oversized", BETA.read_bytes() + b"#" * pad + b"\n", "")


@st.composite
def many_values(draw: st.DrawFn) -> Mutation:
    # Past the 48 KiB environment budget (about 1,500 short variables); past MAX_NODES the
    # file is over MAX_DOCUMENT_BYTES too, which the oversized class covers.
    count = draw(st.integers(1_700, 20_000))
    document = _document()
    document["config"]["z360-ecs:services"]["web"]["environment"] = {
        f"V{i}": "x" for i in range(count)}
    text = _dump(document).encode()
    # A file over the byte limit is refused as a whole, before any key is read.
    return Mutation("too many values", text,
                    "" if len(text) > MAX_DOCUMENT_BYTES else "services.web.environment")


SPARSE_BYTES = 50 * 2**20
# What is not a stack file -> what its refusal must say.
NOT_FILES = {"fifo": "named pipe", "device": "character device", "directory": "a directory",
             "sparse": f"is {SPARSE_BYTES:,} bytes"}


@st.composite
def not_a_file(draw: st.DrawFn) -> Mutation:
    # A FIFO blocked open() forever; /dev/zero was read until memory ran out; a 50 MB file was
    # reported as 1,048,577 bytes.
    node = draw(st.sampled_from(sorted(NOT_FILES)))
    linked = draw(st.booleans())
    return Mutation(f"{node}{' (symlink)' if linked else ''}", b"", NOT_FILES[node], node, linked)


MUTATIONS = st.one_of(bad_number(), bad_bool(), unknown_key(), unknown_top_level(),
                      duplicate_key(), alias_bomb(), bad_bytes(), oversized(), many_values(),
                      not_a_file())


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


def place(mutation: Mutation, path: Path) -> Path:
    """Put `mutation` down at `path`; returns the path to hand the CLI. /dev/zero stands for
    every device (making a device node needs privileges): unlinked, it is handed over itself."""
    target = path.with_name(path.name + ".target") if mutation.linked else path
    for old in {path, target}:
        _clear(old)
    if mutation.node == "file":
        target.write_bytes(mutation.text)
    elif mutation.node == "fifo":
        os.mkfifo(target)
    elif mutation.node == "directory":
        target.mkdir()
    elif mutation.node == "sparse":
        with open(target, "wb") as handle:
            handle.truncate(SPARSE_BYTES)
    else:
        target = Path("/dev/zero")
    if not mutation.linked:
        return target
    path.symlink_to(target)
    return path


def release(path: Path) -> None:
    """Unblock a reader stuck opening the FIFO at `path` (a writer's open lets it go on)."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


# --- running one ------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    stderr: str
    seconds: float
    peak_bytes: int


RUN_SECONDS = 30.0
"""A run still going after this is blocked (a FIFO with no writer): classed as crashed."""


class Blocked(BaseException):
    """RUN_SECONDS passed (a BaseException, so the CLI's catch-all does not report it)."""


@contextlib.contextmanager
def bounded(seconds: float = RUN_SECONDS) -> Iterator[None]:
    """Raise Blocked in the main thread after `seconds`: SIGALRM interrupts a blocking system
    call, such as open() of a FIFO, and Python raises from the handler (PEP 475). In another
    thread (no signals there) the run is unbounded. The CLI runs in the main thread: the
    program under the mock engine needs its event loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Blocked(f"blocked for {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(path: Path, argv: list[str] | None = None) -> Outcome:
    """`z360-ecs cost beta --stack-file PATH` (or `z360-ecs ARGV`) in-process: exit code,
    stderr, time, peak memory. A run still blocked after RUN_SECONDS is stopped, exit code -2."""
    from z360_ecs.cli import main

    stderr, stdout = io.StringIO(), io.StringIO()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            try:
                with bounded():
                    code = main(argv or ["cost", "beta", "--stack-file", str(path)])
            except SystemExit as exc:
                code = int(exc.code or 0)
            except Blocked as exc:
                code, _ = -2, stderr.write(str(exc))
            except BaseException as exc:  # noqa: BLE001 - a crash is a class here
                code, _ = -1, stderr.write(f"Traceback: {type(exc).__name__}: {exc}")
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Outcome(code, stderr.getvalue(), seconds, peak)


def classify(mutation: Mutation, outcome: Outcome) -> str:
    if outcome.code == 0:
        return "wrongly accepted"
    first = outcome.stderr.strip().splitlines()[0] if outcome.stderr.strip() else ""
    clear = (outcome.code == 2 and "Traceback" not in outcome.stderr
             and first.startswith("error:") and mutation.path in outcome.stderr)
    return "refused clearly" if clear else "crashed"


def largest_accepted_peak() -> tuple[int, int, int]:
    """(bytes, values, peak bytes) reading the largest file the reader accepts: the beta file
    padded with environment variables to just under MAX_NODES and MAX_DOCUMENT_BYTES."""
    document = _document()
    base = sum(1 for _ in _leaves(document))
    env: dict[str, str] = {}
    document["config"]["z360-ecs:services"]["web"]["environment"] = env
    value = "v" * 8
    base_size = len(_dump(document).encode())
    entry = len(f"      V00000: {value}\n")
    count = min((MAX_DOCUMENT_BYTES - base_size) // entry, MAX_NODES - base - 10)
    env.update({f"V{index:05d}": value for index in range(count)})
    text = _dump(document)
    while len(text.encode()) > MAX_DOCUMENT_BYTES:
        for _ in range(max(1, (len(text.encode()) - MAX_DOCUMENT_BYTES) // entry + 1)):
            env.popitem()
        text = _dump(document)
    tracemalloc.start()
    parse_yaml(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return len(text.encode()), base + len(env), peak


def largest_valid_config_peak() -> tuple[int, int, int]:
    """(bytes, variables, peak bytes) of read_stack_config on the largest config the model
    accepts: beta with web's environment filled to just under its 48 KiB budget."""
    import tempfile

    from stack_model.config.limits import MAX_ENVIRONMENT_BYTES
    from z360_ecs.common import read_stack_config

    document = _document()
    env = document["config"]["z360-ecs:services"]["web"].setdefault("environment", {})
    used = sum(len(f'{{"name": "{k}", "value": "{v}"}}') + 2 for k, v in env.items())
    index = 0
    while used + 60 < MAX_ENVIRONMENT_BYTES - 2048:
        env[f"VAR_{index:05d}"] = "value-" + "x" * 16
        used += len(f'{{"name": "VAR_{index:05d}", "value": "{env[f"VAR_{index:05d}"]}"}}') + 2
        index += 1
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Pulumi.beta.yaml"
        path.write_text(_dump(document))
        tracemalloc.start()
        read_stack_config("beta", path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return path.stat().st_size, len(env), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    import tempfile

    from hypothesis import HealthCheck, given, settings

    counts: Counter[tuple[str, str]] = Counter()
    worst = {"seconds": 0.0, "peak": 0}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Pulumi.beta.yaml"

        @settings(max_examples=args.examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(MUTATIONS)
        def one(mutation: Mutation) -> None:
            outcome = run_cli(place(mutation, path))
            counts[(mutation.kind, "generated")] += 1
            counts[(mutation.kind, classify(mutation, outcome))] += 1
            worst["seconds"] = max(worst["seconds"], outcome.seconds)
            worst["peak"] = max(worst["peak"], outcome.peak_bytes)

        one()
    kinds = sorted({kind for kind, _ in counts})
    columns = ("generated", "refused clearly", "wrongly accepted", "crashed")
    print(f"{'class':24}" + "".join(f"{c:>18}" for c in columns))
    for kind in kinds:
        print(f"{kind:24}" + "".join(f"{counts[(kind, c)]:>18}" for c in columns))
    print(f"{'total':24}" + "".join(
        f"{sum(counts[(k, c)] for k in kinds):>18}" for c in columns))
    print(f"slowest example {worst['seconds']:.2f} s; highest peak {worst['peak'] / 2**20:.1f} MiB")
    size, values, peak = largest_accepted_peak()
    print(f"largest accepted input: {size:,} bytes, {values:,} values; reader peak "
          f"{peak / 2**20:.1f} MiB (limits: {MAX_DOCUMENT_BYTES:,} bytes, {MAX_NODES:,} values)")
    size, variables, peak = largest_valid_config_peak()
    print(f"largest valid stack config: {size:,} bytes ({variables:,} environment variables); "
          f"read + validated at peak {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
