"""Issue 12's guardrails at the first two test levels: the validators' own functions, then
through the SDK's real Analyze / AnalyzeStack path. The third level (the pack as its own
process on the real stacks) is in test_pack_on_stacks.py."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import cloudwatch, ecs, iam, sns
from policies.guardrails._index import StackIndex
from policies.guardrails._kit import NotApplicable
from policies.guardrails.facts.metrics import alarm_period_problem
from policies.guardrails.facts.secrets import grants, secret_resource_arn
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SERVICE_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
)
from tests.support.policy_sdk import REMOVE, changed, sdk_analyze, sdk_analyze_stack

ARN = "arn:aws:ecs:us-east-1:108782097218"
SECRET = "arn:aws:secretsmanager:us-east-1:108782097218:secret:z360/db"
TOPIC = "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"
TAGS = {"z360:service": "web", "z360:environment": "beta"}


def service(**changes):
    """A compliant service on a FARGATE strategy in cluster z360-beta."""
    return changed({
        "name": "z360-beta-web", "cluster": f"{ARN}:cluster/z360-beta", "tags": TAGS,
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    }, **changes)


def native_service(**changes):
    """The same service as pulumi-aws-native declares it (a metricResolution 20 service):
    `serviceName`, `capacityProviderStrategy`, tags as a list."""
    return changed({
        "serviceName": "z360-beta-web", "cluster": f"{ARN}:cluster/z360-beta",
        "tags": [{"key": k, "value": v} for k, v in TAGS.items()],
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    }, **changes)


def stack(providers=("FARGATE",), managed=True, svc=None, native=False):
    resources = [(NATIVE_SERVICE_TYPE, "web-service", svc or native_service()) if native
                 else (SERVICE_TYPE, "web-service", svc or service())]
    if managed:
        resources.append((CLUSTER_TYPE, "app-cluster", {"name": "z360-beta"}))
    if providers is not None:
        resources.append((CLUSTER_CAPACITY_PROVIDERS_TYPE, "app-capacity-providers", {
            "clusterName": "z360-beta", "capacityProviders": list(providers)}))
    return resources


# --- service-launch-configuration ----------------------------------------------------------------


def test_validator_launch_configuration():
    assert ecs.launch_configuration_problems(service()) == []
    assert ecs.launch_configuration_problems(
        service(capacityProviderStrategies=REMOVE, launchType="FARGATE")) == []
    assert "ECS requires the launch type to be omitted" in ecs.launch_configuration_problems(
        service(launchType="FARGATE"))[0]
    with pytest.raises(NotApplicable):
        ecs.launch_configuration_problems(service(capacityProviderStrategies=REMOVE))


def test_sdk_launch_type_with_strategy_is_mandatory():
    outcome = sdk_analyze(ecs.POLICIES, SERVICE_TYPE, service(launchType="FARGATE"))
    assert outcome.levels("service-launch-configuration") == {"mandatory"}
    assert "beta web: launchType FARGATE and a capacity provider strategy (FARGATE)" in \
        outcome.messages("service-launch-configuration")[0]


def test_sdk_two_bases_in_a_strategy_are_a_violation():
    props = service(capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": 1}, {"capacityProvider": "FARGATE_SPOT", "base": 2}])
    messages = sdk_analyze(ecs.POLICIES, SERVICE_TYPE, props).messages(
        "service-launch-configuration")
    assert "FARGATE, FARGATE_SPOT all set base" in messages[0]


def test_sdk_launch_configuration_compliant_and_not_applicable():
    assert sdk_analyze(ecs.POLICIES, SERVICE_TYPE, service()).violations == []
    outcome = sdk_analyze(ecs.POLICIES, SERVICE_TYPE, service(capacityProviderStrategies=REMOVE))
    assert "service-launch-configuration" in outcome.not_applicable
    assert "service-launch-configuration" in sdk_analyze(
        ecs.POLICIES, TASK_DEFINITION_TYPE, {"family": "x"}).not_applicable


def test_sdk_native_service_launch_configuration():
    """Beta web is an aws-native service on launchType FARGATE: compliant; with a strategy as
    well, mandatory, as on the pulumi-aws service."""
    on_launch_type = native_service(capacityProviderStrategy=REMOVE, launchType="FARGATE")
    assert sdk_analyze(ecs.POLICIES, NATIVE_SERVICE_TYPE, on_launch_type).violations == []
    outcome = sdk_analyze(ecs.POLICIES, NATIVE_SERVICE_TYPE, native_service(launchType="FARGATE"))
    assert outcome.levels("service-launch-configuration") == {"mandatory"}
    assert "beta web: launchType FARGATE and a capacity provider strategy (FARGATE)" in \
        outcome.messages("service-launch-configuration")[0]
    outcome = sdk_analyze(ecs.POLICIES, NATIVE_SERVICE_TYPE,
                          native_service(capacityProviderStrategy=REMOVE))
    assert "service-launch-configuration" in outcome.not_applicable


# --- capacity-providers-associated ----------------------------------------------------------------


class _Resource:
    def __init__(self, resource_type, name, props):
        self.resource_type, self.name, self.props, self.urn = resource_type, name, props, name


def _index(resources):
    return StackIndex.build([_Resource(*r) for r in resources])


def test_validator_unassociated_providers():
    index = _index(stack(providers=("FARGATE_SPOT",)))
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", ["FARGATE"])
    index = _index(stack())
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", [])
    # A cluster the stack does not manage: its associations are unknown, nothing is reported.
    index = _index(stack(providers=None, managed=False))
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", [])


def test_sdk_associated_providers_are_compliant():
    assert sdk_analyze_stack(ecs.STACK_POLICIES, stack()).violations == []


@pytest.mark.parametrize("providers", [None, ("FARGATE_SPOT",), ()])
def test_sdk_strategy_on_a_provider_the_cluster_lacks_is_mandatory(providers):
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, stack(providers=providers))
    assert outcome.levels("capacity-providers-associated") == {"mandatory"}
    message = outcome.messages("capacity-providers-associated")[0]
    assert "beta web: runs on FARGATE, which cluster z360-beta does not associate" in message
    assert "cannot contain a capacity provider that is not associated" in message


@pytest.mark.parametrize("providers, violations", [(("FARGATE",), 0), (("FARGATE_SPOT",), 1)])
def test_sdk_native_service_strategy_is_joined_to_its_cluster(providers, violations):
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, stack(providers=providers, native=True))
    messages = outcome.messages("capacity-providers-associated")
    assert len(messages) == violations
    if violations:
        assert "beta web: runs on FARGATE, which cluster z360-beta does not associate" in \
            messages[0]


def test_sdk_launch_type_services_are_not_applicable_to_associations():
    svc = service(capacityProviderStrategies=REMOVE, launchType="FARGATE")
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, stack(providers=None, svc=svc))
    assert "capacity-providers-associated" in outcome.not_applicable


def test_sdk_unknown_association_is_skipped_not_reported():
    resources = stack()
    resources[-1] = (CLUSTER_CAPACITY_PROVIDERS_TYPE, "app-capacity-providers",
                     {"clusterName": "z360-beta", "capacityProviders": UNKNOWN})
    assert sdk_analyze_stack(ecs.STACK_POLICIES, resources).violations == []


# --- alarm-period-matches-metric -------------------------------------------------------------------


def alarm(**changes):
    return changed({"name": "z360-beta-web-high-cpu", "namespace": "AWS/ECS",
                    "metricName": "CPUUtilization", "period": 60, "alarmActions": [TOPIC]},
                   **changes)


def test_validator_alarm_period():
    """One function for every caller (metric_facts.py): a period is filled when it is a
    multiple of the resolution; without one, the namespace's finest (AWS/ECS 20 s)."""
    assert alarm_period_problem("AWS/ECS", 60) is None
    assert alarm_period_problem("AWS/ECS", 120) is None
    assert alarm_period_problem("AWS/ECS", 20) is None  # some resolution fills it
    assert "arrive every 20 s at best" in alarm_period_problem("AWS/ECS", 30)
    assert "arrive every 20 s at best" in alarm_period_problem("AWS/ECS", 10)
    assert "arrive every 60 s" in alarm_period_problem("AWS/ECS", 30, resolution=60)
    assert "arrive every 60 s" in alarm_period_problem("AWS/ECS", 20, resolution=60)
    assert alarm_period_problem("AWS/ECS", 20, resolution=20) is None
    assert "one datapoint or none" in alarm_period_problem("AWS/ECS", 30, resolution=20)
    assert "arrive every 60 s" in alarm_period_problem("ECS/ContainerInsights", 20)
    assert alarm_period_problem("Custom/HighRes", 10) is None


