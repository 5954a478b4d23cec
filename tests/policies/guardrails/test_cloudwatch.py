"""CloudWatch alarm rules (policies/guardrails/cloudwatch.py): resource rules through the SDK's
real Analyze path, the stack rules through its AnalyzeStack path, and unusual alarm shapes sent
to the pack as its own process on the real beta run. Each policy has compliant, non-compliant
and not-applicable cases (`policy_case` marks, tests/policies/conftest.py)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import cloudwatch
from policies.guardrails.facts.types import METRIC_ALARM_TYPE, SCHEDULED_ACTION_TYPE, TARGET_TYPE
from tests.support.pack_runs import levels, run_stack_file, with_props
from tests.support.policy_estate import CLUSTER, burn_rate_alarm, estate
from tests.support.policy_resources import (
    alb_alarm,
    deployment_stack,
    metric_alarm,
    resolution_stack,
    spike_alarm,
)
from tests.support.policy_sdk import REMOVE, sdk_analyze, sdk_analyze_stack
from z360_ecs.engine.analyzer import analyze_run
from z360_ecs.engine.program import ProgramRun

ALARM = METRIC_ALARM_TYPE
ALL = cloudwatch.RESOURCE_POLICIES
STACK = cloudwatch.STACK_POLICIES
ALARM_RULES = ("alarm-notifies", "running-task-count-namespace", "alarm-period-matches-metric")
SPIKE_RULES = ("spike-alarm-within-capacity", "spike-alarm-present",
               "container-insights-for-spike-alarms")


@pytest.mark.policy_case("compliant", "alarm-notifies", "running-task-count-namespace")
def test_compliant_alarm_has_no_violations():
    assert sdk_analyze(ALL, ALARM, spike_alarm()).violations == []


@pytest.mark.policy_case("non-compliant", "alarm-notifies")
def test_alarm_without_actions_is_mandatory():
    for props in (spike_alarm(alarmActions=REMOVE), spike_alarm(alarmActions=[])):
        outcome = sdk_analyze(ALL, ALARM, props)
        assert outcome.levels("alarm-notifies") == {"mandatory"}
        assert "no alarmActions" in outcome.messages("alarm-notifies")[0]


def test_alarm_with_actions_disabled_is_a_violation():
    messages = sdk_analyze(ALL, ALARM, spike_alarm(actionsEnabled=False)).messages("alarm-notifies")
    assert "actionsEnabled is false" in messages[0]


def test_topic_arn_unknown_during_preview_still_counts_as_an_action():
    outcome = sdk_analyze(ALL, ALARM, spike_alarm(alarmActions=[UNKNOWN]))
    assert outcome.violations == []


@pytest.mark.policy_case("not-applicable", *ALARM_RULES)
def test_alarm_rules_do_not_apply_to_other_types():
    outcome = sdk_analyze(ALL, TARGET_TYPE, {"serviceNamespace": "ecs", "maxCapacity": 50})
    assert set(ALARM_RULES) <= outcome.not_applicable
    assert outcome.violations == []


@pytest.mark.policy_case("non-compliant", "running-task-count-namespace")
def test_running_task_count_in_aws_ecs_is_mandatory():
    outcome = sdk_analyze(ALL, ALARM, spike_alarm(namespace="AWS/ECS"))
    assert outcome.levels("running-task-count-namespace") == {"mandatory"}
    assert "never reports" in outcome.messages("running-task-count-namespace")[0]


def test_running_task_count_without_service_dimension_is_a_violation():
    props = spike_alarm(dimensions={"ClusterName": "z360-beta"})
    messages = sdk_analyze(ALL, ALARM, props).messages("running-task-count-namespace")
    assert "lack ServiceName" in messages[0]


@pytest.mark.policy_case("not-applicable", "running-task-count-namespace")
def test_cpu_alarm_is_not_applicable_to_the_namespace_rule():
    props = spike_alarm(metricName="CPUUtilization", namespace="AWS/ECS")
    outcome = sdk_analyze(ALL, ALARM, props)
    assert "running-task-count-namespace" in outcome.not_applicable
    assert outcome.violations == []


def test_unknown_namespace_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, ALARM, spike_alarm(namespace=UNKNOWN))
    assert outcome.violations == []
    assert "running-task-count-namespace" in outcome.unknown


# --- spike alarms (stack) ------------------------------------------------------------------------


@pytest.mark.policy_case("compliant", *SPIKE_RULES)
def test_spike_alarms_within_capacity_on_an_insights_cluster_are_compliant():
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 1, 50, 10),)))
    assert outcome.violations == []


@pytest.mark.policy_case("non-compliant", "spike-alarm-within-capacity")
def test_spike_threshold_at_or_above_max_is_mandatory():
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 1, 10, 10),)))
    assert outcome.levels("spike-alarm-within-capacity") == {"mandatory"}
    assert "can never fire" in outcome.messages("spike-alarm-within-capacity")[0]


def test_spike_threshold_below_min_is_a_violation():
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 12, 50, 10),)))
    assert "always firing" in outcome.messages("spike-alarm-within-capacity")[0]


def test_a_target_pinned_by_hold_at_may_have_a_spike_threshold_it_never_reaches():
    # holdAt 2: min = max = 2 is the capacity in force; the runbook must pass check.
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 2, 2, 10),)))
    assert outcome.levels("spike-alarm-within-capacity") == set()


def test_a_pinned_target_above_the_spike_threshold_still_fires_all_the_time():
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 12, 12, 10),)))
    assert "always firing" in outcome.messages("spike-alarm-within-capacity")[0]


def test_malformed_dimensions_on_one_alarm_hide_no_other_finding():
    resources = estate(services=(("web", 1, 50, 10), ("queue", 1, 10, 10)))
    resources = [(t, n, {**p, "dimensions": ["ClusterName"]}) if n == "web-task-count-spike"
                 else (t, n, p) for t, n, p in resources]
    outcome = sdk_analyze_stack(STACK, resources)
    assert "can never fire" in outcome.messages("spike-alarm-within-capacity")[0]
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


@pytest.mark.policy_case("non-compliant", "spike-alarm-present")
def test_scaled_service_without_spike_alarm_is_advisory():
    outcome = sdk_analyze_stack(STACK, estate())
    assert outcome.levels("spike-alarm-present") == {"advisory"}
    assert [m.split(":")[0] for m in outcome.messages("spike-alarm-present")] == ["beta queue"]


@pytest.mark.policy_case("non-compliant", "container-insights-for-spike-alarms")
def test_spike_alarm_on_cluster_without_container_insights_is_mandatory():
    outcome = sdk_analyze_stack(STACK, estate(insights="disabled"))
    assert outcome.levels("container-insights-for-spike-alarms") == {"mandatory"}
    assert "Container Insights disabled" in outcome.messages(
        "container-insights-for-spike-alarms")[0]


INSIGHTS_RULE = "container-insights-for-spike-alarms"


@pytest.mark.policy_case("compliant", INSIGHTS_RULE)
def test_burn_rate_metric_math_on_an_insights_cluster_is_compliant():
    resources = estate(services=(("web", 1, 50, None), ("queue", 1, 20, None)))
    outcome = sdk_analyze_stack(STACK, [*resources, burn_rate_alarm()])
    assert INSIGHTS_RULE not in outcome.not_applicable
    assert outcome.messages(INSIGHTS_RULE) == []


@pytest.mark.policy_case("non-compliant", INSIGHTS_RULE)
def test_burn_rate_metric_math_on_a_cluster_without_container_insights_is_mandatory():
    """No spike alarm at all: the burn-rate alarm's metric math alone reads the cluster's
    RunningTaskCount, and FILL would count its tasks as 0."""
    resources = estate(services=(("web", 1, 50, None), ("queue", 1, 20, None)),
                       insights="disabled")
    outcome = sdk_analyze_stack(STACK, [*resources, burn_rate_alarm()])
    assert outcome.levels(INSIGHTS_RULE) == {"mandatory"}
    (message,) = outcome.messages(INSIGHTS_RULE)  # one finding per alarm and cluster
    assert message.startswith("burn-rate-trip: cluster z360-beta has Container "
                              "Insights disabled")
    assert "FILLs the missing count with 0" in message


@pytest.mark.parametrize("look_alike", ["AWS/ECS", "other-cluster"])
def test_a_metric_outside_container_insights_or_of_a_foreign_cluster_is_not_taken(look_alike):
    """The join takes ECS/ContainerInsights metrics of clusters this stack manages: a count in
    AWS/ECS (running-task-count-namespace's to report) or another cluster's is not judged here."""
    _, name, props = burn_rate_alarm()
    for query in props["metricQueries"][:-1]:
        if look_alike == "AWS/ECS":
            query["metric"]["namespace"] = "AWS/ECS"
        else:
            query["metric"]["dimensions"]["ClusterName"] = "z360-other"
    resources = estate(services=(("web", 1, 50, None),), insights="disabled")
    outcome = sdk_analyze_stack(STACK, [*resources, (METRIC_ALARM_TYPE, name, props)])
    assert outcome.messages(INSIGHTS_RULE) == []


@pytest.mark.policy_case("not-applicable", *SPIKE_RULES)
def test_stack_without_spike_alarms_or_targets_is_not_applicable_to_spike_rules():
    no_alarms = sdk_analyze_stack(STACK, estate(services=(("web", 1, 50, None),)))
    assert {"spike-alarm-within-capacity", "container-insights-for-spike-alarms"} <= (
        no_alarms.not_applicable
    )
    no_targets = sdk_analyze_stack(STACK, [r for r in estate() if r[0] != TARGET_TYPE])
    assert "spike-alarm-present" in no_targets.not_applicable


# --- alarm-period-matches-metric -------------------------------------------------------------------


@pytest.mark.policy_case("non-compliant", "alarm-period-matches-metric")
@pytest.mark.parametrize("namespace, period, finest", [
    ("AWS/ECS", 10, 20), ("AWS/ECS", 30, 20), ("ECS/ContainerInsights", 20, 60),
])
def test_sdk_period_no_resolution_fills_is_mandatory(namespace, period, finest):
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE,
                          metric_alarm(namespace=namespace, period=period))
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}
    assert f"period {period} s; {namespace} metrics arrive every {finest} s" in \
        outcome.messages("alarm-period-matches-metric")[0]


def test_sdk_20s_period_on_aws_ecs_is_left_to_the_stack_rule():
    """An alarm alone does not say whether its service publishes 20 s metrics: the resource
    rule lets 20 s through and alarm-period-matches-resolution judges it (below)."""
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, metric_alarm(period=20))
    assert outcome.messages("alarm-period-matches-metric") == []


@pytest.mark.policy_case("compliant", "alarm-period-matches-metric")
@pytest.mark.policy_case("not-applicable", "alarm-period-matches-metric")
def test_sdk_alarm_period_compliant_configured_and_not_applicable():
    policies = cloudwatch.RESOURCE_POLICIES
    assert sdk_analyze(policies, METRIC_ALARM_TYPE, metric_alarm()).violations == []
    # An estate without 20 s metrics may say so: then 20 s is refused before the `up`.
    config = {"alarm-period-matches-metric": {"resolutionSeconds": {"AWS/ECS": 60}}}
    assert sdk_analyze(policies, METRIC_ALARM_TYPE, metric_alarm(period=20), config=config
                       ).levels("alarm-period-matches-metric") == {"mandatory"}
    outcome = sdk_analyze(policies, METRIC_ALARM_TYPE,
                          metric_alarm(namespace="Custom/App", period=10))
    assert "alarm-period-matches-metric" in outcome.not_applicable


def test_alarm_period_is_checked_inside_metric_queries_too():
    """A 30 s period on an AWS/ECS metric is refused whichever shape the alarm has."""
    alarm = {"alarmActions": ["arn"], "comparisonOperator": "GreaterThanThreshold",
             "metricQueries": [{"id": "m1", "returnData": True, "metric": {
                 "namespace": "AWS/ECS", "metricName": "CPUUtilization", "period": "30",
                 "stat": "Average", "dimensions": {"ServiceName": "z360-beta-web"}}}]}
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, alarm)
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}


# --- alarm-period-matches-resolution (stack) ---------------------------------------------------

HIGH = "ECSServiceAverageCPUUtilizationHighResolution"
PERIOD_RULE = "alarm-period-matches-resolution"


@pytest.mark.policy_case("compliant", PERIOD_RULE)
def test_20s_alarm_period_on_a_20s_service_is_compliant():
    outcome = sdk_analyze_stack(STACK, resolution_stack(20, HIGH, period=20))
    assert outcome.messages(PERIOD_RULE) == []


@pytest.mark.policy_case("non-compliant", PERIOD_RULE)
def test_20s_period_on_a_60s_service_is_mandatory():
    for native in (True, False):
        outcome = sdk_analyze_stack(STACK, resolution_stack(60, HIGH, period=20, native=native))
        assert outcome.levels(PERIOD_RULE) == {"mandatory"}
        message = outcome.messages(PERIOD_RULE)[0]
        assert "publishes it every 60 s" in message and "set metricResolution: 20" in message


def test_period_off_the_20s_grid_is_the_resource_rules_alone():
    """30 s is filled at no resolution: alarm-period-matches-metric stops it before the `up`,
    and the stack rule does not report it a second time."""
    resources = resolution_stack(20, HIGH, period=30)
    assert sdk_analyze_stack(STACK, resources).messages(PERIOD_RULE) == []
    _, _, alarm = resources[-1]
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, alarm)
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}
    assert "use 20 or a multiple of 60" in outcome.messages("alarm-period-matches-metric")[0]


@pytest.mark.policy_case("not-applicable", PERIOD_RULE)
def test_period_rule_does_not_apply_without_ecs_metric_alarms():
    resources = [r for r in resolution_stack(20, HIGH) if r[0] != METRIC_ALARM_TYPE]
    assert PERIOD_RULE in sdk_analyze_stack(STACK, resources).not_applicable


# --- the pack as its own process: alarm shapes the provider accepts, on the real beta run -------


@pytest.fixture(scope="module")
def beta(tmp_path_factory) -> ProgramRun:
    return run_stack_file("beta", tmp_path_factory)


def _metric_queries(namespace):
    def change(props):
        dimensions = props.pop("dimensions")
        for key in ("metricName", "namespace", "period", "statistic"):
            props.pop(key, None)
        props["metricQueries"] = [{
            "id": "m1", "returnData": True,
            "metric": {"metricName": "RunningTaskCount", "namespace": namespace,
                       "period": 60, "stat": "Maximum", "dimensions": dimensions},
        }]
    return change


HOSTILE = [
    ("metric-queries-namespace", "running-task-count-namespace", "web-task-count-spike",
     _metric_queries("AWS/ECS")),
    ("actions-enabled-as-string", "alarm-notifies", "web-high-cpu",
     lambda p: p.update(actionsEnabled="false")),
    ("threshold-as-string", "spike-alarm-within-capacity", "web-task-count-spike",
     lambda p: p.update(threshold="5000")),
]


@pytest.mark.parametrize("case, policy, resource, change", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_each_shape_is_judged_not_failed(beta, pack, case, policy, resource, change):
    findings = analyze_run(with_props(beta, resource, change), pack=pack)
    assert levels(findings, policy, resource) == {"mandatory"}, findings
    assert not [f for f in findings if "failed on this resource" in f.message], findings


def test_metric_queries_in_container_insights_pass(beta, pack):
    run = with_props(beta, "web-task-count-spike", _metric_queries("ECS/ContainerInsights"))
    assert [f for f in analyze_run(run, pack=pack) if f.blocking] == []


@pytest.mark.parametrize("dimensions", [["ClusterName"], "ClusterName=x", 42])
def test_malformed_dimensions_hide_no_other_finding(beta, pack, dimensions):
    """One alarm with malformed dimensions, another with a threshold no count reaches: the
    stack policy still reports the second, and nothing reports "failed on this resource"."""
    def malformed(props):
        props["dimensions"] = dimensions

    def never_fires(props):
        props["threshold"] = 5000.0

    run = with_props(with_props(beta, "web-task-count-spike", malformed),
                     "gateway-task-count-spike", never_fires)
    findings = analyze_run(run, pack=pack)
    assert levels(findings, "spike-alarm-within-capacity", "gateway-task-count-spike") == {
        "mandatory"}
    # The malformed alarm itself is judged by its resource policy, not skipped.
    assert levels(findings, "running-task-count-namespace", "web-task-count-spike") == {
        "mandatory"}
    assert not [f for f in findings if "failed on this resource" in f.message], findings


@pytest.mark.policy_case("compliant", "spike-alarm-present")
def test_a_schedule_only_target_needs_no_spike_alarm():
    """queue (no spike alarm) moved by working hours alone: it cannot run away."""
    resources = estate(drop={"queue-cpu-scaling", "queue-memory-scaling"})
    action = {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
              "resourceId": f"service/{CLUSTER}/z360-beta-queue",
              "schedule": "cron(0 20 ? * MON-FRI *)", "timezone": "UTC",
              "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}}
    outcome = sdk_analyze_stack(STACK, [*resources, (SCHEDULED_ACTION_TYPE, "queue-sleep", action)])
    assert outcome.messages("spike-alarm-present") == []


# --- deployment-alarms-watch-the-service (stack) ----------------------------------------------

DEPLOYMENT_RULE = "deployment-alarms-watch-the-service"


@pytest.mark.policy_case("compliant", DEPLOYMENT_RULE)
@pytest.mark.parametrize("native", [False, True], ids=["aws", "aws-native"])
def test_a_service_rolling_back_on_its_own_target_groups_alarm_is_compliant(native):
    outcome = sdk_analyze_stack(STACK, deployment_stack(native=native))
    assert outcome.messages(DEPLOYMENT_RULE) == []


@pytest.mark.policy_case("non-compliant", DEPLOYMENT_RULE)
@pytest.mark.parametrize("native", [False, True], ids=["aws", "aws-native"])
def test_an_alarm_on_another_target_group_is_mandatory(native):
    look_alike = [alb_alarm("z360-beta-web-target-5xx", target_group="targetgroup/gw/0b")]
    outcome = sdk_analyze_stack(STACK, deployment_stack(native=native, alarms=look_alike))
    assert outcome.levels(DEPLOYMENT_RULE) == {"mandatory"}
    assert "watches targetgroup/gw/0b, not this service's target group" in \
        outcome.messages(DEPLOYMENT_RULE)[0]


def test_a_missing_alarm_and_no_rollback_are_reported():
    outcome = sdk_analyze_stack(STACK, deployment_stack(
        names=("z360-beta-web-target-5xx", "z360-beta-web-gone"), rollback=False))
    messages = outcome.messages(DEPLOYMENT_RULE)
    assert any("rollback False" in m for m in messages)
    assert any("z360-beta-web-gone is not in this stack" in m for m in messages)


@pytest.mark.policy_case("not-applicable", DEPLOYMENT_RULE)
def test_a_stack_without_deployment_alarms_is_not_applicable():
    outcome = sdk_analyze_stack(STACK, estate())
    assert DEPLOYMENT_RULE in outcome.not_applicable
