"""ECS rules (policies/guardrails/ecs.py): task definitions, services' launch configuration and
monitoring on one resource through the SDK's real Analyze path, capacity providers through its
AnalyzeStack path, and the validators on their own. Each policy has compliant, non-compliant and
not-applicable cases (`policy_case` marks, tests/policies/conftest.py)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import ecs
from policies.guardrails._index import StackIndex
from policies.guardrails._kit import NotApplicable
from policies.guardrails.facts.conventions import INTERRUPTIBLE_TAG, NOT_INTERRUPTIBLE
from policies.guardrails.facts.types import (
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    NATIVE_SERVICE_TYPE,
    SERVICE_TYPE,
    TASK_DEFINITION_TYPE,
)
from policies.guardrails.facts.wafv2 import WEB_ACL_TAG
from tests.support.policy_resources import WEB_TAGS, containers, native_service, service
from tests.support.policy_resources import task_definition as task
from tests.support.policy_sdk import REMOVE, sdk_analyze, sdk_analyze_stack

TASK = TASK_DEFINITION_TYPE
ALL = ecs.POLICIES
TASK_RULES = ("fargate-task-size", "no-plaintext-secrets")


@pytest.mark.policy_case("compliant", *TASK_RULES)
def test_compliant_task_definition_has_no_violations():
    assert sdk_analyze(ALL, TASK, task()).violations == []


@pytest.mark.policy_case("non-compliant", "fargate-task-size")
def test_memory_not_allowed_with_cpu_is_mandatory_and_names_the_allowed_range():
    outcome = sdk_analyze(ALL, TASK, task(memory="1536"))
    assert outcome.levels("fargate-task-size") == {"mandatory"}
    message = outcome.messages("fargate-task-size")[0]
    assert "cpu 1024 with memory 1536 is not a Fargate task size" in message
    assert "2048 to 8192 in steps of 1024" in message


def test_cpu_that_fargate_lacks_is_a_violation():
    assert sdk_analyze(ALL, TASK, task(cpu="768")).messages("fargate-task-size")


def test_sixteen_vcpu_on_windows_is_a_violation():
    props = task(cpu="16384", memory="32768", runtimePlatform={
        "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"})
    messages = sdk_analyze(ALL, TASK, props).messages("fargate-task-size")
    assert any("needs runtimePlatform.operatingSystemFamily LINUX" in m for m in messages)


def test_sixteen_vcpu_with_no_runtime_platform_runs_on_linux():
    props = task(cpu="16384", memory="32768", runtimePlatform=REMOVE)
    assert sdk_analyze(ALL, TASK, props).messages("fargate-task-size") == []


@pytest.mark.policy_case("not-applicable", "fargate-task-size")
def test_ec2_task_definition_is_not_applicable():
    outcome = sdk_analyze(ALL, TASK, task(requiresCompatibilities=["EC2"], memory="1536"))
    assert "fargate-task-size" in outcome.not_applicable
    assert outcome.messages("fargate-task-size") == []


def test_unknown_cpu_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, TASK, task(cpu=UNKNOWN))
    assert outcome.violations == []
    assert "fargate-task-size" in outcome.unknown


@pytest.mark.policy_case("non-compliant", "no-plaintext-secrets")
def test_secret_named_variable_in_environment_is_mandatory():
    props = task(containerDefinitions=containers(environment=["APP_ENV", "STRIPE_API_KEY"]))
    outcome = sdk_analyze(ALL, TASK, props)
    assert outcome.levels("no-plaintext-secrets") == {"mandatory"}
    assert "STRIPE_API_KEY in plain environment" in outcome.messages("no-plaintext-secrets")[0]


def test_secret_pattern_comes_from_policy_config():
    props = task(containerDefinitions=containers(environment=["APP_ENV"]))
    config = {"no-plaintext-secrets": {"secretNamePattern": "^APP_"}}
    assert sdk_analyze(ALL, TASK, props, config=config).messages("no-plaintext-secrets")


def test_invalid_secret_pattern_is_reported_not_raised():
    config = {"no-plaintext-secrets": {"secretNamePattern": "("}}
    messages = sdk_analyze(ALL, TASK, task(), config=config).messages("no-plaintext-secrets")
    assert "is not a valid regular expression" in messages[0]


def test_unknown_container_definitions_during_preview_are_not_a_violation():
    outcome = sdk_analyze(ALL, TASK, task(containerDefinitions=UNKNOWN))
    assert outcome.messages("no-plaintext-secrets") == []
    assert "no-plaintext-secrets" in outcome.unknown


@pytest.mark.policy_case("not-applicable", *TASK_RULES)
def test_task_rules_do_not_apply_to_services():
    outcome = sdk_analyze(ALL, SERVICE_TYPE, {"name": "s"})
    assert {"fargate-task-size", "no-plaintext-secrets"} <= outcome.not_applicable


# --- service-launch-configuration ----------------------------------------------------------------


def test_validator_launch_configuration():
    assert ecs.launch_configuration_problems(service()) == []
    assert ecs.launch_configuration_problems(
        service(capacityProviderStrategies=REMOVE, launchType="FARGATE")) == []
    assert "ECS requires the launch type to be omitted" in ecs.launch_configuration_problems(
        service(launchType="FARGATE"))[0]
    with pytest.raises(NotApplicable):
        ecs.launch_configuration_problems(service(capacityProviderStrategies=REMOVE))


@pytest.mark.policy_case("non-compliant", "service-launch-configuration")
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


@pytest.mark.policy_case("compliant", "service-launch-configuration")
@pytest.mark.policy_case("not-applicable", "service-launch-configuration")
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


@pytest.mark.parametrize("strategy, expected", [
    ([{"capacityProvider": "FARGATE_SPOT", "weight": 1001}],
     "FARGATE_SPOT weight 1001: ECS takes a whole number from 0 to 1,000"),
    ([{"capacityProvider": "FARGATE", "base": 100_001, "weight": 1}],
     "FARGATE base 100001: ECS takes a whole number from 0 to 100,000"),
    ([{"capacityProvider": "FARGATE", "base": 1}, {"capacityProvider": "FARGATE_SPOT"}],
     "every weight is 0 or unset"),
    ([{"capacityProvider": f"P{i}", "weight": 1} for i in range(21)],
     "21 capacity providers: a strategy holds at most 20"),
], ids=["weight-above-1000", "base-above-100000", "no-weight", "21-items"])
def test_sdk_a_strategy_ecs_refuses_is_mandatory(strategy, expected):
    """CapacityProviderStrategyItem's bounds (facts/ecs.py): each on both service types."""
    for kind, props in ((SERVICE_TYPE, service(capacityProviderStrategies=strategy)),
                        (NATIVE_SERVICE_TYPE, native_service(capacityProviderStrategy=strategy))):
        outcome = sdk_analyze(ecs.POLICIES, kind, props)
        assert outcome.levels("service-launch-configuration") == {"mandatory"}, kind
        assert any(expected in m for m in outcome.messages("service-launch-configuration")), kind


