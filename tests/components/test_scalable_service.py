"""Each component alone under Pulumi mocks with realistic outputs."""

import json

import pulumi
import pytest

from components.alerts import AlertChannel, AlertChannelArgs
from components.budget import CostBudget, CostBudgetArgs
from components.config import AlertsConfig, BudgetConfig, ServiceConfig
from components.scalable_service import (
    ScalableService,
    ScalableServiceArgs,
    execution_role_policy,
)

ACCOUNT = "108782097218"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"


def _service_config(**changes) -> ServiceConfig:
    document = {
        "cluster": "app", "family": "z360-test-web", "serviceName": "z360-test-web",
        "namePrefix": "z360-test-web",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/z360-web:1.0", "containerPort": 80,
        "cpu": 1024, "memory": 2048,
        "network": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-0123456789abcdef0"]},
        "scaling": {"enabled": True, "min": 1, "max": 50, "cpuTarget": 60, "memoryTarget": 70},
        "alarms": {"cpuHigh": 85, "memoryHigh": 85, "taskCountSpike": 10},
        "secrets": {"DB_PASSWORD": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password"},
    }
    document.update(changes)
    return ServiceConfig.model_validate(document)


def _service(config: ServiceConfig, protect: bool = False) -> ScalableService:
    return ScalableService("web", ScalableServiceArgs(
        key="web", config=config, environment="test",
        cluster_arn=f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/z360-test",
        cluster_name="z360-test", alert_topic_arn=TOPIC, account_id=ACCOUNT,
        region="us-east-1", protect=protect,
    ))


@pulumi.runtime.test
def test_scalable_service_outputs_the_task_definition_arn_and_scaling_resource_id(pulumi_mocks):
    service = _service(_service_config())

    def check(values):
        task_arn, resource_id, alarm_names, name = values
        assert task_arn == f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/z360-test-web:1", task_arn
        assert resource_id == "service/z360-test/z360-test-web", resource_id
        assert sorted(alarm_names) == ["z360-test-web-high-cpu", "z360-test-web-high-memory",
                                       "z360-test-web-task-count-spike"]
        assert name == "z360-test-web"

    return pulumi.Output.all(service.task_definition_arn, service.scaling_resource_id,
                             service.alarm_names, service.service_name).apply(check)


@pulumi.runtime.test
def test_scaling_off_creates_no_target_and_no_alarms_when_none_are_set(pulumi_mocks):
    service = _service(_service_config(scaling={"enabled": False}, alarms={}))
    assert service.scaling_resource_id is None

    def check(alarm_names):
        assert alarm_names == []

    return service.alarm_names.apply(check)


@pulumi.runtime.test
def test_pinned_revision_sends_family_colon_n(pulumi_mocks):
    service = _service(_service_config(taskDefinitionRevision=20))
    return service.task_definition_arn.apply(lambda arn: _assert_equal(arn, "z360-test-web:20"))


def _assert_equal(actual, expected):
    assert actual == expected, f"{actual!r} != {expected!r}"


def test_execution_role_policy_names_only_this_image_log_group_and_secrets():
    policy = execution_role_policy(
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/z360-web:1.0",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/z360-test-web",
        [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password",
         f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:z360/api-AbCdEf"],
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["PullImage"]["Resource"] == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/z360-web"
    assert by_sid["Logs"]["Resource"].endswith("log-group:/ecs/z360-test-web:*")
    assert by_sid["ReadParameters"]["Resource"] == [
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password"]
    assert by_sid["ReadSecrets"]["Resource"] == [
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:z360/api-AbCdEf"]
    # Only GetAuthorizationToken, which has no resource-level permissions, may use "*".
    wildcard = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == [["ecr:GetAuthorizationToken"]]
    for statement in policy["Statement"]:
        assert all("*" not in action for action in statement["Action"])


def test_execution_role_policy_has_no_secret_statements_without_secrets():
    policy = execution_role_policy("public.ecr.aws/nginx/nginx:1", "arn:log", [])
    assert {s["Sid"] for s in policy["Statement"]} == {"EcrAuth", "Logs"}


@pulumi.runtime.test
def test_alert_channel_lets_cloudwatch_and_budgets_publish(pulumi_mocks):
    channel = AlertChannel("alerts", AlertChannelArgs(
        config=AlertsConfig.model_validate({"topicName": "z360-test-alerts",
                                            "emails": ["a@z360.biz", "b@z360.biz"]}),
        environment="test", account_id=ACCOUNT,
    ))

    def check(values):
        arn, emails = values
        assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-test-alerts"
        assert emails == ["a@z360.biz", "b@z360.biz"]

    return pulumi.Output.all(channel.topic_arn, channel.subscriber_emails).apply(check)


def test_topic_policy_is_limited_to_this_account():
    from components.alerts import topic_policy

    policy = topic_policy("arn:topic", ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"],
                          ACCOUNT)
    (statement,) = policy["Statement"]
    assert statement["Principal"]["Service"] == ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
    assert statement["Action"] == "SNS:Publish"
    assert statement["Resource"] == "arn:topic"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pulumi.runtime.test
def test_budget_limit_is_a_string_without_decimals(pulumi_mocks):
    budget = CostBudget("monthly", CostBudgetArgs(
        config=BudgetConfig.model_validate({"name": "z360-test", "monthlyLimit": 2500,
                                            "alertAmounts": [500, 1000, 2000]}),
        environment="test", account_id=ACCOUNT, recipients=["a@z360.biz"], alert_topic_arn=TOPIC,
    ))
    return pulumi.Output.all(budget.limit_amount, budget.budget_name).apply(
        lambda v: _assert_equal(v, ["2500", "z360-test"]))


@pytest.mark.parametrize("protect", [True, False])
def test_protect_lands_on_the_service_only(run_stack, protect):
    def mutate(document):
        document["config"]["z360-ecs:protect"] = protect

    run = run_stack("beta", mutate)
    protected = {r.type for r in run.registrations if r.protect}
    expected = ({"aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:sns/topic:Topic",
                 "aws:budgets/budget:Budget"} if protect else set())
    assert protected == expected


def test_container_definitions_carry_secrets_as_value_from(run_stack):
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password"

    def mutate(document):
        document["config"]["z360-ecs:services"]["web"]["secrets"] = {"DB_PASSWORD": arn}
        document["config"]["z360-ecs:services"]["web"]["environment"] = {"APP_ENV": "beta"}

    run = run_stack("beta", mutate)
    (container,) = json.loads(run.named("web-task").inputs["containerDefinitions"])
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": arn}]
    assert container["environment"] == [{"name": "APP_ENV", "value": "beta"}]
