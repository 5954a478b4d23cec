"""Deployment alarms in the real beta program under the mock engine: web and gateway alarm on
their target group's 5xx count and p90 response time, named by the ARNs the stack file declares,
and their ECS services roll back on those alarms, through either provider."""

from __future__ import annotations

import pytest

from components.deployment_alarms import alb_dimensions
from policies.guardrails.facts.types import METRIC_ALARM_TYPE, NATIVE_SERVICE_TYPE, SERVICE_TYPE
from tests.support.configs import service_config
from tests.support.runs import unmodified_run
from z360_ecs.engine.program import ProgramRun

WEB_DIMENSIONS = {"LoadBalancer": "app/z360-beta-web/0000000000000000",
                  "TargetGroup": "targetgroup/z360-beta-web/0000000000000000"}


@pytest.fixture(scope="module")
def beta() -> ProgramRun:
    return unmodified_run("beta", preview=False)


def test_web_alarms_on_its_target_groups_5xx_and_p90(beta):
    errors = beta.named("web-target-5xx").inputs
    assert (errors["name"], errors["namespace"], errors["metricName"], errors["statistic"]) == (
        "z360-beta-web-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum")
    assert errors["dimensions"] == WEB_DIMENSIONS
    assert errors["threshold"] == 10 and errors["evaluationPeriods"] == 3
    latency = beta.named("web-latency-p90").inputs
    assert (latency["metricName"], latency["extendedStatistic"], latency["threshold"]) == (
        "TargetResponseTime", "p90", 3)
    assert latency["dimensions"] == WEB_DIMENSIONS


@pytest.mark.parametrize("key, prefix", [("web", "z360-beta-web"),
                                         ("gateway", "z360-beta-gateway")])
def test_public_services_roll_back_on_their_alarms(beta, key, prefix):
    service = beta.named(f"{key}-service")
    assert service.type == NATIVE_SERVICE_TYPE  # metricResolution 20: aws-native
    assert service.inputs["deploymentConfiguration"]["alarms"] == {
        "alarmNames": [f"{prefix}-target-5xx", f"{prefix}-latency-p90"],
        "enable": True, "rollback": True}
    assert service.inputs["deploymentController"] == {"type": "ECS"}
    alarm_urns = {beta.named(f"{key}-target-5xx").urn, beta.named(f"{key}-latency-p90").urn}
    assert alarm_urns <= set(service.dependencies)


def test_services_without_a_load_balancer_have_no_deployment_alarms(beta):
    alarms = {r.inputs["name"] for r in beta.by_type(METRIC_ALARM_TYPE)}
    assert not any(n.startswith(("z360-beta-queue-", "z360-beta-voice-target")) for n in alarms)
    assert "alarms" not in beta.named("voice-service").inputs.get("deploymentConfiguration", {})


def test_the_classic_service_carries_the_same_alarms(run_stack):
    def mutate(document):
        document["config"]["z360-ecs:services"]["web"]["metricResolution"] = 60

    run = run_stack("beta", mutate, preview=False)
    service = run.named("web-service")
    assert service.type == SERVICE_TYPE
    assert service.inputs["alarms"] == {
        "alarmNames": ["z360-beta-web-target-5xx", "z360-beta-web-latency-p90"],
        "enable": True, "rollback": True}


def test_dimensions_need_both_arns():
    assert alb_dimensions(service_config()) is None
