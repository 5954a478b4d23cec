"""The mock engine's entry points for the commands (z360_ecs/engine/program.py): a run, or a
stack-file or config error told in the user's words, never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi import output as pulumi_output

from tests.support.runs import stack_document
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.program import run_or_report


def _args(stack: str, stack_file: Path | None = None) -> argparse.Namespace:
    return argparse.Namespace(stack=stack, stack_file=stack_file, project_dir=PROJECT_DIR)


def test_run_or_report_runs_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_or_report(_args("staging"))
    assert run is not None and run.preview
    assert run.outputs["environment"] == "staging"
    assert capsys.readouterr().err == ""


def test_run_or_report_tells_a_config_error_and_returns_none(
    write_stack: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["cpu"] = 1000
    assert run_or_report(_args("beta", write_stack(document))) is None
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "services.web.cpu" in err
    assert "Traceback" not in err


def test_run_or_report_tells_an_unreadable_stack_file_and_returns_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "Pulumi.beta.yaml"
    broken.write_text("config: [not, a, mapping]\n")
    assert run_or_report(_args("beta", broken)) is None
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(broken) in err


@pytest.mark.fresh_program_runs
def test_what_the_program_logs_is_kept_once_and_printed_only_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from z360_ecs.engine.program import run_program

    run = run_program("beta", echo_notes=False)
    offline = [n for n in run.notes if n.startswith("cost breaker: record /z360/beta/")]
    assert len(offline) == 1 and "not read" in offline[0]
    assert capsys.readouterr().err == ""

    run_or_report(_args("beta"))
    assert capsys.readouterr().err.count("note: cost breaker: record /z360/beta/") == 1


def test_a_process_that_ran_the_program_freezes_its_heap_once_at_exit() -> None:
    import subprocess
    import sys

    # The probe is registered first, so it runs after the freeze (atexit is last in, first out).
    script = (
        "import atexit, gc\n"
        "atexit.register(lambda: print(gc.get_freeze_count() > 0, flush=True))\n"
        "from z360_ecs.engine import program\n"
        "before = atexit._ncallbacks()\n"
        "program.freeze_heap_at_exit(); program.freeze_heap_at_exit()\n"
        "print(atexit._ncallbacks() - before, flush=True)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR,
                               capture_output=True, text=True, check=True)
    added, frozen = completed.stdout.split()
    assert added == "1"  # one handler, however many runs
    assert frozen == "True"


def test_a_registrations_inputs_are_made_from_its_properties_when_first_read() -> None:
    from google.protobuf import struct_pb2
    from pulumi.runtime import rpc

    from z360_ecs.engine.program import COMPUTED, Registration

    properties = struct_pb2.Struct()
    properties.update({"maxCapacity": 50.0, "arn": rpc.UNKNOWN})
    made = Registration(urn="urn:a", type="aws:x/y:Z", name="a", parent="", custom=True,
                        properties=properties, protect=False, ignore_changes=[], import_id="",
                        dependencies=[], provider="")
    assert made.__dict__["_inputs"] is None  # nothing made at registration
    assert made.inputs == {"maxCapacity": 50, "arn": COMPUTED}
    assert made.inputs is made.inputs  # made once
    given = Registration(urn="urn:b", type="aws:x/y:Z", name="b", parent="", custom=True,
                         properties=properties, protect=False, ignore_changes=[], import_id="",
                         dependencies=[], provider="", inputs={"kept": True})
    assert given.inputs == {"kept": True}


def test_a_run_has_the_collector_off_and_only_the_last_run_in_a_process_freezes_it(
    tmp_path: Path,
) -> None:
    import gc
    import sys

    from z360_ecs.engine.program import _collector_off

    built: list[Any] = []
    before = gc.get_freeze_count()
    with _collector_off(last_in_process=False):
        assert not gc.isenabled()
        built.extend([i] for i in range(1000))
    # Nothing frozen (another thread may free a frozen object meanwhile: a count, not equality);
    # its garbage is collected later.
    assert gc.isenabled() and gc.get_freeze_count() < before + 1000
    with _collector_off(last_in_process=True):
        assert not gc.isenabled()
        sys.z360_built = [[i] for i in range(1000)]  # type: ignore[attr-defined]
    assert gc.isenabled() and gc.get_freeze_count() >= before + 1000
    del sys.z360_built  # type: ignore[attr-defined]
    gc.disable()
    try:  # a caller that had it off keeps it off
        with _collector_off(last_in_process=False):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.fresh_program_runs
def test_the_program_registers_with_the_collector_off_and_turns_it_back_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from z360_ecs.engine.mocks import Z360Mocks
    from z360_ecs.engine.program import run_program

    collecting: list[bool] = []
    real = Z360Mocks.new_resource

    def new_resource(self: Z360Mocks, args: Any) -> Any:
        collecting.append(gc.isenabled())
        return real(self, args)

    monkeypatch.setattr(Z360Mocks, "new_resource", new_resource)
    run = run_program("staging", echo_notes=False)
    assert len(collecting) >= len(run.registrations) - 1  # every resource but the stack
    assert not any(collecting) and gc.isenabled()


_UNKNOWN = pulumi_output.UNKNOWN


def _values() -> Any:
    from hypothesis import strategies as st

    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3),
                       st.just(_UNKNOWN))
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=2), children, max_size=4),
        st.tuples(children)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(value=st.deferred(_values))
def test_contains_unknowns_answers_as_the_sdks_own(value: Any) -> None:
    from pulumi.runtime import rpc

    from z360_ecs.engine.program import contains_unknowns

    assert contains_unknowns(value) is rpc.contains_unknowns(value)


def test_contains_unknowns_sees_a_shared_or_self_containing_value_once() -> None:
    from z360_ecs.engine.program import contains_unknowns

    shared: list[Any] = [1]
    looped: dict[str, Any] = {"a": shared, "b": shared}
    looped["self"] = looped
    assert contains_unknowns(looped) is False
    shared.append(_UNKNOWN)
    assert contains_unknowns(looped) is True
    assert contains_unknowns((_UNKNOWN,)) is False  # a tuple is not walked, as in the SDK


@pytest.mark.fresh_program_runs
def test_a_run_leaves_none_of_the_sdks_unknown_check_garbage() -> None:
    import gc

    from pulumi.runtime import rpc

    from z360_ecs.engine.program import run_program

    real = rpc.contains_unknowns
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run_program("staging", echo_notes=False)
        gc.collect()
        left = [o for o in gc.garbage if getattr(o, "__qualname__", "") ==
                "contains_unknowns.<locals>.impl"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert rpc.contains_unknowns is real  # put back after the run
    assert left == []
