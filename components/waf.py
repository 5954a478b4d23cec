"""RateLimitedWebAcl: a WAFv2 web ACL on the load balancer in front of one public service.

Creates, as children: a REGIONAL web ACL (default action allow) with
  0. a rate-based rule per client IP (`waf.rateLimit` requests per `waf.evaluationWindow`
     seconds; block or count), first, so a flood stops at the cheapest rule;
  1-3. the AWS managed rule groups Amazon IP reputation list, known bad inputs and the core
     rule set, each blocking or only counting (`waf.managedRules`);
CloudWatch metrics and sampled requests for the web ACL and every rule; the association with the
load balancer (`waf.loadBalancerArn`); and an alarm on the web ACL's BlockedRequests that
notifies the alert topic.

The load balancer is not created here: the caller supplies its ARN from config. Nothing here is
protected from deletion, so turning `waf.enabled` off removes the web ACL cleanly.

The rules are built once, in the shape of the WAFv2 API (`create_web_acl_request`), and
converted to the provider's argument names; tests validate that request against botocore's
wafv2 model, and the provider's inputs against it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.types import RATE_LIMITED_WEB_ACL_COMPONENT
from policies.guardrails.facts.wafv2 import (
    MANAGED_RULE_GROUPS,
    MANAGED_RULE_VENDOR,
    TASK_THROUGHPUT_TAG,
    WAF_METRICS_NAMESPACE,
)
from stack_model import naming
from stack_model.config import ServiceConfig, StackConfig
from stack_model.config.waf import WafConfig
from stack_model.naming import service_tags

RATE_RULE_NAME = "rate-limit-per-ip"
# Config key of a managed group -> rule name in the web ACL, in priority order (after the rate
# rule): the cheap reputation list first, the broad core rule set last.
MANAGED_RULE_NAMES = {
    "ipReputation": "aws-ip-reputation",
    "knownBadInputs": "aws-known-bad-inputs",
    "common": "aws-common-rule-set",
}
BLOCKED_ALARM_PERIOD_S = 300

# API member names whose provider argument is not the plain snake_case of the name.
_PROVIDER_NAMES = {"CloudWatchMetricsEnabled": "cloudwatch_metrics_enabled"}


def _visibility(metric_name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
            "MetricName": metric_name}


def _mode(mode: str) -> dict[str, Any]:
    return {"Block": {}} if mode == "block" else {"Count": {}}


def web_acl_rules(waf: WafConfig, name_prefix: str) -> list[dict[str, Any]]:
    """The web ACL's rules in the WAFv2 API's shape (CreateWebACL `Rules`).

    A rule with a statement of its own (rate-based) takes `Action`; a rule that references a
    rule group takes `OverrideAction` instead (None keeps the group's own block actions, Count
    turns every match into a count). WAF refuses a rule with the wrong one of the two.
    """
    rules: list[dict[str, Any]] = [{
        "Name": RATE_RULE_NAME,
        "Priority": 0,
        "Statement": {"RateBasedStatement": {
            "Limit": waf.rate_limit,
            "EvaluationWindowSec": waf.evaluation_window,
            "AggregateKeyType": "IP",
        }},
        "Action": _mode(waf.rate_limit_action),
        "VisibilityConfig": _visibility(f"{name_prefix}-{RATE_RULE_NAME}"),
    }]
    modes = waf.managed_rules.model_dump(by_alias=True)
    for priority, (key, rule_name) in enumerate(MANAGED_RULE_NAMES.items(), start=1):
        group, _ = MANAGED_RULE_GROUPS[key]
        rules.append({
            "Name": rule_name,
            "Priority": priority,
            "Statement": {"ManagedRuleGroupStatement": {
                "VendorName": MANAGED_RULE_VENDOR, "Name": group}},
            "OverrideAction": {"None": {}} if modes[key] == "block" else {"Count": {}},
            "VisibilityConfig": _visibility(f"{name_prefix}-{rule_name}"),
        })
    return rules


def create_web_acl_request(waf: WafConfig, name_prefix: str, description: str) -> dict[str, Any]:
    """The CreateWebACL request this web ACL amounts to (without tags)."""
    name = naming.web_acl_name(name_prefix)
    return {
        "Name": name,
        "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}},
        "Description": description,
        "Rules": web_acl_rules(waf, name_prefix),
        "VisibilityConfig": _visibility(name),
    }


def _snake(name: str) -> str:
    return _PROVIDER_NAMES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_provider_args(value: Any) -> Any:
    """API-shaped data (PascalCase members) as the provider's dict inputs (snake_case)."""
    if isinstance(value, dict):
        return {_snake(key): to_provider_args(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_provider_args(item) for item in value]
    return value


def web_acl_tags(key: str, environment: str, waf: WafConfig) -> dict[str, str]:
    tags = service_tags(key, environment)
    if waf.task_requests_per_second is not None:
        tags[TASK_THROUGHPUT_TAG] = f"{waf.task_requests_per_second:g}"
    return tags


@dataclass
class RateLimitedWebAclArgs:
    key: str
    """Service key in the stack config (web, gateway, ...); tagged as z360:service."""
    service: ServiceConfig
    """The validated service settings; `service.waf` must be enabled."""
    environment: str
    """Stack environment (staging, beta); tagged as z360:environment."""
    region: str
    """AWS region (aws:region): the Region dimension of WAF's metrics."""
    alert_topic_arn: pulumi.Input[str]
    """SNS topic the blocked-requests alarm notifies."""


class RateLimitedWebAcl(pulumi.ComponentResource):
    """A web ACL with a per-IP rate limit on one load balancer; see the module docstring."""

    web_acl_arn: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]
    alarm_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: RateLimitedWebAclArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RATE_LIMITED_WEB_ACL_COMPONENT, name, None, opts)
        waf = args.service.waf
        if not waf.enabled or waf.load_balancer_arn is None:
            raise ValueError(f"services.{args.key}.waf is not enabled")  # the caller's bug
        self._name = name
        self._args = args
        acl = self._web_acl()
        aws.wafv2.WebAclAssociation(
            f"{name}-web-acl-association",
            resource_arn=waf.load_balancer_arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        alarm = self._blocked_alarm(acl)
        self.web_acl_arn = acl.arn
        self.web_acl_name = acl.name
        self.alarm_name = alarm.name
        self.register_outputs({
            "web_acl_arn": self.web_acl_arn,
            "web_acl_name": self.web_acl_name,
            "alarm_name": self.alarm_name,
        })

    def _web_acl(self) -> aws.wafv2.WebAcl:
        args = self._args
        waf = args.service.waf
        request = create_web_acl_request(
            waf, args.service.name_prefix,
            f"{args.environment} {args.key}: at most {waf.rate_limit} requests per client IP "
            f"per {waf.evaluation_window} s",
        )
        provider = to_provider_args(request)
        return aws.wafv2.WebAcl(
            f"{self._name}-web-acl",
            name=provider["name"],
            scope=provider["scope"],
            default_action=provider["default_action"],
            description=provider["description"],
            rules=provider["rules"],
            visibility_config=provider["visibility_config"],
            tags=web_acl_tags(args.key, args.environment, waf),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _blocked_alarm(self, acl: aws.wafv2.WebAcl) -> aws.cloudwatch.MetricAlarm:
        args = self._args
        waf = args.service.waf
        topic = [args.alert_topic_arn]
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-waf-blocked",
            name=naming.alarm_name(args.service.name_prefix, "waf"),
            alarm_description=(
                f"{args.environment} {args.key}: the web ACL blocked more than "
                f"{waf.blocked_alarm_threshold} requests in {BLOCKED_ALARM_PERIOD_S} s "
                "(rate limit or managed rules): a flood or an attack, or a rule blocking "
                "real users"
            ),
            namespace=WAF_METRICS_NAMESPACE,
            metric_name="BlockedRequests",
            dimensions={"WebACL": acl.name, "Rule": "ALL", "Region": args.region},
            statistic="Sum",
            period=BLOCKED_ALARM_PERIOD_S,
            evaluation_periods=1,
            threshold=waf.blocked_alarm_threshold,
            comparison_operator="GreaterThanThreshold",
            # WAF publishes BlockedRequests only when it blocks something: no data is quiet.
            treat_missing_data="notBreaching",
            alarm_actions=topic,
            ok_actions=topic,
            tags=service_tags(args.key, args.environment),
            opts=pulumi.ResourceOptions(parent=self),
        )


def build_web_acls(
    config: StackConfig,
    alert_topic_arn: pulumi.Input[str],
    services: Mapping[str, pulumi.Resource],
) -> dict[str, RateLimitedWebAcl]:
    """One RateLimitedWebAcl per service with `waf.enabled`, a child of that service's
    component (`services`), so everything one service brings sits under it."""
    return {
        key: RateLimitedWebAcl(
            f"{key}-waf",
            RateLimitedWebAclArgs(
                key=key, service=service, environment=config.environment,
                region=config.region, alert_topic_arn=alert_topic_arn,
            ),
            opts=pulumi.ResourceOptions(parent=services[key]),
        )
        for key, service in config.services.items()
        if service.waf.enabled
    }
