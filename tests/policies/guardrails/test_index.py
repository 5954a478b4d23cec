"""The stack index under every stack rule: each join takes what it says and no look-alike, built
from the SDK's own resources through its real AnalyzeStack path (property proxy, unknowns);
joins that stay linear, one unknown value skipping one resource, a stack with nothing to join.
The two regressions run the real beta stack through the pack as its own process."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN
from pulumi_policy import EnforcementLevel

import policies.guardrails
from policies.guardrails import budgets, burn_rate, cloudwatch, ecs, iam, scaling, sns
from policies.guardrails._index import BACKLOG_SIGNAL, StackIndex, backlog_math
from policies.guardrails._kit import stack_policy
from policies.guardrails.facts.cloudwatch import (
    CPU_METRIC_TYPE,
    MEMORY_METRIC_TYPE,
    RUNNING_TASK_COUNT,
)
from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE, ECS_SERVICE_NAMESPACE
from policies.guardrails.facts.scaling import (
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    scaling_resource_id,
)
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SCHEDULED_ACTION_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from tests.support.pack_runs import levels, run_stack_file
from tests.support.policy_estate import CLUSTER, burn_rate_alarm, estate, replace
from tests.support.policy_sdk import changed, sdk_analyze_stack
from z360_ecs.engine.analyzer import analyze_run

ALL = [*scaling.STACK_POLICIES, *cloudwatch.STACK_POLICIES, *budgets.STACK_POLICIES]
PACK_DIR = str(Path(policies.guardrails.__file__).parent)
ACCOUNT = "108782097218"
WEB = "z360-beta-web"
QUEUE = "z360-beta-queue"
TAGS = {"z360:service": "web", "z360:environment": "beta"}


def rid(key: str) -> str:
    return scaling_resource_id(CLUSTER, f"z360-beta-{key}")


def index_of(resources) -> StackIndex:
    """The index as a stack rule builds it: from the SDK's PolicyResources, behind its proxy."""
    built: list[StackIndex] = []

    def capture(args, report):
        built.append(StackIndex.build(args.resources))

    sdk_analyze_stack([stack_policy("index", "Builds the stack index.",
                                    EnforcementLevel.ADVISORY, capture, {})], resources)
    (index,) = built
    return index


def reported_services(outcome, policy):
    """The "beta <service>" each message of `policy` opens with."""
    return sorted(m.split(":")[0] for m in outcome.messages(policy))


# --- the index as a whole -----------------------------------------------------------------------


def test_compliant_estate_has_no_mandatory_violation():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="100000"))
    assert outcome.violations == [(p, level, m) for p, level, m in outcome.violations
                                  if level == "advisory"]
    assert outcome.messages("spike-alarm-present")  # queue has no spike alarm
    assert outcome.messages("worst-case-cost") == []


def test_stack_without_targets_or_alarms_is_not_applicable():
    resources = estate(budget_limit=None)
    resources = [r for r in resources if r[0] == CLUSTER_TYPE]
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.violations == []
    assert {"scaling-tracks-cpu-and-memory", "spike-alarm-within-capacity",
            "budget-monthly-cost", "worst-case-cost"} <= outcome.not_applicable


def test_unknown_resource_id_skips_that_target_only():
    resources = replace(estate(drop={"web-memory-scaling"}), "queue-scaling-target",
                        resourceId=UNKNOWN)
    outcome = sdk_analyze_stack(ALL, resources)
    messages = outcome.messages("scaling-tracks-cpu-and-memory")
    assert len(messages) == 1 and "beta web" in messages[0]


