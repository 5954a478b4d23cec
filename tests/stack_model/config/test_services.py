"""`services.<key>` (stack_model/config/services.py): names, image, Fargate size, counts against
the scaling range, environment and secrets, and alarm periods against the service's own
metricResolution (policies/guardrails/facts/metrics.py)."""

from __future__ import annotations

import pytest

from stack_model.config import ConfigError
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    both,
    load,
    refusal_params,
    remove,
    setter,
    top,
)
from tests.support.configs import service_config

TARGET_GROUP = ("arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/z360-beta-web/"
                "0123456789abcdef")

CASES: list[RefusalCase] = [
    ("spike-at-max", "beta", setter("web", "alarms", "taskCountSpike", value=50),
     ("services.web.alarms.taskCountSpike:", "50", "not below scaling.max 50")),
    ("spike-above-max", "beta", setter("web", "alarms", "taskCountSpike", value=80),
     ("services.web.alarms.taskCountSpike:", "80", "not below scaling.max 50")),
    ("family-too-long-for-its-role", "beta", setter("web", "family", value="f" * 55),
     ("services.web.family:", "55 characters", "at most 54", "fits IAM's 64")),
    ("service-name-too-long", "beta", setter("web", "serviceName", value="s" * 256),
     ("services.web.serviceName:", "256 characters", "1 to 255")),
    ("service-name-bad-characters", "beta", setter("web", "serviceName", value="web service!"),
     ("services.web.serviceName:", "'web service!'", "letters, digits, '-' or '_'")),
    ("alarm-prefix-too-long", "beta", setter("web", "namePrefix", value="p" * 240),
     ("services.web.namePrefix:", "240 characters", "at most 238", "-task-count-spike")),
    ("secret-is-s3-arn", "beta",
     setter("web", "secrets", value={"DB_PASSWORD": "arn:aws:s3:::z360-secrets/db"}),
     ("services.web.secrets.DB_PASSWORD:", "arn:aws:s3:::z360-secrets/db",
      "not an SSM parameter or Secrets Manager secret ARN")),
    ("secret-is-plaintext", "beta", setter("web", "secrets", value={"API_KEY": "hunter2"}),
     ("services.web.secrets.API_KEY:", "not an SSM parameter")),
    ("plaintext-under-secret-name", "beta",
     setter("web", "environment", value={"DB_PASSWORD": "hunter2"}),
     ("services.web.environment.DB_PASSWORD:", "looks like a credential", "move it to `secrets`")),
    ("nested-secure-value", "beta",
     setter("web", "environment", value={"APP_MODE": {"secure": "AAABAD..."}}),
     ("services.web.environment.APP_MODE:", "secure:", "list its ARN under `secrets`")),
    ("fargate-8192-17408", "beta",
     both(setter("web", "cpu", value=8192), setter("web", "memory", value=17408)),
     ("services.web.memory:", "17408", "cpu 8192", "16384 to 61440 in steps of 4096")),
    ("fargate-cpu-300", "beta", setter("web", "cpu", value=300),
     ("services.web.cpu:", "300", "256, 512, 1024")),
    ("fargate-memory-mismatch", "beta", setter("web", "memory", value=1024),
     ("services.web.memory:", "1024", "cpu 1024", "2048 to 8192")),
    ("architecture-lowercase", "beta", setter("web", "architecture", value="arm64"),
     ("services.web.architecture:", "'arm64'", "'X86_64' or 'ARM64'")),
    # reverb: web's web ACL would also need the port (a problem of its own, waf.enabled).
    ("load-balancer-without-port", "beta",
     both(setter("reverb", "loadBalancer", "targetGroupArn", value=TARGET_GROUP),
          lambda d: d["config"]["z360-ecs:services"]["reverb"].pop("containerPort")),
     ("services.reverb.loadBalancer:", "needs containerPort")),
    # The web ACL sits on web's load balancer: an `up` without loadBalancer detaches web.
    ("waf-without-load-balancer", "beta", remove("web", "loadBalancer"),
     ("services.web.loadBalancer:", "unset while waf.enabled is true",
      "loadBalancer: {targetGroupArn:", "or set waf.enabled: false")),
    ("waf-without-load-balancer-on-gateway", "beta", remove("gateway", "loadBalancer"),
     ("services.gateway.loadBalancer:", "unset while waf.enabled is true")),
    # Issue 22: settings the program accepted and AWS never acted on.
    ("hold-at-without-scaling", "staging", setter("web", "scaling", "holdAt", value=2),
     ("services.web.scaling.holdAt:", "2 is set but scaling is off", "set desiredCount")),
    ("waf-on-a-service-without-port", "beta", setter("queue", "waf", value={
        "enabled": True, "rateLimit": 1000, "loadBalancerArn": (
            "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/q/"
            "0000000000000009")}),
     ("services.queue.waf.enabled:", "no containerPort", "remove waf or set containerPort")),
    ("metric-resolution-nothing-reads", "staging",
     both(setter("web", "metricResolution", value=20), top("aws-native:region", "us-east-1")),
     ("services.web.metricResolution:", "nothing reads the 20-second metrics",
      "set metricResolution: 60")),
    ("metric-resolution-read-at-60-s-only", "staging",
     both(setter("web", "metricResolution", value=20), top("aws-native:region", "us-east-1"),
          setter("web", "alarms", value={"cpuHigh": 80, "period": 60})),
     ("services.web.metricResolution:", "no cpuHigh or memoryHigh alarm has period 20")),
    # Fargate Spot: the strategy ECS accepts, and Spot only where it is harmless and possible.
    ("spot-voice", "beta", setter("voice", "spotFrom", value=2),
     ("services.voice.spotFrom:", "places tasks on FARGATE_SPOT, but interruptible is false")),
    ("spot-voice-strategy", "staging", setter("voice", "capacityProviderStrategy", value=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
     ("services.voice.capacityProviderStrategy:", "interruptible is false")),
    ("spot-on-arm64", "staging", setter("web", "architecture", value="ARM64"),
     ("services.web.spotFrom:", "architecture is ARM64", "X86_64 Linux tasks only")),
    ("strategy-weight-above-1000", "beta", setter("gateway", "capacityProviderStrategy", value=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1001}]),
     ("services.gateway.capacityProviderStrategy.0.weight:", "1000")),
    ("strategy-all-weights-0", "beta", setter("gateway", "capacityProviderStrategy", value=[
        {"capacityProvider": "FARGATE", "base": 2}]),
     ("services.gateway.capacityProviderStrategy:", "every weight is 0")),
    ("strategy-empty", "beta", setter("gateway", "capacityProviderStrategy", value=[]),
     ("services.gateway.capacityProviderStrategy:", "[] names no provider")),
    ("strategy-provider-twice", "beta", setter("gateway", "capacityProviderStrategy", value=[
        {"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE", "weight": 2}]),
     ("services.gateway.capacityProviderStrategy.1.capacityProvider:", "listed twice")),
    ("strategy-and-spot-from", "beta", setter("gateway", "spotFrom", value=2),
     ("services.gateway.spotFrom:", "set together with capacityProviderStrategy")),
    ("spot-from-0", "staging", setter("web", "spotFrom", value=0),
     ("services.web.spotFrom:", "greater than or equal to 1")),
    ("stop-timeout-above-120", "staging", setter("web", "stopTimeout", value=121),
     ("services.web.stopTimeout:", "121", "less than or equal to 120")),
    ("stop-timeout-1", "staging", setter("web", "stopTimeout", value=1),
     ("services.web.stopTimeout:", "greater than or equal to 2")),
    ("retired-capacity-provider", "staging", setter("queue", "capacityProvider",
                                                    value="FARGATE_SPOT"),
     ("services.queue.capacityProvider:", "retired", "capacityProviderStrategy: "
      "[{capacityProvider: FARGATE_SPOT, weight: 1}]")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_service_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_plaintext_credential_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("web", "environment", value={"DB_PASSWORD": "hunter2-live"}))
    assert "hunter2-live" not in str(refused.value)


