"""Trip, restore and status (breaker/actions.py) against moto's Application Auto Scaling, SSM
and SNS.

Each test runs the handler as Lambda would on three registered (mocked) ECS services, with only
the environment the function requires (`bare_estate`: the lock's name and timings are the
defaults), and checks the live min/max, the record and the alert topic afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from breaker import handler
from breaker.actions import PartialTripError
from breaker.clients import Aws
from tests.support.breaker_events import BUDGET, budget_event, invoke

# service -> (min, max, emergency ceiling), as bare_estate registers them
FLEET = {
    "web": (1, 50, 10),
    "voice": (1, 50, 10),
    "queue": (1, 20, 4),
}


@pytest.fixture
def estate(bare_estate):
    return bare_estate


# --- trip --------------------------------------------------------------------------------------


def test_budget_notification_lowers_each_max_to_its_ceiling_and_records_the_originals(estate):
    result = handler.handler(budget_event(), None)

    assert result["ok"] and result["tripped"]
    assert {name: estate.capacity(name) for name in FLEET} == {
        "web": (1, 10), "voice": (1, 10), "queue": (1, 4)
    }
    assert estate.recorded() == {
        "web": (50, 10, "applied"), "voice": (50, 10, "applied"), "queue": (20, 4, "applied")
    }
    record = estate.record()
    assert record["tripped"] is True
    assert BUDGET in record["reason"]
    subject, message = estate.notifications()[-1]
    assert subject.startswith("Cost breaker TRIPPED (test)")
    assert "web: max 50 -> 10" in message
    assert '{"action":"restore"}' in message


def test_repeated_trip_changes_nothing_and_keeps_the_original_maxima(estate):
    invoke("trip")
    first = estate.recorded()

    second = invoke("trip")

    assert second["changed"] == []
    assert estate.recorded() == first == {
        "web": (50, 10, "applied"), "voice": (50, 10, "applied"), "queue": (20, 4, "applied")
    }
    assert estate.capacity("web") == (1, 10)


def test_trip_after_a_max_was_raised_again_lowers_it_and_keeps_the_first_original(estate):
    invoke("trip")
    estate.set_capacity("web", 1, 20)  # someone raised it, above the ceiling, while tripped

    result = invoke("trip")

    assert [c["service"] for c in result["changed"]] == ["web"]
    assert estate.capacity("web") == (1, 10)
    assert estate.recorded()["web"] == (50, 10, "applied")


def test_target_already_below_its_ceiling_is_left_alone_and_not_recorded(estate):
    estate.set_capacity("queue", 1, 3)

    invoke("trip")

    assert estate.capacity("queue") == (1, 3)
    assert "queue" not in estate.recorded()
    assert set(estate.recorded()) == {"web", "voice"}


def test_target_whose_min_is_above_the_ceiling_is_lowered_only_to_its_min(estate):
    estate.set_capacity("voice", 12, 50)

    result = invoke("trip")

    assert estate.capacity("voice") == (12, 12)
    assert estate.recorded()["voice"] == (50, 12, "applied")
    assert any("min 12 is above the emergency ceiling 10" in m for m in result["messages"])


def test_trip_never_raises_a_max_or_changes_a_min(estate):
    estate.set_capacity("web", 2, 8)  # below its ceiling of 10 already
    estate.ceilings["voice"] = 0
    estate.configure()

    invoke("trip")

    assert estate.capacity("web") == (2, 8)
    assert estate.capacity("voice") == (1, 1)
    assert estate.capacity("queue") == (1, 4)


# --- an AWS error midway -------------------------------------------------------------------------


def fail_on_call(monkeypatch: pytest.MonkeyPatch, call_number: int, error: Exception) -> None:
    """Make the function's own RegisterScalableTarget fail on its `call_number`-th call."""
    calls = {"n": 0}

    class FailingAws(Aws):
        def __init__(self) -> None:
            super().__init__()

            def before_call(**_: Any) -> None:
                calls["n"] += 1
                if calls["n"] == call_number:
                    raise error

            self.scaling.meta.events.register(
                "before-call.application-autoscaling.RegisterScalableTarget", before_call
            )

    # The entry point makes the clients of each invocation.
    monkeypatch.setattr(handler, "Aws", FailingAws)


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ConcurrentUpdateException", "Message": "try again"}},
        "RegisterScalableTarget",
    )


def test_an_aws_error_on_the_second_target_leaves_a_record_of_exactly_what_changed(
    estate, monkeypatch
):
    fail_on_call(monkeypatch, 2, throttled())

    with pytest.raises(PartialTripError) as raised:
        invoke("trip")

    # web (1st) and queue (3rd) were lowered; voice (2nd) failed and kept its max.
    live = {name: estate.capacity(name)[1] for name in FLEET}
    assert live == {"web": 10, "voice": 50, "queue": 4}
    assert estate.recorded() == {
        "web": (50, 10, "applied"), "voice": (50, 10, "failed"), "queue": (20, 4, "applied")
    }
    # The record agrees with AWS: every "applied" entry is live, no "failed" one is.
    for change in estate.record()["changes"]:
        expected = change["newMax"] if change["status"] == "applied" else change["originalMax"]
        assert live[change["service"]] == expected, change
    assert [c["service"] for c in raised.value.result["failed"]] == ["voice"]
    assert "ConcurrentUpdateException" in estate.record()["changes"][1]["error"]
    assert "could not be lowered" in estate.notifications()[-1][0]


