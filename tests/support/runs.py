"""Runs of the real program and the stack files as data, shared by the whole session.

`stack_document` parses each stack file once; `ProgramRuns` holds one mock-engine run per
stack-file content and hands out deep copies (tests/conftest.py's fixtures use the same store).
"""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path
from typing import Any

import yaml

from stack_model.config.source import SourceError, read_file, read_stack_yaml
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.program import COMPUTED, SECRET, ProgramRun, run_program

YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.cache
def _parsed_stack_file(stack: str) -> dict[str, Any]:
    return dict(read_stack_yaml(PROJECT_DIR / f"Pulumi.{stack}.yaml"))


def stack_document(stack: str) -> dict[str, Any]:
    """Pulumi.<stack>.yaml as the one stack-file reader reads it, a deep copy to mutate in a test
    (the file is read once per session)."""
    return copy.deepcopy(_parsed_stack_file(stack))


def copy_run(run: ProgramRun) -> ProgramRun:
    """A deep copy of a program run that keeps the COMPUTED and SECRET markers themselves."""
    return copy.deepcopy(run, {id(COMPUTED): COMPUTED, id(SECRET): SECRET})


class ProgramRuns:
    """One mock-engine run per stack-file content per session; each `get` is a copy.

    A run is keyed by what the program reads: the stack, the project (its folder and the bytes
    of its Pulumi.yaml), the bytes of the stack file, and preview or not. The program reads
    nothing else (no environment, no clock), so a second run of the same content is the same
    run; the tests about that (`@pytest.mark.fresh_program_runs`, test_diff's identical runs,
    two fresh processes in test_preview) run it afresh.
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str, bytes, bytes, bool], ProgramRun] = {}

    def get(self, stack: str, preview: bool = True, stack_file: Path | None = None,
            project_dir: Path = PROJECT_DIR) -> ProgramRun:
        project = Path(project_dir)
        try:  # the tools' own reader: a FIFO or a device is refused, never waited on
            key = (stack, str(project.resolve()), read_file(project / "Pulumi.yaml"),
                   read_file(Path(stack_file or project / f"Pulumi.{stack}.yaml")), preview)
        except SourceError:  # the program reports an unreadable file itself
            return run_program(stack, project_dir=project, stack_file=stack_file, preview=preview)
        if key not in self._runs:  # its notes are printed by each replay that asks (replayed)
            run = run_program(stack, project_dir=project, stack_file=stack_file,
                              preview=preview, echo_notes=False)
            for registration in run.registrations:  # made once here, not in every copy
                assert registration.inputs is not None
            self._runs[key] = run
        return copy_run(self._runs[key])


PROGRAM_RUNS = ProgramRuns()


def replayed(run: ProgramRun, echo_notes: bool = True, observer: Any = None) -> ProgramRun:
    """A shared run as `run_program` hands it to its caller: its observer is told of it as it
    would have been while it ran, and its notes go to stderr unless the caller prints them."""
    if observer is not None:
        observer.started(run.settings, run.preview)
        for registration in run.registrations:
            observer.registered(registration)
    if echo_notes:
        for note in run.notes:
            print(f"note: {note}", file=sys.stderr)
    return run


def unmodified_run(stack: str, preview: bool = True) -> ProgramRun:
    """A copy of the session's run of the unmodified stack (for module-scoped fixtures)."""
    return PROGRAM_RUNS.get(stack, preview=preview)


def shared_run(stack: str, stack_file: Path | None = None, preview: bool = True) -> ProgramRun:
    """A copy of the session's run of this stack file's content (run once per content)."""
    return PROGRAM_RUNS.get(stack, preview=preview, stack_file=stack_file)
