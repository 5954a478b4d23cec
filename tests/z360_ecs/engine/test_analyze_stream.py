"""Analyze sent while the program runs, from a process of its own (z360_ecs/engine/analyze_stream.py,
LiveAnalysis in analyzer.py): the same findings as after the run, in registration order, the
requests reaching the pack before the run is over, and every failure told, never a hang."""

from __future__ import annotations

import io
import threading
from concurrent import futures
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import analyzer_pb2

from tests.support.runs import unmodified_run
from tests.z360_ecs.engine.test_analyzer import RecordingPack
from z360_ecs.engine import analyze_stream
from z360_ecs.engine.analyzer import (
    Analysis,
    LiveAnalysis,
    PackError,
    analyze_request,
    sort_findings,
)
from z360_ecs.engine.program import run_program


class FakePackServer:
    """A gRPC server answering `/pulumirpc.Analyzer/Analyze` with one diagnostic naming the
    resource; it records each request's URN as it arrives."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.urns: list[str] = []
        self.first_request = threading.Event()
        self.fail_on = fail_on
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.method_handlers_generic_handler("pulumirpc.Analyzer", {
            "Analyze": grpc.unary_unary_rpc_method_handler(
                self._analyze,
                request_deserializer=analyzer_pb2.AnalyzeRequest.FromString,
                response_serializer=analyzer_pb2.AnalyzeResponse.SerializeToString),
        })
        self.server.add_generic_rpc_handlers((handler,))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def _analyze(self, request: Any, context: Any) -> Any:
        self.urns.append(request.urn)
        self.first_request.set()
        if request.urn == self.fail_on:
            context.abort(grpc.StatusCode.INTERNAL, "the pack fell over")
        return analyzer_pb2.AnalyzeResponse(diagnostics=[
            analyzer_pb2.AnalyzeDiagnostic(policyName="seen", message=request.urn)])

    def stop(self) -> None:
        self.server.stop(0)


class FakePack(RecordingPack):
    """A PolicyPackProcess for LiveAnalysis: configured at once, Analyze served by the server."""

    def __init__(self, server: FakePackServer) -> None:
        super().__init__()
        self.port = server.port

    def analyze_findings(self, registration: Any, response: Any) -> list[Any]:
        return [(registration.urn, d.message) for d in response.diagnostics]


@pytest.fixture
def server() -> Any:
    started = FakePackServer()
    yield started
    started.stop()


def test_requests_reach_the_pack_while_the_program_still_runs(server: FakePackServer) -> None:
    run = unmodified_run("staging")
    pack = FakePack(server)
    with LiveAnalysis(pack) as analysis:  # type: ignore[arg-type]
        analysis.started(run.settings, run.preview)
        for registration in run.registrations[:3]:
            analysis.registered(registration)
        # No answer has been asked for and the run is not over: the pack already works.
        assert server.first_request.wait(timeout=30)
        for registration in run.registrations[3:]:
            analysis.registered(registration)
        findings = analysis.resource_findings(run)
    urns = [r.urn for r in run.registrations]
    assert findings == [(urn, urn) for urn in urns], "each answer with its own resource, in order"
    assert sorted(server.urns) == sorted(urns)
    assert pack.calls == ["connect", "configure", ("configure_stack", "staging", True)]


def test_nothing_reaches_the_pack_before_it_is_configured_for_the_stack(
    server: FakePackServer,
) -> None:
    run = unmodified_run("staging")
    pack = FakePack(server)
    with LiveAnalysis(pack) as analysis:  # type: ignore[arg-type]
        for registration in run.registrations[:5]:
            analysis.registered(registration)  # before `started`: no stack settings yet
        assert pack.configured.wait(timeout=30)  # the pack is ready, the stack is not told
        assert not server.first_request.wait(timeout=0.2)
        assert "configure_stack" not in str(pack.calls)
        analysis.started(run.settings, run.preview)
        for registration in run.registrations[5:]:
            analysis.registered(registration)
        assert len(analysis.resource_findings(run)) == len(run.registrations)


def test_the_check_gets_the_same_findings_live_as_after_the_run(policy_pack: Any) -> None:
    after = unmodified_run("beta")
    with Analysis(policy_pack) as analysis:
        expected = analysis.findings(after)
    with LiveAnalysis(policy_pack) as analysis:
        run = run_program("beta", echo_notes=False, observer=analysis)
        live = analysis.findings(run)
    # The SDK registers from a pool of threads, so two runs may register in another order.
    assert sort_findings(live) == sort_findings(expected)
    assert any(f.level == "advisory" for f in live)


def test_a_failed_request_is_a_pack_error_naming_it() -> None:
    run = unmodified_run("staging")
    server = FakePackServer(fail_on=run.registrations[4].urn)
    try:
        with LiveAnalysis(FakePack(server)) as analysis:  # type: ignore[arg-type]
            analysis.started(run.settings, run.preview)
            for registration in run.registrations:
                analysis.registered(registration)
            with pytest.raises(PackError, match="the pack fell over"):
                analysis.resource_findings(run)
    finally:
        server.stop()


def test_a_stream_process_that_died_is_a_pack_error_not_a_hang(server: FakePackServer) -> None:
    run = unmodified_run("staging")
    with LiveAnalysis(FakePack(server)) as analysis:  # type: ignore[arg-type]
        analysis.started(run.settings, run.preview)
        analysis.stream.kill()
        analysis.stream.wait()
        for registration in run.registrations:
            analysis.registered(registration)  # the program is never disturbed
        with pytest.raises(PackError, match=f"answered 0 of {len(run.registrations)}"):
            analysis.resource_findings(run)


def test_a_run_it_was_not_told_of_is_refused(server: FakePackServer) -> None:
    run = unmodified_run("staging")
    with LiveAnalysis(FakePack(server)) as analysis:  # type: ignore[arg-type]
        analysis.started(run.settings, run.preview)
        analysis.registered(run.registrations[0])
        with pytest.raises(PackError, match=f"1 resources were sent .* has {len(run.registrations)}"):
            analysis.resource_findings(run)


def test_a_run_that_failed_before_it_started_ends_the_stream_and_the_thread(
    server: FakePackServer,
) -> None:
    with LiveAnalysis(FakePack(server)) as analysis:  # type: ignore[arg-type]
        pass  # the stack file was refused: `started` never came
    assert not analysis._thread.is_alive() and analysis.stream.poll() is not None


def test_frames_round_trip_and_a_cut_frame_is_refused() -> None:
    stream = io.BytesIO()
    analyze_stream.write_frame(stream, analyze_stream.REQUEST, b"abc")
    analyze_stream.write_frame(stream, analyze_stream.END, b"")
    stream.seek(0)
    assert analyze_stream.read_frame(stream) == (b"R", b"abc")
    assert analyze_stream.read_frame(stream) == (b"E", b"")
    assert analyze_stream.read_frame(stream) is None
    with pytest.raises(EOFError, match="cut short"):
        analyze_stream.read_frame(io.BytesIO(stream.getvalue()[:6]))


def test_the_stream_refuses_an_input_without_its_end_or_the_port(server: FakePackServer) -> None:
    registration = unmodified_run("staging").registrations[1]
    request = analyze_request(registration).SerializeToString()
    for frames in ([(b"P", str(server.port).encode()), (b"R", request)],  # no end
                   [(b"R", request), (b"E", b"")],  # no port
                   [(b"Q", b"")]):  # an unknown kind
        stdin, stdout = io.BytesIO(), io.BytesIO()
        for kind, payload in frames:
            analyze_stream.write_frame(stdin, kind, payload)
        stdin.seek(0)
        assert analyze_stream.forward(stdin, stdout) == 1
        stdout.seek(0)
        kind, message = analyze_stream.read_frame(stdout) or (b"", b"")
        assert kind == b"X" and message


def test_the_stream_calls_the_method_the_sdks_analyzer_stub_calls() -> None:
    from pulumi.runtime.proto import analyzer_pb2_grpc

    class Channel:
        def __init__(self) -> None:
            self.methods: list[str] = []

        def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> None:
            self.methods.append(method)

        def __getattr__(self, name: str) -> Any:
            return lambda method, *args, **kwargs: self.methods.append(method)

    channel = Channel()
    analyzer_pb2_grpc.AnalyzerStub(channel)
    assert analyze_stream.ANALYZE_METHOD in channel.methods
