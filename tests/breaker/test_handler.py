"""The CostBreaker function against moto's Application Auto Scaling, SSM and SNS.

Each test registers real (mocked) ECS services and scalable targets, runs `handler` as Lambda
would, and checks the live min/max, the SSM record and the alert topic afterwards.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from breaker import handler as breaker
from stack_model import naming
from tests.support.breaker_events import client

REGION = "us-east-1"
CLUSTER = "z360-test"
PARAMETER = "/z360/test/cost-breaker/state"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"

# service -> (min, max, emergency ceiling)
FLEET = {
    "web": (1, 50, 10),
    "voice": (1, 50, 10),
    "queue": (1, 20, 4),
}


def resource_id(service: str) -> str:
    return f"service/{CLUSTER}/{service}"


class Estate:
    """The mocked account: helpers to read what the breaker did."""

    def __init__(self) -> None:
        self.scaling = client("application-autoscaling")
        self.ssm = client("ssm")
        self.ecs = client("ecs")
        self.topic_arn = client("sns").create_topic(Name="z360-test-alerts")["TopicArn"]
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 512}]
        )

    def add_service(self, name: str, min_capacity: int, max_capacity: int) -> None:
        self.ecs.create_service(
            cluster=CLUSTER, serviceName=name, taskDefinition="app", desiredCount=min_capacity
        )
        self.set_capacity(name, min_capacity, max_capacity)

    def set_capacity(self, name: str, min_capacity: int, max_capacity: int) -> None:
        self.scaling.register_scalable_target(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceId=resource_id(name), MinCapacity=min_capacity, MaxCapacity=max_capacity,
        )

    def capacity(self, name: str) -> tuple[int, int]:
        targets = self.scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
            ResourceIds=[resource_id(name)],
        )["ScalableTargets"]
        return targets[0]["MinCapacity"], targets[0]["MaxCapacity"]

    def record(self) -> dict[str, Any]:
        # The record is stored compactly; the handler's own reader turns it into dicts.
        value = self.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]
        return breaker.parse_record(value)[0]

    def recorded(self) -> dict[str, tuple[int, int, str]]:
        """service -> (originalMax, newMax, status) as the record states it."""
        return {c["service"]: (c["originalMax"], c["newMax"], c["status"])
                for c in self.record()["changes"]}

    def notifications(self) -> list[tuple[str, str]]:
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [(subject or "", message) for _, message, subject, _, _ in topic.sent_notifications]


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        estate = Estate()
        for name, (low, high, _) in FLEET.items():
            estate.add_service(name, low, high)
        estate.ssm.put_parameter(
            Name=PARAMETER, Type="String", Value=json.dumps({"tripped": False, "changes": []})
        )
        configure(monkeypatch, estate, {name: ceiling for name, (_, _, ceiling) in FLEET.items()})
        yield estate


def configure(monkeypatch: pytest.MonkeyPatch, estate: Estate, ceilings: dict[str, int]) -> None:
    targets = [{"service": n, "resourceId": resource_id(n), "ceiling": c}
               for n, c in ceilings.items()]
    monkeypatch.setenv("BREAKER_TARGETS", json.dumps(targets))
    monkeypatch.setenv("BREAKER_STATE_PARAMETER", PARAMETER)
    monkeypatch.setenv("ALERT_TOPIC_ARN", estate.topic_arn)
    monkeypatch.setenv("BREAKER_ENVIRONMENT", "test")


def invoke(action: str) -> dict[str, Any]:
    return breaker.handler({"action": action}, None)


def budget_event() -> dict[str, Any]:
    return {"Records": [{
        "EventSource": "aws:sns",
        "Sns": {
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:z360-test-cost-breaker",
            "Subject": "AWS Budgets: z360-monthly-spending-alert has exceeded your alert threshold",
            "Message": "AWS Budget Notification\nBudget Name: z360-monthly-spending-alert\n"
                       "Alert Threshold: > $2,000.00\nACTUAL Amount: $2,013.55",
        },
    }]}


# --- trip --------------------------------------------------------------------------------------


def test_budget_notification_lowers_each_max_to_its_ceiling_and_records_the_originals(estate):
    result = breaker.handler(budget_event(), None)

    assert result["ok"] and result["tripped"]
    assert {name: estate.capacity(name) for name in FLEET} == {
        "web": (1, 10), "voice": (1, 10), "queue": (1, 4)
    }
    assert estate.recorded() == {
        "web": (50, 10, "applied"), "voice": (50, 10, "applied"), "queue": (20, 4, "applied")
    }
    record = estate.record()
    assert record["tripped"] is True
    assert "z360-monthly-spending-alert" in record["reason"]
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


def test_target_already_below_its_ceiling_is_left_alone_and_not_recorded(estate, monkeypatch):
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


def test_trip_never_raises_a_max_or_changes_a_min(estate, monkeypatch):
    estate.set_capacity("web", 2, 8)  # below its ceiling of 10 already
    configure(monkeypatch, estate, {"web": 10, "voice": 0, "queue": 4})

    invoke("trip")

    assert estate.capacity("web") == (2, 8)
    assert estate.capacity("voice") == (1, 1)
    assert estate.capacity("queue") == (1, 4)


# --- an AWS error midway -------------------------------------------------------------------------


def fail_on_call(monkeypatch: pytest.MonkeyPatch, call_number: int, error: Exception) -> None:
    """Make the function's own RegisterScalableTarget fail on its `call_number`-th call."""
    calls = {"n": 0}

    class FailingAws(breaker.Aws):
        def __init__(self) -> None:
            super().__init__()

            def before_call(**_: Any) -> None:
                calls["n"] += 1
                if calls["n"] == call_number:
                    raise error

            self.scaling.meta.events.register(
                "before-call.application-autoscaling.RegisterScalableTarget", before_call
            )

    monkeypatch.setattr(breaker, "Aws", FailingAws)


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ConcurrentUpdateException", "Message": "try again"}},
        "RegisterScalableTarget",
    )