@pytest.mark.parametrize("namespace, period, finest", [
    ("AWS/ECS", 10, 20), ("AWS/ECS", 30, 20), ("ECS/ContainerInsights", 20, 60),
])
def test_sdk_period_no_resolution_fills_is_mandatory(namespace, period, finest):
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE,
                          alarm(namespace=namespace, period=period))
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}
    assert f"period {period} s; {namespace} metrics arrive every {finest} s" in \
        outcome.messages("alarm-period-matches-metric")[0]


def test_sdk_20s_period_on_aws_ecs_is_left_to_the_stack_rule():
    """An alarm alone does not say whether its service publishes 20 s metrics: the resource
    rule lets 20 s through and alarm-period-matches-resolution judges it
    (tests/policies/test_resolution.py)."""
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, alarm(period=20))
    assert outcome.messages("alarm-period-matches-metric") == []


def test_sdk_alarm_period_compliant_configured_and_not_applicable():
    policies = cloudwatch.RESOURCE_POLICIES
    assert sdk_analyze(policies, METRIC_ALARM_TYPE, alarm()).violations == []
    # An estate without 20 s metrics may say so: then 20 s is refused before the `up`.
    config = {"alarm-period-matches-metric": {"resolutionSeconds": {"AWS/ECS": 60}}}
    assert sdk_analyze(policies, METRIC_ALARM_TYPE, alarm(period=20), config=config
                       ).levels("alarm-period-matches-metric") == {"mandatory"}
    outcome = sdk_analyze(policies, METRIC_ALARM_TYPE, alarm(namespace="Custom/App", period=10))
    assert "alarm-period-matches-metric" in outcome.not_applicable


