"""ScalableService alone under Pulumi mocks with realistic outputs; its two service emitters held
to one description; and the rollback runbooks as stack-config changes: each change runs the real
program and the resulting registrations are what the runbooks in docs/operations.md promise."""

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.scalable_service import (
    ScalableService,
    ScalableServiceArgs,
    emit_classic_service,
    emit_native_service,
    execution_role_policy,
)
from policies.guardrails.facts.ecs import (
    CLASSIC_SERVICE_KEPT_WHEN_UNSET,
    CREATE_ONLY_BY_TYPE,
    NATIVE_SERVICE_CONDITIONALLY_CREATE_ONLY,
    cluster_name_of,
)
from policies.guardrails.facts.types import (
    NATIVE_SERVICE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
)
from policies.guardrails.facts.wafv2 import WEB_ACL_TAG
from stack_model.config import ServiceConfig
from stack_model.ecs_service import ServiceDescription, describe_service
from tests.support.configs import ACCOUNT, service_config
from z360_ecs.engine.diff import diff_runs
from z360_ecs.engine.mocks import Z360Mocks
from z360_ecs.engine.program import ProgramRun, RecordingMonitor, Registration

TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
CLUSTER_NAME = "z360-test"
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/{CLUSTER_NAME}"
TARGET_GROUP = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/z360-test-web/0123456789abcdef"
LOAD_BALANCER = (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/z360-test/"
                 "0123456789abcdef")


def _service(config: ServiceConfig, protect: bool = False) -> ScalableService:
    return ScalableService("web", ScalableServiceArgs(
        key="web", config=config, environment="test",
        cluster_arn=CLUSTER_ARN,
        cluster_name=CLUSTER_NAME, alert_topic_arn=TOPIC, account_id=ACCOUNT,
        region="us-east-1", protect=protect,
    ))


@pulumi.runtime.test
def test_scalable_service_outputs_the_task_definition_arn_and_scaling_resource_id(pulumi_mocks):
    service = _service(service_config())

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
    service = _service(service_config(scaling={"enabled": False}, alarms={}))
    assert service.scaling_resource_id is None

    def check(alarm_names):
        assert alarm_names == []

    return service.alarm_names.apply(check)


@pulumi.runtime.test
def test_pinned_revision_sends_family_colon_n(pulumi_mocks):
    service = _service(service_config(taskDefinitionRevision=20))
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


def test_container_definitions_carry_secrets_as_value_from(run_stack):
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password"

    def mutate(document):
        document["config"]["z360-ecs:services"]["web"]["secrets"] = {"DB_PASSWORD": arn}
        document["config"]["z360-ecs:services"]["web"]["environment"] = {"APP_ENV": "beta"}

    run = run_stack("beta", mutate)
    (container,) = json.loads(run.named("web-task").inputs["containerDefinitions"])
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": arn}]
    assert container["environment"] == [{"name": "APP_ENV", "value": "beta"}]


# --- one description, two emitters ----------------------------------------------------------


def _recording(mocks: Z360Mocks) -> RecordingMonitor:
    """Keep every registration the test's resources send (inputs and options)."""
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="z360-ecs", stack="test", preview=False,
                             monitor=monitor)
    return monitor


def _registered(monitor: RecordingMonitor, type_token: str) -> Registration:
    (registration,) = [r for r in monitor.registrations if r.type == type_token]
    return registration


def _classic_settings(inputs: dict[str, Any]) -> dict[str, Any]:
    network = inputs["networkConfiguration"]
    breaker = inputs["deploymentCircuitBreaker"]
    return {
        "name": inputs["name"], "cluster": cluster_name_of(inputs["cluster"]),
        "taskDefinition": inputs["taskDefinition"], "desiredCount": inputs["desiredCount"],
        "launchType": inputs.get("launchType"),
        "strategy": inputs.get("capacityProviderStrategies"),
        "schedulingStrategy": inputs["schedulingStrategy"],
        "deploymentController": inputs["deploymentController"]["type"],
        "forceNewDeployment": inputs.get("forceNewDeployment", False),
        "platformVersion": inputs["platformVersion"],
        "subnets": network["subnets"], "securityGroups": network["securityGroups"],
        "publicIp": network["assignPublicIp"],
        "loadBalancers": inputs.get("loadBalancers"),
        "circuitBreaker": (breaker["enable"], breaker["rollback"]),
        "percents": (inputs["deploymentMinimumHealthyPercent"],
                     inputs["deploymentMaximumPercent"]),
        "propagateTags": inputs["propagateTags"],
        "ecsManagedTags": inputs["enableEcsManagedTags"],
        "tags": inputs["tags"],
    }


