"""What trips the breaker, and what is refused (breaker/sources.py; issues 13 and 17).

Only a budget notification for the configured budget, or a configured trip alarm's
notification with NewStateValue "ALARM", trips it; the record says which one did. Anything else
on the breaker topic is refused with a result, never a traceback, and reported to the alert
topic so that a changed notification format is not silent.
"""

from __future__ import annotations

import pytest

from breaker.handler import handler
from breaker.sources import EventRefused, budget_trigger, sns_trigger
from tests.support.breaker_events import BUDGET, TRIP_ALARM, alarm_event, budget_event, sns_event

UNTOUCHED = {"web": 50, "voice": 50, "queue": 20}
TRIPPED = {"web": 10, "voice": 10, "queue": 4}


def test_a_budget_notification_trips_and_the_record_names_the_budget(estate):
    result = handler(budget_event(), None)

    assert result["ok"] and result["trigger"] == {"source": "budget", "name": BUDGET}
    assert estate.maxima() == TRIPPED
    assert estate.record()["trippedBy"]["source"] == "budget"
    assert estate.record()["trippedBy"]["name"] == BUDGET


def test_a_trip_alarm_in_alarm_trips_and_the_record_names_the_alarm(estate):
    result = handler(alarm_event(), None)

    assert result["ok"] and result["trigger"] == {"source": "alarm", "name": TRIP_ALARM}
    assert estate.maxima() == TRIPPED
    record = estate.record()
    assert record["trippedBy"]["source"] == "alarm" and record["trippedBy"]["name"] == TRIP_ALARM
    assert "Tripped by: alarm (z360-test-burn-rate-trip)" in estate.notifications()[-1][1]


def test_the_first_trigger_stays_in_the_record_and_the_latest_is_kept_beside_it(estate):
    handler(alarm_event(), None)
    estate.set_capacity("web", 1, 30)  # raised by hand while tripped
    handler(budget_event(), None)

    record = estate.record()
    assert record["trippedBy"]["source"] == "alarm"
    assert record["lastTrigger"]["source"] == "budget"


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_a_trip_alarm_leaving_alarm_does_not_trip(estate, state):
    result = handler(alarm_event(state=state), None)

    assert result["ok"] is False and f"went to {state}, not ALARM" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert estate.notifications() == []  # expected noise: nobody is paged for it


def test_an_alarm_that_is_not_a_trip_alarm_is_refused_and_reported(estate):
    result = handler(alarm_event(name="z360-test-web-cpu-high"), None)

    assert result["ok"] is False and "not a trip alarm" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert "ignored a message" in estate.notifications()[-1][0]


def test_a_notification_for_another_budget_is_refused(estate):
    result = handler(budget_event("someone-elses-budget"), None)

    assert result["ok"] is False and "not for the budget" in result["error"]
    assert estate.maxima() == UNTOUCHED


@pytest.mark.parametrize("message, subject", [
    ("hello", "hello"),
    ("Budget Name: z360-test-monthly", "Not a budget"),  # the old code tripped on any body
    ('{"AlarmName": 5, "NewStateValue": "ALARM"}', "ALARM"),
    ("{}", None),
    ("", None),
])
def test_any_other_sns_message_is_refused_and_reported(estate, message, subject):
    result = handler(sns_event(message, subject=subject), None)

    assert result["ok"] is False and result["error"].startswith("not tripped:")
    assert estate.maxima() == UNTOUCHED
    subject_sent, body = estate.notifications()[-1]
    assert "ignored a message" in subject_sent and "trip by hand" in body


def test_a_message_from_another_topic_is_refused(estate):
    event = budget_event()
    event["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:other"

    result = handler(event, None)

    assert result["ok"] is False and "not arn:aws:sns" in result["error"]
    assert estate.maxima() == UNTOUCHED


# --- the parsers on their own ----------------------------------------------------------------


def test_without_a_configured_budget_the_name_is_read_from_the_notification(monkeypatch):
    monkeypatch.delenv("BREAKER_BUDGET_NAME", raising=False)
    sns = budget_event("someone-elses-budget")["Records"][0]["Sns"]

    trigger = budget_trigger(sns)

    assert trigger is not None
    assert (trigger["source"], trigger["name"]) == ("budget", "someone-elses-budget")
    assert trigger["reason"].startswith("AWS Budgets: someone-elses-budget has exceeded")
    assert "\n" not in trigger["reason"]


def test_a_message_that_only_names_a_budget_in_its_body_is_not_a_budget_notification(
    monkeypatch,
):
    monkeypatch.setenv("BREAKER_BUDGET_NAME", BUDGET)
    sns = sns_event(f"Budget Name: {BUDGET}", subject="Not a budget")["Records"][0]["Sns"]

    assert budget_trigger(sns) is None


def test_sns_delivers_one_record_per_message_and_two_are_refused(monkeypatch):
    monkeypatch.delenv("BREAKER_TOPIC_ARN", raising=False)
    event = budget_event()
    event["Records"].append(event["Records"][0])

    with pytest.raises(EventRefused, match="expected one SNS record, got 2"):
        sns_trigger(event)