def _pack_lines_run(services: int) -> int:
    """Lines of the pack's own code (policies/guardrails) executed by every stack rule on an
    estate of `services` services: an operation count that does not depend on machine load."""
    resources = estate(services=tuple((f"svc{i}", 1, 20, 10) for i in range(services)))
    executed = 0

    def count_lines(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal executed
        if event == "line":
            executed += 1
        return count_lines

    def in_the_pack(frame: FrameType, event: str, arg: object) -> Any:
        return count_lines if frame.f_code.co_filename.startswith(PACK_DIR) else None

    previous = sys.gettrace()
    sys.settrace(in_the_pack)
    try:
        sdk_analyze_stack(ALL, resources)
    finally:
        sys.settrace(previous)
    return executed


def test_joins_are_linear_in_the_number_of_services():
    # Counted, not timed: each doubling must add twice the work of the one before. A join
    # with a nested loop over services (even one line per pair) breaks this by several
    # percent already at these sizes; 10x the services would cost ~100x.
    ten, twenty, forty = (_pack_lines_run(n) for n in (10, 20, 40))
    first, second = twenty - ten, forty - twenty
    assert first > 0
    assert second == pytest.approx(2 * first, rel=0.02), (ten, twenty, forty)


# --- targets by resourceId, and by z360:service tag ---------------------------------------------


def test_targets_are_ecs_service_targets_by_resource_id():
    dynamodb = (TARGET_TYPE, "sessions-scaling-target", {
        "serviceNamespace": "dynamodb", "scalableDimension": "dynamodb:table:WriteCapacityUnits",
        "resourceId": "table/z360-sessions", "minCapacity": 1, "maxCapacity": 100, "tags": TAGS})
    not_a_service = (TARGET_TYPE, "odd-scaling-target", {
        "serviceNamespace": SCALING_NAMESPACE, "scalableDimension": SCALABLE_DIMENSION,
        "resourceId": f"service/{CLUSTER}", "minCapacity": 1, "maxCapacity": 5})
    resources = estate() + [dynamodb, not_a_service]
    index = index_of(resources)
    assert sorted(index.targets) == [rid("queue"), rid("web")]
    assert index.targets_by_service["web"].name == "web-scaling-target"
    assert [resource.name for resource, _ in index.malformed] == ["odd-scaling-target"]
    # Neither look-alike lacks tracking policies or a spike alarm as a service would.
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.messages("scaling-tracks-cpu-and-memory") == []
    assert reported_services(outcome, "spike-alarm-present") == ["beta queue"]


# --- scaling policies -> targets ----------------------------------------------------------------


CPU_TRACKING = {"predefinedMetricSpecification": {"predefinedMetricType": CPU_METRIC_TYPE},
                "targetValue": 65}


def _policy(name, **changes):
    return (SCALING_POLICY_TYPE, name, changed({
        "serviceNamespace": SCALING_NAMESPACE, "scalableDimension": SCALABLE_DIMENSION,
        "resourceId": rid("web"), "policyType": "TargetTrackingScaling",
        "targetTrackingScalingPolicyConfiguration": CPU_TRACKING}, **changes))


def test_a_tracking_policy_counts_for_its_own_target_only():
    """web's CPU policy moved to queue's resourceId; on web's resourceId only a step-scaling
    policy and one in another namespace track CPU: web has no CPU tracking."""
    resources = replace(estate(), "web-cpu-scaling", resourceId=rid("queue")) + [
        _policy("web-step-scaling", policyType="StepScaling"),
        _policy("web-appstream-scaling", serviceNamespace="appstream"),
    ]
    index = index_of(resources)
    assert index.tracked_metrics[rid("web")] == {MEMORY_METRIC_TYPE}
    assert sorted(p.resource.name for p in index.tracking_policies
                  if p.resource_id == rid("web")) == ["web-memory-scaling"]
    outcome = sdk_analyze_stack(scaling.STACK_POLICIES, resources)
    (message,) = outcome.messages("scaling-tracks-cpu-and-memory")
    assert message.startswith("beta web:") and "no CPU target-tracking policy" in message


def _customized(namespace=ECS_SERVICE_NAMESPACE, metric="CPUUtilization", service=WEB,
                cluster=CLUSTER):
    return {"targetValue": 65, "customizedMetricSpecification": {
        "metricName": metric, "namespace": namespace, "statistic": "Average",
        "dimensions": [{"name": "ClusterName", "value": cluster},
                       {"name": "ServiceName", "value": service}]}}


@pytest.mark.parametrize("tracking, tracks_cpu", [
    (_customized(), True),
    (_customized(service=QUEUE), False),               # another service's CPU
    (_customized(cluster="z360-staging"), False),      # a service of that name elsewhere
    (_customized(namespace="AWS/EC2"), False),         # an instance's CPU
    (_customized(metric="CPUReservation"), False),     # not a utilisation it can track
], ids=["own", "other-service", "other-cluster", "ec2", "other-metric"])
def test_a_customized_metric_tracks_its_own_services_utilisation_only(tracking, tracks_cpu):
    resources = replace(estate(), "web-cpu-scaling",
                        targetTrackingScalingPolicyConfiguration=tracking)
    index = index_of(resources)
    assert (CPU_METRIC_TYPE in index.tracked_metrics[rid("web")]) is tracks_cpu
    outcome = sdk_analyze_stack(scaling.STACK_POLICIES, resources)
    assert bool(outcome.messages("scaling-tracks-cpu-and-memory")) is not tracks_cpu


# --- backlog policies -> their service -------------------------------------------------------


def _backlog(divisor_service=QUEUE, divisor_cluster=CLUSTER, depth_namespace="AWS/SQS",
             depth_metric="ApproximateNumberOfMessagesVisible", expression="depth / tasks"):
    return {"targetValue": 120, "customizedMetricSpecification": {"metrics": [
        {"id": "depth", "returnData": False, "metricStat": {"stat": "Sum", "metric": {
            "namespace": depth_namespace, "metricName": depth_metric,
            "dimensions": [{"name": "QueueName", "value": "jobs"}]}}},
        {"id": "tasks", "returnData": False, "metricStat": {"stat": "Average", "metric": {
            "namespace": CONTAINER_INSIGHTS_NAMESPACE, "metricName": RUNNING_TASK_COUNT,
            "dimensions": [{"name": "ClusterName", "value": divisor_cluster},
                           {"name": "ServiceName", "value": divisor_service}]}}},
        {"id": "perTask", "expression": expression, "returnData": True}]}}


@pytest.mark.parametrize("tracking, is_backlog", [
    (_backlog(), True),
    (_backlog(depth_namespace="Z360/Queue", depth_metric="QueueDepth"), True),  # Redis
    (_backlog(divisor_service=WEB), False),            # web's tasks: a look-alike
    (_backlog(divisor_cluster="z360-staging"), False),  # a service of that name elsewhere
    (_backlog(expression="depth"), False),             # the depth alone
    (_backlog(expression="depth / depth"), False),     # divided by no task count
], ids=["own", "redis", "other-service", "other-cluster", "undivided", "self-divided"])
def test_a_backlog_policy_stands_for_its_own_services_backlog_only(tracking, is_backlog):
    resources = replace(estate(), "queue-cpu-scaling",
                        targetTrackingScalingPolicyConfiguration=tracking)
    index = index_of(resources)
    assert (BACKLOG_SIGNAL in index.tracked_metrics.get(rid("queue"), set())) is is_backlog
    assert (CPU_METRIC_TYPE in index.tracked_metrics.get(rid("queue"), set())) is False


def test_a_policy_reading_no_queue_is_no_backlog_policy():
    assert backlog_math(_customized(), CLUSTER, WEB) is None


# --- spike alarms -> targets ------------------------------------------------------------------


def _web_spike(**changes):
    (props,) = [p for _, n, p in estate() if n == "web-task-count-spike"]
    return (METRIC_ALARM_TYPE, "web-look-alike", changed(props, **changes))


def _as_metric_query():
    _, name, props = _web_spike()
    query = {"id": "m1", "returnData": True, "metric": {
        "metricName": props.pop("metricName"), "namespace": props.pop("namespace"),
        "dimensions": props.pop("dimensions"), "period": 60, "stat": "Maximum"}}
    return (METRIC_ALARM_TYPE, name, {**props, "metricQueries": [query]})


SPIKE_LOOK_ALIKES = {
    "burn-rate-metric-math": burn_rate_alarm(threshold=1.5),  # its m1 is web's count
    "one-metric-query": _as_metric_query(),
    "aws-ecs-namespace": _web_spike(namespace="AWS/ECS"),
    "whole-cluster": _web_spike(dimensions={"ClusterName": CLUSTER}),
    "extra-dimension": _web_spike(dimensions={"ClusterName": CLUSTER, "ServiceName": WEB,
                                              "TaskDefinitionFamily": WEB}),
    "other-metric": _web_spike(metricName="DesiredTaskCount"),
    "other-cluster": _web_spike(dimensions={"ClusterName": "z360-staging", "ServiceName": WEB}),
}


def test_a_single_metric_running_task_count_alarm_is_its_services_spike_alarm():
    index = index_of(estate())
    assert [(a.resource.name, a.resource_id, a.threshold) for a in index.spike_alarms] == [
        ("web-task-count-spike", rid("web"), 10)]


@pytest.mark.parametrize("look_alike", SPIKE_LOOK_ALIKES.values(), ids=SPIKE_LOOK_ALIKES.keys())
def test_no_look_alike_is_webs_spike_alarm(look_alike):
    resources = estate(drop={"web-task-count-spike"}) + [look_alike]
    assert [a.resource_id for a in index_of(resources).spike_alarms
            if a.resource_id == rid("web")] == []
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources)
    assert reported_services(outcome, "spike-alarm-present") == ["beta queue", "beta web"]


