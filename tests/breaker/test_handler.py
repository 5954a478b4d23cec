"""The entry point (breaker/handler.py): which event does what, and what it answers.

Every event gets a result, never a traceback, except where raising is the point: an SNS-driven
(asynchronous) trip that cannot take the lock raises so that Lambda retries it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import breaker.lock
from breaker.handler import handler
from breaker.lock import BreakerBusyError
from tests.support.breaker_events import BUDGET, LOCK, budget_event, invoke

UNTOUCHED = {"web": 50, "voice": 50, "queue": 20}


def test_unknown_action_is_refused_without_touching_anything(estate):
    result = handler({"action": "explode"}, None)

    assert result["ok"] is False and "trip" in result["error"]
    assert estate.maxima() == UNTOUCHED


def _malformed() -> list[Any]:
    good = budget_event()
    no_sns = json.loads(json.dumps(good))
    del no_sns["Records"][0]["Sns"]
    sns_not_a_dict = json.loads(json.dumps(good))
    sns_not_a_dict["Records"][0]["Sns"] = "text"
    message_not_text = json.loads(json.dumps(good))
    message_not_text["Records"][0]["Sns"]["Message"] = {"Budget Name": BUDGET}
    two = json.loads(json.dumps(good))
    two["Records"].append(two["Records"][0])
    return [
        {"Records": []}, {"Records": "x"}, {"Records": [None]}, {"Records": ["x"]},
        {"Records": [{"EventSource": "aws:sqs"}]}, no_sns, sns_not_a_dict, message_not_text, two,
        None, [], "trip", 42, {"action": None}, {"action": ["trip"]},
    ]


@pytest.mark.parametrize("event", _malformed())
def test_malformed_events_get_a_clear_result_never_a_traceback(estate, event):
    result = handler(event, None)

    assert result["ok"] is False and isinstance(result["error"], str) and result["error"]
    assert estate.maxima() == UNTOUCHED


def test_a_manual_trip_records_its_reason_on_one_line(estate):
    result = handler({"action": "trip", "reason": "flood on web\n  seen by on-call"}, None)

    assert result["ok"] and result["trigger"] == {"source": "manual", "name": "by hand"}
    assert estate.record()["reason"] == "flood on web seen by on-call"


def test_a_manual_trip_without_a_reason_says_by_hand(estate):
    invoke("trip")

    assert estate.record()["reason"] == "tripped by hand"


class _Clock:
    """breaker.lock's clock: a sleep passes at once and moves its clocks on by as much."""

    def __init__(self) -> None:
        self.slept = 0.0

    def time(self) -> float:
        return time.time() + self.slept

    def monotonic(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += seconds


def test_a_held_lock_makes_a_manual_action_say_busy_and_an_sns_trip_raise(estate, monkeypatch):
    monkeypatch.setenv("BREAKER_LOCK_WAIT_SECONDS", "0.1")
    clock = _Clock()  # each invocation polls, waits its 0.1 s, polls again and gives up
    monkeypatch.setattr(breaker.lock, "time", clock)
    estate.ssm.put_parameter(Name=LOCK, Type="String", Overwrite=True, Value=json.dumps(
        {"owner": "someone-else", "expiresAt": time.time() + 120}))

    result = invoke("restore")
    assert result["ok"] is False and result["error"].startswith("busy:")
    # Raised, so Lambda retries the asynchronous invocation, then sends it to the alert topic.
    with pytest.raises(BreakerBusyError):
        handler(budget_event(), None)
    assert estate.maxima() == UNTOUCHED
    assert clock.slept == 2 * breaker.lock.LOCK_POLL_SECONDS, "both waited before giving up"
