"""WAFv2 facts the program, the reports and the policy pack share. Pure data: stdlib only.

The pack cannot import botocore at run time (its requirements are pulumi and pulumi-policy
only), so the API's bounds are written here and a test proves they equal botocore's wafv2
model (`botocore/data/wafv2/2019-07-29/service-2.json`):
- `RateLimit`: long, min 10, max 2,000,000,000 (shape `RateLimit`).
- `EvaluationWindowSec`: the member's documentation says "Valid settings are 60, 120, 300,
  and 600" and "Default: 300"; the shape itself has no enum.
Web ACL capacity units (WCUs) of the AWS managed rule groups: AWS WAF developer guide, "AWS
Managed Rules rule groups list" (core rule set 700, known bad inputs 200, Amazon IP reputation
list 25); a rate-based statement costs 2 ("Rate-based rule statement"). A web ACL within
1,500 WCUs pays no request surcharge (AWS WAF pricing).
"""

from __future__ import annotations

RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
EVALUATION_WINDOWS_S = (60, 120, 300, 600)
DEFAULT_EVALUATION_WINDOW_S = 300

# WAF checks each aggregation instance's rate about every 10 s (EvaluationWindowSec's
# documentation); in practice a source over the limit is blocked within 30 to 60 s.
RATE_CHECK_INTERVAL_S = 10

MANAGED_RULE_VENDOR = "AWS"
# Config key -> (managed rule group name, WCUs).
MANAGED_RULE_GROUPS: dict[str, tuple[str, int]] = {
    "common": ("AWSManagedRulesCommonRuleSet", 700),
    "knownBadInputs": ("AWSManagedRulesKnownBadInputsRuleSet", 200),
    "ipReputation": ("AWSManagedRulesAmazonIpReputationList", 25),
}
RATE_BASED_RULE_WCU = 2
WCU_INCLUDED = 1500

# Tag on a web ACL: the requests per second one task of its service serves (at full CPU).
# The stack policy that compares a rate limit with what max capacity can serve reads it.
TASK_THROUGHPUT_TAG = "z360:task-requests-per-second"

# Tag on an ECS service whose load balancer carries a web ACL: the web ACL's name. The service
# must register with that load balancer's target group (loadBalancers), and a resource policy
# sees one resource only: the tag puts that fact on the service, where the pack's
# service-load-balancer-declared rule can stop an `up` that would detach it.
WEB_ACL_TAG = "z360:web-acl"

# AWS WAF's CloudWatch namespace; metrics carry the dimensions WebACL, Rule (ALL for the whole
# web ACL) and Region (AWS WAF developer guide, "AWS WAF metrics and dimensions").
WAF_METRICS_NAMESPACE = "AWS/WAFV2"
