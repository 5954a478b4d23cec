"""What AWS enforces that the mock engine does not (issue 12), in the program: capacity
providers, launch configuration, one budget alert path, address-keyed subscriptions, secret
ARNs and KMS, and alarm periods. Each test fails on the program before the fix."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi_aws_native
import pytest

from components.scalable_service import execution_role_policy
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    NATIVE_SERVICE_TYPE,
    SERVICE_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
)
from stack_model.config import ConfigError, load_stack_config
from tests.support.runs import stack_document
from z360_ecs.engine.diff import REPLACE_ON_CHANGE, diff_runs, render_diff
from z360_ecs.engine.program import ProgramRun

RunStack = Callable[..., ProgramRun]
CCP = CLUSTER_CAPACITY_PROVIDERS_TYPE
SERVICE = SERVICE_TYPE
NATIVE_SERVICE = NATIVE_SERVICE_TYPE  # a metricResolution 20 service
# What each type calls the strategy (pulumi-aws / pulumi-aws-native).
STRATEGY = {SERVICE: "capacityProviderStrategies", NATIVE_SERVICE: "capacityProviderStrategy"}
SUBSCRIPTION = TOPIC_SUBSCRIPTION_TYPE


def _config(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]


def _services(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]


def _load(stack: str, mutate: Callable[[dict[str, Any]], None]):
    document = stack_document(stack)
    mutate(document)
    config = _config(document)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("z360-ecs:")}
    aws = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws)


def _problems(stack: str, mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        _load(stack, mutate)
    return [str(p) for p in refused.value.problems]


# --- 1. capacity providers -----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_every_cluster_associates_the_providers_its_services_run_on(run_stack: RunStack, stack):
    """ECS CreateService: "The specified capacity provider strategy cannot contain a capacity
    provider that is not associated with the cluster" (InvalidParameterException)."""
    run = run_stack(stack)
    associated = {r.inputs["clusterName"]: r.inputs["capacityProviders"] for r in run.by_type(CCP)}
    services = [*run.by_type(SERVICE), *run.by_type(NATIVE_SERVICE)]
    assert len(services) == 6
    for service in services:
        strategy = service.inputs.get(STRATEGY[service.type]) or []
        cluster = service.inputs["cluster"].rsplit("/", 1)[-1]
        for item in strategy:
            assert item["capacityProvider"] in associated[cluster], service.urn
        # Created after the association: the service depends on it.
        association = next(r for r in run.by_type(CCP) if r.inputs["clusterName"] == cluster)
        assert association.urn in service.dependencies, service.urn


def test_adopted_cluster_keeps_the_list_the_stack_file_states(run_stack: RunStack):
    run = run_stack("beta")
    app = run.named("app-capacity-providers")
    assert app.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert run.named("agent-capacity-providers").inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_adopted_cluster_must_list_its_providers():
    problems = _problems("beta", lambda d: _config(d)["z360-ecs:clusters"]["app"].pop(
        "capacityProviders"))
    assert any(p.startswith("clusters.app.capacityProviders: unset on an adopted cluster")
               for p in problems), problems


def test_a_list_lacking_a_provider_a_service_runs_on_is_refused():
    def mutate(document):
        _config(document)["z360-ecs:clusters"]["app"]["capacityProviders"] = ["FARGATE_SPOT"]
    problems = _problems("beta", mutate)
    assert any(p.startswith("clusters.app.capacityProviders: [FARGATE_SPOT] lacks FARGATE, "
                            "which services queue, reverb run on") for p in problems), problems


def test_default_strategy_may_name_only_listed_providers():
    def mutate(document):
        _config(document)["z360-ecs:clusters"]["app"]["defaultCapacityProviderStrategy"] = [
            {"capacityProvider": "EC2_ASG", "weight": 1}]
    problems = _problems("beta", mutate)
    assert any("defaultCapacityProviderStrategy.0.capacityProvider: 'EC2_ASG' is not in "
               "capacityProviders" in p for p in problems), problems