def _native_settings(inputs: dict[str, Any]) -> dict[str, Any]:
    network = inputs["networkConfiguration"]["awsvpcConfiguration"]
    deployment = inputs["deploymentConfiguration"]
    breaker = deployment["deploymentCircuitBreaker"]
    return {
        "name": inputs["serviceName"], "cluster": cluster_name_of(inputs["cluster"]),
        "taskDefinition": inputs["taskDefinition"], "desiredCount": inputs["desiredCount"],
        "launchType": inputs.get("launchType"),
        "strategy": inputs.get("capacityProviderStrategy"),
        "schedulingStrategy": inputs["schedulingStrategy"],
        "deploymentController": inputs["deploymentController"]["type"],
        "forceNewDeployment": inputs.get("forceNewDeployment", {}).get(
            "enableForceNewDeployment", False),
        "platformVersion": inputs["platformVersion"],
        "subnets": network["subnets"], "securityGroups": network["securityGroups"],
        "publicIp": {"ENABLED": True, "DISABLED": False}[network["assignPublicIp"]],
        "loadBalancers": inputs.get("loadBalancers"),
        "circuitBreaker": (breaker["enable"], breaker["rollback"]),
        "percents": (deployment["minimumHealthyPercent"], deployment["maximumPercent"]),
        "propagateTags": inputs["propagateTags"],
        "ecsManagedTags": inputs["enableEcsManagedTags"],
        "tags": {tag["key"]: tag["value"] for tag in inputs["tags"]},
    }


