"""Shared fixtures: Pulumi mocks with realistic outputs, runs of the real program, session-wide work.

`Z360TestMocks` returns per-type computed outputs (ARNs, ids, task definition revisions) so
component tests can assert on them; `run_stack` runs the real `__main__.py` against a stack
file (optionally changed) the way `z360-ecs preview` does.

Expensive work is done once per session (per xdist worker) and handed out as copies no test
can share: `program_runs` holds one mock-engine run of each unmodified stack (a deep copy per
request), `stack_document` parses each stack file once, and `boto3_models` keeps botocore's
parsed service models across the fresh session moto makes for every test.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings

from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.mocks import Z360Mocks
from z360_ecs.engine.program import COMPUTED, SECRET, ProgramRun, run_program


class Z360TestMocks(Z360Mocks):
    """Realistic computed outputs for every type the program creates (never preview mode)."""

    def __init__(self) -> None:
        super().__init__(preview=False)


@pytest.fixture
def pulumi_mocks() -> Iterator[Z360TestMocks]:
    """Install the mocks for one test and restore the runtime afterwards."""
    mocks = Z360TestMocks()
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project="z360-ecs", stack="test", preview=False)
    yield mocks
    settings.set_root_resource(None)  # type: ignore[arg-type]


# libyaml when PyYAML has it, as the stack-file reader does: ~8x faster than the Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.cache
def _parsed_stack_file(stack: str) -> dict[str, Any]:
    with (PROJECT_DIR / f"Pulumi.{stack}.yaml").open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_YAML_LOADER)
    return document


def stack_document(stack: str) -> dict[str, Any]:
    """A deep copy of Pulumi.<stack>.yaml, to mutate in a test (the file is parsed once)."""
    return copy.deepcopy(_parsed_stack_file(stack))


def copy_run(run: ProgramRun) -> ProgramRun:
    """A deep copy of a program run that keeps the COMPUTED and SECRET markers themselves."""
    return copy.deepcopy(run, {id(COMPUTED): COMPUTED, id(SECRET): SECRET})


class ProgramRuns:
    """One mock-engine run per (unmodified stack, preview) per session; each `get` is a copy."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, bool], ProgramRun] = {}

    def get(self, stack: str, preview: bool = True) -> ProgramRun:
        key = (stack, preview)
        if key not in self._runs:
            self._runs[key] = run_program(stack, preview=preview)
        return copy_run(self._runs[key])


_PROGRAM_RUNS = ProgramRuns()


def unmodified_run(stack: str, preview: bool = True) -> ProgramRun:
    """A copy of the session's run of the unmodified stack (for module-scoped fixtures)."""
    return _PROGRAM_RUNS.get(stack, preview=preview)


@pytest.fixture(scope="session")
def program_runs() -> ProgramRuns:
    """The session's runs of the unmodified stacks (`program_runs.get("beta")` is a copy)."""
    return _PROGRAM_RUNS


@pytest.fixture
def beta_run(program_runs: ProgramRuns) -> ProgramRun:
    """The unmodified beta stack under the mock engine at preview (a copy of the session's)."""
    return program_runs.get("beta")


@pytest.fixture
def staging_run(program_runs: ProgramRuns) -> ProgramRun:
    """The unmodified staging stack under the mock engine at preview (a copy of the session's)."""
    return program_runs.get("staging")


@pytest.fixture
def write_stack(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a stack document to a temporary stack file and return its path."""
    counter = iter(range(1_000_000))

    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / f"Pulumi.mutated-{next(counter)}.yaml"
        path.write_text(yaml.dump(document, Dumper=_YAML_DUMPER, sort_keys=False))
        return path

    return write


@pytest.fixture
def run_stack(write_stack: Callable[[dict[str, Any]], Path]) -> Callable[..., ProgramRun]:
    """Run the real program for a stack; `mutate(document)` may change the stack file first.

    Without `mutate`, the run is a copy of the session's run of the unmodified stack.
    """

    def run(
        stack: str,
        mutate: Callable[[dict[str, Any]], None] | None = None,
        preview: bool = True,
    ) -> ProgramRun:
        if mutate is None:
            return _PROGRAM_RUNS.get(stack, preview=preview)
        document = stack_document(stack)
        mutate(document)
        return run_program(stack, stack_file=write_stack(document), preview=preview)

    return run


@pytest.fixture(scope="session")
def policy_pack() -> Iterator[Any]:
    """The policy pack running as its own process, started once for the session (per worker)."""
    from z360_ecs.engine.analyzer import PolicyPackProcess

    with PolicyPackProcess() as process:
        yield process


@functools.cache
def _botocore_loader() -> Any:
    from botocore.loaders import create_loader

    return create_loader()


@contextlib.contextmanager
def mock_aws_sharing_models() -> Iterator[None]:
    """moto's `mock_aws()`, its fresh boto3 default session reusing parsed service models.

    moto gives every test a new boto3 session, and with it a new botocore loader that parses
    each service's JSON model again (most of a moto test's time). The models are read-only
    data, so one loader serves the whole session; the accounts, clients and credentials are
    still new for each test.
    """
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION._session.register_component("data_loader", _botocore_loader())
        yield
