"""The WAFv2 rules with the real program and the real pack process, as `pulumi preview
--policy-pack policies` would run them on the stacks."""

from __future__ import annotations

import pytest

from tests.support.pack_runs import levels as _levels
from tests.support.pack_runs import run_stack_file as _run
from tests.support.pack_runs import with_props as _with_props
from z360_ecs.engine.analyzer import analyze_run

WAF_POLICIES = {"waf-rate-limit-within-api-bounds", "public-service-has-web-acl",
                "rate-limit-within-service-capacity"}
TG = "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/z360-beta-{}/0123456789abcdef"


def _load_balanced_web_without_acl_and_a_loose_gateway(config):
    services = config["z360-ecs:services"]
    for key in ("web", "gateway"):
        services[key]["loadBalancer"] = {"targetGroupArn": TG.format(key)}
    services["web"]["waf"]["enabled"] = False          # public-service-has-web-acl
    services["gateway"]["waf"]["rateLimit"] = 900_000  # rate-limit-within-service-capacity


@pytest.fixture(scope="module")
def beta(tmp_path_factory):
    return _run("beta", tmp_path_factory)


@pytest.fixture(scope="module")
def mutated_findings(tmp_path_factory, pack):
    return analyze_run(_run("beta", tmp_path_factory,
                            _load_balanced_web_without_acl_and_a_loose_gateway), pack=pack)


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_stacks_as_shipped_have_no_waf_finding(stack, tmp_path_factory, pack, beta):
    run = beta if stack == "beta" else _run(stack, tmp_path_factory)
    findings = analyze_run(run, pack=pack)
    assert [f.message for f in findings if f.policy in WAF_POLICIES] == []


def test_load_balanced_service_without_web_acl_is_advisory(mutated_findings):
    assert _levels(mutated_findings, "public-service-has-web-acl", "web-service") == {"advisory"}
    # gateway keeps its web ACL and association
    assert _levels(mutated_findings, "public-service-has-web-acl", "gateway-service") == set()


def test_rate_limit_above_max_capacity_is_advisory(mutated_findings):
    assert _levels(mutated_findings, "rate-limit-within-service-capacity",
                   "gateway-waf-web-acl") == {"advisory"}
    (finding,) = [f for f in mutated_findings if f.policy == "rate-limit-within-service-capacity"]
    assert "3,000.0 requests/s, more than max capacity serves (50 tasks x 5.53 requests/s" \
        in finding.message


def _limit(value):
    def change(props):
        props["rules"][0]["statement"]["rateBasedStatement"]["limit"] = value
    return change


def test_rate_limit_waf_refuses_is_mandatory(beta, pack):
    # The config refuses such a limit, so the registration itself is changed.
    findings = analyze_run(_with_props(beta, "web-waf-web-acl", _limit(5)), pack=pack)
    assert _levels(findings, "waf-rate-limit-within-api-bounds", "web-waf-web-acl") == {
        "mandatory"}
    assert [f for f in findings if f.blocking and f.resource_name != "web-waf-web-acl"] == []
