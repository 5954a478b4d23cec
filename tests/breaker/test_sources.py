"""What trips the breaker, and what is refused (breaker/sources.py; issues 13, 17 and 22).

Only a budget notification for exactly the configured budget in the stack's account, or the
notification of a trip alarm with exactly a configured ARN and NewStateValue "ALARM", trips it,
and only when its own time is later than the last restore; the record says which one did.
Anything else on the breaker topic is refused with a result, never a traceback, and reported to
the alert topic so that a changed notification format, or a forged or replayed one, is not
silent.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from bench.hostile_input import (
    BreakerCase,
    breaker_account,
    budget_look_alike,
    foreign_alarm,
    replayed_event,
    run_breaker_case,
    untimed_event,
)
from breaker.handler import handler
from breaker.sources import EventRefused, budget_trigger, sns_trigger
from tests.support.breaker_events import (
    ACCOUNT,
    BUDGET,
    OTHER_ACCOUNT,
    PARAMETER,
    TRIP_ALARM,
    alarm_arn,
    alarm_event,
    alarm_message,
    alarm_time,
    budget_event,
    budget_message,
    invoke,
    sns_event,
    sns_time,
    stamp,
)

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


# --- exact sources: the budget's exact name and the stack's account (issue 22) ----------------


@pytest.mark.parametrize("name", [
    f"{BUDGET}-dev", f"old-{BUDGET}", f"{BUDGET}2", BUDGET.upper(), BUDGET[:-1],
    f"{BUDGET} copy", f"z360-{BUDGET}",
])
def test_a_budget_whose_name_contains_or_resembles_the_configured_one_is_refused(estate, name):
    result = handler(budget_event(name), None)

    assert result["ok"] is False and f"not for the budget {BUDGET!r}" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert "ignored a message" in estate.notifications()[-1][0]


def test_a_notification_for_the_same_budget_name_in_another_account_is_refused(estate):
    result = handler(budget_event(account=OTHER_ACCOUNT), None)

    assert result["ok"] is False
    assert f"not from this stack's account {ACCOUNT}: it names '{OTHER_ACCOUNT}'" in \
        result["error"]
    assert estate.maxima() == UNTOUCHED


@pytest.mark.parametrize("message, problem", [
    (budget_message().replace(f"AWS Account {ACCOUNT}\n", ""), "it names 0 accounts"),
    (budget_message() + f"\nAWS Account {OTHER_ACCOUNT}", "it names 2 accounts"),
    (budget_message().replace(f"Budget Name: {BUDGET}", ""), "0 'Budget Name:' lines"),
    (budget_message() + "\nBudget Name: someone-elses-budget", "2 'Budget Name:' lines"),
])
def test_a_budget_notification_that_does_not_name_one_account_and_one_budget_is_refused(
    estate, message, problem
):
    result = handler(budget_event(message=message), None)

    assert result["ok"] is False and problem in result["error"]
    assert estate.maxima() == UNTOUCHED


@pytest.mark.parametrize("unset", ["BREAKER_BUDGET_NAME", "BREAKER_ACCOUNT_ID"])
def test_without_a_trusted_budget_or_account_no_budget_notification_trips(
    estate, monkeypatch, unset
):
    monkeypatch.delenv(unset)

    result = handler(budget_event(), None)

    assert result["ok"] is False and f"({unset} is not set)" in result["error"]
    assert estate.maxima() == UNTOUCHED


# --- exact sources: the trip alarm's ARN, account and region (issue 22) -----------------------


@pytest.mark.parametrize("fields, problem", [
    ({"account": OTHER_ACCOUNT}, f"it is in account {OTHER_ACCOUNT}, not this stack's {ACCOUNT}"),
    ({"arn": alarm_arn(region="eu-west-1")}, "it is in region eu-west-1, not us-east-1"),
    ({"arn": alarm_arn().replace("arn:aws:", "arn:aws-cn:")}, "no trip alarm has that ARN"),
    ({"drop": ("AlarmArn",)}, "carries no AlarmArn"),
    ({"arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm"}, "is not a CloudWatch alarm ARN"),
    ({"arn": alarm_arn("z360-test-web-cpu-high")}, "names another alarm"),
    ({"arn": alarm_arn(account=OTHER_ACCOUNT)}, "is not the account of its AlarmArn"),
])
def test_a_trip_alarm_name_from_another_account_or_region_or_without_its_arn_is_refused(
    estate, fields, problem
):
    result = handler(alarm_event(**fields), None)

    assert result["ok"] is False and problem in result["error"], result
    assert estate.maxima() == UNTOUCHED
    assert "ignored a message" in estate.notifications()[-1][0]


def test_the_region_display_name_is_not_what_is_trusted(estate):
    message = alarm_message()
    message["Region"] = "EU - Ireland"  # a display name; the ARN says us-east-1
    result = handler(sns_event(json.dumps(message), subject="ALARM"), None)

    assert result["ok"] and estate.maxima() == TRIPPED


def test_without_a_trusted_account_no_alarm_trips(estate, monkeypatch):
    monkeypatch.delenv("BREAKER_ACCOUNT_ID")

    result = handler(alarm_event(), None)

    assert result["ok"] is False and "(BREAKER_ACCOUNT_ID is not set)" in result["error"]
    assert estate.maxima() == UNTOUCHED


# --- the event's own time: missing, garbled, or not after the last restore (issue 22) ---------


@pytest.mark.parametrize("make", [
    lambda: budget_event(timestamp=""),
    lambda: budget_event(timestamp="yesterday"),
    lambda: budget_event(timestamp="2026-03-03T17:43:27.123"),  # no offset: zone unknown
    lambda: budget_event(timestamp=sns_time(stamp(offset=timedelta(hours=1)))),
    lambda: alarm_event(drop=("StateChangeTime",)),
    lambda: alarm_event(changed=1772559807),
    lambda: alarm_event(changed="2026-02-30T17:43:27.123+0000"),
    lambda: alarm_event(changed=alarm_time(stamp(offset=timedelta(days=365)))),
], ids=["budget-empty", "budget-words", "budget-naive", "budget-future", "alarm-missing",
        "alarm-number", "alarm-no-such-day", "alarm-next-year"])
def test_a_notification_without_a_readable_time_of_its_own_is_refused_and_says_why(
    estate, make
):
    result = handler(make(), None)

    assert result["ok"] is False, result
    assert "no readable" in result["error"] or "in the future" in result["error"]
    assert estate.maxima() == UNTOUCHED
    assert "cannot be told apart from a replay" in estate.notifications()[-1][1]


def test_without_a_timestamp_at_all_a_budget_notification_is_refused(estate):
    event = budget_event()
    del event["Records"][0]["Sns"]["Timestamp"]

    result = handler(event, None)

    assert result["ok"] is False and "no readable Timestamp (None)" in result["error"]


@pytest.mark.parametrize("replay", [alarm_event, budget_event], ids=["alarm", "budget"])
def test_a_notification_replayed_after_a_restore_does_not_lower_the_maxima_again(
    estate, replay
):
    first = replay()
    assert handler(first, None)["tripped"] and estate.maxima() == TRIPPED
    assert invoke("restore")["ok"] and estate.maxima() == UNTOUCHED

    result = handler(first, None)  # SNS redelivers it, or Lambda retries it

    assert result["ok"] is False and "is not newer than the last restore" in result["error"]
    assert estate.maxima() == UNTOUCHED
    subject, body = estate.notifications()[-1]
    assert "ignored a message" in subject and "delivered again" in body


def test_a_notification_sent_after_the_restore_trips_again(estate):
    handler(alarm_event(), None)
    invoke("restore")

    later = alarm_event(changed=alarm_time(stamp(offset=timedelta(seconds=1))))

    assert handler(later, None)["tripped"] and estate.maxima() == TRIPPED


def test_a_notification_stamped_at_the_restore_itself_is_a_replay(estate):
    handler(alarm_event(), None)
    invoke("restore")
    restored = estate.record()["lastRestoredAt"]

    result = handler(alarm_event(changed=restored), None)

    assert result["ok"] is False and estate.maxima() == UNTOUCHED


def test_a_trip_by_hand_after_a_restore_is_never_refused_as_a_replay(estate):
    handler(alarm_event(), None)
    invoke("restore")

    assert invoke("trip")["tripped"] and estate.maxima() == TRIPPED


def test_an_unreadable_restore_time_in_the_record_lets_the_trip_through_and_says_so(estate):
    estate.ssm.put_parameter(Name=PARAMETER, Type="String", Overwrite=True, Value=json.dumps(
        {"tripped": False, "changes": [], "lastRestoredAt": "after lunch"}))

    result = handler(alarm_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED
    assert any("lastRestoredAt 'after lunch' is unreadable" in m for m in result["messages"])


# --- the generators (bench/hostile_input.py runs them at scale and prints the classes) --------

FUZZ = settings(max_examples=10, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("family", [budget_look_alike, foreign_alarm, untimed_event,
                                    replayed_event])
def test_every_generated_look_alike_foreign_untimed_or_replayed_notification_is_refused(family):
    with breaker_account() as account:

        @FUZZ
        @given(family())
        def refused(case: BreakerCase) -> None:
            assert run_breaker_case(case, account) == "refused clearly", case

        refused()


# --- the parsers on their own ----------------------------------------------------------------


def test_a_budget_trigger_names_the_budget_and_carries_its_time(monkeypatch):
    monkeypatch.setenv("BREAKER_BUDGET_NAME", BUDGET)
    monkeypatch.setenv("BREAKER_ACCOUNT_ID", ACCOUNT)
    sns = budget_event(timestamp="2026-03-03T17:43:27.123Z")["Records"][0]["Sns"]

    trigger = budget_trigger(sns)

    assert trigger is not None
    assert (trigger["source"], trigger["name"]) == ("budget", BUDGET)
    assert (trigger["at"], trigger["clock"]) == ("2026-03-03T17:43:27.123+00:00", "Timestamp")
    assert trigger["reason"].startswith(f"AWS Budgets: {BUDGET} has exceeded")
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
