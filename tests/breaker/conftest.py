"""A mocked account for the breaker's own tests (moto), sized by the test.

Parameter Store's value limits are enforced here because moto does not: a Standard parameter
holds at most 4 KB and an Advanced one 8 KB, and Intelligent-Tiering stores a larger value as
Advanced (AWS Systems Manager User Guide, "Managing parameter tiers").

Speed. The handler makes a boto3 session per invocation, as it must (sessions are not
thread-safe, and the concurrency tests run invocations in threads). Each new session would parse
botocore's service models again, about 0.1 s of CPU per invocation; every session shares one
model loader instead (`botocore_models_parsed_once` in tests/conftest.py, for the whole suite),
so the models are parsed once per worker. The tests' own calls go through
one client per service, made once (`client`): moto answers every client made after it is
imported, and each test's `mock_aws` starts from an empty account all the same. The handler's
clients, requests and responses are unchanged.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from moto.ssm.exceptions import ValidationException
from moto.ssm.models import SimpleSystemManagerBackend

from breaker import handler as breaker

REGION = "us-east-1"
CLUSTER = "z360-test-Cluster-8E41UEvLHdpU"
PARAMETER = "/z360/test/cost-breaker/state"
LOCK = "/z360/test/cost-breaker/lock"
BREAKER_TOPIC = "arn:aws:sns:us-east-1:123456789012:z360-test-cost-breaker"
BUDGET = "z360-test-monthly"
TRIP_ALARM = "z360-test-burn-rate-trip"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
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


class Estate:
    """The mocked account: helpers to set it up and read what the breaker did."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.scaling = client("application-autoscaling")
        self.ssm = client("ssm")
        self.topic_arn = client("sns").create_topic(Name="z360-test-alerts")["TopicArn"]
        self.ceilings: dict[str, int] = {}
        self.ecs = client("ecs")
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 512}]
        )

    def add(self, name: str, min_capacity: int, max_capacity: int, ceiling: int) -> None:
        self.ecs.create_service(cluster=CLUSTER, serviceName=resource_id(name).rsplit("/", 1)[1],
                                taskDefinition="app", desiredCount=min_capacity)
        self.set_capacity(name, min_capacity, max_capacity)
        self.ceilings[name] = ceiling
        self.configure()

    def set_capacity(self, name: str, min_capacity: int, max_capacity: int) -> None:
        self.scaling.register_scalable_target(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceId=resource_id(name), MinCapacity=min_capacity, MaxCapacity=max_capacity,
        )

    def configure(self) -> None:
        targets = [{"service": n, "resourceId": resource_id(n), "ceiling": c}
                   for n, c in self.ceilings.items()]
        for key, value in {
            "BREAKER_TARGETS": json.dumps(targets),
            "BREAKER_STATE_PARAMETER": PARAMETER,
            "BREAKER_LOCK_PARAMETER": LOCK,
            "ALERT_TOPIC_ARN": self.topic_arn,
            "BREAKER_ENVIRONMENT": "test",
            "BREAKER_BUDGET_NAME": BUDGET,
            "BREAKER_TRIP_ALARMS": json.dumps([TRIP_ALARM]),
            "BREAKER_TOPIC_ARN": BREAKER_TOPIC,
            "BREAKER_LOCK_WAIT_SECONDS": "5",
        }.items():
            self.monkeypatch.setenv(key, value)

    def max(self, name: str) -> int:
        (target,) = self.scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceIds=[resource_id(name)],
        )["ScalableTargets"]
        return int(target["MaxCapacity"])

    def maxima(self) -> dict[str, int]:
        return {name: self.max(name) for name in self.ceilings}

    def raw_record(self) -> str:
        return str(self.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])

    def record(self) -> dict[str, Any]:
        return breaker.parse_record(self.raw_record())[0]

    def originals(self) -> dict[str, int]:
        return {c["service"]: c["originalMax"] for c in self.record()["changes"]}

    def notifications(self) -> list[tuple[str, str]]:
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [(subject or "", message) for _, message, subject, _, _ in topic.sent_notifications]


