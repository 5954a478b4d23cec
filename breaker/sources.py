"""Which events may trip the breaker: an AWS Budgets notification for the configured budget, a
configured trip alarm going into ALARM (both delivered by SNS), or an operator by hand.

Each source becomes a trigger {"source", "name", "reason"}; anything else on the breaker's
topic is refused with EventRefused saying why (the entry point reports it to the alert topic).
"""

from __future__ import annotations

import json
import os
from typing import Any

from breaker.contract import BUDGET_NAME_ENV, TOPIC_ARN_ENV, TRIP_ALARMS_ENV, read_trip_alarms


class EventRefused(Exception):
    """An event that is not a trip source; the message says why."""


def one_line(text: str, limit: int) -> str:
    """`text` on one line (runs of whitespace made one space), cut to `limit`."""
    return " ".join(text.split())[:limit]


def manual_trigger(reason: str) -> dict[str, Any]:
    return {"source": "manual", "name": "by hand", "reason": reason}


def public_trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    """What results and the record say about a trigger: its source and name."""
    return {"source": trigger["source"], "name": trigger["name"]}


def budget_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` is an AWS Budgets notification for the configured budget.

    Budgets sends its SNS notification with a Subject starting "AWS Budgets:" and a body that
    names the budget ("Budget Name: <name>"); both are checked, and the configured budget's
    name (BREAKER_BUDGET_NAME) must appear. The exact text is not in any AWS API model, so the
    test is deliberately narrow, and anything else is refused and reported.
    """
    subject, message = sns.get("Subject"), sns.get("Message")
    if not isinstance(subject, str) or not subject.startswith("AWS Budgets"):
        return None
    if not isinstance(message, str):
        return None
    expected = os.environ.get(BUDGET_NAME_ENV, "")
    if expected:
        if expected not in subject and f"Budget Name: {expected}" not in message:
            raise EventRefused(
                f"a budget notification, but not for the budget {expected!r}: {subject[:120]!r}")
        name = expected
    else:
        marker = message.find("Budget Name:")
        if marker < 0:
            return None
        name = message[marker + len("Budget Name:"):].strip().splitlines()[0].strip()[:120]
    body = one_line(message, 200)
    return {"source": "budget", "name": name,
            "reason": f"{one_line(subject, 100)}: {body}" if body else one_line(subject, 100)}


def alarm_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` carries a configured trip alarm going into ALARM.

    A CloudWatch alarm action on an SNS topic publishes a JSON message with AlarmName,
    NewStateValue (OK | ALARM | INSUFFICIENT_DATA), OldStateValue, NewStateReason,
    StateChangeTime, AlarmArn, Trigger, ... (the sample in aws/aws-lambda-go
    events/testdata/cloudwatch-alarm-sns-payload-single-metric.json; states as in CloudWatch's
    SetAlarmState API). Only NewStateValue "ALARM" of an alarm named in BREAKER_TRIP_ALARMS
    trips; the OK that follows is acknowledged and ignored.
    """
    message = sns.get("Message")
    if not isinstance(message, str):
        return None
    try:
        alarm = json.loads(message)
    except ValueError:
        return None
    if not isinstance(alarm, dict) or not isinstance(alarm.get("AlarmName"), str) or \
            not isinstance(alarm.get("NewStateValue"), str):
        return None
    name = alarm["AlarmName"]
    allowed = read_trip_alarms(os.environ)
    if name not in allowed:
        raise EventRefused(
            f"alarm {name!r} is not a trip alarm of this breaker "
            f"({TRIP_ALARMS_ENV}: {allowed or 'none configured'})")
    if alarm["NewStateValue"] != "ALARM":
        raise EventRefused(f"alarm {name!r} went to {alarm['NewStateValue']}, not ALARM: "
                           "nothing to do")
    why = alarm.get("NewStateReason")
    reason = f"alarm {name} in ALARM" + (f": {one_line(why, 200)}" if isinstance(why, str) else "")
    return {"source": "alarm", "name": name, "reason": reason}


def sns_trigger(event: dict[str, Any]) -> dict[str, Any]:
    """The trip source in an SNS-delivered event, or EventRefused saying why it is none."""
    records = event["Records"]
    if len(records) != 1:
        # SNS invokes a subscribed function with one record per message.
        raise EventRefused(f"expected one SNS record, got {len(records)}")
    record = records[0]
    if not isinstance(record, dict) or record.get("EventSource") != "aws:sns":
        source = record.get("EventSource") if isinstance(record, dict) else type(record).__name__
        raise EventRefused(f"unexpected event source {source!r}")
    sns = record.get("Sns")
    if not isinstance(sns, dict):
        raise EventRefused("an SNS record without its Sns object")
    expected_topic = os.environ.get(TOPIC_ARN_ENV)
    if expected_topic and sns.get("TopicArn") != expected_topic:
        raise EventRefused(f"message from topic {sns.get('TopicArn')!r}, not {expected_topic}")
    trigger = budget_trigger(sns) or alarm_trigger(sns)
    if trigger is None:
        subject = sns.get("Subject")
        raise EventRefused(
            "neither a budget notification nor a trip alarm's notification "
            f"(subject {str(subject)[:100]!r})")
    return trigger
