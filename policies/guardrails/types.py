"""Pulumi type tokens of the AWS resources the rules read: written once, so a rule and the
stack index match the same resources."""

# Application Auto Scaling
TARGET_TYPE = "aws:appautoscaling/target:Target"
SCALING_POLICY_TYPE = "aws:appautoscaling/policy:Policy"

# ECS
CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
SERVICE_TYPE = "aws:ecs/service:Service"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"

# CloudWatch
METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"

# IAM: the resources that hold a policy document
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY_TYPE = "aws:iam/policy:Policy"

# Budgets
BUDGET_TYPE = "aws:budgets/budget:Budget"

# pulumi-aws-native: the ECS service where it needs `monitoring` (docs/metrics-resolution.md)
NATIVE_SERVICE_TYPE = "aws-native:ecs:Service"