def test_sdk_a_split_strategy_is_accepted():
    """FARGATE base 1 weight 1 + FARGATE_SPOT weight 1 (beta's gateway): what ECS accepts."""
    props = service(capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    assert sdk_analyze(ecs.POLICIES, SERVICE_TYPE, props).messages(
        "service-launch-configuration") == []


# --- interruptible-not-on-spot: hand-made services, so the pack alone is proven -------------

NOT_INTERRUPTIBLE_TAGS = {**WEB_TAGS, INTERRUPTIBLE_TAG: NOT_INTERRUPTIBLE}
SPOT_VOICE = [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
              {"capacityProvider": "FARGATE_SPOT", "weight": 1}]


@pytest.mark.policy_case("non-compliant", "interruptible-not-on-spot")
def test_sdk_spot_on_a_service_tagged_not_interruptible_is_mandatory():
    """A voice-like service tagged z360:interruptible=false on a strategy with FARGATE_SPOT:
    refused on both service types, whatever the config said."""
    classic = service(tags=NOT_INTERRUPTIBLE_TAGS, capacityProviderStrategies=SPOT_VOICE)
    outcome = sdk_analyze(ecs.POLICIES, SERVICE_TYPE, classic)
    assert outcome.levels("interruptible-not-on-spot") == {"mandatory"}
    assert "places tasks on FARGATE_SPOT" in outcome.messages("interruptible-not-on-spot")[0]
    native = native_service(
        tags=[{"key": k, "value": v} for k, v in NOT_INTERRUPTIBLE_TAGS.items()],
        capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    assert sdk_analyze(ecs.POLICIES, NATIVE_SERVICE_TYPE, native).levels(
        "interruptible-not-on-spot") == {"mandatory"}


@pytest.mark.policy_case("compliant", "interruptible-not-on-spot")
def test_sdk_a_service_tagged_not_interruptible_on_fargate_is_compliant():
    """Look-alike: FARGATE_SPOT listed with weight 0 and no base places no task there."""
    for strategy in ([{"capacityProvider": "FARGATE", "weight": 1}],
                     [{"capacityProvider": "FARGATE", "weight": 1},
                      {"capacityProvider": "FARGATE_SPOT", "weight": 0}]):
        props = service(tags=NOT_INTERRUPTIBLE_TAGS, capacityProviderStrategies=strategy)
        assert sdk_analyze(ecs.POLICIES, SERVICE_TYPE, props).messages(
            "interruptible-not-on-spot") == []


@pytest.mark.policy_case("not-applicable", "interruptible-not-on-spot")
def test_sdk_an_untagged_service_on_spot_is_not_judged():
    """Without the tag an interruption is harmless: Spot is the service's own choice."""
    props = service(capacityProviderStrategies=SPOT_VOICE)
    assert "interruptible-not-on-spot" in sdk_analyze(
        ecs.POLICIES, SERVICE_TYPE, props).not_applicable


@pytest.mark.parametrize("base, flagged", [("0", False), (0, False), ("2", True), (2.0, True)])
def test_sdk_strategy_base_is_read_as_the_provider_takes_it(base, flagged):
    """A base of "0" is no base, "2" is one: two providers with "2" are the violation."""
    props = service(capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": base, "weight": 1},
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
                                _stack(svc=service(capacityProviderStrategies=strategy)))
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


# --- service-monitoring-valid ----------------------------------------------------------------

MONITORING = "service-monitoring-valid"


@pytest.mark.policy_case("compliant", MONITORING)
def test_compliant_monitoring_has_no_violations():
    assert sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE, native_service()).violations == []


@pytest.mark.policy_case("not-applicable", MONITORING)
def test_monitoring_rule_does_not_apply_without_monitoring():
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                          native_service(monitoring=REMOVE))
    assert MONITORING in outcome.not_applicable


