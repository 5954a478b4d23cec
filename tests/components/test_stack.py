"""Both real stack files through the real __main__.py: one assertion per row of the ops log's
configuration tables (sizes, max capacities, scaling settings, alarms, budget), and where
deletion protection lands."""

import json
from collections.abc import Callable

import pytest

from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from stack_model.pricing import service_cost, summary_figures
from z360_ecs.common import config_from_settings
from z360_ecs.engine.program import ProgramRun

TASK = TASK_DEFINITION_TYPE
SERVICE = SERVICE_TYPE
TARGET = TARGET_TYPE
POLICY = SCALING_POLICY_TYPE
ALARM = METRIC_ALARM_TYPE
BUDGET = BUDGET_TYPE
RunStack = Callable[..., ProgramRun]


def _task_size(run: ProgramRun, family: str) -> tuple[int, int]:
    matches = [r for r in run.by_type(TASK) if r.inputs["family"] == family]
    assert len(matches) == 1, f"{run.settings.stack}: one task definition {family} expected"
    inputs = matches[0].inputs
    return int(inputs["cpu"]), int(inputs["memory"])


# Ops log, Part 1 "After" columns.
STAGING_AFTER = [
    ("z360-staging-web", 512, 1024),
    ("z360-staging-queue", 256, 512),
    ("z360-staging-reverb", 256, 512),
    ("z360-agent-layer-staging-gateway", 512, 1024),
    ("z360-agent-layer-staging-aegra", 512, 1024),
    ("z360-agent-layer-staging-voice", 1024, 4096),
]
BETA_AFTER = [
    ("z360-beta-web", 1024, 2048),
    ("z360-beta-queue", 256, 512),
    ("z360-beta-reverb", 256, 512),
    ("z360-agent-layer-beta-gateway", 512, 1024),
    ("z360-agent-layer-beta-aegra", 256, 1024),
    ("z360-agent-layer-beta-voice", 2048, 5120),
]
# Ops log, Part 3 "New Max Capacity Limits".
BETA_MAX = [("web", 50), ("queue", 20), ("reverb", 20), ("gateway", 50), ("aegra", 30),
            ("voice", 50)]
# Ops log, Part 4 "All CloudWatch Alarms".
BETA_ALARMS = [
    ("z360-beta-web-high-cpu", "AWS/ECS", "CPUUtilization", 85),
    ("z360-beta-web-high-memory", "AWS/ECS", "MemoryUtilization", 85),
    ("z360-beta-voice-high-memory", "AWS/ECS", "MemoryUtilization", 80),
    ("z360-beta-gateway-high-memory", "AWS/ECS", "MemoryUtilization", 75),
    ("z360-beta-gateway-high-cpu", "AWS/ECS", "CPUUtilization", 80),
    ("z360-beta-web-task-count-spike", "ECS/ContainerInsights", "RunningTaskCount", 10),
    ("z360-beta-gateway-task-count-spike", "ECS/ContainerInsights", "RunningTaskCount", 10),
    ("z360-beta-voice-task-count-spike", "ECS/ContainerInsights", "RunningTaskCount", 10),
]


@pytest.mark.parametrize("family,cpu,memory", STAGING_AFTER)
def test_staging_task_sizes_match_the_after_column(staging, family, cpu, memory):
    assert _task_size(staging, family) == (cpu, memory)


@pytest.mark.parametrize("family,cpu,memory", BETA_AFTER)
def test_beta_task_sizes_match_the_after_column(beta, family, cpu, memory):
    assert _task_size(beta, family) == (cpu, memory)


@pytest.mark.parametrize("key,maximum", BETA_MAX)
def test_beta_max_capacity_matches_the_new_max(beta, key, maximum):
    target = beta.named(f"{key}-scaling-target")
    assert target.inputs["maxCapacity"] == maximum, target.urn
    assert target.inputs["minCapacity"] == 1, target.urn


# queue scales on its backlog per task instead of CPU (tests/components/test_scaling_signals.py).
BETA_TRACKED = {"queue": ("memory", "backlog")}


@pytest.mark.parametrize("key", [k for k, _ in BETA_MAX])
def test_beta_scale_out_cooldown_is_zero(beta, key):
    for metric in BETA_TRACKED.get(key, ("cpu", "memory")):
        policy = beta.named(f"{key}-{metric}-scaling")
        assert policy.inputs["targetTrackingScalingPolicyConfiguration"]["scaleOutCooldown"] == 0


@pytest.mark.parametrize("key", [k for k, _ in BETA_MAX])
def test_beta_scale_in_cooldown_is_600_seconds(beta, key):
    for metric in BETA_TRACKED.get(key, ("cpu", "memory")):
        policy = beta.named(f"{key}-{metric}-scaling")
        assert policy.inputs["targetTrackingScalingPolicyConfiguration"]["scaleInCooldown"] == 600