def _described(service: ServiceDescription, task_definition: str,
               tags: dict[str, str]) -> dict[str, Any]:
    """What the description says, in the same neutral shape."""
    return {
        "name": service.name, "cluster": CLUSTER_NAME, "taskDefinition": task_definition,
        "desiredCount": service.desired_count, "launchType": service.launch_type,
        "strategy": [{"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base}
                     for i in service.capacity_provider_strategy] or None,
        "schedulingStrategy": service.scheduling_strategy,
        "deploymentController": service.deployment_controller,
        "forceNewDeployment": service.force_new_deployment,
        "platformVersion": service.platform_version,
        "subnets": list(service.subnets), "securityGroups": list(service.security_groups),
        "publicIp": service.assign_public_ip,
        "loadBalancers": [{"targetGroupArn": lb.target_group_arn,
                           "containerName": lb.container_name,
                           "containerPort": lb.container_port}
                          for lb in service.load_balancers] or None,
        "circuitBreaker": (service.circuit_breaker, service.rollback_on_failure),
        "percents": (service.minimum_healthy_percent, service.maximum_percent),
        "propagateTags": service.propagate_tags,
        "ecsManagedTags": service.enable_ecs_managed_tags,
        "tags": {**tags, **({WEB_ACL_TAG: service.web_acl} if service.web_acl else {})},
    }


DESCRIBED_CONFIGS = {
    # Everything set: a spot strategy being migrated to, a target group on another port, a
    # public IP, a pinned revision, and a count auto-scaling raises to its floor.
    "strategy-and-load-balancer": dict(
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                  {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
        migrateLaunchConfiguration=True, desiredCount=0,
        taskDefinitionRevision=7,
        loadBalancer={"targetGroupArn": TARGET_GROUP, "containerPort": 8080},
        network={"subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                 "securityGroups": ["sg-0123456789abcdef0"], "assignPublicIp": True},
    ),
    # The other shape: a launch type, no load balancer, a fixed count.
    "launch-type-worker": dict(launchType="FARGATE", containerPort=None, desiredCount=2,
                               scaling={"enabled": False}, alarms={}),
    # Behind a web ACL: the service carries the web ACL's name as a tag.
    "behind-a-web-acl": dict(
        launchType="FARGATE", loadBalancer={"targetGroupArn": TARGET_GROUP},
        waf={"enabled": True, "loadBalancerArn": LOAD_BALANCER, "rateLimit": 3000},
    ),
}


@pytest.mark.parametrize("changes", list(DESCRIBED_CONFIGS.values()), ids=list(DESCRIBED_CONFIGS))
@pulumi.runtime.test
def test_both_emitters_send_the_same_settings_from_one_description(pulumi_mocks, changes):
    monitor = _recording(pulumi_mocks)
    service = describe_service("web", service_config(**changes))
    task_definition = service.task_definition_pin or "z360-test-web:1"
    tags = {"z360:service": "web", "z360:environment": "test"}
    emitted = _emit_both(service, task_definition, tags)

    def check(_):
        classic = _classic_settings(_registered(monitor, SERVICE_TYPE).inputs)
        native = _native_settings(_registered(monitor, NATIVE_SERVICE_TYPE).inputs)
        assert classic == native, (classic, native)
        assert classic == _described(service, task_definition, tags)

    return pulumi.Output.all(*[resource.urn for resource in emitted]).apply(check)


def _emit_both(service: ServiceDescription, task_definition: str,
               tags: dict[str, str]) -> list[pulumi.CustomResource]:
    return [
        emit(name, service, cluster_arn=CLUSTER_ARN, cluster_name=CLUSTER_NAME,
             task_definition_arn=task_definition, tags=tags, opts=pulumi.ResourceOptions())
        for name, emit in (("classic", emit_classic_service), ("native", emit_native_service))
    ]


def _has_path(inputs: dict[str, Any], path: str) -> bool:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict) or value.get(part) is None:
            return False
        value = value[part]
    return True


@pytest.mark.parametrize("changes", list(DESCRIBED_CONFIGS.values()), ids=list(DESCRIBED_CONFIGS))
@pulumi.runtime.test
def test_every_create_only_property_is_sent_or_kept_as_aws_has_it(pulumi_mocks, changes):
    """An import takes the live value of every create-only property as the old input; one the
    program neither sends nor keeps is a delete, and a delete of a create-only property is a
    replace (facts/ecs.py). Each is sent, in ignoreChanges, or (pulumi-aws) Optional+Computed
    and unset; aws-native's launchType only where the service runs on a launch type."""
    monitor = _recording(pulumi_mocks)
    service = describe_service("web", service_config(**changes))
    emitted = _emit_both(service, "z360-test-web:1", {"z360:service": "web"})

    def check(_):
        for type_token in (SERVICE_TYPE, NATIVE_SERVICE_TYPE):
            registration = _registered(monitor, type_token)
            kept = set(registration.ignore_changes)
            if type_token == SERVICE_TYPE:
                kept |= set(CLASSIC_SERVICE_KEPT_WHEN_UNSET) - {"cluster"}
            elif service.launch_type is None:
                kept |= set(NATIVE_SERVICE_CONDITIONALLY_CREATE_ONLY)
            for path in CREATE_ONLY_BY_TYPE[type_token]:
                assert _has_path(registration.inputs, path) or path in kept, (type_token, path)
            # The role is never sent: with awsvpc tasks it is ECS's service-linked role.
            assert "role" not in registration.inputs and "iamRole" not in registration.inputs

    return pulumi.Output.all(*[resource.urn for resource in emitted]).apply(check)


@pytest.mark.parametrize("resolution", [60, 20])
@pulumi.runtime.test
def test_with_scaling_either_provider_leaves_the_count_to_auto_scaling(pulumi_mocks, resolution):
    monitor = _recording(pulumi_mocks)
    component = _service(service_config(metricResolution=resolution, desiredCount=0))

    def check(_):
        (service,) = [r for r in monitor.registrations
                      if r.type in (SERVICE_TYPE, NATIVE_SERVICE_TYPE)]
        expected = NATIVE_SERVICE_TYPE if resolution == 20 else SERVICE_TYPE
        assert service.type == expected, service.urn
        # aws-native also keeps the live service's role (test below).
        kept = ["desiredCount", "role"] if resolution == 20 else ["desiredCount"]
        assert service.ignore_changes == kept, service.urn
        assert service.inputs["desiredCount"] == 1, service.urn  # raised to scaling.min

    return component.service_name.apply(check)


@pytest.mark.parametrize("resolution", [60, 20])
@pulumi.runtime.test
def test_a_service_without_scaling_sends_its_count_with_either_provider(pulumi_mocks, resolution):
    # Look-alike of a scaled service: min and max written down, but scaling is off, so the
    # count is the service's own and nothing holds it back.
    monitor = _recording(pulumi_mocks)
    # Without scaling, only an alarm at a 20 s period reads 20 s metrics (the config refuses
    # them when nothing does).
    alarms = {} if resolution == 60 else {"cpuHigh": 80, "period": 20}
    config = service_config(metricResolution=resolution, desiredCount=5, alarms=alarms,
                            scaling={"enabled": False, "min": 1, "max": 2})
    component = _service(config)

    def check(_):
        (service,) = [r for r in monitor.registrations
                      if r.type in (SERVICE_TYPE, NATIVE_SERVICE_TYPE)]
        assert "desiredCount" not in service.ignore_changes, service.urn
        assert service.inputs["desiredCount"] == 5, service.urn
        assert not [r for r in monitor.registrations if r.type == TARGET_TYPE]

    return component.service_name.apply(check)



# --- rollback runbooks -------------------------------------------------------------------

RunStack = Callable[..., ProgramRun]
SCALING_TYPES = {TARGET_TYPE, SCALING_POLICY_TYPE}


def web(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]["web"]


def adopted(document: dict[str, Any]) -> None:
    """The stack after its first `pulumi up`: import ids removed (docs/operations.md)."""
    for service in document["config"]["z360-ecs:services"].values():
        service.pop("importIds", None)


def children_of(run: ProgramRun, component: str) -> list:
    parent = next(r.urn for r in run.registrations if r.type == "z360:ecs:ScalableService"
                  and r.name == component)
    return [r for r in run.registrations if r.parent == parent]


def test_pinning_a_revision_points_the_service_at_family_n(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d).__setitem__("taskDefinitionRevision", 20))
    assert run.named("web-service").inputs["taskDefinition"] == "z360-beta-web:20"
    # The task definition resource stays, keeping every registered revision.
    task = run.named("web-task")
    assert task.inputs["skipDestroy"] is True
    assert task.inputs["family"] == "z360-beta-web"
    # Only the pinned service changes.
    assert run.named("queue-service").inputs["taskDefinition"] != "z360-beta-queue:20"


def test_an_unpinned_service_follows_its_task_definition(run_stack: RunStack) -> None:
    run = run_stack("beta")
    assert not str(run.named("web-service").inputs["taskDefinition"]).startswith("z360-beta-web:")


def test_scaling_off_removes_target_and_policies_and_restores_the_baseline(
    run_stack: RunStack,
) -> None:
    before = run_stack("beta", mutate=adopted)

    def scaling_off(document: dict[str, Any]) -> None:
        adopted(document)
        web(document)["scaling"]["enabled"] = False
        # A fixed-count service has no max for the cost breaker to lower.
        document["config"]["z360-ecs:costBreaker"]["emergencyCeilings"].pop("web")
        web(document)["desiredCount"] = 2
        # A fixed count cannot spike: the config refuses a spike alarm on it.
        web(document)["alarms"]["taskCountSpike"] = None
        # Its 20 s metrics are then read by its alarms only (the config refuses them unread).
        web(document)["alarms"]["period"] = 20

    after = run_stack("beta", mutate=scaling_off)
    assert not {r.type for r in children_of(after, "web")} & SCALING_TYPES
    service = after.named("web-service")
    assert service.inputs["desiredCount"] == 2
    assert "desiredCount" not in service.ignore_changes
    removed = diff_runs(before, after).removed
    assert {r.name for r in removed} == {"web-scaling-target", "web-cpu-scaling",
                                         "web-memory-scaling", "web-task-count-spike"}
    # Nothing removed is protected, or `pulumi up` would refuse to delete it.
    assert not any(r.protect for r in removed)
    # Other services keep scaling.
    assert after.named("queue-scaling-target")


def test_hold_at_pins_the_target_to_min_equals_max(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d)["scaling"].__setitem__("holdAt", 3))
    target = run.named("web-scaling-target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (3, 3)
    # Target tracking stays on: it can only move the count between 3 and 3.
    assert run.named("web-cpu-scaling")
    assert "desiredCount" in run.named("web-service").ignore_changes


def test_without_hold_at_the_target_spans_min_to_max(run_stack: RunStack) -> None:
    target = run_stack("beta").named("web-scaling-target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 50)


def test_apply_desired_count_lets_the_baseline_through_for_one_update(
    run_stack: RunStack,
) -> None:
    def baseline(apply: bool) -> Callable[[dict[str, Any]], None]:
        def mutate(document: dict[str, Any]) -> None:
            web(document)["desiredCount"] = 4
            web(document)["applyDesiredCount"] = apply
        return mutate

    applied = run_stack("beta", mutate=baseline(True)).named("web-service")
    assert applied.inputs["desiredCount"] == 4
    assert "desiredCount" not in applied.ignore_changes
    held = run_stack("beta", mutate=baseline(False)).named("web-service")
    assert held.ignore_changes == ["desiredCount", "role"]


def test_raising_scaling_min_is_the_other_deliberate_baseline(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d)["scaling"].__setitem__("min", 3))
    assert run.named("web-scaling-target").inputs["minCapacity"] == 3
    assert "desiredCount" in run.named("web-service").ignore_changes



# --- adopting beta's services without a replace -----------------------------------------------


def test_beta_web_as_aws_native_states_its_create_only_properties(beta_run: ProgramRun) -> None:
    """web is adopted as an aws-native:ecs:Service: an import takes every writable property it
    reads as an input, so schedulingStrategy must be sent (REPLICA), the live role kept
    (ignoreChanges), and the cluster stated in the form the import id gives it."""
    service = beta_run.named("web-service")
    assert service.type == NATIVE_SERVICE_TYPE
    assert service.inputs["schedulingStrategy"] == "REPLICA"
    assert "role" not in service.inputs
    assert "role" in service.ignore_changes
    cluster = "z360-beta-Cluster-8E41UEvLHdpU"
    assert service.import_id.endswith(f"|{cluster}")
    assert service.inputs["cluster"] == cluster
    assert service.inputs["serviceName"] == "z360-beta-web-Service-5Ao8dxMzQ1d8"
    assert service.inputs["launchType"] == "FARGATE"


def test_beta_classic_services_state_what_pulumi_aws_forces_new(beta_run: ProgramRun) -> None:
    """Every pulumi-aws service sends name, cluster (as the ARN an import reads back),
    schedulingStrategy and deploymentController.type, and leaves the Optional+Computed iamRole
    to AWS."""
    classic = beta_run.by_type(SERVICE_TYPE)
    assert {r.name for r in classic} == {"queue-service", "reverb-service", "aegra-service"}
    for service in classic:
        inputs = service.inputs
        assert inputs["name"], service.urn
        assert inputs["cluster"].startswith("arn:aws:ecs:us-east-1:108782097218:cluster/"), \
            service.urn
        assert inputs["schedulingStrategy"] == "REPLICA", service.urn
        assert inputs["deploymentController"] == {"type": "ECS"}, service.urn
        assert "iamRole" not in inputs, service.urn


def test_beta_web_and_gateway_register_with_their_target_groups(beta_run: ProgramRun) -> None:
    """Both sit behind a web ACL's load balancer: each service declares its target group, its
    container (named after the key) and port, and carries the web ACL's name for the pack."""
    ports = {"web": 80, "gateway": 8000}
    for key, port in ports.items():
        service = beta_run.named(f"{key}-service")
        (balancer,) = service.inputs["loadBalancers"]
        assert balancer["targetGroupArn"].startswith(
            "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/"), service.urn
        assert (balancer["containerName"], balancer["containerPort"]) == (key, port)
        tags = {t["key"]: t["value"] for t in service.inputs["tags"]}
        assert tags[WEB_ACL_TAG] == f"z360-beta-{key}-web-acl", service.urn
    # A worker behind no web ACL: no load balancer and no tag.
    queue = beta_run.named("queue-service")
    assert "loadBalancers" not in queue.inputs
    assert WEB_ACL_TAG not in queue.inputs["tags"]
