"""The IAM actions behind every AWS call adopt makes (all read-only).

`ACTIONS` maps (botocore service name, operation) to the IAM action AWS checks, from the
Service Authorization Reference ("Actions, resources, and condition keys for <service>"). Most
are `<prefix>:<Operation>`; the exceptions are spelled out:
- CloudWatch's botocore service is `cloudwatch` (endpoint `monitoring`), its IAM prefix
  `cloudwatch`; Elastic Load Balancing v2's botocore service is `elbv2`, its IAM prefix
  `elasticloadbalancing`;
- AWS Budgets' DescribeBudget and DescribeNotificationsForBudget are authorised by
  `budgets:ViewBudget` (AWS Billing User Guide, "Using identity-based policies for AWS
  Budgets": ViewBudget "allows users to view budgets");
- STS GetCallerIdentity needs no permission (STS API reference: "No permissions are
  required to perform this operation").

docs/adopt.md holds the policy; tests/z360_ecs/live/test_adopt_iam.py records every call a
run against the replica makes and checks each against that policy through this table.
"""

from __future__ import annotations

ACTIONS: dict[tuple[str, str], str | None] = {
    ("sts", "GetCallerIdentity"): None,
    ("ecs", "DescribeClusters"): "ecs:DescribeClusters",
    ("ecs", "ListClusters"): "ecs:ListClusters",
    ("ecs", "DescribeServices"): "ecs:DescribeServices",
    ("ecs", "ListServices"): "ecs:ListServices",
    ("ecs", "DescribeTaskDefinition"): "ecs:DescribeTaskDefinition",
    ("application-autoscaling", "DescribeScalableTargets"):
        "application-autoscaling:DescribeScalableTargets",
    ("application-autoscaling", "DescribeScalingPolicies"):
        "application-autoscaling:DescribeScalingPolicies",
    ("application-autoscaling", "DescribeScheduledActions"):
        "application-autoscaling:DescribeScheduledActions",
    ("cloudwatch", "DescribeAlarms"): "cloudwatch:DescribeAlarms",
    ("logs", "DescribeLogGroups"): "logs:DescribeLogGroups",
    ("elbv2", "DescribeTargetGroups"): "elasticloadbalancing:DescribeTargetGroups",
    ("sns", "GetTopicAttributes"): "sns:GetTopicAttributes",
    ("budgets", "DescribeBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
}
