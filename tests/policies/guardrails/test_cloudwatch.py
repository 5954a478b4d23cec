"""Alarm rules: resource rules through the SDK's real Analyze path, the spike-alarm stack rules
through its AnalyzeStack path."""

from __future__ import annotations

from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import cloudwatch
from policies.guardrails.facts.types import METRIC_ALARM_TYPE, TARGET_TYPE
from tests.support.policy_estate import estate
from tests.support.policy_sdk import REMOVE, changed, sdk_analyze, sdk_analyze_stack

ALARM = METRIC_ALARM_TYPE
ALL = cloudwatch.RESOURCE_POLICIES
STACK = cloudwatch.STACK_POLICIES


def spike_alarm(**changes):
    """A compliant RunningTaskCount alarm on beta web."""
    return changed({
        "name": "z360-beta-web-task-count-spike",
        "namespace": "ECS/ContainerInsights",
        "metricName": "RunningTaskCount",
        "dimensions": {"ClusterName": "z360-beta", "ServiceName": "z360-beta-web"},
        "statistic": "Maximum",
        "threshold": 10,
        "comparisonOperator": "GreaterThanThreshold",
        "alarmActions": ["arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"],
    }, **changes)


def test_compliant_alarm_has_no_violations():
    assert sdk_analyze(ALL, ALARM, spike_alarm()).violations == []


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


def test_running_task_count_in_aws_ecs_is_mandatory():
    outcome = sdk_analyze(ALL, ALARM, spike_alarm(namespace="AWS/ECS"))
    assert outcome.levels("running-task-count-namespace") == {"mandatory"}
    assert "never reports" in outcome.messages("running-task-count-namespace")[0]


def test_running_task_count_without_service_dimension_is_a_violation():
    props = spike_alarm(dimensions={"ClusterName": "z360-beta"})
    messages = sdk_analyze(ALL, ALARM, props).messages("running-task-count-namespace")
    assert "lack ServiceName" in messages[0]


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


def test_spike_alarms_within_capacity_on_an_insights_cluster_are_compliant():
    outcome = sdk_analyze_stack(STACK, estate(services=(("web", 1, 50, 10),)))
    assert outcome.violations == []


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


def test_scaled_service_without_spike_alarm_is_advisory():
    outcome = sdk_analyze_stack(STACK, estate())
    assert outcome.levels("spike-alarm-present") == {"advisory"}
    assert [m.split(":")[0] for m in outcome.messages("spike-alarm-present")] == ["beta queue"]


def test_spike_alarm_on_cluster_without_container_insights_is_mandatory():
    outcome = sdk_analyze_stack(STACK, estate(insights="disabled"))
    assert outcome.levels("container-insights-for-spike-alarms") == {"mandatory"}
    assert "Container Insights disabled" in outcome.messages(
        "container-insights-for-spike-alarms")[0]


def test_stack_without_spike_alarms_or_targets_is_not_applicable_to_spike_rules():
    no_alarms = sdk_analyze_stack(STACK, estate(services=(("web", 1, 50, None),)))
    assert {"spike-alarm-within-capacity", "container-insights-for-spike-alarms"} <= (
        no_alarms.not_applicable
    )
    no_targets = sdk_analyze_stack(STACK, [r for r in estate() if r[0] != TARGET_TYPE])
    assert "spike-alarm-present" in no_targets.not_applicable