def test_an_alarm_on_another_services_count_is_that_services_spike_alarm():
    queue_alarm = _web_spike(dimensions={"ClusterName": CLUSTER, "ServiceName": QUEUE})
    resources = estate(drop={"web-task-count-spike"}) + [queue_alarm]
    assert [a.resource_id for a in index_of(resources).spike_alarms] == [rid("queue")]
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources)
    assert reported_services(outcome, "spike-alarm-present") == ["beta web"]


def test_regression_web_without_its_spike_alarm_is_reported_beside_a_burn_rate_alarm():
    """Fails on the index that took any alarm reading RunningTaskCount: the burn-rate alarm's
    first metric is web's count, and web's missing spike alarm went unreported."""
    resources = estate(drop={"web-task-count-spike"}) + [burn_rate_alarm(threshold=1.5)]
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources)
    assert reported_services(outcome, "spike-alarm-present") == ["beta queue", "beta web"]


def test_regression_a_burn_rate_trip_under_one_dollar_is_no_task_count_threshold():
    """Fails on the index that took the burn-rate alarm for web's spike alarm: its $0.50/h
    threshold was read as 0.5 tasks, below web's minCapacity 1."""
    resources = estate() + [burn_rate_alarm("trip", threshold=0.5)]
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources)
    assert outcome.messages("spike-alarm-within-capacity") == []