@pytest.mark.policy_case("non-compliant", MONITORING)
def test_20s_metrics_with_code_deploy_controller_are_mandatory():
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                          native_service(deploymentController={"type": "CODE_DEPLOY"}))
    assert outcome.levels(MONITORING) == {"mandatory"}
    assert "beta web" in outcome.messages(MONITORING)[0]
    assert "ECS deployment controller" in outcome.messages(MONITORING)[0]


def test_bad_resolution_and_metric_name_are_reported():
    bad = {"metricConfigurations": [
        {"metricNames": ["CPUUtilization", "RunningTaskCount"], "resolutionSeconds": 30}]}
    messages = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                           native_service(monitoring=bad)).messages(MONITORING)
    assert any("resolutionSeconds 30" in m for m in messages)
    assert any("'RunningTaskCount'" in m for m in messages)


def test_malformed_monitoring_entries_are_reported_not_raised():
    props = native_service(monitoring={"metricConfigurations": ["CPUUtilization",
                                                                {"metricNames": "x",
                                                                 "resolutionSeconds": "20"}]})
    messages = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE, props).messages(MONITORING)
    assert any("metricConfigurations[0] is not an object" in m for m in messages), messages
    assert not [m for m in messages if "failed on this resource" in m]


# --- capacity-providers-associated (stack) ----------------------------------------------------


def _stack(providers=("FARGATE",), managed=True, svc=None, native=False):
    """Beta web's service, its cluster (when `managed`) and the cluster's capacity providers
    (none when `providers` is None)."""
    resources = [(NATIVE_SERVICE_TYPE, "web-service", svc or native_service()) if native
                 else (SERVICE_TYPE, "web-service", svc or service())]
    if managed:
        resources.append((CLUSTER_TYPE, "app-cluster", {"name": "z360-beta"}))
    if providers is not None:
        resources.append((CLUSTER_CAPACITY_PROVIDERS_TYPE, "app-capacity-providers", {
            "clusterName": "z360-beta", "capacityProviders": list(providers)}))
    return resources


class _Resource:
    def __init__(self, resource_type, name, props):
        self.resource_type, self.name, self.props, self.urn = resource_type, name, props, name


def _index(resources):
    return StackIndex.build([_Resource(*r) for r in resources])


def test_validator_unassociated_providers():
    index = _index(_stack(providers=("FARGATE_SPOT",)))
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", ["FARGATE"])
    index = _index(_stack())
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", [])
    # A cluster the stack does not manage: its associations are unknown, nothing is reported.
    index = _index(_stack(providers=None, managed=False))
    assert ecs.unassociated_providers(index, index.services[0]) == ("z360-beta", [])


@pytest.mark.policy_case("compliant", "capacity-providers-associated")
def test_sdk_associated_providers_are_compliant():
    assert sdk_analyze_stack(ecs.STACK_POLICIES, _stack()).violations == []


@pytest.mark.policy_case("non-compliant", "capacity-providers-associated")
@pytest.mark.parametrize("providers", [None, ("FARGATE_SPOT",), ()])
def test_sdk_strategy_on_a_provider_the_cluster_lacks_is_mandatory(providers):
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, _stack(providers=providers))
    assert outcome.levels("capacity-providers-associated") == {"mandatory"}
    message = outcome.messages("capacity-providers-associated")[0]
    assert "beta web: runs on FARGATE, which cluster z360-beta does not associate" in message
    assert "cannot contain a capacity provider that is not associated" in message


