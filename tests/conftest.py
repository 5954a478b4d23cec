"""Shared fixtures: Pulumi mocks with realistic outputs, runs of the real program, session-wide work.

`Z360TestMocks` returns per-type computed outputs (ARNs, ids, task definition revisions) so
component tests can assert on them; `run_stack` runs the real `__main__.py` against a stack
file (optionally changed) the way `z360-ecs preview` does.

Expensive work is done once per session (per xdist worker) and handed out as copies no test
can share: `program_runs` holds one mock-engine run per stack-file content (a deep copy per
request), which `run_stack`, `unmodified_run`, `shared_run` and the commands (autouse
`commands_share_runs`) hand out; `stack_document` parses each stack file once; `policy_pack`
starts the pack process once; `botocore_models_parsed_once` (at import) lets every boto3/botocore
session share botocore's parsed service models (moto's, the breaker handler's, adopt's). Tests
about determinism across runs are marked `fresh_program_runs`. After each test the garbage it
left is collected and what survives is frozen out of later collections (pytest_runtest_teardown).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings

from tests.support.runs import PROGRAM_RUNS, YAML_DUMPER, ProgramRuns, replayed, stack_document
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.analyzer import PolicyPackProcess
from z360_ecs.engine.mocks import Z360Mocks
from z360_ecs.engine.program import ProgramRun, run_program

# moto's EC2 backend loads its bundled list of public AMIs for every account and region it
# starts (moto/ec2/models/amis.py, `_load_amis`), 0.34 s each and four per replica of a stack;
# no test looks an AMI up. moto/settings.py `ec2_load_default_amis` reads this variable.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

# Tests that share an expensive session fixture run in one pytest-xdist worker (a session per
# worker would build it once per worker): module path prefix -> group. scripts/test runs
# `--dist loadgroup`; `xdist_group` marks alone no longer reach xdist 3.8's scheduler under
# pytest 9.2 (pytest-dev/pytest-xdist#1386: it appends the group to a node id pytest no longer
# reads), so the scheduler below takes the groups from here, by node id.
XDIST_GROUPS = {
    # adopt's replicas of beta and staging, and the partial one (tests/support/live_estates.py)
    "tests/z360_ecs/live/test_adopt": "adopt-estates",
}


def _xdist_group(nodeid: str) -> str | None:
    return next((group for prefix, group in XDIST_GROUPS.items() if nodeid.startswith(prefix)),
                None)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with XDIST_GROUPS: every other test is scheduled on its own, as with
    `--dist load`."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class GroupsByPath(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_group(nodeid) or super()._split_scope(nodeid)

    return GroupsByPath(config, log)


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


# libyaml's emitter when PyYAML has it: several times faster than the Python one.


@pytest.fixture(scope="session")
def program_runs() -> ProgramRuns:
    """The session's program runs (`program_runs.get("beta")` is a copy of unmodified beta's)."""
    return PROGRAM_RUNS


@pytest.fixture
def beta_run(program_runs: ProgramRuns) -> ProgramRun:
    """The unmodified beta stack under the mock engine at preview (a copy of the session's)."""
    return program_runs.get("beta")


@pytest.fixture
def staging_run(program_runs: ProgramRuns) -> ProgramRun:
    """The unmodified staging stack under the mock engine at preview (a copy of the session's)."""
    return program_runs.get("staging")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fresh_program_runs: the commands run the program afresh, never a copy of the session's "
        "run (for tests about determinism across runs)",
    )
    config.addinivalue_line(
        "markers",
        "fresh_pack_process: the commands start their own policy-pack process (for tests about "
        "starting it), never the session's",
    )


