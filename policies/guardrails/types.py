"""Pulumi type tokens of the AWS resources the rules read: written once, so a rule and the
stack index match the same resources."""

# Application Auto Scaling
TARGET_TYPE = "aws:appautoscaling/target:Target"
SCALING_POLICY_TYPE = "aws:appautoscaling/policy:Policy"

# ECS
CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
SERVICE_TYPE = "aws:ecs/service:Service"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER_CAPACITY_PROVIDERS_TYPE = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"

# CloudWatch
METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"

# IAM: the resources that hold a policy document
ROLE_TYPE = "aws:iam/role:Role"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY_TYPE = "aws:iam/policy:Policy"

# Budgets
BUDGET_TYPE = "aws:budgets/budget:Budget"

# WAFv2
WEB_ACL_TYPE = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_RULE_TYPE = "aws:wafv2/webAclRule:WebAclRule"
WEB_ACL_ASSOCIATION_TYPE = "aws:wafv2/webAclAssociation:WebAclAssociation"

# SNS
TOPIC_TYPE = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION_TYPE = "aws:sns/topicSubscription:TopicSubscription"

# pulumi-aws-native: the ECS service where it needs `monitoring` (docs/metrics-resolution.md)
NATIVE_SERVICE_TYPE = "aws-native:ecs:Service"
