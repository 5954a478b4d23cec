"""Fixtures for adopt: the replicas of beta and staging, each built and adopted once per session
(tests/support/live_estates.py), and previews made once per stack-file text.

Under pytest-xdist a session is a worker: the modules whose tests read a replica run in one worker
(XDIST_GROUPS in tests/conftest.py), so the replicas are built once, not once per worker."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_estates import Estate, build_estate
from tests.support.runs import PROGRAM_RUNS, replayed
from z360_ecs.engine.program import ProgramRun
from z360_ecs.live import adopt as adopt_module


@pytest.fixture(scope="session", autouse=True)
def previews_once() -> Iterator[dict[tuple[str, str, str], ProgramRun]]:
    """adopt's offline preview, memoised by (stack, project, stack-file text): adopting the file
    adopt wrote, or the same file again through the command line, previews the same text, and
    the program is deterministic; the run is the session's one of that content, which `check`
    of the written file reads too. A refused file is never memoised (it raises)."""
    previews: dict[tuple[str, str, str], ProgramRun] = {}

    def preview(stack: str, project_dir: Path, text: str) -> ProgramRun:
        # The session's run of this content (tests/support/runs.py), which `check` of the
        # written file then reads too, instead of running the program again.
        key = (stack, str(project_dir), text)
        if key not in previews:
            with tempfile.TemporaryDirectory(prefix="z360-adopt-") as scratch:
                path = Path(scratch) / f"Pulumi.{stack}.yaml"
                path.write_text(text)
                previews[key] = replayed(PROGRAM_RUNS.get(stack, stack_file=path,
                                                          project_dir=project_dir))
        return previews[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(adopt_module, "preview", preview)
        yield previews


@pytest.fixture(scope="session")
def beta(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """The replica of beta, adopted (and every beta scenario run) once per session."""
    return build_estate("beta", tmp_path_factory.mktemp("adopt-beta"))


@pytest.fixture(scope="session")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """The replica of staging, adopted (and every staging scenario run) once per session."""
    return build_estate("staging", tmp_path_factory.mktemp("adopt-staging"))


@pytest.fixture(params=["beta", "staging"])
def estate(request: pytest.FixtureRequest) -> Estate:
    """Each stack's shared estate in turn."""
    return request.getfixturevalue(request.param)
