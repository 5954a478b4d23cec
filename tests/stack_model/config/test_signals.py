"""`services.<key>.taskProtection` and `deploymentAlarms` (stack_model/config/signals.py): their
defaults, their bounds, and what they need from the rest of the service."""

from __future__ import annotations

import pytest

from stack_model.config.signals import (
    DeploymentAlarmsConfig,
    TaskProtectionConfig,
    deployment_alarm_names,
)
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)
from tests.support.configs import beta_config

CASES: list[RefusalCase] = [
    ("protection-over-48-hours", "beta",
     setter("voice", "taskProtection", value={"enabled": True, "expiresInMinutes": 2881}),
     ("services.voice.taskProtection.expiresInMinutes:", "2880")),
    ("calls-without-protection", "beta",
     setter("voice", "taskProtection", value={"callsPerTask": 60}),
     ("services.voice.taskProtection.callsPerTask:", "60 needs taskProtection.enabled")),
    ("alarms-without-load-balancer", "beta",
     setter("queue", "deploymentAlarms", value={"enabled": True}),
     ("services.queue.deploymentAlarms:", "needs loadBalancer.targetGroupArn and "
      "waf.loadBalancerArn")),
    ("alarms-5xx-zero", "beta",
     setter("web", "deploymentAlarms", value={"enabled": True, "target5xxCount": 0}),
     ("services.web.deploymentAlarms.target5xxCount:",)),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_protection_or_alarm_setting_is_refused(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_defaults_are_off_with_ecs_default_protection():
    assert (TaskProtectionConfig().enabled, TaskProtectionConfig().expires_in_minutes) == (
        False, 120)
    assert DeploymentAlarmsConfig().enabled is False


def test_beta_protects_voice_and_alarms_on_web_and_gateway():
    services = beta_config().services
    assert [k for k, s in services.items() if s.task_protection.enabled] == ["voice"]
    assert {k: deployment_alarm_names(s) for k, s in services.items()
            if deployment_alarm_names(s)} == {
        "web": ("z360-beta-web-target-5xx", "z360-beta-web-latency-p90"),
        "gateway": ("z360-beta-gateway-target-5xx", "z360-beta-gateway-latency-p90")}