def test_a_retry_after_a_partial_trip_finishes_it(estate, monkeypatch):
    healthy = handler.Aws
    fail_on_call(monkeypatch, 2, throttled())
    with pytest.raises(PartialTripError):
        invoke("trip")
    monkeypatch.setattr(handler, "Aws", healthy)  # the retry meets a healthy API

    invoke("trip")

    assert {name: estate.capacity(name)[1] for name in FLEET} == {
        "web": 10, "voice": 10, "queue": 4
    }
    assert estate.recorded()["voice"] == (50, 10, "applied")


def test_a_crash_midway_leaves_pending_entries_that_restore_resolves_correctly(
    estate, monkeypatch
):
    # A crash (say, the Lambda timeout) gives the function no chance to write again.
    fail_on_call(monkeypatch, 2, SystemExit("killed"))
    with pytest.raises(SystemExit):
        invoke("trip")

    assert estate.recorded() == {
        "web": (50, 10, "pending"), "voice": (50, 10, "pending"), "queue": (20, 4, "pending")
    }
    assert estate.capacity("web")[1] == 10 and estate.capacity("voice")[1] == 50

    result = invoke("restore")

    assert {name: estate.capacity(name)[1] for name in FLEET} == {
        "web": 50, "voice": 50, "queue": 20
    }
    assert [c["service"] for c in result["restored"]] == ["web"]
    assert estate.record()["changes"] == []


# --- restore -------------------------------------------------------------------------------------


def test_restore_puts_back_every_original_max_and_clears_the_record(estate):
    invoke("trip")

    result = invoke("restore")

    assert {name: estate.capacity(name) for name in FLEET} == {
        "web": (1, 50), "voice": (1, 50), "queue": (1, 20)
    }
    assert sorted(c["service"] for c in result["restored"]) == ["queue", "voice", "web"]
    assert estate.record()["tripped"] is False and estate.record()["changes"] == []
    assert estate.notifications()[-1][0].startswith("Cost breaker restored")


def test_restore_twice_is_harmless(estate):
    invoke("trip")
    invoke("restore")

    second = invoke("restore")

    assert second["restored"] == [] and "nothing to restore" in second["messages"][0]
    assert estate.capacity("web") == (1, 50)


def test_restore_without_a_trip_is_a_no_op_with_a_clear_message(estate):
    result = invoke("restore")

    assert result["ok"] and result["restored"] == []
    assert result["messages"] == ["the breaker is not tripped: nothing to restore"]
    assert estate.capacity("web") == (1, 50)
    assert estate.notifications() == []


def test_restore_leaves_a_max_an_operator_changed_and_says_so(estate):
    invoke("trip")
    estate.set_capacity("web", 1, 15)

    result = invoke("restore")

    assert estate.capacity("web") == (1, 15)
    assert [c["service"] for c in result["left"]] == ["web"]
    assert any("web: max is 15, not the 10 the breaker set" in m for m in result["messages"])
    assert estate.capacity("voice") == (1, 50)
    assert estate.record()["changes"] == []


# --- status ----------------------------------------------------------------------------------------


def test_status_reports_the_record_and_live_capacities(estate):
    invoke("trip")

    result = invoke("status")

    assert result["tripped"] is True
    web = next(t for t in result["targets"] if t["service"] == "web")
    assert (web["min"], web["max"], web["ceiling"]) == (1, 10, 10)
    assert len(result["record"]["changes"]) == 3


# --- scheduled scaling -------------------------------------------------------------------------


def _suspended(estate, name: str) -> dict[str, bool]:
    from tests.support.breaker_events import DIMENSION, NAMESPACE, resource_id
    target = estate.scaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION, ResourceIds=[resource_id(name)],
    )["ScalableTargets"][0]
    return target.get("SuspendedState") or {}


def test_trip_suspends_scheduled_scaling_so_a_wake_cannot_raise_the_max_again(estate):
    result = invoke("trip")

    assert all(_suspended(estate, name).get("ScheduledScalingSuspended") is True
               for name in FLEET)
    # Only scheduled scaling: target tracking still scales within the lowered range.
    assert all(not _suspended(estate, name).get("DynamicScalingOutSuspended") for name in FLEET)
    assert estate.record()["schedulesSuspended"] == sorted(FLEET)
    assert "web: scheduled scaling suspended (no schedule can raise it)" in result["messages"]


def test_restore_resumes_the_scheduled_scaling_the_trip_suspended(estate):
    invoke("trip")

    result = invoke("restore")

    assert all(_suspended(estate, name).get("ScheduledScalingSuspended") is False
               for name in FLEET)
    assert "web: scheduled scaling resumed" in result["messages"]
    assert "schedulesSuspended" not in estate.record()


def test_a_trip_with_nothing_to_lower_still_suspends_the_schedules(estate):
    for name, (low, _high, ceiling) in FLEET.items():
        estate.set_capacity(name, low, ceiling)

    result = invoke("trip")

    assert result["tripped"] is True
    assert estate.record()["changes"] == []
    assert _suspended(estate, "voice").get("ScheduledScalingSuspended") is True
