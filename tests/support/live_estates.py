"""Replicas of the estate, each built and adopted once per session, for adopt's tests.

Building a replica in moto (hundreds of task-definition revisions) and previewing the stack
file adopt writes are what these tests spend their time on. So an `Estate` is built once, and
everything that needs it live runs then, inside that one moto context: the adopt run (every AWS
call it makes recorded, for the IAM test) and the scenarios test modules register with
`@while_live(stack)` (adopting the file adopt wrote, command-line runs, a patched discovery).
The moto context closes before any test runs, so estates never overlap (a nested `mock_aws`
would reset the other's state); tests assert on what was recorded.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from tests.support import live_replica as replica
from z360_ecs import PROJECT_DIR
from z360_ecs.cli import main
from z360_ecs.live.adopt import Result, adopt

Call = tuple[str, str, dict[str, Any]]
"""(botocore service name, operation, the caller's parameters)."""


@contextlib.contextmanager
def aws_account(account: str = replica.ACCOUNT) -> Iterator[None]:
    """moto in `account` and the ops log's region, with dummy credentials; the environment is
    restored afterwards."""
    wanted = {"MOTO_ACCOUNT_ID": account, "AWS_ACCESS_KEY_ID": "testing",
              "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": replica.REGION}
    saved = {name: os.environ.get(name) for name in (*wanted, "AWS_PROFILE")}
    os.environ.update(wanted)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def copy_stack_file(stack: str, directory: Path, name: str | None = None) -> Path:
    """Pulumi.<stack>.yaml copied into `directory`; adopt writes there, never to the repo."""
    target = directory / (name or f"Pulumi.{stack}.yaml")
    shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", target)
    return target


@dataclass
class CliRun:
    argv: list[str]
    code: int
    out: str
    err: str


def cli(argv: Sequence[str]) -> CliRun:
    """`z360-ecs ARGV`, its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return CliRun(list(argv), code, out.getvalue(), err.getvalue())


@dataclass
class Live:
    """What a scenario gets while the replica is live."""

    estate: Estate
    """The estate so far: the replica and the adopt run."""
    session: Any
    directory: Path
    """A fresh directory of the scenario's own."""


Scenario = Callable[[Live], Any]
_SCENARIOS: dict[str, dict[str, Scenario]] = {}


def while_live(stack: str) -> Callable[[Scenario], Scenario]:
    """Register a scenario to run against the shared replica of `stack` (by function name);
    its return value is in `Estate.scenarios`. Registered at import, so before any estate is
    built."""

    def register(scenario: Scenario) -> Scenario:
        _SCENARIOS.setdefault(stack, {})[scenario.__name__] = scenario
        return scenario

    return register


def _record_calls(calls: list[Call]) -> Callable[[Any], None]:
    """An `on_client` hook recording each call a client makes. botocore's client.py
    `_make_api_call` emits `before-parameter-build.<service>.<operation>` with the operation
    model and the caller's parameters, once per call, pages included."""

    def on_client(client: Any) -> None:
        def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
            calls.append((model.service_model.service_name, model.name, params))

        client.meta.events.register("before-parameter-build", hook)

    return on_client


@dataclass
class Estate:
    """One replica, adopted once, and what else ran against it while it was live."""

    stack: str
    replica: replica.Replica
    original: str
    """The stack file adopt read."""
    result: Result
    """adopt of the stack file (nothing written)."""
    calls: list[Call]
    """Every AWS call that adopt run made."""
    written: Path
    """A stack file holding `result.adopted`."""
    scenarios: dict[str, Any] = field(default_factory=dict)
    """What each scenario registered for this stack returned (the unmodified replicas only)."""


def build_estate(stack: str, directory: Path, neighbours: tuple[str, ...] = (),
                 **build: Any) -> Estate:
    """Build the replica of `stack` (replica.build's options), after those of `neighbours` in
    the same account, and adopt it; for the unmodified replica, also run the scenarios
    registered for `stack`."""
    with aws_account():
        for neighbour in neighbours:
            replica.build(neighbour)
        built = replica.build(stack, **build)
        session = boto3.Session(region_name=replica.REGION)
        path = copy_stack_file(stack, directory)
        calls: list[Call] = []
        result = adopt(stack, session, stack_file=path, on_client=_record_calls(calls))
        written = directory / f"written.Pulumi.{stack}.yaml"
        written.write_text(result.adopted)
        estate = Estate(stack, built, path.read_text(), result, calls, written)
        if not build and not neighbours:
            for name, scenario in _SCENARIOS.get(stack, {}).items():
                scratch = directory / name
                scratch.mkdir()
                estate.scenarios[name] = scenario(Live(estate, session, scratch))
    return estate