def test_a_spike_alarm_is_judged_on_its_own_clusters_insights():
    """The alarm's ClusterName names the cluster: another cluster's Container Insights setting
    (disabled here, or enabled while its own is disabled) is not its own."""
    other = (CLUSTER_TYPE, "agent-cluster", {
        "name": "z360-agent-layer-beta",
        "settings": [{"name": "containerInsights", "value": "disabled"}]})
    unnamed = (CLUSTER_TYPE, "unnamed-cluster", {"settings": []})
    index = index_of(estate() + [other, unnamed])
    assert sorted(index.clusters) == sorted([CLUSTER, "z360-agent-layer-beta"])
    rule = "container-insights-for-spike-alarms"
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, estate() + [other, unnamed])
    assert outcome.messages(rule) == []
    enabled_elsewhere = replace(estate(insights="disabled") + [other], "agent-cluster",
                                settings=[{"name": "containerInsights", "value": "enabled"}])
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, enabled_elsewhere)
    assert reported_services(outcome, rule) == ["beta web"]


# --- alarms on AWS/ECS CPU and memory -> the service's resolution --------------------------------


def _resolution_stack(*alarms):
    """web publishes CPU at 20 s (aws-native, monitoring), queue at ECS's 60 s."""
    return [
        (NATIVE_SERVICE_TYPE, "web-service", {
            "serviceName": WEB, "tags": [{"key": "z360:service", "value": "web"}],
            "monitoring": {"metricConfigurations": [
                {"metricNames": ["CPUUtilization"], "resolutionSeconds": 20}]}}),
        (SERVICE_TYPE, "queue-service", {"name": QUEUE, "tags": {"z360:service": "queue"}}),
        *alarms,
    ]


