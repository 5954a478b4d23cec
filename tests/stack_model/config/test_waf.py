"""`services.<key>.waf`: what the stack files set, and what the config refuses (with the key path,
the bad value and what is allowed)."""

from __future__ import annotations

from typing import Any

import pytest

from stack_model.config import ConfigError, load_stack_config
from tests.support.config_mutations import split
from tests.support.runs import stack_document

ALB = "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/z360-beta-web/0123456789abcdef"


def _load(mutate=None, stack: str = "beta"):
    document = stack_document(stack)
    if mutate is not None:
        mutate(document["config"]["z360-ecs:services"])
    return load_stack_config(*split(document))


def _problems(mutate) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(mutate)
    return caught.value.problems


def _set_web_waf(**waf: Any):
    def mutate(services):
        services["web"]["waf"] = waf
    return mutate


def test_beta_puts_web_and_gateway_behind_a_rate_limit():
    config = _load()
    enabled = {k: s.waf for k, s in config.services.items() if s.waf.enabled}
    assert set(enabled) == {"web", "gateway"}
    web = enabled["web"]
    assert (web.rate_limit, web.evaluation_window, web.task_requests_per_second) == (3000, 300, 11.06)
    # The default the stack file explains: one task's measured throughput over the window.
    assert web.rate_limit <= 11.06 * web.evaluation_window < web.rate_limit + 500
    assert web.allowed_per_client_per_second == 10
    assert (web.managed_rules.common, web.managed_rules.known_bad_inputs,
            web.managed_rules.ip_reputation) == ("count", "block", "block")


def test_staging_has_no_web_acl():
    assert not any(s.waf.enabled for s in _load(stack="staging").services.values())


def test_enabled_needs_a_load_balancer_and_a_limit():
    problems = _problems(_set_web_waf(enabled=True))
    assert any(p.startswith("services.web.waf.loadBalancerArn: required when waf.enabled")
               for p in problems)
    assert any(p.startswith("services.web.waf.rateLimit: required when waf.enabled")
               for p in problems)


def test_disabled_waf_needs_nothing():
    def mutate(services):
        services["web"]["waf"] = {"enabled": False}
        # Its load balancer's ARN lives in waf: the alarms that read it go too.
        services["web"].pop("deploymentAlarms")
    config = _load(mutate)
    assert not config.services["web"].waf.enabled


@pytest.mark.parametrize("limit", [9, 2_000_000_001])
def test_rate_limit_outside_what_waf_accepts_is_refused(limit):
    problems = _problems(_set_web_waf(enabled=True, loadBalancerArn=ALB, rateLimit=limit))
    assert any(p.startswith(f"services.web.waf.rateLimit: {limit} is not allowed") for p in problems)


def test_evaluation_window_must_be_one_waf_offers():
    problems = _problems(_set_web_waf(enabled=True, loadBalancerArn=ALB, rateLimit=3000,
                                      evaluationWindow=90))
    assert "services.web.waf.evaluationWindow: 90 is not a WAF evaluation window: allowed 60, " \
           "120, 300, 600 (seconds)" in problems


def test_a_target_group_arn_is_not_a_load_balancer_arn():
    tg = "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/web/0123456789abcdef"
    problems = _problems(_set_web_waf(enabled=True, loadBalancerArn=tg, rateLimit=3000))
    assert any(p.startswith(f"services.web.waf.loadBalancerArn: {tg!r} is not an Application "
                            "Load Balancer ARN") for p in problems)


def test_load_balancer_in_another_region_is_refused():
    arn = ALB.replace("us-east-1", "eu-west-1")
    problems = _problems(_set_web_waf(enabled=True, loadBalancerArn=arn, rateLimit=3000))
    assert any(p.startswith(f"services.web.waf.loadBalancerArn: {arn!r} is not in this stack's "
                            "region us-east-1") for p in problems)


def test_one_load_balancer_takes_one_web_acl():
    def mutate(services):
        services["gateway"]["waf"]["loadBalancerArn"] = services["web"]["waf"]["loadBalancerArn"]
    problems = _problems(mutate)
    assert any(p.startswith("services.{web,gateway}.waf.loadBalancerArn:") and
               "a load balancer takes one web ACL" in p for p in problems)


def test_unknown_waf_key_is_named():
    problems = _problems(_set_web_waf(enabled=True, loadBalancerArn=ALB, rateLimit=3000,
                                      rateLimt=5))
    assert any(p.startswith("services.web.waf.rateLimt: unknown key") for p in problems)



@pytest.mark.parametrize("key, value", [
    ("rateLimit", True),                       # a boolean is no number (strict models)
    ("rateLimit", 3000.5),
    ("rateLimit", "3000"),
    ("evaluationWindow", True),
    ("taskRequestsPerSecond", float("nan")),   # finite only (stack_model/config/base.py)
    ("taskRequestsPerSecond", float("inf")),
    ("taskRequestsPerSecond", False),
    ("blockedAlarmThreshold", True),
])
def test_waf_numbers_follow_the_number_rules(key, value):
    waf = {"enabled": True, "loadBalancerArn": ALB, "rateLimit": 3000, key: value}
    problems = _problems(_set_web_waf(**waf))
    assert any(p.startswith(f"services.web.waf.{key}:") for p in problems), problems
