"""The web ACL component: what it registers under the mock engine, and the WAFv2 requests it
implies, checked against botocore's wafv2 model (ParamValidator) and moto's wafv2 and elbv2."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
from moto import mock_aws

from components.waf import (
    MANAGED_RULE_NAMES,
    RATE_RULE_NAME,
    create_web_acl_request,
    web_acl_tags,
)
from policies.guardrails.facts import wafv2 as wafv2_facts
from policies.guardrails.facts.types import (
    METRIC_ALARM_TYPE,
    WEB_ACL_ASSOCIATION_TYPE,
    WEB_ACL_TYPE,
)
from policies.guardrails.facts.wafv2 import (
    MANAGED_RULE_GROUPS,
    RATE_BASED_RULE_WCU,
    WCU_INCLUDED,
)
from stack_model.config.waf import WafConfig
from tests.support.runs import unmodified_run
from z360_ecs.common import read_stack_config

WEB_ACL = WEB_ACL_TYPE
ASSOCIATION = WEB_ACL_ASSOCIATION_TYPE
ALARM = METRIC_ALARM_TYPE


@pytest.fixture(scope="module")
def wafv2_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("wafv2", "service-2"), "wafv2")


@pytest.fixture(scope="module")
def beta():
    return unmodified_run("beta")


def _request(key: str = "web") -> tuple[dict[str, Any], WafConfig]:
    service = read_stack_config("beta").services[key]
    request = create_web_acl_request(service.waf, service.name_prefix, f"beta {key}")
    tags = web_acl_tags(key, "beta", service.waf)
    return {**request, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}, service.waf


def _validate(model: ServiceModel, operation: str, params: dict[str, Any]) -> str:
    """botocore's own validation report ('' when valid)."""
    shape = model.operation_model(operation).input_shape
    return ParamValidator().validate(params, shape).generate_report()


# --- the pack's bounds are the API model's -----------------------------------------------------


# --- the request the component implies -------------------------------------------------------


@pytest.mark.parametrize("key", ["web", "gateway"])
def test_create_web_acl_request_is_valid_for_the_wafv2_model(wafv2_model, key):
    request, _ = _request(key)
    assert _validate(wafv2_model, "CreateWebACL", request) == ""


def test_the_validator_catches_a_limit_waf_refuses(wafv2_model):
    request, waf = _request()
    request["Rules"][0]["Statement"]["RateBasedStatement"]["Limit"] = 5
    assert "Invalid value for parameter Rules[0].Statement.RateBasedStatement.Limit" in \
        _validate(wafv2_model, "CreateWebACL", request)


def test_rules_carry_action_or_override_action_as_their_statement_needs():
    request, waf = _request()
    rules = request["Rules"]
    assert [r["Name"] for r in rules] == [RATE_RULE_NAME, *MANAGED_RULE_NAMES.values()]
    assert sorted(r["Priority"] for r in rules) == list(range(len(rules)))
    for rule in rules:
        references_group = "ManagedRuleGroupStatement" in rule["Statement"]
        # WAF refuses an Action on a rule-group reference and an OverrideAction elsewhere.
        assert ("OverrideAction" in rule) is references_group, rule["Name"]
        assert ("Action" in rule) is not references_group, rule["Name"]
    rate = rules[0]["Statement"]["RateBasedStatement"]
    assert rate == {"Limit": 3000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}
    assert rules[0]["Action"] == {"Block": {}}
    overrides = {r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r["OverrideAction"]
                 for r in rules[1:]}
    assert overrides == {
        "AWSManagedRulesAmazonIpReputationList": {"None": {}},
        "AWSManagedRulesKnownBadInputsRuleSet": {"None": {}},
        "AWSManagedRulesCommonRuleSet": {"Count": {}},
    }


def test_web_acl_stays_within_the_included_capacity():
    wcus = RATE_BASED_RULE_WCU + sum(w for _, w in MANAGED_RULE_GROUPS.values())
    assert wcus <= WCU_INCLUDED


# --- what the program registers -----------------------------------------------------------------


def _api_names(value: Any) -> Any:
    """Engine inputs (camelCase) back in the API's member names (PascalCase)."""
    if isinstance(value, dict):
        return {("CloudWatchMetricsEnabled" if k == "cloudwatchMetricsEnabled"
                 else k[0].upper() + k[1:]): _api_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_names(v) for v in value]
    return value