def _cpu_alarm(name, service, namespace=ECS_SERVICE_NAMESPACE, metric="CPUUtilization"):
    return (METRIC_ALARM_TYPE, name, {
        "name": name, "namespace": namespace, "metricName": metric, "period": 20,
        "dimensions": {"ClusterName": CLUSTER, "ServiceName": service}, "alarmActions": ["a"]})


def test_an_ecs_metric_alarm_is_judged_at_its_own_services_resolution():
    rule = "alarm-period-matches-resolution"
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, _resolution_stack(
        _cpu_alarm("web-cpu", WEB), _cpu_alarm("queue-cpu", QUEUE)))
    (message,) = outcome.messages(rule)
    assert message.startswith("queue-cpu:") and f"service {QUEUE}, which publishes it every 60 s" \
        in message


@pytest.mark.parametrize("look_alike", [
    _cpu_alarm("queue-ec2-cpu", QUEUE, namespace="AWS/EC2"),
    _cpu_alarm("queue-insights-cpu", QUEUE, namespace=CONTAINER_INSIGHTS_NAMESPACE,
               metric="CpuUtilized"),
    _cpu_alarm("queue-reservation", QUEUE, metric="CPUReservation"),
], ids=["aws-ec2", "container-insights", "other-ecs-metric"])
def test_no_look_alike_is_an_ecs_service_metric_alarm(look_alike):
    index = index_of(_resolution_stack(look_alike))
    assert index.ecs_metric_alarms == []
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, _resolution_stack(look_alike))
    assert "alarm-period-matches-resolution" in outcome.not_applicable


def test_each_ecs_metric_of_a_math_alarm_is_joined_to_its_own_service():
    queries = [{"id": f"m{i}", "returnData": False, "metric": {
        "namespace": ECS_SERVICE_NAMESPACE, "metricName": "CPUUtilization", "period": 20,
        "stat": "Average", "dimensions": {"ClusterName": CLUSTER, "ServiceName": service}}}
        for i, service in enumerate((WEB, QUEUE), start=1)]
    queries.append({"id": "both", "returnData": True, "expression": "MAX([m1,m2])"})
    alarm = (METRIC_ALARM_TYPE, "cpu-either", {"name": "cpu-either", "alarmActions": ["a"],
                                               "metricQueries": queries})
    index = index_of(_resolution_stack(alarm))
    assert [(a.service, a.period) for a in index.ecs_metric_alarms] == [(WEB, 20), (QUEUE, 20)]
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, _resolution_stack(alarm))
    (message,) = outcome.messages("alarm-period-matches-resolution")
    assert f"service {QUEUE}, which publishes it every 60 s" in message


def test_services_of_both_providers_by_tag_and_resolution_by_name():
    untagged = (SERVICE_TYPE, "sidecar-service", {"name": "z360-beta-sidecar"})
    task = (TASK_DEFINITION_TYPE, "web-task", {"family": WEB, "tags": TAGS})
    index = index_of(_resolution_stack(untagged, task))
    assert sorted(s.name for s in index.services) == [
        "queue-service", "sidecar-service", "web-service"]
    assert {k: v.name for k, v in index.services_by_service.items()} == {
        "web": "web-service", "queue": "queue-service"}
    assert index.resolutions == {
        WEB: {"CPUUtilization": 20, "MemoryUtilization": 60},
        QUEUE: {"CPUUtilization": 60, "MemoryUtilization": 60},
        "z360-beta-sidecar": {"CPUUtilization": 60, "MemoryUtilization": 60},
    }


