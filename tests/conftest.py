"""Shared fixtures: Pulumi mocks with realistic outputs, and runs of the real program.

`Z360TestMocks` returns per-type computed outputs (ARNs, ids, task definition revisions) so
component tests can assert on them; `run_stack` runs the real `__main__.py` against a stack
file (optionally changed) the way `z360-ecs preview` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings

from components.config.source import read_stack_yaml
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.mocks import Z360Mocks
from z360_ecs.engine.program import ProgramRun, run_program


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


def stack_document(stack: str) -> dict[str, Any]:
    """Pulumi.<stack>.yaml as the one stack-file reader reads it, fresh, to mutate in a test."""
    return dict(read_stack_yaml(PROJECT_DIR / f"Pulumi.{stack}.yaml"))


@pytest.fixture
def write_stack(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a stack document to a temporary stack file and return its path."""
    counter = iter(range(1_000_000))

    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / f"Pulumi.mutated-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return write


@pytest.fixture
def run_stack(write_stack: Callable[[dict[str, Any]], Path]) -> Callable[..., ProgramRun]:
    """Run the real program for a stack; `mutate(document)` may change the stack file first."""

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
        return run_program(stack, stack_file=stack_file, preview=preview)

    return run
