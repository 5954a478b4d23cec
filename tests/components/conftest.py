"""Fixtures the component tests share: beta's and staging's unmodified runs at preview, one copy
per module (tests/support/runs.py runs each stack once per session)."""

from __future__ import annotations

import pytest

from tests.support.runs import unmodified_run
from z360_ecs.engine.program import ProgramRun


@pytest.fixture(scope="module")
def beta() -> ProgramRun:
    return unmodified_run("beta")


@pytest.fixture(scope="module")
def staging() -> ProgramRun:
    return unmodified_run("staging")
