"""The analyzer client (z360_ecs/engine/analyzer.py): an Analysis sends each resource to the pack
as the program registers it, in the engine's order, and hands back what went wrong only when
asked for the findings."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.support.runs import unmodified_run
from z360_ecs.engine.analyzer import Analysis, PackConfigError, PackError, PackInfo


class Answered:
    """An Analyze already answered (what a gRPC future gives once its answer is in)."""

    def result(self) -> Any:
        return None


class RecordingPack:
    """Stands for a PolicyPackProcess: records the protocol calls it is asked to make."""

    def __init__(self, fail_on_connect: bool = False) -> None:
        self.calls: list[Any] = []
        self.first_analysed = threading.Event()
        self.fail_on_connect = fail_on_connect

    def connect(self) -> PackInfo:
        self.calls.append("connect")
        if self.fail_on_connect:
            raise PackError("did not start")
        return PackInfo("pack", "1", {}, {})

    def configure(self, merged: Any) -> None:
        self.calls.append("configure")

    def configure_stack(self, settings: Any, dry_run: bool) -> bool:
        self.calls.append(("configure_stack", settings.stack, dry_run))
        return True

    def analyze_async(self, registration: Any) -> Any:
        self.calls.append(("analyze", registration.urn))
        self.first_analysed.set()
        return Answered()

    def analyze_findings(self, registration: Any, response: Any) -> list[Any]:
        return []

    def analyze_stack(self, registrations: Any, stack_urn: str) -> list[Any]:
        self.calls.append(("analyze_stack", stack_urn))
        return []


def test_each_resource_is_sent_as_it_is_registered_in_the_engines_order():
    run = unmodified_run("staging")
    pack = RecordingPack()
    with Analysis(pack) as analysis:  # type: ignore[arg-type]
        analysis.program_started(run.settings, True)
        analysis.registered(run.registrations[0])
        # Sent while the program would still be running: nobody has asked for findings yet.
        assert pack.first_analysed.wait(timeout=30)
        for registration in run.registrations[1:]:
            analysis.registered(registration)
        assert analysis.findings(run) == []
    assert pack.calls == [
        "connect", "configure", ("configure_stack", "staging", True),
        *(("analyze", r.urn) for r in run.registrations),
        ("analyze_stack", run.registrations[0].urn),
    ]


def test_a_bad_pack_config_is_raised_by_findings_not_while_the_program_runs():
    run = unmodified_run("staging")
    with Analysis(RecordingPack(), {"no-such-policy": "advisory"}) as analysis:  # type: ignore[arg-type]
        analysis.program_started(run.settings, True)
        analysis.registered(run.registrations[0])
        with pytest.raises(PackConfigError, match="no-such-policy"):
            analysis.findings(run)


def test_a_pack_that_does_not_start_is_raised_by_findings():
    run = unmodified_run("staging")
    with Analysis(RecordingPack(fail_on_connect=True)) as analysis:  # type: ignore[arg-type]
        analysis.registered(run.registrations[0])
        with pytest.raises(PackError, match="did not start"):
            analysis.findings(run)


def test_its_thread_ends_when_the_program_fails_before_any_finding():
    with Analysis(RecordingPack()) as analysis:  # type: ignore[arg-type]
        thread = analysis._thread
    assert not thread.is_alive()
