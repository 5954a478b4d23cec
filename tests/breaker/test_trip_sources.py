"""What trips the breaker, and what is refused (issues 13 and 17).

Only a budget notification for the configured budget, or a configured trip alarm's
notification with NewStateValue "ALARM", trips it; the record says which one did. Anything else
on the breaker topic is refused with a result, never a traceback, and reported to the alert
topic so that a changed notification format is not silent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from breaker import handler as breaker
from tests.support.breaker_events import BUDGET, TRIP_ALARM, alarm_event, budget_event, sns_event

UNTOUCHED = {"web": 50, "voice": 50, "queue": 20}
TRIPPED = {"web": 10, "voice": 10, "queue": 4}


def test_a_budget_notification_trips_and_the_record_names_the_budget(estate):
    result = breaker.handler(budget_event(), None)

    assert result["ok"] and result["trigger"] == {"source": "budget", "name": BUDGET}
    assert estate.maxima() == TRIPPED
    assert estate.record()["trippedBy"]["source"] == "budget"
    assert estate.record()["trippedBy"]["name"] == BUDGET


def test_a_trip_alarm_in_alarm_trips_and_the_record_names_the_alarm(estate):
    result = breaker.handler(alarm_event(), None)

    assert result["ok"] and result["trigger"] == {"source": "alarm", "name": TRIP_ALARM}
    assert estate.maxima() == TRIPPED
    record = estate.record()
    assert record["trippedBy"]["source"] == "alarm" and record["trippedBy"]["name"] == TRIP_ALARM
    assert "Tripped by: alarm (z360-test-burn-rate-trip)" in estate.notifications()[-1][1]


def test_the_first_trigger_stays_in_the_record_and_the_latest_is_kept_beside_it(estate):
    breaker.handler(alarm_event(), None)
    estate.set_capacity("web", 1, 30)  # raised by hand while tripped
    breaker.handler(budget_event(), None)

    record = estate.record()
    assert record["trippedBy"]["source"] == "alarm"
    assert record["lastTrigger"]["source"] == "budget"


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_a_trip_alarm_leaving_alarm_does_not_trip(estate, state):
    result = breaker.handler(alarm_event(state=state), None)

    assert result["ok"] is False and f"went to {state}, not ALARM" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert estate.notifications() == []  # expected noise: nobody is paged for it


def test_an_alarm_that_is_not_a_trip_alarm_is_refused_and_reported(estate):
    result = breaker.handler(alarm_event(name="z360-test-web-cpu-high"), None)

    assert result["ok"] is False and "not a trip alarm" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert "ignored a message" in estate.notifications()[-1][0]


def test_a_notification_for_another_budget_is_refused(estate):
    result = breaker.handler(budget_event("someone-elses-budget"), None)

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
    result = breaker.handler(sns_event(message, subject=subject), None)

    assert result["ok"] is False and result["error"].startswith("not tripped:")
    assert estate.maxima() == UNTOUCHED
    subject_sent, body = estate.notifications()[-1]
    assert "ignored a message" in subject_sent and "trip by hand" in body


def test_a_message_from_another_topic_is_refused(estate):
    event = budget_event()
    event["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:other"

    result = breaker.handler(event, None)

    assert result["ok"] is False and "not arn:aws:sns" in result["error"]
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
    result = breaker.handler(event, None)

    assert result["ok"] is False and isinstance(result["error"], str) and result["error"]
    assert estate.maxima() == UNTOUCHED


# --- the record: missing, or partly unreadable -----------------------------------------------


def test_a_missing_record_means_nothing_is_tripped(estate):
    estate.ssm.delete_parameter(Name="/z360/test/cost-breaker/state")

    assert breaker.handler({"action": "status"}, None)["tripped"] is False
    restored = breaker.handler({"action": "restore"}, None)
    assert restored["ok"] and restored["restored"] == []
    tripped = breaker.handler(budget_event(), None)
    assert tripped["ok"] and estate.maxima() == TRIPPED
    assert estate.originals() == UNTOUCHED


def _corrupt(estate, *bad_entries: Any) -> None:
    good = {"service": "web", "resourceId": json.loads(
        __import__("os").environ["BREAKER_TARGETS"])[0]["resourceId"],
        "originalMax": 50, "newMax": 10, "status": "applied"}
    estate.set_capacity("web", 1, 10)
    estate.ssm.put_parameter(
        Name="/z360/test/cost-breaker/state", Type="String", Overwrite=True,
        Value=json.dumps({"tripped": True, "changes": [*bad_entries, good]}))


BAD_ENTRIES = [
    {"service": "voice"},  # the old code: KeyError 'resourceId'
    {"service": "queue", "resourceId": "service/x/queue", "originalMax": "20", "newMax": 4},
    "garbage",
    None,
]


def test_a_trip_keeps_going_with_a_corrupt_entry_in_the_record_and_reports_it(estate):
    _corrupt(estate, *BAD_ENTRIES)

    result = breaker.handler(budget_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED
    assert estate.originals() == UNTOUCHED  # web kept its recorded original 50
    record = estate.record()
    assert len(record["unreadable"]) == len(BAD_ENTRIES)
    assert any("unreadable record entry" in m for m in result["messages"])
    assert "unreadable record entry" in estate.notifications()[-1][1]


def test_a_restore_puts_back_the_readable_entries_and_keeps_the_corrupt_ones(estate):
    _corrupt(estate, *BAD_ENTRIES)

    result = breaker.handler({"action": "restore"}, None)

    assert result["ok"] and [c["service"] for c in result["restored"]] == ["web"]
    assert estate.max("web") == 50
    record = estate.record()
    assert record["changes"] == [] and len(record["unreadable"]) == len(BAD_ENTRIES)
    assert sum("unreadable record entry" in m for m in result["messages"]) == len(BAD_ENTRIES)


def test_a_record_that_is_not_json_does_not_stop_a_trip(estate):
    estate.ssm.put_parameter(Name="/z360/test/cost-breaker/state", Type="String",
                             Overwrite=True, Value="{not json")

    result = breaker.handler(budget_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED
    assert estate.record()["unreadable"] == ["{not json"]


# --- the SNS subject -------------------------------------------------------------------------


def test_every_subject_sent_is_printable_ascii_under_100_characters(estate, monkeypatch):
    # SNS Publish: Subject "must be less than 100 characters long", no line breaks or control
    # characters (Amazon SNS API Reference, Publish). The old limit let exactly 100 through.
    monkeypatch.setenv("BREAKER_ENVIRONMENT", "beta\n" + "é" * 40 + "x" * 100)
    breaker.handler(budget_event(), None)
    breaker.handler({"action": "restore"}, None)

    subjects = [subject for subject, _ in estate.notifications()]
    assert len(subjects) == 2
    for subject in subjects:
        assert len(subject) < 100, subject
        assert all(" " <= ch <= "~" for ch in subject), subject


def test_a_subject_of_exactly_100_characters_is_cut_to_99():
    assert len(breaker.sns_subject("x" * 100)) == 99
    assert breaker.sns_subject("a\nb\tc") == "a b c"