# --- secrets ------------------------------------------------------------------------------------------


def document(*resources):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
        "Resource": list(resources)}]})


def test_validator_secret_arns():
    assert secret_resource_arn(f"{SECRET}:password::") == f"{SECRET}-??????"
    assert secret_resource_arn(f"{SECRET}-AbCdEf:password:AWSCURRENT:") == f"{SECRET}-AbCdEf"
    ssm = "arn:aws:ssm:us-east-1:108782097218:parameter/z360/key"
    assert secret_resource_arn(ssm) == ssm
    assert grants([f"{SECRET}-??????"], f"{SECRET}-??????")
    assert grants([f"{SECRET}-??????"], f"{SECRET}-AbCdEf")
    assert not grants([f"{SECRET}:password::"], f"{SECRET}-??????")
    assert iam.secret_reference_findings(json.loads(document(f"{SECRET}:password::")))


def test_sdk_secret_reference_as_resource_is_mandatory():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE,
                          {"policy": document(f"{SECRET}:password::")})
    assert outcome.levels("secret-resources-are-secret-arns") == {"mandatory"}
    assert f"grant {SECRET}-??????" in outcome.messages("secret-resources-are-secret-arns")[0]


def test_sdk_secret_arns_are_compliant_and_other_policies_not_applicable():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": document(f"{SECRET}-??????")})
    assert outcome.violations == []
    logs = json.dumps({"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",
                                      "Resource": "*"}]})
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": logs})
    assert "secret-resources-are-secret-arns" in outcome.not_applicable