# Services whose stack file sets metricResolution: 20 (each with its reason beside it).
BETA_HIGH_RESOLUTION = {"web", "gateway", "voice"}


@pytest.mark.parametrize("key", [k for k, _ in BETA_MAX])
@pytest.mark.parametrize("metric,predefined", [
    ("cpu", "ECSServiceAverageCPUUtilization"),
    ("memory", "ECSServiceAverageMemoryUtilization"),
])
def test_beta_targets_are_within_60_to_70_percent(beta, key, metric, predefined):
    if metric not in BETA_TRACKED.get(key, (metric,)):
        pytest.skip(f"{key} does not track {metric}")
    policy = beta.named(f"{key}-{metric}-scaling")
    config = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    if key in BETA_HIGH_RESOLUTION:
        predefined += "HighResolution"
    assert config["predefinedMetricSpecification"]["predefinedMetricType"] == predefined
    assert 60 <= config["targetValue"] <= 70, policy.urn
    assert policy.inputs["name"] == f"z360-beta-{key}-{metric}-scaling"


@pytest.mark.parametrize("name,namespace,metric,threshold", BETA_ALARMS)
def test_beta_alarm_matches_the_alarm_table(beta, name, namespace, metric, threshold):
    alarms = {r.inputs["name"]: r for r in beta.by_type(ALARM)}
    alarm = alarms[name]
    assert alarm.inputs["namespace"] == namespace
    assert alarm.inputs["metricName"] == metric
    assert alarm.inputs["threshold"] == threshold
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["alarmActions"], f"{name} notifies nobody"
    assert set(alarm.inputs["dimensions"]) == {"ClusterName", "ServiceName"}


def test_beta_has_no_alarms_beyond_the_table(beta):
    # The web ACLs' blocked-request alarms are tested with the web ACLs (test_waf.py), the
    # burn-rate alarms with the cost breaker's (test_burn_rate.py), the deployment alarms with
    # theirs (test_deployment_alarms.py): none is in the ops log.
    service_alarms = [r.inputs["name"] for r in beta.by_type(ALARM)
                      if r.inputs.get("namespace") not in ("AWS/WAFV2", "AWS/ApplicationELB")
                      and "-burn-rate-" not in r.inputs["name"]]
    assert sorted(service_alarms) == sorted(a[0] for a in BETA_ALARMS)


def test_beta_budget_matches_the_budget_table(beta):
    (budget,) = beta.by_type(BUDGET)
    inputs = budget.inputs
    assert inputs["name"] == "z360-monthly-spending-alert"
    assert inputs["limitAmount"] == "2500"
    assert inputs["limitUnit"] == "USD"
    assert inputs["timeUnit"] == "MONTHLY"
    # The people's alerts, through the alert topic only (its subscribers are the people);
    # the cost breaker adds its own notification to its own topic.
    to_people = [n for n in inputs["notifications"] if n["thresholdType"] == "ABSOLUTE_VALUE"]
    assert sorted(n["threshold"] for n in to_people) == [500, 1000, 2000]
    for notification in to_people:
        assert notification["thresholdType"] == "ABSOLUTE_VALUE"
        assert notification["notificationType"] == "ACTUAL"
        # Emails on the budget as well sent every alert twice (issue 12, point 6).
        assert "subscriberEmailAddresses" not in notification
        assert len(notification["subscriberSnsTopicArns"]) == 1


def test_alert_recipients_are_the_ops_log_recipients(beta):
    endpoints = sorted(r.inputs["endpoint"] for r in beta.by_type(
        TOPIC_SUBSCRIPTION_TYPE) if r.inputs["protocol"] == "email")
    assert endpoints == ["ansar@z360.biz", "hammasuddin@z360.biz"]


def test_staging_runs_one_task_per_service_without_auto_scaling(staging):
    """One task each while awake; the count belongs to the working hours' scalable target
    (min = max = 1, no tracking policy: tests/stack_model/test_schedule_actions.py)."""
    services = staging.by_type(SERVICE)
    assert len(services) == 6
    for service in services:
        assert service.inputs["desiredCount"] == 1, service.urn
        assert service.ignore_changes == ["desiredCount"], service.urn
    targets = staging.by_type(TARGET)
    assert {(t.inputs["minCapacity"], t.inputs["maxCapacity"]) for t in targets} == {(1, 1)}
    assert len(targets) == 6
    assert staging.by_type(POLICY) == []


def test_staging_declares_no_budget_because_budgets_are_account_wide(staging):
    assert staging.by_type(BUDGET) == []