# --- 2. launch configuration -------------------------------------------------------------------


def test_beta_web_states_its_live_launch_type(run_stack: RunStack):
    """Beta web: launchType FARGATE (issue 12) and metricResolution 20 (issue 14), so an
    aws-native service on the launch type, with its 20 s monitoring."""
    web = run_stack("beta").named("web-service")
    assert web.type == NATIVE_SERVICE
    assert web.inputs["launchType"] == "FARGATE"
    assert "capacityProviderStrategy" not in web.inputs
    assert "forceNewDeployment" not in web.inputs
    assert web.inputs["monitoring"]["metricConfigurations"][0]["resolutionSeconds"] == 20


def test_a_20s_service_waits_for_its_clusters_capacity_providers(run_stack: RunStack):
    run = run_stack("beta")
    agent = run.named("agent-capacity-providers")
    for name in ("gateway-service", "voice-service"):
        service = run.named(name)
        assert service.type == NATIVE_SERVICE
        assert service.inputs["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE"
        assert "launchType" not in service.inputs
        assert agent.urn in service.dependencies, name


def test_launch_type_and_capacity_provider_together_are_refused_naming_both():
    problems = _problems("beta", lambda d: _services(d)["web"].update(spotFrom=2))
    assert any(p.startswith("services.web.spotFrom: set together with launchType")
               for p in problems), problems


def test_the_retired_capacity_provider_key_says_what_to_write():
    problems = _problems("beta", lambda d: _services(d)["queue"].update(
        capacityProvider="FARGATE_SPOT"))
    assert any(p.startswith("services.queue.capacityProvider: 'FARGATE_SPOT': this key is "
                            "retired; write capacityProviderStrategy") for p in problems), problems


def test_adopted_service_must_state_its_launch_configuration():
    problems = _problems("beta", lambda d: _services(d)["web"].pop("launchType"))
    assert any(p.startswith("services.web.launchType: unset, and so are "
                            "capacityProviderStrategy and spotFrom")
               for p in problems), problems


def test_migration_is_never_part_of_an_adoption():
    problems = _problems("beta", lambda d: _services(d)["web"].update(
        migrateLaunchConfiguration=True))
    assert any(p.startswith("services.web.migrateLaunchConfiguration: true while importIds")
               for p in problems), problems


def _adopted(document):
    """Beta after the adoption: import ids removed, web still on its launch type."""
    _services(document)["web"].pop("importIds")


def _classic(document):
    """Beta after the adoption, web at 60 s metrics: a pulumi-aws `aws.ecs.Service`."""
    _adopted(document)
    _services(document)["web"]["metricResolution"] = 60


def _to_strategy(migrate, resolution=60):
    def mutate(document):
        _classic(document)
        web = _services(document)["web"]
        web["metricResolution"] = resolution
        web.pop("launchType")
        web["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1}]
        if migrate:
            web["migrateLaunchConfiguration"] = True
    return mutate


def test_moving_to_a_strategy_without_the_flag_is_shown_as_refused(run_stack: RunStack):
    diff = diff_runs(run_stack("beta", _classic), run_stack("beta", _to_strategy(False)))
    web = next(c for c in diff.changed if c.name == "web-service")
    assert web.type == SERVICE
    assert web.refused and not web.replaces
    text = render_diff(diff, "before", "after")
    assert "refused: pulumi-aws updates a service's capacity provider strategy only with " \
           "forceNewDeployment" in text
    assert "1 refused by the provider" in text


def test_moving_to_a_strategy_on_purpose_is_an_update_in_place(run_stack: RunStack):
    diff = diff_runs(run_stack("beta", _classic), run_stack("beta", _to_strategy(True)))
    web = next(c for c in diff.changed if c.name == "web-service")
    assert not web.refused and not web.replaces
    paths = {c.path: c.new for c in web.changes}
    assert paths["forceNewDeployment"] is True
    assert paths["capacityProviderStrategies[0].capacityProvider"] == "FARGATE"


def test_setting_a_launch_type_on_a_strategy_service_replaces_it(run_stack: RunStack):
    def mutate(document):
        _adopted(document)
        _services(document)["queue"].pop("spotFrom")
        _services(document)["queue"]["launchType"] = "FARGATE"
    diff = diff_runs(run_stack("beta", _adopted), run_stack("beta", mutate))
    queue = next(c for c in diff.changed if c.name == "queue-service")
    assert queue.replaces
    assert next(c for c in queue.changes if c.path == "launchType").replaces


# The same moves on a 20 s (aws-native) service: launchType and capacityProviderStrategy are
# not createOnlyProperties of AWS::ECS::Service (pulumi-aws-native's replace_on_changes), and
# Cloud Control needs no forceNewDeployment for them; the flag forces the deployment that moves
# the running tasks (UpdateService: a strategy change "doesn't trigger a new service deployment").


def test_a_20s_service_moves_to_a_strategy_in_place(run_stack: RunStack):
    for migrate in (False, True):
        diff = diff_runs(run_stack("beta", _adopted),
                         run_stack("beta", _to_strategy(migrate, resolution=20)))
        web = next(c for c in diff.changed if c.name == "web-service")
        assert web.type == NATIVE_SERVICE
        assert not web.refused and not web.replaces, migrate
        paths = {c.path: c.new for c in web.changes}
        assert paths["capacityProviderStrategy[0].capacityProvider"] == "FARGATE"
        assert paths["launchType"] is None
        assert paths.get("forceNewDeployment.enableForceNewDeployment") is (
            True if migrate else None)


def test_setting_a_launch_type_on_a_20s_strategy_service_updates_it_in_place(
    run_stack: RunStack,
):
    def mutate(document):
        _adopted(document)
        _services(document)["gateway"].pop("capacityProviderStrategy")
        _services(document)["gateway"]["launchType"] = "FARGATE"
    diff = diff_runs(run_stack("beta", _adopted), run_stack("beta", mutate))
    gateway = next(c for c in diff.changed if c.name == "gateway-service")
    assert gateway.type == NATIVE_SERVICE and not gateway.replaces and not gateway.refused
    assert {c.path for c in gateway.changes} >= {"launchType"}


def test_the_diff_replaces_a_native_service_as_its_sdk_says():
    """The offline diff's table for aws-native:ecs:Service is the SDK's replace_on_changes."""
    source = inspect.getsource(pulumi_aws_native.ecs.Service._internal_init)
    listed = re.search(r"replace_on_changes=\[([^\]]*)\]", source)
    assert listed is not None
    sdk = {name.strip().strip('"') for name in listed.group(1).split(",")}
    assert set(REPLACE_ON_CHANGE[NATIVE_SERVICE] or ()) == sdk
    assert "launchType" not in sdk and "capacityProviderStrategy" not in sdk


# --- 6. budget alerts arrive once ----------------------------------------------------------------


def test_budget_notifies_the_alert_topic_only(run_stack: RunStack):
    (budget,) = run_stack("beta").by_type(BUDGET_TYPE)
    for notification in budget.inputs["notifications"]:
        assert "subscriberEmailAddresses" not in notification
        assert len(notification["subscriberSnsTopicArns"]) == 1


# --- 7. subscriptions keyed by address ---------------------------------------------------------------


def test_removing_the_first_recipient_leaves_the_second_subscription_alone(run_stack: RunStack):
    before = run_stack("beta")
    after = run_stack("beta", lambda d: _config(d)["z360-ecs:alerts"].update(
        emails=["hammasuddin@z360.biz"]))
    second = next(r for r in before.by_type(SUBSCRIPTION)
                  if r.inputs["endpoint"] == "hammasuddin@z360.biz")
    kept = next(r for r in after.by_type(SUBSCRIPTION)
                if r.inputs["endpoint"] == "hammasuddin@z360.biz")
    assert kept.urn == second.urn
    assert kept.inputs == second.inputs
    diff = diff_runs(before, after)
    assert [r.inputs["endpoint"] for r in diff.removed if r.type == SUBSCRIPTION] == [
        "ansar@z360.biz"]
    assert not [c for c in diff.changed if c.type == SUBSCRIPTION]
    assert not [r for r in diff.added if r.type == SUBSCRIPTION]


# --- 8. secrets --------------------------------------------------------------------------------


LOGS = "arn:aws:logs:us-east-1:108782097218:log-group:/ecs/x"
SECRET = "arn:aws:secretsmanager:us-east-1:108782097218:secret:z360/db"


def _statement(policy, sid):
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def test_secret_reference_suffix_is_stripped_and_partial_name_gets_the_wildcard():
    """ECS: valueFrom may be `<secret ARN>:json-key:version-stage:version-id`; Secrets Manager:
    a partial ARN needs `-??????` to match the secret's 6-character suffix."""
    policy = execution_role_policy("nginx", LOGS, [
        f"{SECRET}:password::",
        f"{SECRET}-AbCdEf:username:AWSCURRENT:",
        "arn:aws:secretsmanager:us-east-1:108782097218:secret:z360/api-Q1w2E3",
    ])
    assert _statement(policy, "ReadSecrets")["Resource"] == sorted([
        f"{SECRET}-??????",
        f"{SECRET}-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:108782097218:secret:z360/api-Q1w2E3",
    ])


def test_customer_managed_key_gets_decrypt_through_the_secret_services_only():
    key = "arn:aws:kms:us-east-1:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = execution_role_policy("nginx", LOGS, [f"{SECRET}-AbCdEf"], [key])
    decrypt = _statement(policy, "DecryptSecrets")
    assert decrypt["Action"] == ["kms:Decrypt"] and decrypt["Resource"] == [key]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == [
        "secretsmanager.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com"]
    assert "DecryptSecrets" not in {s["Sid"] for s in execution_role_policy(
        "nginx", LOGS, [f"{SECRET}-AbCdEf"])["Statement"]}


def test_kms_key_config_reaches_the_execution_role(run_stack: RunStack):
    key = "arn:aws:kms:us-east-1:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def mutate(document):
        _services(document)["queue"].update(secrets={"DB": f"{SECRET}:password::"},
                                            secretsKmsKeyArns=[key])
    policy = json.loads(run_stack("beta", mutate).named("queue-execution-policy").inputs["policy"])
    assert _statement(policy, "ReadSecrets")["Resource"] == [f"{SECRET}-??????"]
    assert _statement(policy, "DecryptSecrets")["Resource"] == [key]


def test_a_kms_key_that_is_not_a_key_arn_is_refused():
    problems = _problems("beta", lambda d: _services(d)["queue"].update(
        secretsKmsKeyArns=["alias/aws/secretsmanager"]))
    assert any(p.startswith("services.queue.secretsKmsKeyArns") and "is not a KMS key ARN" in p
               for p in problems), problems


# --- 9. alarm periods ------------------------------------------------------------------------------


@pytest.mark.parametrize("service, period, resolution", [
    ("web", 10, "every 20 s at best"),    # no resolution fills it (web publishes 20 s)
    ("web", 30, "every 20 s at best"),
    ("queue", 20, "every 60 s"),          # queue publishes once a minute
])
def test_sub_minute_periods_on_aws_ecs_are_refused(service, period, resolution):
    problems = _problems("beta", lambda d: _services(d)[service].setdefault("alarms", {}).update(
        period=period))
    assert any(p.startswith(f"services.{service}.alarms.period: {period} s: AWS/ECS metrics "
                            f"arrive {resolution}") for p in problems), problems


def test_a_minute_period_is_accepted():
    config = _load("beta", lambda d: _services(d)["web"]["alarms"].update(period=60))
    assert config.services["web"].alarms.period == 60