def test_an_aws_error_on_the_second_target_leaves_a_record_of_exactly_what_changed(
    estate, monkeypatch
):
    fail_on_call(monkeypatch, 2, throttled())

    with pytest.raises(breaker.PartialTripError) as raised:
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
    healthy = breaker.Aws
    fail_on_call(monkeypatch, 2, throttled())
    with pytest.raises(breaker.PartialTripError):
        invoke("trip")
    monkeypatch.setattr(breaker, "Aws", healthy)  # the retry meets a healthy API

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


# --- status and bad input ------------------------------------------------------------------------


def test_status_reports_the_record_and_live_capacities(estate):
    invoke("trip")

    result = invoke("status")

    assert result["tripped"] is True
    web = next(t for t in result["targets"] if t["service"] == "web")
    assert (web["min"], web["max"], web["ceiling"]) == (1, 10, 10)
    assert len(result["record"]["changes"]) == 3


def test_unknown_event_is_refused_without_touching_anything(estate):
    result = breaker.handler({"action": "explode"}, None)

    assert result["ok"] is False and "trip" in result["error"]
    assert estate.capacity("web") == (1, 50)


def test_malformed_targets_setting_is_a_clear_error(estate, monkeypatch):
    monkeypatch.setenv("BREAKER_TARGETS", json.dumps([{"resourceId": "service/x/y"}]))

    with pytest.raises(breaker.BreakerConfigError, match="ceiling"):
        invoke("trip")


# --- packaged alone ----------------------------------------------------------------------


def test_the_handlers_scaling_names_are_the_programs() -> None:
    assert breaker.NAMESPACE == naming.SCALING_NAMESPACE
    assert breaker.DIMENSION == naming.SCALABLE_DIMENSION


def test_the_handler_imports_only_what_the_lambda_runtime_has() -> None:
    # The function's archive holds handler.py alone (components/cost_breaker.py): an import of
    # the program would fail in Lambda, never here.
    tree = ast.parse(Path(breaker.__file__).read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert roots - sys.stdlib_module_names <= {"boto3", "botocore"}, roots