def secret_stack(granted):
    containers = json.dumps([{"name": "web", "secrets": [
        {"name": "DB", "valueFrom": f"{SECRET}:password::"}]}])
    return [
        (TASK_DEFINITION_TYPE, "web-task", {"family": "z360-beta-web", "tags": TAGS,
                                            "containerDefinitions": containers}),
        (ROLE_TYPE, "web-execution-role", {"name": "z360-beta-web-execution", "tags": TAGS}),
        (ROLE_POLICY_TYPE, "web-execution-policy", {"role": "z360-beta-web-execution",
                                                    "policy": document(granted)}),
    ]


def test_sdk_execution_role_granting_the_secret_arn_is_compliant():
    assert sdk_analyze_stack(iam.STACK_POLICIES, secret_stack(f"{SECRET}-??????")).violations == []


def test_sdk_execution_role_granting_the_reference_is_mandatory():
    outcome = sdk_analyze_stack(iam.STACK_POLICIES, secret_stack(f"{SECRET}:password::"))
    assert outcome.levels("execution-role-grants-secrets") == {"mandatory"}
    assert (f"web: execution role z360-beta-web-execution lacks secretsmanager:GetSecretValue "
            f"on {SECRET}-??????") in outcome.messages("execution-role-grants-secrets")[0]


def test_sdk_task_without_secrets_is_not_applicable():
    resources = [r for r in secret_stack(SECRET) if r[0] != TASK_DEFINITION_TYPE]
    outcome = sdk_analyze_stack(iam.STACK_POLICIES, resources)
    assert "execution-role-grants-secrets" in outcome.not_applicable


# --- sns -------------------------------------------------------------------------------------------------


def subscription(endpoint="ansar@z360.biz", protocol="email"):
    return {"topic": TOPIC, "protocol": protocol, "endpoint": endpoint}


def test_validator_address_key_and_duplicates():
    assert sns.address_key("Ops:Team@Z360.biz") == "ops%3Ateam@z360.biz"
    notification = {"subscriberEmailAddresses": ["Ansar@z360.biz"],
                    "subscriberSnsTopicArns": [TOPIC]}
    assert sns.duplicate_recipients(notification, {TOPIC: {"ansar@z360.biz"}}) == [
        "ansar@z360.biz"]
    assert sns.duplicate_recipients({"subscriberSnsTopicArns": [TOPIC]},
                                    {TOPIC: {"ansar@z360.biz"}}) == []


def test_sdk_subscription_named_by_position_is_advisory():
    outcome = sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE, subscription(),
                          name="alerts-email-0")
    assert outcome.levels("email-subscription-keyed-by-address") == {"advisory"}
    assert "not named after its address" in outcome.messages(
        "email-subscription-keyed-by-address")[0]


def test_sdk_subscription_named_by_address_is_compliant_and_https_not_applicable():
    assert sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE, subscription(),
                       name="alerts-email-ansar@z360.biz").violations == []
    outcome = sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE,
                          subscription("https://hooks.example", "https"), name="hook")
    assert "email-subscription-keyed-by-address" in outcome.not_applicable


def budget_stack(emails):
    notification = {"threshold": 500, "notificationType": "ACTUAL",
                    "subscriberSnsTopicArns": [TOPIC]}
    if emails:
        notification["subscriberEmailAddresses"] = emails
    return [(BUDGET_TYPE, "monthly-budget", {"name": "z360", "notifications": [notification]}),
            (TOPIC_SUBSCRIPTION_TYPE, "alerts-email-ansar@z360.biz", subscription())]


