"""`services.<key>.taskProtection` and `deploymentAlarms` (stack_model/config/signals.py): their
defaults, their bounds, and what they need from the rest of the service."""

from __future__ import annotations

import pytest

from policies.guardrails.facts.ecs import MAX_STOP_TIMEOUT
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
    ("protected-but-interruptible", "beta",
     setter("voice", "interruptible", value=True),
     ("services.voice.interruptible:", "taskProtection.enabled", "interruptible: false")),
    ("protected-on-spot", "beta",
     setter("aegra", "taskProtection", value={"enabled": True}),
     ("services.aegra.interruptible:", "Fargate Spot interruption")),
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


def test_a_protected_service_gets_the_longest_stop_timeout_unless_it_sets_one():
    """Voice: protection lapses before a deploy or scale-in stops a task; its calls then get
    Fargate's 120 s between SIGTERM and the forced stop (2 to 120, facts/ecs.py)."""
    voice = beta_config().services["voice"]
    assert voice.task_protection.enabled and voice.stop_timeout is None
    assert voice.effective_stop_timeout == MAX_STOP_TIMEOUT == 120
    assert voice.model_copy(update={"stop_timeout": 90}).effective_stop_timeout == 90
    unprotected = voice.model_copy(update={"task_protection": TaskProtectionConfig()})
    assert unprotected.effective_stop_timeout is None  # on FARGATE alone: AWS's default 30 s