# --- clusters and their capacity providers ---------------------------------------------------------


def _spot_service(cluster):
    return (SERVICE_TYPE, "web-service", {
        "name": WEB, "cluster": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/{cluster}",
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "tags": TAGS})


def test_capacity_providers_are_those_of_the_services_own_cluster():
    """FARGATE_SPOT is associated with the agent cluster only; web runs on the app cluster."""
    resources = [
        _spot_service(CLUSTER),
        (CLUSTER_TYPE, "app-cluster", {"name": CLUSTER}),
        (CLUSTER_TYPE, "agent-cluster", {"name": "z360-agent-layer-beta"}),
        (CLUSTER_CAPACITY_PROVIDERS_TYPE, "agent-capacity-providers", {
            "clusterName": "z360-agent-layer-beta", "capacityProviders": ["FARGATE_SPOT"]}),
    ]
    index = index_of(resources)
    assert sorted(index.capacity_providers) == ["z360-agent-layer-beta"]
    outcome = sdk_analyze_stack(ecs.STACK_POLICIES, resources)
    (message,) = outcome.messages("capacity-providers-associated")
    assert f"which cluster {CLUSTER} does not associate" in message
    moved = [_spot_service("z360-agent-layer-beta"), *resources[1:]]
    assert sdk_analyze_stack(ecs.STACK_POLICIES, moved).violations == []


# --- task definitions by tag -------------------------------------------------------------------------


def test_task_definitions_are_their_services_by_tag():
    """An untagged task definition (a one-off job's, 4 vCPU) prices no service."""
    job = (TASK_DEFINITION_TYPE, "migrate-task", {
        "family": "z360-beta-migrate", "cpu": "4096", "memory": "8192"})
    resources = estate() + [job]
    index = index_of(resources)
    assert {k: v.name for k, v in index.task_definitions.items()} == {
        "web": "web-task", "queue": "queue-task"}
    assert [(line.service, line.count) for line in budgets.worst_case_lines(index)] == [
        ("web", 50), ("queue", 20)]


# --- execution roles and their inline policies -----------------------------------------------------


SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:z360/beta/db"


def _grants(*resources_granted):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
        "Resource": list(resources_granted) or ["arn:aws:logs:*"]}]})


def _secret_stack(execution_role_arn):
    """web's task definition reads a secret; its execution role's policy does not grant it,
    its task role (also tagged web) does."""
    containers = json.dumps([{"name": "web", "secrets": [
        {"name": "DB", "valueFrom": f"{SECRET}-AbCdEf:password::"}]}])
    task = {"family": WEB, "tags": TAGS, "containerDefinitions": containers}
    if execution_role_arn is not None:
        task["executionRoleArn"] = execution_role_arn
    return [
        (TASK_DEFINITION_TYPE, "web-task", task),
        (ROLE_TYPE, "web-execution-role", {"name": "z360-beta-web-execution", "tags": TAGS}),
        (ROLE_POLICY_TYPE, "web-execution-policy", {"role": "z360-beta-web-execution",
                                                    "policy": _grants()}),
        (ROLE_TYPE, "web-task-role", {"name": "z360-beta-web-task", "tags": TAGS}),
        (ROLE_POLICY_TYPE, "web-task-policy", {"role": "z360-beta-web-task",
                                               "policy": _grants(f"{SECRET}-??????")}),
        (ROLE_POLICY_TYPE, "old-policy", {"role": "z360-beta-web-execution-old",
                                          "policy": _grants(f"{SECRET}-??????")}),
    ]


def test_the_execution_role_is_the_one_the_task_definition_names():
    resources = _secret_stack(f"arn:aws:iam::{ACCOUNT}:role/ecs/z360-beta-web-execution")
    index = index_of(resources)
    assert index.execution_role("web").name == "web-execution-role"
    assert [p.name for p in index.role_policies["z360-beta-web-execution"]] == [
        "web-execution-policy"]
    outcome = sdk_analyze_stack(iam.STACK_POLICIES, resources)
    (message,) = outcome.messages("execution-role-grants-secrets")
    assert message.startswith("web: execution role z360-beta-web-execution lacks")