def _fresh(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("fresh_program_runs") is not None


@pytest.fixture(autouse=True)
def commands_share_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands (`main([...])`: preview, check, report, cost, simulate) get a copy of the
    session's run of the stack file they read (ProgramRuns: one run per content), the stack's
    own file or any other. Config overrides always run the program; errors are never shared;
    `@pytest.mark.fresh_program_runs` runs it afresh.
    """
    if _fresh(request):
        return
    from z360_ecs.commands import preview as preview_command
    from z360_ecs.engine import program as program_module

    real = program_module.run_program

    def run_program(stack: str, project_dir: Path = PROJECT_DIR, stack_file: Path | None = None,
                    overrides: Any = None, preview: bool = True,
                    settings_override: Any = None, echo_notes: bool = True,
                    last_in_process: bool = False, observer: Any = None) -> ProgramRun:
        if overrides is None and settings_override is None:
            run = PROGRAM_RUNS.get(stack, preview=preview, stack_file=stack_file,
                                    project_dir=project_dir)
            return replayed(run, echo_notes, observer)
        return real(stack, project_dir=project_dir, stack_file=stack_file, overrides=overrides,
                    preview=preview, settings_override=settings_override, echo_notes=echo_notes,
                    observer=observer)

    monkeypatch.setattr(program_module, "run_program", run_program)
    monkeypatch.setattr(preview_command, "run_program", run_program)


@pytest.fixture
def write_stack(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a stack document to a temporary stack file and return its path."""
    counter = iter(range(1_000_000))

    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / f"Pulumi.mutated-{next(counter)}.yaml"
        path.write_text(yaml.dump(document, Dumper=YAML_DUMPER, sort_keys=False))
        return path

    return write


@pytest.fixture
def run_stack(
    request: pytest.FixtureRequest, write_stack: Callable[[dict[str, Any]], Path]
) -> Callable[..., ProgramRun]:
    """Run the real program for a stack; `mutate(document)` may change the stack file first.

    The run is a copy of the session's run of the resulting stack-file content (ProgramRuns),
    unless the test is marked `fresh_program_runs`.
    """
    fresh = _fresh(request)

    def run(
        stack: str,
        mutate: Callable[[dict[str, Any]], None] | None = None,
        preview: bool = True,
    ) -> ProgramRun:
        stack_file = None
        if mutate is not None:
            document = stack_document(stack)
            mutate(document)
            stack_file = write_stack(document)
        if fresh:
            return run_program(stack, stack_file=stack_file, preview=preview)
        return PROGRAM_RUNS.get(stack, preview=preview, stack_file=stack_file)

    return run


@pytest.fixture(scope="session")
def policy_pack() -> Iterator[Any]:
    """The policy pack running as its own process, started once for the session (per worker)."""
    with PolicyPackProcess() as process:
        yield process


class _SessionPack:
    """The session's pack process as a command's `PolicyPackProcess(...)`: entering it starts
    nothing and leaving it ends nothing (the session does)."""

    def __init__(self, process: Any) -> None:
        self.process = process

    def __enter__(self) -> Any:
        return self.process

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(autouse=True)
def commands_share_the_pack(request: pytest.FixtureRequest,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands (`check`, `review`, `analyze_run` with no pack) analyse with the session's
    pack process (`policy_pack`) instead of starting one each: a pack start is 0.3 s and 0.5 s
    of CPU, and the commands' tests started 25 of them per run. Each analysis configures the
    pack afresh (Analysis: Configure with every policy's merged config, then ConfigureStack),
    so nothing carries from one to the next. A pack from another folder or interpreter is
    started as asked; tests about starting the pack are marked `fresh_pack_process`.
    """
    if request.node.get_closest_marker("fresh_pack_process") is not None:
        return
    from z360_ecs.commands import check as check_command
    from z360_ecs.commands import review as review_command
    from z360_ecs.engine import analyzer


    def process(pack_dir: Path = analyzer.PACK_DIR, python: str | None = None,
                connect: bool = True) -> Any:
        session = request.getfixturevalue("policy_pack")
        if Path(pack_dir) != session.pack_dir or (python or analyzer.pack_python(
                Path(pack_dir))[0]) != session.python:
            return PolicyPackProcess(pack_dir, python, connect)
        return _SessionPack(session)

    for module in (analyzer, check_command, review_command):
        monkeypatch.setattr(module, "PolicyPackProcess", process)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported and collected so far lives as long as the session: out of the
    collector's way (see pytest_runtest_teardown)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Collect what the test left, then freeze what survives it.

    A session keeps much alive (imported modules, the program runs it shares, moto's and
    botocore's models), and each of CPython's full collections walked all of it again: about
    30 of them per worker, a quarter of the suite's CPU time. Collecting once per test walks
    only what the test made (the rest is frozen: gc.freeze), frees its garbage, and moves what
    survives out of later collections' way; anything that dies later is still freed by
    reference counting.
    """
    gc.collect()
    gc.freeze()


class _PathsOnce(list[str]):
    """A loader's search paths that keep one copy of each: boto3 appends its own data folder to
    the loader of every session it makes (boto3/session.py, `_setup_loader`)."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def botocore_models_parsed_once() -> None:
    """One botocore loader per search path for the whole session (per xdist worker).

    Every botocore session, and with it every boto3 session (moto's fresh default session per
    `mock_aws`, the breaker handler's session per invocation, adopt's), makes a new loader that
    parses each service's JSON model again: most of a moto test's time. The models are read-only
    data, so sessions share the loader; accounts, clients, credentials and moto's state are
    still new for each test. Installed when this file is imported, before the test modules:
    importing moto's EC2 models makes three boto3 sessions (moto/ec2/models/
    availability_zones_and_regions.py, `Session().get_available_regions`), each of which parsed
    botocore's endpoints again while the tests were collected.
    """
    import botocore.session

    loaders: dict[Any, Any] = {}
    original: Callable[..., Any] = botocore.session.create_loader

    def shared_loader(search_paths: Any = None) -> Any:
        key = tuple(search_paths) if isinstance(search_paths, list) else search_paths
        if key not in loaders:
            loader = original(search_paths)
            loader._search_paths = _PathsOnce(loader.search_paths)
            loaders[key] = loader
        return loaders[key]

    botocore.session.create_loader = shared_loader


botocore_models_parsed_once()
