"""The CostBreaker component under Pulumi mocks, and in the real beta stack.

Checks what it creates, the IAM policy it grants (no wildcard action, every resource scoped),
and the wiring budget notification -> breaker topic -> subscription -> function.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.cost_breaker import (
    HANDLER_FILE,
    BreakerTarget,
    CostBreaker,
    CostBreakerArgs,
    breaker_role_policy,
    breaker_targets,
)
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE,
    LAMBDA_FUNCTION_TYPE,
    LAMBDA_PERMISSION_TYPE,
    LOG_GROUP_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SSM_PARAMETER_TYPE,
    TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from stack_model.config import ConfigError
from stack_model.naming import cost_breaker_names
from tests.support.configs import beta_config

ACCOUNT = "108782097218"
REGION = "us-east-1"
ALERTS = f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-test-alerts"
BREAKER_TYPES = {
    TOPIC_TYPE, TOPIC_POLICY_TYPE, SSM_PARAMETER_TYPE,
    LOG_GROUP_TYPE, ROLE_TYPE, ROLE_POLICY_TYPE,
    LAMBDA_FUNCTION_TYPE, LAMBDA_PERMISSION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE,
}


def statements_granting(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


# --- the component alone, under the pulumi_mocks fixture ----------------------------------------


def test_component_creates_its_resources_and_wires_its_environment(pulumi_mocks, monkeypatch):
    created: dict[str, tuple[str, dict[str, Any]]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    original = pulumi_mocks.new_resource

    def record(args):
        created[args.typ] = (args.name, dict(args.inputs))
        by_name[args.name] = dict(args.inputs)
        return original(args)

    monkeypatch.setattr(pulumi_mocks, "new_resource", record)
    config = beta_config()
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def build():
        breaker = CostBreaker("cost-breaker", CostBreakerArgs(
            config=config.cost_breaker, budget=config.budget, environment="test",
            account_id=ACCOUNT, region=REGION, alert_topic_arn=ALERTS,
            targets=[BreakerTarget("web", "service/z360-test/web", 10),
                     BreakerTarget("queue", "service/z360-test/queue", 4)],
        ))
        outputs["notification"] = breaker.budget_notification
        return pulumi.Output.all(
            breaker.function_name, breaker.topic_arn, breaker.state_parameter_name,
            breaker.restore_command,
        ).apply(lambda values: outputs.update(zip(
            ("function", "topic", "parameter", "command"), values, strict=True)))

    build()  # returns once every registration has completed
    names = cost_breaker_names("test")
    created.pop("z360:budgets:CostBreaker", None)
    assert set(created) == BREAKER_TYPES, sorted(created)
    assert all(name.startswith("cost-breaker-") for name, _ in created.values())

    function = created[LAMBDA_FUNCTION_TYPE][1]
    assert function["runtime"] == "python3.12" and function["handler"] == "handler.handler"
    variables = function["environment"]["variables"]
    assert json.loads(variables["BREAKER_TARGETS"]) == [
        {"service": "web", "resourceId": "service/z360-test/web", "ceiling": 10},
        {"service": "queue", "resourceId": "service/z360-test/queue", "ceiling": 4},
    ]
    assert variables["BREAKER_STATE_PARAMETER"] == names["parameter"] == outputs["parameter"]
    assert variables["ALERT_TOPIC_ARN"] == ALERTS

    value = by_name["cost-breaker-state"]["value"]
    value = value["value"] if isinstance(value, dict) else value  # pulumi-aws marks it secret
    assert json.loads(value) == {"tripped": False, "changes": []}

    topic_arn = outputs["topic"]
    permission = created[LAMBDA_PERMISSION_TYPE][1]
    assert permission["principal"] == "sns.amazonaws.com"
    assert permission["sourceArn"] == topic_arn
    subscription = created[TOPIC_SUBSCRIPTION_TYPE][1]
    assert (subscription["protocol"], subscription["topic"]) == ("lambda", topic_arn)
    assert subscription["endpoint"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{outputs['function']}")

    topic_policy = json.loads(created[TOPIC_POLICY_TYPE][1]["policy"])
    statement, alarms = topic_policy["Statement"]
    assert statement["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == statement["Condition"]
    assert statement["Resource"] == topic_arn
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

    role_policy = json.loads(created[ROLE_POLICY_TYPE][1]["policy"])
    assert statements_granting(role_policy)["ScaledServicesPermissionCheck"]["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/z360-test/queue",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/z360-test/web",
    ]

    assert f"--function-name {outputs['function']} " in outputs["command"]
    assert outputs["notification"]["threshold_type"] == "PERCENTAGE"
    assert outputs["notification"]["threshold"] == config.cost_breaker.threshold_percent


def test_handler_file_is_the_one_packaged():
    # The archive names this file; a moved handler would deploy an empty function.
    assert HANDLER_FILE.is_file()
    assert "def handler(event" in HANDLER_FILE.read_text()


# --- the role policy -----------------------------------------------------------------------------


def _policy(**changes) -> dict[str, Any]:
    values = dict(
        account_id=ACCOUNT, region=REGION, environment="beta",
        service_resource_ids=["service/app/web", "service/agent/voice"],
        alert_topic_arn=ALERTS, parameter_name="/z360/beta/cost-breaker/state",
        log_group_arn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/z360-beta-cost-breaker",
    )
    values.update(changes)
    return breaker_role_policy(**values)


def test_role_policy_has_no_wildcard_action():
    for statement in _policy()["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, statement


def test_only_describe_uses_a_star_resource_and_everything_else_is_scoped():
    statements = statements_granting(_policy())
    star = {sid for sid, s in statements.items() if s["Resource"] == "*"}
    assert star == {"ReadScalableTargets"}
    assert statements["ReadScalableTargets"]["Action"] == [
        "application-autoscaling:DescribeScalableTargets"]
    assert statements["ReportToAlertTopic"]["Resource"] == ALERTS
    assert statements["OwnRecord"]["Resource"] == (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/z360/beta/cost-breaker/state")
    assert statements["OwnLogs"]["Resource"].endswith(
        "log-group:/aws/lambda/z360-beta-cost-breaker:*")
    assert statements["ScaledServicesPermissionCheck"]["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/agent/voice",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/app/web",
    ]


def test_register_scalable_target_is_limited_to_this_environments_ecs_targets():
    statement = statements_granting(_policy(environment="staging"))["LowerAndRestoreMaxCapacity"]
    assert statement["Action"] == ["application-autoscaling:RegisterScalableTarget"]
    assert statement["Resource"] == (
        f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/*")
    assert statement["Condition"] == {"StringEquals": {
        "application-autoscaling:service-namespace": "ecs",
        "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
        "aws:ResourceTag/z360:environment": "staging",
    }}


# --- targets from the stack config ---------------------------------------------------------------


def test_targets_take_listed_ceilings_and_the_default_for_the_rest():
    config = beta_config(lambda d: d["z360-ecs:costBreaker"].update(
        {"emergencyCeilings": {"web": 7}, "defaultEmergencyCeiling": 3}))
    targets = breaker_targets(config, {"web": "service/app/web", "queue": "service/app/queue"})
    assert [(t.service, t.ceiling) for t in targets] == [("web", 7), ("queue", 3)]


def test_services_without_scaling_are_not_targets():
    config = beta_config()
    targets = breaker_targets(config, {"web": "service/app/web", "queue": None})
    assert [t.service for t in targets] == ["web"]


def test_a_ceiling_for_a_service_without_scaling_is_refused_by_the_stack_config():
    def mutate(document):
        document["z360-ecs:services"]["queue"]["scaling"] = {"enabled": False}

    with pytest.raises(ConfigError, match=r"costBreaker.emergencyCeilings.queue"):
        beta_config(mutate)


def test_ten_alert_amounts_leave_no_room_for_the_breaker():
    def mutate(document):
        document["z360-ecs:budget"]["alertAmounts"] = [100 * i for i in range(1, 11)]

    with pytest.raises(ConfigError, match=r"budget.alertAmounts"):
        beta_config(mutate)


# --- the real beta stack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beta_run():
    from tests.support.runs import unmodified_run

    return unmodified_run("beta", preview=False)


def test_beta_stack_creates_the_breaker_under_its_component(beta_run):
    (component,) = beta_run.by_type("z360:budgets:CostBreaker")
    children = {r.type for r in beta_run.registrations if r.parent == component.urn}
    assert children == BREAKER_TYPES


def test_beta_budget_notifies_the_breaker_topic_which_invokes_the_function(beta_run):
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-beta-cost-breaker"
    (budget,) = beta_run.by_type(BUDGET_TYPE)
    breaker_notifications = [n for n in budget.inputs["notifications"]
                             if n.get("subscriberSnsTopicArns") == [topic_arn]]
    assert breaker_notifications == [{
        "comparisonOperator": "GREATER_THAN", "notificationType": "FORECASTED",
        "threshold": 100, "thresholdType": "PERCENTAGE", "subscriberSnsTopicArns": [topic_arn],
    }]
    assert len(budget.inputs["notifications"]) == 4  # the three alert amounts stay

    subscription = beta_run.named("cost-breaker-subscription").inputs
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:z360-beta-cost-breaker"
    assert (subscription["topic"], subscription["endpoint"]) == (topic_arn, function_arn)
    assert beta_run.named("cost-breaker-invoke-permission").inputs["sourceArn"] == topic_arn


def test_beta_breaker_targets_every_scaling_service_with_its_ceiling(beta_run):
    variables = beta_run.named("cost-breaker-function").inputs["environment"]["variables"]
    targets = {t["service"]: (t["resourceId"], t["ceiling"])
               for t in json.loads(variables["BREAKER_TARGETS"])}
    assert {k: c for k, (_, c) in targets.items()} == {
        "web": 10, "queue": 4, "reverb": 4, "gateway": 10, "aegra": 6, "voice": 10}
    assert targets["web"][0] == "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8"
    assert variables["ALERT_TOPIC_ARN"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-beta-alerts"


def test_beta_state_parameter_ignores_value_changes(beta_run):
    parameter = beta_run.named("cost-breaker-state")
    assert parameter.inputs["name"] == "/z360/beta/cost-breaker/state"
    assert parameter.ignore_changes == ["value", "tier"]


def test_beta_exports_the_function_name_and_restore_command(beta_run):
    assert beta_run.outputs["costBreakerFunctionName"] == "z360-beta-cost-breaker"
    assert beta_run.outputs["costBreakerRestoreCommand"] == (
        "aws lambda invoke --function-name z360-beta-cost-breaker "
        "--payload '{\"action\":\"restore\"}' --cli-binary-format raw-in-base64-out out.json")


def test_staging_has_no_breaker(run_stack):
    run = run_stack("staging")
    assert run.by_type("z360:budgets:CostBreaker") == []
    assert "costBreakerFunctionName" not in run.outputs
