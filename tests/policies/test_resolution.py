"""Metric-resolution rules: a service's monitoring (resource rule), HighResolution policies on
services that publish 20 s metrics and alarm periods their metric fills (stack rules); each with
compliant, non-compliant and not-applicable cases through the SDK's real Analyze paths."""

from __future__ import annotations

from policies.guardrails import cloudwatch, ecs, scaling
from policies.guardrails.facts.types import (
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
)
from tests.support.policy_sdk import REMOVE, changed, sdk_analyze, sdk_analyze_stack

CLUSTER = "z360-beta"
RULE = "service-monitoring-valid"


def native_service(**changes):
    """A compliant aws-native beta web service publishing CPU and memory at 20 s."""
    return changed({
        "serviceName": "z360-beta-web",
        "deploymentController": {"type": "ECS"},
        "monitoring": {"metricConfigurations": [
            {"metricNames": ["CPUUtilization", "MemoryUtilization"], "resolutionSeconds": 20},
        ]},
        "tags": [{"key": "z360:service", "value": "web"},
                 {"key": "z360:environment", "value": "beta"}],
    }, **changes)


def test_compliant_monitoring_has_no_violations():
    assert sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE, native_service()).violations == []


def test_monitoring_rule_does_not_apply_without_monitoring():
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                          native_service(monitoring=REMOVE))
    assert RULE in outcome.not_applicable


def test_20s_metrics_with_code_deploy_controller_are_mandatory():
    outcome = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                          native_service(deploymentController={"type": "CODE_DEPLOY"}))
    assert outcome.levels(RULE) == {"mandatory"}
    assert "beta web" in outcome.messages(RULE)[0]
    assert "ECS deployment controller" in outcome.messages(RULE)[0]


def test_bad_resolution_and_metric_name_are_reported():
    bad = {"metricConfigurations": [
        {"metricNames": ["CPUUtilization", "RunningTaskCount"], "resolutionSeconds": 30}]}
    messages = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE,
                           native_service(monitoring=bad)).messages(RULE)
    assert any("resolutionSeconds 30" in m for m in messages)
    assert any("'RunningTaskCount'" in m for m in messages)


# --- stack rules ---------------------------------------------------------------------------


def _stack(resolution: int, metric_type: str, period: int = 60, native: bool = True):
    rid = f"service/{CLUSTER}/z360-beta-web"
    service = (
        (NATIVE_SERVICE_TYPE, "web-service", native_service(monitoring={"metricConfigurations": [
            {"metricNames": ["CPUUtilization", "MemoryUtilization"],
             "resolutionSeconds": resolution}]}))
        if native else
        (SERVICE_TYPE, "web-service", {"name": "z360-beta-web",
                                       "tags": {"z360:service": "web"}})
    )
    return [
        service,
        (SCALING_POLICY_TYPE, "web-cpu-scaling", {
            "name": "z360-beta-web-cpu-scaling", "resourceId": rid,
            "targetTrackingScalingPolicyConfiguration": {
                "predefinedMetricSpecification": {"predefinedMetricType": metric_type},
                "targetValue": 60}}),
        (METRIC_ALARM_TYPE, "web-high-cpu", {
            "name": "z360-beta-web-high-cpu", "namespace": "AWS/ECS",
            "metricName": "CPUUtilization", "period": period,
            "dimensions": {"ClusterName": CLUSTER, "ServiceName": "z360-beta-web"},
            "alarmActions": ["arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"]}),
    ]


HIGH = "ECSServiceAverageCPUUtilizationHighResolution"
POLICY_RULE = "high-resolution-needs-20s-metrics"
PERIOD_RULE = "alarm-period-matches-resolution"


def test_high_resolution_policy_on_a_20s_service_is_compliant():
    outcome = sdk_analyze_stack(scaling.STACK_POLICIES, _stack(20, HIGH))
    assert outcome.messages(POLICY_RULE) == []


def test_high_resolution_policy_on_a_60s_service_is_mandatory():
    for resources in (_stack(60, HIGH), _stack(60, HIGH, native=False)):
        outcome = sdk_analyze_stack(scaling.STACK_POLICIES, resources)
        assert outcome.levels(POLICY_RULE) == {"mandatory"}
        assert "never get data" in outcome.messages(POLICY_RULE)[0]
        assert "ECSServiceAverageCPUUtilization" in outcome.messages(POLICY_RULE)[0]


def test_high_resolution_rule_does_not_apply_to_standard_policies():
    outcome = sdk_analyze_stack(scaling.STACK_POLICIES,
                                _stack(60, "ECSServiceAverageCPUUtilization"))
    assert POLICY_RULE in outcome.not_applicable


def test_20s_alarm_period_on_a_20s_service_is_compliant():
    outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES, _stack(20, HIGH, period=20))
    assert outcome.messages(PERIOD_RULE) == []


def test_20s_period_on_a_60s_service_is_mandatory():
    for native in (True, False):
        outcome = sdk_analyze_stack(cloudwatch.STACK_POLICIES,
                                    _stack(60, HIGH, period=20, native=native))
        assert outcome.levels(PERIOD_RULE) == {"mandatory"}
        message = outcome.messages(PERIOD_RULE)[0]
        assert "publishes it every 60 s" in message and "set metricResolution: 20" in message


def test_period_off_the_20s_grid_is_the_resource_rules_alone():
    """30 s is filled at no resolution: alarm-period-matches-metric stops it before the `up`,
    and the stack rule does not report it a second time."""
    resources = _stack(20, HIGH, period=30)
    assert sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources).messages(PERIOD_RULE) == []
    _, _, alarm = resources[-1]
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, alarm)
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}
    assert "use 20 or a multiple of 60" in outcome.messages("alarm-period-matches-metric")[0]


def test_period_rule_does_not_apply_without_ecs_metric_alarms():
    resources = [r for r in _stack(20, HIGH) if r[0] != METRIC_ALARM_TYPE]
    assert PERIOD_RULE in sdk_analyze_stack(cloudwatch.STACK_POLICIES, resources).not_applicable


def test_malformed_monitoring_entries_are_reported_not_raised():
    props = native_service(monitoring={"metricConfigurations": ["CPUUtilization",
                                                                {"metricNames": "x",
                                                                 "resolutionSeconds": "20"}]})
    messages = sdk_analyze(ecs.RESOURCE_POLICIES, NATIVE_SERVICE_TYPE, props).messages(RULE)
    assert any("metricConfigurations[0] is not an object" in m for m in messages), messages
    assert not [m for m in messages if "failed on this resource" in m]


def test_alarm_period_is_checked_inside_metric_queries_too():
    """A 30 s period on an AWS/ECS metric is refused whichever shape the alarm has."""
    alarm = {"alarmActions": ["arn"], "comparisonOperator": "GreaterThanThreshold",
             "metricQueries": [{"id": "m1", "returnData": True, "metric": {
                 "namespace": "AWS/ECS", "metricName": "CPUUtilization", "period": "30",
                 "stat": "Average", "dimensions": {"ServiceName": "z360-beta-web"}}}]}
    outcome = sdk_analyze(cloudwatch.RESOURCE_POLICIES, METRIC_ALARM_TYPE, alarm)
    assert outcome.levels("alarm-period-matches-metric") == {"mandatory"}
