"""The pack as its own process, shared by the protocol and whole-stack tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from z360_ecs.engine.analyzer import PolicyPackProcess


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    """The pack running as its own process, started once for the whole session."""
    with PolicyPackProcess() as process:
        yield process
