"""A failed asynchronous invocation reaches the alert topic; no reserved concurrency (12.3, 12.5).

Lambda retries a failed asynchronous invocation twice, then discards the event unless an
on-failure destination or dead-letter queue is set (AWS Lambda Developer Guide, "Asynchronous
invocation"). Reserved concurrency needs 100 unreserved executions left in the account
("Configuring reserved concurrency"), so the function sets none and serialises on its lock.
"""

from __future__ import annotations

import json

import pytest

from components.cost_breaker import breaker_role_policy


@pytest.fixture(scope="module")
def beta_run():
    from tests.support.runs import unmodified_run

    return unmodified_run("beta", preview=False)


def test_failed_invocations_go_to_the_alert_topic_after_two_retries(beta_run):
    config = beta_run.named("cost-breaker-on-failure").inputs
    assert config["functionName"] == "z360-beta-cost-breaker"
    assert config["maximumRetryAttempts"] == 2
    assert config["destinationConfig"] == {
        "onFailure": {"destination": "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"}}


def test_the_function_reserves_no_concurrency(beta_run):
    assert "reservedConcurrentExecutions" not in beta_run.named("cost-breaker-function").inputs


def test_the_role_may_publish_to_the_alert_topic_and_write_its_lock_and_nothing_else(beta_run):
    policy = json.loads(beta_run.named("cost-breaker-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReportToAlertTopic"]["Action"] == ["sns:Publish"]
    assert statements["ReportToAlertTopic"]["Resource"] == (
        "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts")
    assert statements["OwnRecord"]["Resource"] == [
        "arn:aws:ssm:us-east-1:108782097218:parameter/z360/beta/cost-breaker/state",
        "arn:aws:ssm:us-east-1:108782097218:parameter/z360/beta/cost-breaker/lock",
    ]
    for statement in policy["Statement"]:
        actions = statement["Action"]
        assert all("*" not in a for a in actions), statement


def test_the_lock_parameter_exists_and_the_function_is_told_its_name(beta_run):
    lock = beta_run.named("cost-breaker-lock")
    assert lock.inputs["name"] == "/z360/beta/cost-breaker/lock"
    assert lock.ignore_changes == ["value"]
    variables = beta_run.named("cost-breaker-function").inputs["environment"]["variables"]
    assert variables["BREAKER_LOCK_PARAMETER"] == "/z360/beta/cost-breaker/lock"
    assert int(variables["BREAKER_LOCK_TTL_SECONDS"]) > beta_run.named(
        "cost-breaker-function").inputs["timeout"]
    assert variables["BREAKER_BUDGET_NAME"] == "z360-monthly-spending-alert"
    assert variables["BREAKER_TOPIC_ARN"] == (
        "arn:aws:sns:us-east-1:108782097218:z360-beta-cost-breaker")


def test_without_a_lock_name_the_policy_names_the_record_alone():
    policy = breaker_role_policy(
        account_id="108782097218", region="us-east-1", environment="beta",
        service_resource_ids=[], alert_topic_arn="arn:aws:sns:us-east-1:108782097218:a",
        parameter_name="/p", log_group_arn="arn:aws:logs:us-east-1:108782097218:log-group:/l",
    )
    (own,) = [s for s in policy["Statement"] if s["Sid"] == "OwnRecord"]
    assert own["Resource"] == "arn:aws:ssm:us-east-1:108782097218:parameter/p"