# --- alarm periods against the service's own resolution ---------------------------------------


@pytest.mark.parametrize("resolution,period", [(60, 60), (60, 300), (20, 20), (20, 60)])
def test_periods_the_metric_fills_are_accepted(resolution, period):
    config = load("beta", both(setter("queue", "metricResolution", value=resolution),
                               setter("queue", "alarms", "period", value=period)))
    assert config.services["queue"].metric_resolution == resolution


@pytest.mark.parametrize("resolution,period,words", [
    (60, 20, "arrive every 60 s, so a 20 s period has no datapoint"),
    (60, 20, "or set metricResolution: 20"),
    (60, 10, "20 only with metricResolution: 20"),
    (20, 30, "30 s periods hold one datapoint or none"),
    (20, 10, "use 20 or a multiple of 60"),
])
def test_periods_the_metric_cannot_fill_are_refused(resolution, period, words):
    with pytest.raises(ConfigError) as refused:
        load("beta", both(setter("queue", "metricResolution", value=resolution),
                          setter("queue", "alarms", "period", value=period)))
    (problem,) = refused.value.problems
    assert problem.startswith("services.queue.alarms.period")
    assert f"{period} s" in problem and words in problem


def test_resolution_other_than_20_or_60_is_refused():
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("queue", "metricResolution", value=30))
    assert "services.queue.metricResolution" in refused.value.problems[0]