@pytest.mark.parametrize("providers, violations", [(("FARGATE",), 0), (("FARGATE_SPOT",), 1)])
def test_sdk_native_service_strategy_is_joined_to_its_cluster(providers, violations):
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, _stack(providers=providers, native=True))
    messages = outcome.messages("capacity-providers-associated")
    assert len(messages) == violations
    if violations:
        assert "beta web: runs on FARGATE, which cluster z360-beta does not associate" in \
            messages[0]


@pytest.mark.policy_case("not-applicable", "capacity-providers-associated")
def test_sdk_launch_type_services_are_not_applicable_to_associations():
    svc = service(capacityProviderStrategies=REMOVE, launchType="FARGATE")
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, _stack(providers=None, svc=svc))
    assert "capacity-providers-associated" in outcome.not_applicable


def test_sdk_unknown_association_is_skipped_not_reported():
    resources = _stack()
    resources[-1] = (CLUSTER_CAPACITY_PROVIDERS_TYPE, "app-capacity-providers",
                     {"clusterName": "z360-beta", "capacityProviders": UNKNOWN})
    assert sdk_analyze_stack(ecs.STACK_POLICIES, resources).violations == []



# --- service-load-balancer-declared ------------------------------------------------------------

LB_RULE = "service-load-balancer-declared"
WEB_ACL = "z360-beta-web-web-acl"
ENTRY = {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/"
                           "z360-beta-web/0123456789abcdef",
         "containerName": "web", "containerPort": 80}


def _behind_web_acl(native: bool = False, **changes):
    """Beta web as the program sends it behind its web ACL: tagged with the web ACL's name."""
    changes = {"loadBalancers": [ENTRY], **changes}
    if native:
        tags = [{"key": k, "value": v} for k, v in {**WEB_TAGS, WEB_ACL_TAG: WEB_ACL}.items()]
        return native_service(tags=tags, **changes)
    return service(tags={**WEB_TAGS, WEB_ACL_TAG: WEB_ACL}, **changes)


@pytest.mark.policy_case("compliant", LB_RULE)
@pytest.mark.parametrize("native", [False, True], ids=["pulumi-aws", "aws-native"])
def test_a_service_behind_a_web_acl_with_its_target_group_is_compliant(native):
    resource_type = NATIVE_SERVICE_TYPE if native else SERVICE_TYPE
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, resource_type, _behind_web_acl(native))
    assert outcome.messages(LB_RULE) == []
    assert LB_RULE not in outcome.not_applicable


@pytest.mark.policy_case("non-compliant", LB_RULE)
@pytest.mark.parametrize("native", [False, True], ids=["pulumi-aws", "aws-native"])
@pytest.mark.parametrize("load_balancers", [REMOVE, []], ids=["unset", "empty"])
def test_an_up_that_would_detach_a_service_behind_a_web_acl_is_mandatory(native, load_balancers):
    resource_type = NATIVE_SERVICE_TYPE if native else SERVICE_TYPE
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, resource_type,
                          _behind_web_acl(native, loadBalancers=load_balancers))
    assert outcome.levels(LB_RULE) == {"mandatory"}
    message = outcome.messages(LB_RULE)[0]
    assert f"beta web: is behind web ACL {WEB_ACL}'s load balancer but declares no " \
        "loadBalancers" in message
    assert "services.<key>.loadBalancer" in message


@pytest.mark.parametrize("entry, missing", [
    ({**ENTRY, "containerPort": None}, "containerPort"),
    ({**ENTRY, "containerName": ""}, "containerName"),
    ({"containerPort": 80}, "targetGroupArn, containerName"),
    ("web", "targetGroupArn, containerName, containerPort"),
])
def test_an_entry_that_names_no_target_group_container_or_port_is_reported(entry, missing):
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, SERVICE_TYPE,
                          _behind_web_acl(loadBalancers=[entry]))
    assert outcome.messages(LB_RULE) == [
        f"beta web: loadBalancers[0] lacks {missing}: ECS registers a task with a target group "
        "by container name and port"]


@pytest.mark.policy_case("not-applicable", LB_RULE)
def test_a_service_behind_no_web_acl_is_not_applicable():
    """Look-alike: a worker with no load balancer and no web ACL (beta queue)."""
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, SERVICE_TYPE, service())
    assert LB_RULE in outcome.not_applicable
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, TASK_DEFINITION_TYPE, task())
    assert LB_RULE in outcome.not_applicable


def test_unknown_load_balancers_during_preview_are_not_a_violation():
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, SERVICE_TYPE,
                          _behind_web_acl(loadBalancers=UNKNOWN))
    assert outcome.messages(LB_RULE) == []
    assert LB_RULE in outcome.unknown
