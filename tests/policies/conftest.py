"""The pack as its own process, shared by the protocol and whole-stack tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from z360_ecs.engine.analyzer import PolicyPackProcess


@pytest.fixture(scope="session")
def pack(policy_pack: PolicyPackProcess) -> Iterator[PolicyPackProcess]:
    """The pack running as its own process, started once for the whole session."""
    yield policy_pack