@pytest.mark.parametrize("key", ["web", "gateway"])
def test_registered_web_acl_is_the_validated_request(beta, wafv2_model, key):
    (acl,) = [r for r in beta.by_type(WEB_ACL) if r.name == f"{key}-waf-web-acl"]
    inputs = acl.inputs
    request, waf = _request(key)
    sent = {
        "Name": inputs["name"], "Scope": inputs["scope"],
        "DefaultAction": _api_names(inputs["defaultAction"]),
        "Description": inputs["description"],
        "Rules": _api_names(inputs["rules"]),
        "VisibilityConfig": _api_names(inputs["visibilityConfig"]),
    }
    assert sent["Rules"] == request["Rules"], acl.urn
    assert sent["VisibilityConfig"] == request["VisibilityConfig"], acl.urn
    assert (sent["Scope"], sent["DefaultAction"]) == ("REGIONAL", {"Allow": {}})
    assert _validate(wafv2_model, "CreateWebACL", sent) == ""
    assert inputs["tags"]["z360:service"] == key
    assert inputs["tags"][wafv2_facts.TASK_THROUGHPUT_TAG] == f"{waf.task_requests_per_second:g}"
    # A child of the service's component: everything one service brings sits under it.
    (component,) = [r for r in beta.registrations if r.urn == acl.parent]
    assert component.type == "z360:wafv2:RateLimitedWebAcl"
    assert component.parent.endswith(f"z360:ecs:ScalableService::{key}"), component.parent


def test_each_web_acl_is_associated_with_its_load_balancer(beta):
    config = read_stack_config("beta")
    arns = sorted(r.inputs["resourceArn"] for r in beta.by_type(ASSOCIATION))
    assert arns == sorted(s.waf.load_balancer_arn for s in config.services.values()
                          if s.waf.enabled)


def test_blocked_requests_alarm_notifies_the_alert_topic(beta):
    alarms = {r.inputs["name"]: r.inputs for r in beta.by_type(ALARM)
              if r.inputs.get("namespace") == "AWS/WAFV2"}
    assert set(alarms) == {"z360-beta-web-waf-blocked", "z360-beta-gateway-waf-blocked"}
    web = alarms["z360-beta-web-waf-blocked"]
    assert web["metricName"] == "BlockedRequests" and web["statistic"] == "Sum"
    assert web["dimensions"] == {"WebACL": "z360-beta-web-web-acl", "Rule": "ALL",
                                 "Region": "us-east-1"}
    assert web["threshold"] == 1000 and web["period"] == 300
    assert web["treatMissingData"] == "notBreaching"
    assert web["alarmActions"] and web["okActions"]


def test_staging_registers_no_web_acl():
    assert unmodified_run("staging").by_type(WEB_ACL) == []


# --- moto: the request round-trips, and the load balancer ARN comes from the target group -------


@mock_aws
def test_moto_accepts_the_request_and_the_association():
    region = "us-east-1"
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                 AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    elbv2 = boto3.client("elbv2", region_name=region)
    alb = elbv2.create_load_balancer(Name="z360-beta-web", Subnets=subnets, Type="application",
                                     Scheme="internet-facing")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="z360-beta-web", Protocol="HTTP", Port=80,
                                      VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    elbv2.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward",
                                           "TargetGroupArn": group["TargetGroupArn"]}])
    # What an adopt step reads: the target group names its load balancer.
    (described,) = elbv2.describe_target_groups(
        TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"]
    (alb_arn,) = described["LoadBalancerArns"]
    assert WafConfig.model_validate({"enabled": True, "loadBalancerArn": alb_arn,
                                     "rateLimit": 3000}).load_balancer_arn == alb_arn

    wafv2 = boto3.client("wafv2", region_name=region)
    request, _ = _request()
    summary = wafv2.create_web_acl(**request)["Summary"]
    stored = wafv2.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    assert stored["Rules"] == request["Rules"]
    wafv2.associate_web_acl(WebACLArn=summary["ARN"], ResourceArn=alb_arn)
    assert wafv2.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["Name"] == \
        "z360-beta-web-web-acl"
