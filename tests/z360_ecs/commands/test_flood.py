"""`z360-ecs flood`: both cases printed, throughput from a loadtest result, bad input refused."""

from __future__ import annotations

import json

import pytest

from z360_ecs.cli import main


def test_flood_command_prints_both_cases(capsys):
    assert main(["flood", "beta", "web", "--rate", "1000", "--sources", "10"]) == 0
    out = capsys.readouterr().out
    assert "rate limit 3,000/300 s, sources paced at it" in out
    assert "tasks reached, peak / settled (max 50)" in out


def test_flood_command_reads_throughput_from_a_loadtest_result(tmp_path, capsys):
    result = tmp_path / "web.json"
    result.write_text(json.dumps({"requestsPerSecond": 22.12, "concurrency": 20}))
    assert main(["flood", "beta", "web", "--rate", "1000", "--sources", "10",
                 "--loadtest", str(result), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["taskRequestsPerSecond"] == 22.12
    assert document["withRateLimit"]["admittedRequestsPerSecond"] == 100


def test_flood_command_refuses_a_service_without_throughput(capsys):
    assert main(["flood", "beta", "queue", "--rate", "10", "--sources", "1"]) == 2
    assert "services.queue.waf.taskRequestsPerSecond is unset" in capsys.readouterr().err


@pytest.mark.parametrize("content, words", [
    (json.dumps({"completed": 3}).encode(), "no requestsPerSecond above 0"),
    (b'{"requestsPerSecond": Infinity}', "Infinity is not a finite number"),
    (b'{"requestsPerSecond": NaN}', "NaN is not a finite number"),
    (b'{"requestsPerSecond": 1e308}', "at most 1,000,000"),
    (b'{"requestsPerSecond": true}', "no requestsPerSecond above 0"),
    (b'{"requestsPerSecond": 5, "requestsPerSecond": 6}', "appears twice"),
    (b'{"requestsPerSecond": 5, "note": "\xff"}', "not UTF-8"),
    (b"not json", "no requestsPerSecond above 0"),
])
def test_flood_command_refuses_a_bad_loadtest_file(tmp_path, capsys, content, words):
    """A loadtest result is read by the rules of config text (stack_model/config/source.py)."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    assert main(["flood", "beta", "web", "--rate", "10", "--sources", "1",
                 "--loadtest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err
