"""The cost breaker's test account: names, clients, and the events that invoke the handler."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from breaker.handler import handler
from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE

REGION = "us-east-1"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
CLUSTER = "z360-test-Cluster-8E41UEvLHdpU"
PARAMETER = "/z360/test/cost-breaker/state"
LOCK = "/z360/test/cost-breaker/lock"
BREAKER_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-test-cost-breaker"
BUDGET = "z360-test-monthly"
TRIP_ALARM = "z360-test-burn-rate-trip"
NAMESPACE = SCALING_NAMESPACE
DIMENSION = SCALABLE_DIMENSION
# Parameter Store's value limits, Standard and Advanced ("Managing parameter tiers"): stated
# here, not taken from the code under test, so that the mocked account enforces AWS's limits.
STANDARD_LIMIT = 4096
ADVANCED_LIMIT = 8192


@functools.cache
def client(service: str) -> Any:
    """The tests' own client for `service` (never the handler's)."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    return session.client(service)


def resource_id(service: str) -> str:
    # As long as the real ones: service/<CloudFormation cluster>/<CloudFormation service>.
    return f"service/{CLUSTER}/z360-test-{service}-Service-5Ao8dxMzQ1d8"


def alarm_arn(name: str = TRIP_ALARM, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


TRIP_ALARM_ARN = alarm_arn()


def stamp(moment: datetime | None = None, offset: timedelta = timedelta(0)) -> datetime:
    """An event's time: `moment` (default now) moved by `offset`."""
    return (moment or datetime.now(UTC)) + offset


def sns_time(moment: datetime) -> str:
    """SNS's Timestamp: "2026-03-03T17:43:27.123Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def alarm_time(moment: datetime) -> str:
    """CloudWatch's StateChangeTime: "2026-03-03T17:43:27.123+0000"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}+0000"


def sns_event(message: str, subject: str | None = None, topic: str = BREAKER_TOPIC,
              timestamp: Any = None) -> dict[str, Any]:
    """One SNS record as Lambda receives it; `timestamp` defaults to now (None: now; pass a
    string to send it as it is)."""
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": topic,
        "Message": message,
        "Timestamp": sns_time(stamp()) if timestamp is None else timestamp,
    }
    if subject is not None:
        sns["Subject"] = subject
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        "Sns": sns,
    }]}


def budget_message(budget: str = BUDGET, account: str = ACCOUNT) -> str:
    """The text AWS Budgets publishes (no API model describes it; the lines the breaker reads
    are "AWS Account <id>" and "Budget Name: <name>")."""
    return (f"AWS Budget Notification March 03, 2026\nAWS Account {account}\n\n"
            f"Budget Name: {budget}\nBudget Type: Cost\nBudgeted Amount: $2,500.00\n"
            "Alert Type: FORECASTED\nAlert Threshold: > $2,500.00\n"
            "FORECASTED Amount: $2,713.55")


def budget_event(budget: str = BUDGET, account: str = ACCOUNT, timestamp: Any = None,
                 message: str | None = None) -> dict[str, Any]:
    return sns_event(
        subject=f"AWS Budgets: {budget} has exceeded your alert threshold",
        message=budget_message(budget, account) if message is None else message,
        timestamp=timestamp,
    )


def alarm_message(name: str = TRIP_ALARM, state: str = "ALARM", arn: str | None = None,
                  account: str = ACCOUNT, changed: Any = None,
                  drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The message CloudWatch publishes for an alarm action (shape as in aws/aws-lambda-go
    events/testdata/cloudwatch-alarm-sns-payload-single-metric.json); `changed` is its
    StateChangeTime (default now; a string is sent as it is); `drop` leaves fields out."""
    message = {
        "AlarmName": name,
        "AlarmDescription": "Fargate burn rate above the trip threshold",
        "AWSAccountId": account,
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 5 out of the last 5 datapoints were greater than "
                          "the threshold (6.0).",
        "StateChangeTime": alarm_time(stamp()) if changed is None else changed,
        "Region": "US East (N. Virginia)",
        "AlarmArn": alarm_arn(name, REGION, account) if arn is None else arn,
        "OldStateValue": "OK",
        "Trigger": {"Period": 60, "EvaluationPeriods": 5,
                    "ComparisonOperator": "GreaterThanThreshold", "Threshold": 6.0,
                    "TreatMissingData": "missing", "Metrics": []},
    }
    for key in drop:
        message.pop(key, None)
    return message


def alarm_event(name: str = TRIP_ALARM, state: str = "ALARM", **fields: Any) -> dict[str, Any]:
    """An alarm's notification on the breaker topic; `fields` go to `alarm_message`."""
    return sns_event(json.dumps(alarm_message(name, state, **fields)),
                     subject=f'{state}: "{name}" in US East (N. Virginia)')


def invoke(action: str) -> dict[str, Any]:
    """Invoke the function as an operator does: {"action": `action`}."""
    return handler({"action": action}, None)
