"""Bounded load runs against a local HTTP server on 127.0.0.1 (never anywhere else)."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from z360_ecs.cli import main
from z360_ecs.live.load import (
    MAX_CONCURRENCY,
    MAX_REQUESTS,
    PRESETS,
    PlanError,
    Progress,
    make_plan,
    run_async,
    run_load,
)


class _Server(ThreadingHTTPServer):
    # Handler threads are joined when the server closes (block_on_close), after `released`
    # lets the slow ones go: none is left to write into a later test's output.
    daemon_threads = False
    # socketserver's listen backlog is 5: a sixth connection made at once waits for the
    # kernel's SYN retransmission, a second later. The loads here open up to 20 at once.
    request_queue_size = 64
    in_flight = 0
    peak_in_flight = 0
    hits = 0
    lock = threading.Lock()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.released = threading.Event()

    def handle_error(self, request, client_address) -> None:
        # The load runs under test give up on slow responses on purpose (timeouts, the time
        # limit): the handler then writes to a closed connection.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's method name
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.hits += 1
            hit = server.hits
            server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
        try:
            if self.path == "/slow":
                server.released.wait(1.0)  # a second, or until the test is over
            elif self.path == "/stall" and hit > 2:
                server.released.wait(30)  # the first two answer; the rest, when the test is over
            elif self.path == "/busy":
                time.sleep(0.02)  # long enough for requests to overlap
            if self.path == "/mixed" and hit % 4 == 0:
                status = 500
            elif self.path == "/redirect":
                status = 302
            elif self.path == "/missing":
                status = 404
            else:
                status = 200
            body = b"ok"
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with server.lock:
                server.in_flight -= 1


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    # shutdown() waits for the serving loop's next poll: a short one ends each test sooner.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.released.set()
    httpd.shutdown()
    httpd.server_close()


def _url(server: _Server, path: str) -> str:
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    return f"http://127.0.0.1:{port}{path}"


def test_two_hundred_requests_at_twenty_all_succeed_and_concurrency_is_bounded(server):
    plan = make_plan(_url(server, "/busy"), 200, 20, 5, 60)
    result = run_async(run_load(plan))
    summary = result.summary()
    assert summary["completed"] == 200 and summary["succeeded"] == 200
    assert summary["failed"] == 0 and summary["statusCounts"] == {"200": 200}
    assert server.hits == 200
    assert 1 < server.peak_in_flight <= 20
    latency = summary["latencyMs"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert summary["requestsPerSecond"] == pytest.approx(200 / summary["durationSeconds"],
                                                         rel=0.01)


def test_server_errors_and_client_errors_are_counted_as_failures_by_status(server):
    result = run_async(run_load(make_plan(_url(server, "/mixed"), 100, 10, 5, 60)))
    assert result.failures == {"HTTP 500": 25}
    assert result.succeeded == 75
    missing = run_async(run_load(make_plan(_url(server, "/missing"), 3, 1, 5, 60)))
    assert missing.failures == {"HTTP 404": 3}


def test_a_redirect_is_a_success_and_is_not_followed(server):
    result = run_async(run_load(make_plan(_url(server, "/redirect"), 5, 1, 5, 60)))
    assert result.statuses == {302: 5} and result.failures == {}
    assert server.hits == 5


def test_slow_responses_past_the_timeout_are_timeouts(server):
    result = run_async(run_load(make_plan(_url(server, "/slow"), 4, 4, 0.2, 60)))
    assert result.failures == {"timeout": 4}
    assert max(result.latencies_s) < 0.9


def test_refused_connections_are_connection_errors():
    # Port 9 on loopback (discard) is closed on any sane test machine.
    result = run_async(run_load(make_plan("http://127.0.0.1:9/", 2, 1, 1, 10)))
    assert result.failures == {"connection error": 2}


def test_the_time_limit_stops_the_run_and_reports_partial_results(server):
    # Two responses come at once, the rest never before the limit.
    plan = make_plan(_url(server, "/stall"), 100, 2, 5, 0.5)
    began = time.monotonic()
    result = run_async(run_load(plan))
    assert time.monotonic() - began < 4
    assert result.stopped_at_time_limit
    assert 0 < result.completed < 100
    assert result.summary()["stoppedAtTimeLimit"] is True


def test_progress_without_a_terminal_prints_sparse_lines(server):
    stream = io.StringIO()
    run_async(run_load(make_plan(_url(server, "/"), 50, 5, 5, 60), Progress(50, stream)))
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("progress: 50/50 (100%)")
    assert 2 <= len(lines) <= 12


@pytest.mark.parametrize("kwargs, message", [
    (dict(requests=None), "unbounded runs are refused"),
    (dict(requests=MAX_REQUESTS + 1), "--requests"),
    (dict(requests=10, concurrency=MAX_CONCURRENCY + 1), "--concurrency"),
    (dict(requests=10, max_duration=0), "--max-duration"),
    (dict(requests=10, timeout=-1), "--timeout"),
    (dict(requests=10, url="ftp://127.0.0.1/"), "not an http"),
])
def test_plans_that_are_unbounded_or_out_of_range_are_refused(kwargs, message):
    settings = dict(url="http://127.0.0.1:1/", requests=10, concurrency=1, timeout_s=None,
                    max_duration_s=None)
    renamed = {"timeout": "timeout_s", "max_duration": "max_duration_s"}
    settings.update({renamed.get(k, k): v for k, v in kwargs.items()})
    with pytest.raises(PlanError, match=message):
        make_plan(**settings)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_reproduce_the_logged_tests_and_flags_override_them(preset):
    plan = make_plan("http://127.0.0.1:1/", None, None, None, None, preset)
    assert (plan.requests, plan.concurrency) == PRESETS[preset]
    override = make_plan("http://127.0.0.1:1/", 7, None, None, None, preset)
    assert override.requests == 7


def test_cli_json_and_exit_codes(server, capsys):
    assert main(["loadtest", _url(server, "/"), "--requests", "30", "--concurrency", "5",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["completed"] == 30 and document["failed"] == 0
    assert main(["loadtest", _url(server, "/mixed"), "--requests", "8"]) == 1
    out = capsys.readouterr().out
    assert "HTTP 500: 2" in out and "FAILED" in out
    assert main(["loadtest", _url(server, "/")]) == 2
    assert "unbounded runs are refused" in capsys.readouterr().err
