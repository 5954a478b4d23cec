"""Which events may trip the breaker: an AWS Budgets notification for the stack's budget, a trip
alarm of the stack going into ALARM (both delivered by SNS), or an operator by hand.

The breaker trusts exact sources only, as its environment names them (breaker/contract.py):
- a budget notification must name exactly the configured budget and the stack's account;
- an alarm notification must carry the exact ARN of a configured trip alarm: its account and
  region, not only its name;
- either must carry its own time, and (checked under the lock, `refuse_replay`) that time must
  be later than the last restore: a notification the restore has answered, delivered again
  (SNS redelivers; Lambda retries a failed invocation twice), never lowers the maxima again.

Each source becomes a trigger {"source", "name", "reason"} and, for a notification, "at" (its
time, contract.record_time) and "clock" (the field it came from). Anything else on the breaker's
topic is refused with EventRefused saying why (the entry point reports it to the alert topic).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from breaker.contract import (
    ACCOUNT_ID_ENV,
    BUDGET_NAME_ENV,
    TOPIC_ARN_ENV,
    TRIP_ALARM_ARNS_ENV,
    parse_alarm_arn,
    parse_time,
    read_account_id,
    read_trip_alarm_arns,
    record_time,
)

# What the alert says about a refused message unless the refusal says otherwise.
FORMAT_HINT = ("If this was a budget or alarm notification, its format has changed: trip by hand "
               "if spend is running away.")
REPLAY_HINT = ("A notification sent before the last restore was delivered again (SNS redelivers "
               "a message; Lambda retries a failed invocation). A new notification trips the "
               "breaker again; trip by hand if spend is running away.")
TIME_HINT = ("Without the event's own time it cannot be told apart from a replay of one sent "
             "before the last restore. Trip by hand if spend is running away.")
# AWS stamps the events; the function's clock may differ a little from theirs. An event stamped
# further ahead than this is not one AWS sent now, and would outlive every later restore.
CLOCK_SKEW = timedelta(minutes=5)
# The lines of the Budgets notification the breaker reads ("AWS Account 123456789012",
# "Budget Name: <name>"). No AWS API model describes that text (a sample is in
# tests/support/breaker_events.py): what the breaker cannot read exactly, it refuses and reports.
_ACCOUNT_LINE = re.compile(r"AWS Account\s+(\S+)")
_BUDGET_LINE = "Budget Name:"


class EventRefused(Exception):
    """An event that is not a trip source; the message says why.

    `quiet`: expected noise (a trip alarm going back to OK), logged but not reported; `hint`:
    what the alert tells the operator to make of it."""

    def __init__(self, why: str, *, quiet: bool = False, hint: str = FORMAT_HINT) -> None:
        super().__init__(why)
        self.quiet, self.hint = quiet, hint


def one_line(text: str, limit: int) -> str:
    """`text` on one line (runs of whitespace made one space), cut to `limit`."""
    return " ".join(text.split())[:limit]


def manual_trigger(reason: str) -> dict[str, Any]:
    return {"source": "manual", "name": "by hand", "reason": reason}


def public_trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    """What results and the record say about a trigger: its source and name."""
    return {"source": trigger["source"], "name": trigger["name"]}


def _trusted_account(what: str) -> str:
    account = read_account_id(os.environ)
    if account is None:
        raise EventRefused(f"{what}, but this breaker trusts no account ({ACCOUNT_ID_ENV} is not "
                           "set)")
    return account


def _event_time(what: str, clock: str, raw: Any) -> str:
    """The event's own time (`raw`, from field `clock`) as the record writes times; refuses a
    missing or garbled one, and one too far ahead of this function's clock."""
    moment = parse_time(raw)
    shown = repr(raw)[:60]
    if moment is None:
        raise EventRefused(f"{what} has no readable {clock} ({shown}), so it cannot be shown to "
                           "be newer than the last restore", hint=TIME_HINT)
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise EventRefused(f"{what} is stamped {clock} {shown}, more than "
                           f"{CLOCK_SKEW.seconds // 60} minutes in the future", hint=TIME_HINT)
    return record_time(moment)


