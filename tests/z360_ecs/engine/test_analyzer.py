"""The analyzer client (z360_ecs/engine/analyzer.py): an Analysis gets the pack started and
configured while the program runs, then sends the engine's requests in its order, several
Analyze at a time, and hands back what went wrong only when asked for the findings."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.support.runs import unmodified_run
from z360_ecs.engine.analyzer import (
    Analysis,
    PackConfigError,
    PackError,
    PackInfo,
    PolicyPackProcess,
)


class Pending:
    """An Analyze on its way: answered when the pack says so."""

    def __init__(self, pack: RecordingPack, urn: str) -> None:
        self.pack, self.urn = pack, urn

    def result(self) -> Any:
        self.pack.calls.append(("answer", self.urn))
        return None


class RecordingPack:
    """Stands for a PolicyPackProcess: records the protocol calls it is asked to make."""

    def __init__(self, fail_on_connect: bool = False) -> None:
        self.calls: list[Any] = []
        self.configured = threading.Event()
        self.fail_on_connect = fail_on_connect

    def connect(self) -> PackInfo:
        self.calls.append("connect")
        if self.fail_on_connect:
            raise PackError("did not start")
        return PackInfo("pack", "1", {}, {})

    def configure(self, merged: Any) -> None:
        self.calls.append("configure")
        self.configured.set()

    def configure_stack(self, settings: Any, dry_run: bool) -> bool:
        self.calls.append(("configure_stack", settings.stack, dry_run))
        return True

    def analyze_async(self, registration: Any) -> Pending:
        self.calls.append(("analyze", registration.urn))
        return Pending(self, registration.urn)

    def analyze_findings(self, registration: Any, response: Any) -> list[Any]:
        return [registration.urn]

    def analyze_stack(self, registrations: Any, stack_urn: str) -> list[Any]:
        self.calls.append(("analyze_stack", stack_urn))
        return []


def test_the_pack_is_configured_before_anyone_asks_for_findings():
    pack = RecordingPack()
    with Analysis(pack):  # type: ignore[arg-type]
        # While the program would still be running: nobody has asked for findings yet.
        assert pack.configured.wait(timeout=30)
    assert pack.calls == ["connect", "configure"]


def test_requests_go_in_the_engines_order_several_analyze_in_flight():
    run = unmodified_run("staging")
    pack = RecordingPack()
    with Analysis(pack) as analysis:  # type: ignore[arg-type]
        findings = analysis.findings(run)
    urns = [r.urn for r in run.registrations]
    assert findings == urns, "one finding per registration, in registration order"
    assert pack.calls[:3] == ["connect", "configure", ("configure_stack", "staging", True)]
    assert pack.calls[-1] == ("analyze_stack", urns[0])
    sent = [call[1] for call in pack.calls if call[0] == "analyze"]
    answered = [call[1] for call in pack.calls if call[0] == "answer"]
    assert sent == urns and answered == urns
    # Every request of this small stack went out before the first answer was read.
    assert pack.calls.index(("answer", urns[0])) > pack.calls.index(("analyze", urns[-1]))


def test_a_bad_pack_config_is_raised_by_findings_not_while_the_program_runs():
    run = unmodified_run("staging")
    analysis = Analysis(RecordingPack(), {"no-such-policy": "advisory"})  # type: ignore[arg-type]
    with analysis, pytest.raises(PackConfigError, match="no-such-policy"):
        analysis.findings(run)


def test_a_pack_that_does_not_start_is_raised_by_findings():
    run = unmodified_run("staging")
    analysis = Analysis(RecordingPack(fail_on_connect=True))  # type: ignore[arg-type]
    with analysis, pytest.raises(PackError, match="did not start"):
        analysis.findings(run)


def test_its_thread_ends_when_the_program_fails_before_any_finding():
    with Analysis(RecordingPack()) as analysis:  # type: ignore[arg-type]
        thread = analysis._thread
    assert not thread.is_alive()


def test_the_commands_share_the_sessions_pack_only_when_they_ask_for_that_same_pack(
    policy_pack: Any,
) -> None:
    from bench.run import NOOP_PACK_DIR
    from z360_ecs.engine import analyzer

    with analyzer.PolicyPackProcess(connect=False) as shared:
        assert shared is policy_pack
    assert policy_pack.process.poll() is None  # leaving it ended nothing
    other = analyzer.PolicyPackProcess(NOOP_PACK_DIR)
    assert isinstance(other, PolicyPackProcess) and other is not policy_pack
    assert other.process is None  # started only when entered, as asked
    elsewhere = analyzer.PolicyPackProcess(python="/nonexistent/python")
    assert isinstance(elsewhere, PolicyPackProcess) and elsewhere.python == "/nonexistent/python"


@pytest.mark.fresh_pack_process
def test_a_fresh_pack_process_test_gets_the_real_class() -> None:
    from z360_ecs.engine import analyzer

    assert analyzer.PolicyPackProcess is PolicyPackProcess