def test_while_the_arn_is_unknown_the_one_role_tagged_with_the_service_is_its_execution_role():
    ambiguous = _secret_stack(UNKNOWN)
    assert index_of(ambiguous).execution_role("web") is None
    assert "execution-role-grants-secrets" in sdk_analyze_stack(
        iam.STACK_POLICIES, ambiguous).not_applicable
    one = [r for r in ambiguous if r[1] != "web-task-role"]
    assert index_of(one).execution_role("web").name == "web-execution-role"
    assert sdk_analyze_stack(iam.STACK_POLICIES, one).messages("execution-role-grants-secrets")
    queue_only = [(t, n, changed(p, tags={"z360:service": "queue"}) if t == ROLE_TYPE else p)
                  for t, n, p in one]
    assert index_of(queue_only).execution_role("web") is None


# --- budgets and the email subscriptions of their topics -----------------------------------------


ALERTS = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-alerts"
OTHER = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-other"


def _subscription(name, topic, endpoint, protocol="email"):
    return (TOPIC_SUBSCRIPTION_TYPE, name, {"topic": topic, "protocol": protocol,
                                            "endpoint": endpoint})


def test_budgets_and_their_topics_email_subscriptions():
    budget = (BUDGET_TYPE, "monthly-budget", {
        "name": "z360-monthly", "budgetType": "COST", "timeUnit": "MONTHLY",
        "limitAmount": "2500", "notifications": [{
            "threshold": 500, "subscriberSnsTopicArns": [ALERTS],
            "subscriberEmailAddresses": ["ansar@z360.biz", "ops@z360.biz"]}]})
    resources = [
        budget,
        (TOPIC_TYPE, "alerts-topic", {"name": "z360-beta-alerts"}),
        _subscription("alerts-email-ansar", ALERTS, "Ansar@Z360.biz"),
        _subscription("other-email-ops", OTHER, "ops@z360.biz"),       # another topic
        _subscription("alerts-lambda", ALERTS, "ops@z360.biz", protocol="lambda"),
    ]
    index = index_of(resources)
    assert [b.name for b in index.budgets] == ["monthly-budget"]
    assert index.topic_emails == {ALERTS: {"ansar@z360.biz"}, OTHER: {"ops@z360.biz"}}
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, resources)
    (message,) = outcome.messages("budget-alert-single-path")
    assert "mails ansar@z360.biz directly and through a topic" in message


# --- burn-rate alarms -> targets (burn_rate.py) ----------------------------------------------------


BREAKER_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-cost-breaker"


def test_a_burn_rate_alarm_counts_a_service_by_cluster_and_name():
    """The trip alarm's web metric names a service called z360-beta-web in another cluster:
    beta's web is not counted."""
    trip = burn_rate_alarm("trip", threshold=1.5, actions=(BREAKER_ARN,))
    trip[2]["metricQueries"][0]["metric"]["dimensions"]["ClusterName"] = "z360-staging"
    resources = [*estate(services=(("web", 1, 50, None), ("queue", 1, 20, None))),
                 (TOPIC_TYPE, "cost-breaker-topic", {
                     "name": "z360-beta-cost-breaker", "tags": {"z360:cost-breaker": "topic"}}),
                 trip]
    outcome = sdk_analyze_stack(burn_rate.STACK_POLICIES, resources)
    (message,) = outcome.messages("burn-rate-trip-wired")
    assert message.startswith(f"{rid('web')}: auto-scales, but no burn-rate trip alarm counts")


# --- the two regressions on the real beta stack, through the pack as its own process ------------


def test_regression_beta_without_webs_spike_alarm_reports_web(pack, tmp_path_factory):
    def remove_webs_spike_alarm(config):
        web = config["z360-ecs:services"]["web"]
        del web["alarms"]["taskCountSpike"]
        web["importIds"].pop("spikeAlarm", None)  # nothing left to adopt

    run = run_stack_file("beta", tmp_path_factory, remove_webs_spike_alarm)
    assert "web-task-count-spike" not in {r.name for r in run.registrations}
    findings = analyze_run(run, pack=pack)
    assert levels(findings, "spike-alarm-present", "web-scaling-target") == {"advisory"}