def budget_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` is an AWS Budgets notification for the stack's budget.

    Budgets sends its SNS notification with a Subject starting "AWS Budgets" and a text body
    with a line "AWS Account <id>" and a line "Budget Name: <name>". The body must hold exactly
    one of each, the name equal to BREAKER_BUDGET_NAME and the account to BREAKER_ACCOUNT_ID:
    a budget whose name merely contains the configured one, or another account's budget of the
    same name, is refused. Its time is SNS's Timestamp, "the time (GMT) when the notification
    was published" (Amazon SNS Developer Guide, "Amazon SNS message and JSON formats"); the
    Budgets text itself has none.
    """
    subject, message = sns.get("Subject"), sns.get("Message")
    if not isinstance(subject, str) or not subject.startswith("AWS Budgets"):
        return None
    if not isinstance(message, str):
        return None
    what = f"a budget notification ({one_line(subject, 100)!r})"
    expected = os.environ.get(BUDGET_NAME_ENV, "")
    if not expected:
        raise EventRefused(f"{what}, but this breaker trusts no budget ({BUDGET_NAME_ENV} is "
                           "not set)")
    account = _trusted_account(what)
    lines = [line.strip() for line in message.splitlines()]
    names = [line[len(_BUDGET_LINE):].strip() for line in lines if line.startswith(_BUDGET_LINE)]
    if len(names) != 1:
        raise EventRefused(f"{what}, but not for the budget {expected!r}: it has "
                           f"{len(names)} '{_BUDGET_LINE}' lines, not one")
    if names[0] != expected:
        raise EventRefused(f"{what}, but not for the budget {expected!r}: it names "
                           f"{names[0][:120]!r}")
    accounts = [m.group(1) for line in lines if (m := _ACCOUNT_LINE.fullmatch(line))]
    if accounts != [account]:
        found = repr(accounts[0][:40]) if len(accounts) == 1 else f"{len(accounts)} accounts"
        raise EventRefused(f"{what}, but not from this stack's account {account}: it names "
                           f"{found}")
    at = _event_time(what, "Timestamp", sns.get("Timestamp"))
    body = one_line(message, 200)
    return {"source": "budget", "name": expected, "at": at, "clock": "Timestamp",
            "reason": f"{one_line(subject, 100)}: {body}" if body else one_line(subject, 100)}


def alarm_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` carries a trip alarm of this stack going into ALARM.

    A CloudWatch alarm action on an SNS topic publishes a JSON message with AlarmName,
    AlarmArn (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`), AWSAccountId, Region (a
    display name such as "US East (N. Virginia)"), NewStateValue (OK | ALARM |
    INSUFFICIENT_DATA), NewStateReason, StateChangeTime ("2015-06-03T17:43:27.123+0000"),
    OldStateValue and Trigger (the sample in aws/aws-lambda-go
    events/testdata/cloudwatch-alarm-sns-payload-single-metric.json, typed in its events/sns.go
    as CloudWatchAlarmSNSPayload; states as in CloudWatch's SetAlarmState API).

    The ARN is what is trusted: it must be one of BREAKER_TRIP_ALARM_ARNS exactly, so an alarm
    of the same name in another account or region is refused; AlarmName and AWSAccountId must
    agree with it. Region is not compared: it is a display name, and the ARN carries the
    region's code. Only NewStateValue "ALARM" trips; the OK that follows is acknowledged and
    ignored. Its time is StateChangeTime, when the alarm changed state.
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
    what = f"alarm {name[:120]!r}"
    account = _trusted_account(what)
    trusted = read_trip_alarm_arns(os.environ)
    arn = alarm.get("AlarmArn")
    if not isinstance(arn, str):
        raise EventRefused(f"{what} carries no AlarmArn: its account and region cannot be checked")
    parsed = parse_alarm_arn(arn)
    if parsed is None:
        raise EventRefused(f"{what}: AlarmArn {arn[:200]!r} is not a CloudWatch alarm ARN")
    if parsed.name != name:
        raise EventRefused(f"{what}: its AlarmArn {arn[:200]!r} names another alarm")
    reported = alarm.get("AWSAccountId")
    if reported is not None and reported != parsed.account:
        raise EventRefused(f"{what}: AWSAccountId {str(reported)[:40]!r} is not the account of "
                           f"its AlarmArn {arn[:200]!r}")
    if arn not in trusted:
        regions = sorted({p.region for p in map(parse_alarm_arn, trusted) if p is not None})
        if parsed.account != account:
            why = f"it is in account {parsed.account}, not this stack's {account}"
        elif regions and parsed.region not in regions:
            why = f"it is in region {parsed.region}, not {', '.join(regions)}"
        else:
            why = "no trip alarm has that ARN"
        raise EventRefused(
            f"alarm {arn[:200]} is not a trip alarm of this breaker: {why} "
            f"({TRIP_ALARM_ARNS_ENV}: {trusted or 'none configured'})")
    if alarm["NewStateValue"] != "ALARM":
        raise EventRefused(f"{what} went to {alarm['NewStateValue'][:40]}, not ALARM: nothing "
                           "to do", quiet=True)
    at = _event_time(what, "StateChangeTime", alarm.get("StateChangeTime"))
    cause = alarm.get("NewStateReason")
    reason = f"alarm {name} in ALARM" + (
        f": {one_line(cause, 200)}" if isinstance(cause, str) else "")
    return {"source": "alarm", "name": name, "at": at, "clock": "StateChangeTime",
            "reason": reason}


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


def refuse_replay(trigger: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """Raise EventRefused if the notification in `trigger` is not newer than the record's last
    restore; otherwise the problems met (a restore time the record cannot give).

    Called under the lock, with the record just read, so a restore cannot finish between the
    check and the trip. A trip by hand carries no time and is never refused. The two times come
    from different clocks (AWS's stamp on the event, the function's on the restore): a
    notification sent within their skew of a restore may be judged either way.
    """
    at = trigger.get("at")
    raw = record.get("lastRestoredAt")
    if at is None or raw is None:
        return []
    restored = parse_time(raw)
    if restored is None:
        # The breaker's own record, edited by hand: a trip is the side that saves money.
        return [f"the record's lastRestoredAt {str(raw)[:60]!r} is unreadable: not checked "
                "whether this notification is older than the last restore"]
    event_time = parse_time(at)
    if event_time is None or event_time <= restored:
        raise EventRefused(
            f"{trigger['source']} {trigger['name']!r} notification of {at} ({trigger['clock']}) "
            f"is not newer than the last restore at {raw}: a replay", hint=REPLAY_HINT)
    return []