def test_scaled_services_ignore_desired_count(beta):
    for service in beta.by_type(SERVICE):
        assert service.ignore_changes == ["desiredCount"], service.urn


def test_scalable_targets_point_at_cluster_and_service_names(beta):
    target = beta.named("web-scaling-target")
    assert target.inputs["resourceId"] == (
        "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8")
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    assert target.inputs["serviceNamespace"] == "ecs"


def test_every_cluster_has_container_insights(beta, staging):
    for run in (beta, staging):
        for cluster in run.by_type(CLUSTER_TYPE):
            assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]


def test_both_stacks_pin_region_and_account(beta, staging):
    for run in (beta, staging):
        assert run.settings.config["aws:region"] == "us-east-1"
        assert run.settings.config["aws:allowedAccountIds"] == ["108782097218"]


def test_every_taggable_service_child_carries_service_and_environment_tags(beta):
    for registration in beta.resources:
        if not registration.custom or "tags" not in registration.inputs:
            continue
        tags = registration.inputs["tags"]
        if isinstance(tags, list):  # aws-native: a list of {key, value}
            tags = {tag["key"]: tag["value"] for tag in tags}
        assert tags["z360:environment"] == "beta", registration.urn
        if "$z360:ecs:ScalableService" in registration.urn:
            service_key = registration.name.split("-", 1)[0]
            assert tags["z360:service"] == service_key, registration.urn


def test_summary_output_gives_sizes_capacities_and_costs(beta):
    web = beta.outputs["services"]["web"]
    assert (web["cpu"], web["memory"], web["min"], web["max"]) == (1024, 2048, 1, 50)
    assert web["monthlyTaskCost"] == "36.04"
    assert web["monthlyCostAtBaseline"] == "36.04"
    # 50 x 36.040 unrounded = 1802.01, not 50 x 36.04
    assert web["monthlyCostAtMax"] == "1802.01"



def test_summary_costs_of_every_service_are_the_one_pricings(beta, staging):
    for run in (beta, staging):
        config = config_from_settings(run.settings)
        for key, service in config.services.items():
            summary = run.outputs["services"][key]
            figures = summary_figures(service_cost(key, service))
            assert {k: summary[k] for k in figures} == figures, f"{config.environment} {key}"
            assert list(summary)[-3:] == list(figures), "the money closes each summary"

def test_container_definitions_are_json_with_awslogs(beta):
    task = beta.named("web-task")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert container["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]
    assert task.inputs["skipDestroy"] is True
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]


def test_resource_counts_per_stack(beta, staging):
    # beta: 6 services x (log group, role, policy, task, service, target, 2 policies) + 8 alarms
    # + 6 components + 2 clusters + channel (component, topic, policy, 2 emails) + budget (2)
    # + 2 web ACLs, each with an association and a blocked-requests alarm
    # + 2 burn-rate alarms (warn, trip) and their component
    # + 4 deployment alarms (web, gateway); policies: 6 x 2, queue's CPU swapped for its
    # backlog, and gateway's requests per target
    assert len(beta.by_type(TASK)) == 6 and len(beta.by_type(TARGET)) == 6
    assert len(beta.by_type(POLICY)) == 13 and len(beta.by_type(ALARM)) == 16
    assert len(staging.by_type(TASK)) == 6 and len(staging.by_type(ALARM)) == 0


# --- deletion protection ---------------------------------------------------------------

PROTECTABLE = {CLUSTER_TYPE, SERVICE_TYPE, TOPIC_TYPE,
               BUDGET_TYPE, NATIVE_SERVICE_TYPE,
               # Deleting it disassociates every provider the services run on.
               CLUSTER_CAPACITY_PROVIDERS_TYPE}


def test_beta_protects_only_clusters_services_topic_and_budget(beta: ProgramRun) -> None:
    protected = [r for r in beta.registrations if r.protect]
    assert protected
    assert {r.type for r in protected} <= PROTECTABLE
    assert not [r.urn for r in beta.registrations if not r.custom and r.protect]
    for name in ("app-cluster", "agent-cluster", "web-service", "voice-service",
                 "alerts-topic", "monthly-budget"):
        assert beta.named(name).protect, name


def test_staging_protects_nothing(run_stack: RunStack) -> None:
    assert [r.urn for r in run_stack("staging").registrations if r.protect] == []


@pytest.mark.parametrize("protect", [True, False])
def test_protect_lands_on_the_service_only(run_stack, protect):
    def mutate(document):
        document["config"]["z360-ecs:protect"] = protect

    run = run_stack("beta", mutate)
    protected = {r.type for r in run.registrations if r.protect}
    assert protected == (PROTECTABLE if protect else set())
