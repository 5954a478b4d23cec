"""WAFv2 rules (policies/guardrails/wafv2.py) at the validator level (the readers the checks
use), through the SDK's real Analyze and AnalyzeStack paths, and with the real program and the
pack as its own process, as `pulumi preview --policy-pack policies` would run them on the
stacks. Each policy has compliant, non-compliant and not-applicable cases (`policy_case` marks,
tests/policies/conftest.py)."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import wafv2
from policies.guardrails.facts.types import (
    SERVICE_TYPE,
    TARGET_TYPE,
    WEB_ACL_ASSOCIATION_TYPE,
    WEB_ACL_TYPE,
)
from tests.support.pack_runs import levels, run_stack_file, with_props
from tests.support.policy_resources import WEB_ACL_ARN as ACL_ARN
from tests.support.policy_resources import rate_rule, web_acl
from tests.support.policy_sdk import changed, sdk_analyze, sdk_analyze_stack
from z360_ecs.engine.analyzer import analyze_run

ALL = wafv2.POLICIES
ACL = WEB_ACL_TYPE
TG = "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/web/0123456789abcdef"
ALB = "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/web/0123456789abcdef"


# --- validator level: the readers ---------------------------------------------------------------


def test_rate_rules_reads_the_provider_shape_and_rule_json():
    assert wafv2.rate_rules(ACL, web_acl()) == [
        wafv2.RateRule("rate-limit-per-ip", 3000.0, 300.0, "block")]
    raw = json.dumps([{"Name": "raw", "Priority": 0, "Action": {"Count": {}},
                       "Statement": {"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}},
                       "VisibilityConfig": {}}])
    assert wafv2.rate_rules(ACL, {"ruleJson": raw}) == [wafv2.RateRule("raw", 5.0, None, "count")]
    managed = {"name": "aws", "statement": {"managedRuleGroupStatement": {"name": "x"}}}
    assert wafv2.rate_rules(ACL, {"rules": [managed]}) == []


# --- waf-rate-limit-within-api-bounds (mandatory, resource) -------------------------------------


@pytest.mark.policy_case("compliant", "waf-rate-limit-within-api-bounds")
def test_compliant_web_acl_has_no_violation():
    assert sdk_analyze(ALL, ACL, web_acl()).violations == []


@pytest.mark.policy_case("non-compliant", "waf-rate-limit-within-api-bounds")
def test_limit_below_the_api_minimum_is_mandatory():
    outcome = sdk_analyze(ALL, ACL, web_acl([rate_rule(limit=5)]))
    assert outcome.levels("waf-rate-limit-within-api-bounds") == {"mandatory"}
    message = outcome.messages("waf-rate-limit-within-api-bounds")[0]
    assert message.startswith("beta web web ACL z360-beta-web-web-acl: rule rate-limit-per-ip "
                              "limit 5 is not a whole number from 10 to 2,000,000,000")


def test_window_waf_does_not_offer_is_mandatory():
    outcome = sdk_analyze(ALL, ACL, web_acl([rate_rule(evaluationWindowSec=90)]))
    assert "evaluation window 90 s is not one WAF accepts (60, 120, 300, 600 s" in \
        outcome.messages("waf-rate-limit-within-api-bounds")[0]


def test_rule_json_is_checked_too():
    raw = json.dumps([{"Name": "raw", "Priority": 0, "Action": {"Block": {}},
                       "Statement": {"RateBasedStatement": {"Limit": 3_000_000_000,
                                                            "AggregateKeyType": "IP"}},
                       "VisibilityConfig": {}}])
    outcome = sdk_analyze(ALL, ACL, web_acl([], ruleJson=raw))
    assert outcome.levels("waf-rate-limit-within-api-bounds") == {"mandatory"}


@pytest.mark.policy_case("not-applicable", "waf-rate-limit-within-api-bounds")
def test_web_acl_without_rate_rule_is_not_applicable():
    outcome = sdk_analyze(ALL, ACL, web_acl([]))
    assert "waf-rate-limit-within-api-bounds" in outcome.not_applicable


def test_unknown_limit_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, ACL, web_acl([rate_rule(limit=UNKNOWN)]))
    assert outcome.violations == []


# --- the stack rules ---------------------------------------------------------------------------


def estate(acl=True, associated=True, load_balanced=True, max_capacity=50, **acl_changes):
    """beta web: an ECS service (behind a target group when load_balanced), its scalable
    target, and its web ACL with an association."""
    tags = {"z360:service": "web", "z360:environment": "beta"}
    service = {"name": "z360-beta-web", "desiredCount": 1, "tags": tags,
               "loadBalancers": [{"targetGroupArn": TG, "containerName": "web",
                                  "containerPort": 80}] if load_balanced else []}
    resources = [
        (SERVICE_TYPE, "web-service", service),
        (TARGET_TYPE, "web-scaling-target", {
            "serviceNamespace": "ecs", "maxCapacity": max_capacity, "minCapacity": 1,
            "tags": tags}),
    ]
    if acl:
        resources.append((ACL, "web-waf-web-acl", web_acl(**acl_changes)))
    if associated:
        resources.append((WEB_ACL_ASSOCIATION_TYPE, "web-waf-web-acl-association",
                          {"resourceArn": ALB, "webAclArn": ACL_ARN}))
    return resources


@pytest.mark.policy_case("compliant", "public-service-has-web-acl", "rate-limit-within-service-capacity")
def test_compliant_estate_has_no_stack_violation():
    assert sdk_analyze_stack(ALL, estate()).violations == []


@pytest.mark.policy_case("non-compliant", "public-service-has-web-acl")
def test_load_balanced_service_without_web_acl_is_advisory():
    outcome = sdk_analyze_stack(ALL, estate(acl=False, associated=False))
    assert outcome.levels("public-service-has-web-acl") == {"advisory"}
    message = outcome.messages("public-service-has-web-acl")[0]
    assert message.startswith("beta web: sits behind a load balancer with no web ACL")
    assert "services.web.waf" in message


def test_web_acl_associated_with_nothing_is_advisory():
    outcome = sdk_analyze_stack(ALL, estate(associated=False))
    assert "is associated with no load balancer" in outcome.messages("public-service-has-web-acl")[0]


@pytest.mark.policy_case("not-applicable", "public-service-has-web-acl")
def test_service_without_load_balancer_is_not_applicable():
    outcome = sdk_analyze_stack(ALL, estate(acl=False, associated=False, load_balanced=False))
    assert "public-service-has-web-acl" in outcome.not_applicable


def test_rate_limit_within_max_capacity_is_compliant_for_one_and_fifty_clients():
    assert sdk_analyze_stack(ALL, estate()).messages("rate-limit-within-service-capacity") == []
    # 55 clients x 10 requests/s = 550 <= 50 x 11.06 = 553.
    config = {"rate-limit-within-service-capacity": {"clients": 55}}
    assert sdk_analyze_stack(ALL, estate(), config).messages(
        "rate-limit-within-service-capacity") == []


@pytest.mark.policy_case("non-compliant", "rate-limit-within-service-capacity")
def test_rate_limit_above_max_capacity_is_advisory_with_the_figures():
    config = {"rate-limit-within-service-capacity": {"clients": 56}}
    outcome = sdk_analyze_stack(ALL, estate(), config)
    assert outcome.levels("rate-limit-within-service-capacity") == {"advisory"}
    message = outcome.messages("rate-limit-within-service-capacity")[0]
    assert "56 client IPs at the limit of 3000 requests per 300 s may send 560.0 requests/s, " \
           "more than max capacity serves (50 tasks x 11.06 requests/s = 553.0)" in message
    one = sdk_analyze_stack(ALL, estate(max_capacity=1, rules=[rate_rule(limit=6000)]))
    assert one.levels("rate-limit-within-service-capacity") == {"advisory"}


def test_counting_rate_rule_lets_a_flood_through():
    rule = changed(rate_rule(), action={"count": {}})
    outcome = sdk_analyze_stack(ALL, estate(rules=[rule]))
    assert "only counts, so a flood passes it whole" in \
        outcome.messages("rate-limit-within-service-capacity")[0]


def test_capacity_rule_skips_a_web_acl_without_throughput_tag():
    outcome = sdk_analyze_stack(ALL, estate(max_capacity=1, throughput=None,
                                            rules=[rate_rule(limit=6000)]))
    assert outcome.messages("rate-limit-within-service-capacity") == []


@pytest.mark.policy_case("not-applicable", "rate-limit-within-service-capacity")
def test_capacity_rule_without_rate_rules_is_not_applicable():
    outcome = sdk_analyze_stack(ALL, estate(rules=[]))
    assert "rate-limit-within-service-capacity" in outcome.not_applicable


# --- hostile shapes: numbers as strings, malformed lists (the pack's normalisation helpers) ----


def test_numbers_given_as_strings_are_judged_as_numbers():
    """The provider takes "3000" for 3000: such a rule is judged, not skipped."""
    assert wafv2.rate_rules(ACL, web_acl([rate_rule(limit="3000", evaluationWindowSec="300")])) \
        == [wafv2.RateRule("rate-limit-per-ip", 3000.0, 300.0, "block")]
    outcome = sdk_analyze(ALL, ACL, web_acl([rate_rule(limit="5")]))
    assert outcome.levels("waf-rate-limit-within-api-bounds") == {"mandatory"}


def test_non_finite_and_boolean_limits_are_refused_not_raised():
    for limit in ("nan", "inf", "1e400", True):
        outcome = sdk_analyze(ALL, ACL, web_acl([rate_rule(limit=limit)]))
        assert outcome.levels("waf-rate-limit-within-api-bounds") == {"mandatory"}, limit
        message = outcome.messages("waf-rate-limit-within-api-bounds")[0]
        assert "limit unset is not a whole number" in message and "failed" not in message


def test_malformed_rule_lists_read_as_no_rules():
    for rules in ("rate-limit-per-ip", {"name": "x"}, 42):
        assert wafv2.rate_rules(ACL, {"rules": rules}) == [], rules
    assert wafv2.rate_rules(ACL, {"ruleJson": json.dumps({"Name": "not a list"})}) == []


def test_a_malformed_association_neither_counts_nor_fails_the_policy():
    """An association whose webAclArn is a list names no web ACL: the web ACL is still reported
    as associated with nothing, and no policy reports that it failed."""
    resources = estate(associated=False) + [
        (WEB_ACL_ASSOCIATION_TYPE, "broken", {"resourceArn": ALB, "webAclArn": ["not", "a", 1]})]
    outcome = sdk_analyze_stack(ALL, resources)
    assert "is associated with no load balancer" in \
        outcome.messages("public-service-has-web-acl")[0]
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


# --- the pack as its own process, on the real stacks (`pulumi preview --policy-pack`) ----------

WAF_POLICIES = {"waf-rate-limit-within-api-bounds", "public-service-has-web-acl",
                "rate-limit-within-service-capacity"}
STACK_TG = ("arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/z360-beta-{}/"
            "0123456789abcdef")


def _load_balanced_web_without_acl_and_a_loose_gateway(config):
    services = config["z360-ecs:services"]
    for key in ("web", "gateway"):
        services[key]["loadBalancer"] = {"targetGroupArn": STACK_TG.format(key)}
    services["web"]["waf"]["enabled"] = False          # public-service-has-web-acl
    services["gateway"]["waf"]["rateLimit"] = 900_000  # rate-limit-within-service-capacity


@pytest.fixture(scope="module")
def beta(tmp_path_factory):
    return run_stack_file("beta", tmp_path_factory)


@pytest.fixture(scope="module")
def mutated_findings(tmp_path_factory, pack):
    return analyze_run(run_stack_file("beta", tmp_path_factory,
                                      _load_balanced_web_without_acl_and_a_loose_gateway),
                       pack=pack)


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_stacks_as_shipped_have_no_waf_finding(stack, tmp_path_factory, pack, beta):
    run = beta if stack == "beta" else run_stack_file(stack, tmp_path_factory)
    findings = analyze_run(run, pack=pack)
    assert [f.message for f in findings if f.policy in WAF_POLICIES] == []


def test_pack_load_balanced_service_without_web_acl_is_advisory(mutated_findings):
    assert levels(mutated_findings, "public-service-has-web-acl", "web-service") == {"advisory"}
    # gateway keeps its web ACL and association
    assert levels(mutated_findings, "public-service-has-web-acl", "gateway-service") == set()


def test_pack_rate_limit_above_max_capacity_is_advisory(mutated_findings):
    assert levels(mutated_findings, "rate-limit-within-service-capacity",
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
    findings = analyze_run(with_props(beta, "web-waf-web-acl", _limit(5)), pack=pack)
    assert levels(findings, "waf-rate-limit-within-api-bounds", "web-waf-web-acl") == {
        "mandatory"}
    assert [f for f in findings if f.blocking and f.resource_name != "web-waf-web-acl"] == []


@pytest.mark.parametrize("limit", ["5", "NaN"], ids=["waf-limit-as-string", "waf-limit-not-finite"])
def test_each_shape_is_judged_not_failed(beta, pack, limit):
    """A limit the provider takes as a string, or one that is no finite number, is judged as
    the provider would send it (_kit.number), not failed."""
    findings = analyze_run(with_props(beta, "web-waf-web-acl", _limit(limit)), pack=pack)
    assert levels(findings, "waf-rate-limit-within-api-bounds", "web-waf-web-acl") == {
        "mandatory"}, findings
    assert not [f for f in findings if "failed on this resource" in f.message], findings