# --- the capacity in force ----------------------------------------------------------------------


def test_the_range_in_force_is_the_scaling_range_or_the_floor() -> None:
    scaled = service_config()
    assert (scaled.effective_min, scaled.effective_max) == (1, 50)
    held = service_config(scaling={"enabled": True, "min": 1, "max": 50, "holdAt": 4})
    assert (held.effective_min, held.effective_max) == (4, 4)


def test_without_scaling_the_range_is_the_fixed_count() -> None:
    # Look-alike: scaling bounds written down, but scaling is off.
    fixed = service_config(desiredCount=3, scaling={"enabled": False, "min": 1, "max": 10},
                           alarms={})
    assert (fixed.effective_min, fixed.effective_max) == (3, 3)


def test_spot_from_is_copilots_spot_from() -> None:
    """spotFrom N: task N and later on Spot, the first N-1 on FARGATE (Copilot's `spot_from`,
    aws/copilot-cli#4187: `spot_from: 2` -> 1 Fargate, the rest Spot)."""
    assert service_config(spotFrom=1).strategy == (("FARGATE_SPOT", 0, 1),)
    assert service_config(spotFrom=3).strategy == (("FARGATE", 2, 0), ("FARGATE_SPOT", 0, 1))
    assert service_config().strategy == (("FARGATE", 0, 1),)


def test_stop_timeout_defaults_to_the_spot_warning_only_on_spot() -> None:
    assert service_config(spotFrom=2).effective_stop_timeout == 120
    assert service_config().effective_stop_timeout is None
    assert service_config(spotFrom=2, stopTimeout=45).effective_stop_timeout == 45
    # Look-alike: FARGATE_SPOT named with weight 0 and no base places no task there.
    zero = service_config(capacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 0}])
    assert not zero.may_run_on_spot and zero.effective_stop_timeout is None


def test_a_launch_type_replaces_the_capacity_provider_strategy() -> None:
    assert service_config().uses_capacity_provider_strategy
    assert not service_config(launchType="FARGATE").uses_capacity_provider_strategy


def test_a_load_balancer_is_needed_only_behind_a_web_acl() -> None:
    """Look-alike: web without its web ACL may leave loadBalancer out (a worker does)."""
    def no_waf(document):
        web = document["config"]["z360-ecs:services"]["web"]
        web.pop("loadBalancer")
        web["waf"] = {"enabled": False}
        web.pop("deploymentAlarms")
    assert load("beta", no_waf).services["web"].load_balancer is None
    beta = load("beta", lambda document: None)
    for key in ("web", "gateway"):
        assert beta.services[key].waf.enabled and beta.services[key].load_balancer, key


@pytest.mark.parametrize("change", [
    setter("web", "scaling", value={"enabled": True, "min": 1, "max": 4}),  # target tracking
    setter("web", "alarms", value={"memoryHigh": 80, "period": 20}),        # a 20 s alarm
], ids=["scaling-on", "alarm-at-20-s"])
def test_20_second_metrics_something_reads_are_accepted(change: Mutation) -> None:
    config = load("staging", both(setter("web", "metricResolution", value=20),
                                  top("aws-native:region", "us-east-1"), change))
    assert config.services["web"].metric_resolution == 20


def test_hold_at_with_scaling_on_pins_the_floor() -> None:
    config = load("beta", setter("web", "scaling", "holdAt", value=2))
    assert (config.services["web"].effective_min, config.services["web"].effective_max) == (2, 2)