def _enforce_value_limits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str | None]]:
    """Make moto refuse what Parameter Store refuses; returns (bytes, tier) of each write."""
    writes: list[tuple[int, str | None]] = []
    original: Callable[..., Any] = SimpleSystemManagerBackend.put_parameter

    def put_parameter(self: Any, name: str, description: str, value: str, *args: Any,
                      **kwargs: Any) -> Any:
        size = len(value.encode())
        tier = kwargs.get("tier", args[8] if len(args) > 8 else None)
        existing = self._parameters.get(name)
        advanced = tier in ("Advanced", "Intelligent-Tiering") or (
            existing and existing[-1].tier == "Advanced")
        if size > (ADVANCED_LIMIT if advanced else STANDARD_LIMIT):
            raise ValidationException(
                f"Standard tier parameters support a maximum parameter value of {STANDARD_LIMIT} "
                f"characters; this value has {size}")
        writes.append((size, tier))
        return original(self, name, description, value, *args, **kwargs)

    monkeypatch.setattr(SimpleSystemManagerBackend, "put_parameter", put_parameter)
    return writes


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    """An empty account: no targets, the record and the lock as the component creates them."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        estate = Estate(monkeypatch)
        estate.ssm_writes = _enforce_value_limits(monkeypatch)  # type: ignore[attr-defined]
        estate.ssm.put_parameter(Name=PARAMETER, Type="String",
                                 Value=json.dumps({"tripped": False, "changes": []}))
        estate.ssm.put_parameter(Name=LOCK, Type="String", Value=json.dumps({"free": True}))
        yield estate


@pytest.fixture
def estate(account: Estate) -> Estate:
    """Three services: web and voice 1..50 with ceiling 10, queue 1..20 with ceiling 4."""
    account.add("web", 1, 50, 10)
    account.add("voice", 1, 50, 10)
    account.add("queue", 1, 20, 4)
    return account


def sns_event(message: str, subject: str | None = None,
              topic: str = BREAKER_TOPIC) -> dict[str, Any]:
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": topic,
        "Message": message,
        "Timestamp": "2026-03-03T17:43:27.123Z",
    }
    if subject is not None:
        sns["Subject"] = subject
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        "Sns": sns,
    }]}


def budget_event(budget: str = BUDGET) -> dict[str, Any]:
    return sns_event(
        subject=f"AWS Budgets: {budget} has exceeded your alert threshold",
        message=(f"AWS Budget Notification March 03, 2026\nAWS Account 123456789012\n\n"
                 f"Budget Name: {budget}\nBudget Type: Cost\nBudgeted Amount: $2,500.00\n"
                 "Alert Type: FORECASTED\nAlert Threshold: > $2,500.00\n"
                 "FORECASTED Amount: $2,713.55"),
    )


def alarm_event(name: str = TRIP_ALARM, state: str = "ALARM") -> dict[str, Any]:
    """The message CloudWatch publishes for an alarm action (shape as in aws/aws-lambda-go
    events/testdata/cloudwatch-alarm-sns-payload-single-metric.json)."""
    message = {
        "AlarmName": name,
        "AlarmDescription": "Fargate burn rate above the trip threshold",
        "AWSAccountId": "123456789012",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 5 out of the last 5 datapoints were greater than "
                          "the threshold (6.0).",
        "StateChangeTime": "2026-03-03T17:43:27.123+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "OldStateValue": "OK",
        "Trigger": {"Period": 60, "EvaluationPeriods": 5,
                    "ComparisonOperator": "GreaterThanThreshold", "Threshold": 6.0,
                    "TreatMissingData": "missing", "Metrics": []},
    }
    return sns_event(json.dumps(message),
                     subject=f'{state}: "{name}" in US East (N. Virginia)')


def invoke(action: str) -> dict[str, Any]:
    return breaker.handler({"action": action}, None)