def test_regression_beta_burn_rate_trip_at_half_a_dollar_is_not_a_task_count(
        pack, tmp_path_factory):
    def trip_at_half_a_dollar(config):
        config["z360-ecs:costBreaker"]["burnRate"].update(warnPerHour=0.3, tripPerHour=0.5)

    run = run_stack_file("beta", tmp_path_factory, trip_at_half_a_dollar)
    assert run.named("burn-rate-trip").inputs["threshold"] == 0.5
    findings = analyze_run(run, pack=pack)
    assert [f.message for f in findings if f.policy == "spike-alarm-within-capacity"] == []
    assert levels(findings, "burn-rate-trip-in-range", "burn-rate-trip") == set()
    assert RUNNING_TASK_COUNT in json.dumps(run.named("burn-rate-trip").inputs["metricQueries"])


# --- scheduled actions ---------------------------------------------------------------------------


def _web_action(**changes):
    return (SCHEDULED_ACTION_TYPE, "web-wake", changed({
        "serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": rid("web"), "schedule": "cron(0 8 ? * MON-FRI *)",
        "timezone": "Europe/London", "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 5},
    }, **changes))


SCHEDULED_LOOK_ALIKES = {
    "other-resource-id": _web_action(resourceId=rid("web") + "-old"),
    "other-dimension": _web_action(scalableDimension="ecs:service:RunningCount"),
    "other-namespace": _web_action(serviceNamespace="dynamodb"),
    "not-a-service-id": _web_action(resourceId=f"cluster/{CLUSTER}"),
}


def test_a_scheduled_action_joins_its_target_by_namespace_resource_id_and_dimension():
    index = index_of(estate() + [_web_action()])
    [action] = index.scheduled_actions[rid("web")]
    assert (action.resource.name, action.max_capacity, action.timezone) == (
        "web-wake", 5, "Europe/London")


@pytest.mark.parametrize("look_alike", SCHEDULED_LOOK_ALIKES.values(),
                         ids=SCHEDULED_LOOK_ALIKES.keys())
def test_no_look_alike_is_a_scheduled_action_of_web(look_alike):
    index = index_of(estate(drop={"web-cpu-scaling", "web-memory-scaling"}) + [look_alike])
    assert rid("web") not in index.scheduled_actions
    assert not index.schedule_only(rid("web"))


# --- deployment alarms -> the target group they watch ------------------------------------------


def _alb(**changes):
    from tests.support.policy_resources import alb_alarm
    return alb_alarm("a", **changes)


@pytest.mark.parametrize("alarm, group", [
    (_alb(), "targetgroup/z360-beta-web/0a"),
    (_alb(namespace="AWS/ELB"), None),                        # a classic load balancer
    (_alb(dimensions={"LoadBalancer": "app/z360-beta-web/0c"}), None),  # the whole balancer
    (_web_spike(), None),                                     # not a load balancer metric
], ids=["target-group", "classic-elb", "load-balancer-only", "ecs-metric"])
def test_a_deployment_alarm_joins_the_target_group_it_reads_only(alarm, group):
    from policies.guardrails._index import alarm_target_group
    index = index_of([alarm])
    (resource,) = index.alarms_by_name.values()
    assert alarm_target_group(resource) == group


def test_a_metric_math_alarm_watches_no_target_group():
    from policies.guardrails._index import alarm_target_group
    _, name, props = _alb()
    query = {"id": "m1", "returnData": True, "metric": {
        "metricName": props.pop("metricName"), "namespace": props.pop("namespace"),
        "dimensions": props.pop("dimensions"), "period": 60, "stat": "Sum"}}
    index = index_of([(METRIC_ALARM_TYPE, name, {**props, "metricQueries": [query]})])
    assert alarm_target_group(next(iter(index.alarms_by_name.values()))) is None
