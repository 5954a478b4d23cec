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

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from moto.ssm.exceptions import ValidationException
from moto.ssm.models import SimpleSystemManagerBackend

from breaker.contract import EMPTY_RECORD_VALUE, FREE_LOCK, parse_record
from tests.support.breaker_events import (
    ACCOUNT,
    ADVANCED_LIMIT,
    BREAKER_TOPIC,
    BUDGET,
    CLUSTER,
    DIMENSION,
    LOCK,
    NAMESPACE,
    PARAMETER,
    REGION,
    STANDARD_LIMIT,
    TRIP_ALARM_ARN,
    client,
    resource_id,
)

# What the function needs; everything else in its environment is optional.
REQUIRED = ("BREAKER_TARGETS", "BREAKER_STATE_PARAMETER", "ALERT_TOPIC_ARN", "BREAKER_ENVIRONMENT")
# What it trusts: without these no budget notification trips it.
TRUST = ("BREAKER_ACCOUNT_ID", "BREAKER_BUDGET_NAME")


class Estate:
    """The mocked account: helpers to set it up and read what the breaker did.

    `full`: the environment the component sets (lock, account, budget, trip alarms, topic
    named); else only the required variables and the account and budget it trusts, so the
    function's defaults are used."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, full: bool = True) -> None:
        self.monkeypatch = monkeypatch
        self.full = full
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
            "BREAKER_ACCOUNT_ID": ACCOUNT,
            "BREAKER_BUDGET_NAME": BUDGET,
            "BREAKER_TRIP_ALARM_ARNS": json.dumps([TRIP_ALARM_ARN]),
            "BREAKER_TOPIC_ARN": BREAKER_TOPIC,
            "BREAKER_LOCK_WAIT_SECONDS": "5",
        }.items():
            if self.full or key in REQUIRED + TRUST:
                self.monkeypatch.setenv(key, value)

    def capacity(self, name: str) -> tuple[int, int]:
        (target,) = self.scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceIds=[resource_id(name)],
        )["ScalableTargets"]
        return int(target["MinCapacity"]), int(target["MaxCapacity"])

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
        # The record is stored compactly; the contract's reader turns it into dicts.
        return parse_record(self.raw_record())[0]

    def recorded(self) -> dict[str, tuple[int, int, str]]:
        """service -> (originalMax, newMax, status) as the record states it."""
        return {c["service"]: (c["originalMax"], c["newMax"], c["status"])
                for c in self.record()["changes"]}

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


def _account(monkeypatch: pytest.MonkeyPatch, full: bool) -> Iterator[Estate]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        estate = Estate(monkeypatch, full)
        estate.ssm_writes = _enforce_value_limits(monkeypatch)  # type: ignore[attr-defined]
        estate.ssm.put_parameter(Name=PARAMETER, Type="String", Value=EMPTY_RECORD_VALUE)
        if full:
            estate.ssm.put_parameter(Name=LOCK, Type="String", Value=json.dumps(FREE_LOCK))
        yield estate


def _three_services(account: Estate) -> Estate:
    account.add("web", 1, 50, 10)
    account.add("voice", 1, 50, 10)
    account.add("queue", 1, 20, 4)
    return account


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    """An empty account: no targets, the record and the lock as the component creates them."""
    yield from _account(monkeypatch, full=True)


@pytest.fixture
def estate(account: Estate) -> Estate:
    """Three services: web and voice 1..50 with ceiling 10, queue 1..20 with ceiling 4."""
    return _three_services(account)


@pytest.fixture
def bare_estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    """The same three services, with only the required environment (and the account and budget
    it trusts) and no lock parameter yet: the lock's name, TTL and wait are the defaults, and no
    alarm trips it."""
    for account in _account(monkeypatch, full=False):
        yield _three_services(account)