def test_sdk_budget_mailing_a_topic_subscriber_directly_is_advisory():
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, budget_stack(["ansar@z360.biz"]))
    assert outcome.levels("budget-alert-single-path") == {"advisory"}
    assert "mails ansar@z360.biz directly and through a topic" in outcome.messages(
        "budget-alert-single-path")[0]


def test_sdk_budget_single_path_compliant_and_not_applicable():
    assert sdk_analyze_stack(sns.STACK_POLICIES, budget_stack([])).violations == []
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, budget_stack([])[1:])
    assert "budget-alert-single-path" in outcome.not_applicable


# --- hostile shapes: the kit's readers on issue 12's rules ----------------------------------------


@pytest.mark.parametrize("base, flagged", [("0", False), (0, False), ("2", True), (2.0, True)])
def test_sdk_strategy_base_is_read_as_the_provider_takes_it(base, flagged):
    """A base of "0" is no base, "2" is one: two providers with "2" are the violation."""
    props = service(capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": base},
        {"capacityProvider": "FARGATE_SPOT", "base": base}])
    messages = sdk_analyze(ecs.POLICIES, SERVICE_TYPE, props).messages(
        "service-launch-configuration")
    assert bool(messages) == flagged, messages


@pytest.mark.parametrize("strategy", ["FARGATE", {"capacityProvider": "FARGATE"}, 7])
def test_sdk_malformed_strategy_reads_as_none_never_raised(strategy):
    outcome = sdk_analyze(ecs.POLICIES, SERVICE_TYPE,
                          service(capacityProviderStrategies=strategy, launchType="FARGATE"))
    assert outcome.violations == []  # a launch type alone; the strategy is not one
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES,
                                stack(svc=service(capacityProviderStrategies=strategy)))
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


def test_iam_actions_match_as_globs_for_grants_too():
    """`secretsmanager:Get*Value` and `secretsmanager:?etSecretValue` grant GetSecretValue (IAM
    matches Action as a glob, the same rule iam-no-wildcard-actions uses to find patterns)."""
    assert iam.action_matches("secretsmanager:Get*Value", "secretsmanager:GetSecretValue")
    assert iam.action_matches("SecretsManager:?etSecretValue", "secretsmanager:GetSecretValue")
    assert not iam.action_matches("secretsmanager:Get*", "ssm:GetParameters")
    resources = secret_stack(f"{SECRET}-??????")
    policy = json.loads(resources[2][2]["policy"])
    policy["Statement"][0]["Action"] = "secretsmanager:*Secret?alue"
    resources[2] = (ROLE_POLICY_TYPE, "web-execution-policy",
                    changed(resources[2][2], policy=json.dumps(policy)))
    assert sdk_analyze_stack(iam.STACK_POLICIES, resources).violations == []


def test_sdk_a_policy_that_is_not_json_hides_no_other_service():
    """The execution-role rule skips a policy it cannot read (the resource rules report it)."""
    broken = [(t, f"api-{n}", changed(p, tags={"z360:service": "api"}) if "tags" in p else p)
              for t, n, p in secret_stack(f"{SECRET}:password::")]
    broken[1] = (ROLE_TYPE, "api-execution-role", {"name": "z360-beta-api-execution",
                                                   "tags": {"z360:service": "api"}})
    broken[2] = (ROLE_POLICY_TYPE, "api-execution-policy",
                 {"role": "z360-beta-api-execution", "policy": "{not json"})
    outcome = sdk_analyze_stack(iam.STACK_POLICIES,
                                secret_stack(f"{SECRET}:password::") + broken)
    assert outcome.levels("execution-role-grants-secrets") == {"mandatory"}
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


@pytest.mark.parametrize("notifications", ["x", [None, "x"], 3])
def test_sdk_malformed_budget_notifications_are_skipped_not_raised(notifications):
    resources = budget_stack(["ansar@z360.biz"])
    resources[0] = (BUDGET_TYPE, "monthly-budget", {"name": "z360",
                                                    "notifications": notifications})
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, resources)
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]
