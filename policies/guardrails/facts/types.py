"""Pulumi type tokens of every AWS resource the program creates: written once, so the rules, the
stack index, the mock engine and the tools (preview, diff, report) name the same resources."""

# Application Auto Scaling
TARGET_TYPE = "aws:appautoscaling/target:Target"
SCALING_POLICY_TYPE = "aws:appautoscaling/policy:Policy"
SCHEDULED_ACTION_TYPE = "aws:appautoscaling/scheduledAction:ScheduledAction"

# ECS
CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
SERVICE_TYPE = "aws:ecs/service:Service"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER_CAPACITY_PROVIDERS_TYPE = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"

# CloudWatch
METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
DASHBOARD_TYPE = "aws:cloudwatch/dashboard:Dashboard"

# IAM: the role, and the resources that hold a policy document
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
TOPIC_POLICY_TYPE = "aws:sns/topicPolicy:TopicPolicy"
TOPIC_SUBSCRIPTION_TYPE = "aws:sns/topicSubscription:TopicSubscription"

# The cost breaker's function, its failure destination and its state
EVENT_RULE_TYPE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET_TYPE = "aws:cloudwatch/eventTarget:EventTarget"

LAMBDA_FUNCTION_TYPE = "aws:lambda/function:Function"
LAMBDA_PERMISSION_TYPE = "aws:lambda/permission:Permission"
LAMBDA_EVENT_INVOKE_CONFIG_TYPE = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
SSM_PARAMETER_TYPE = "aws:ssm/parameter:Parameter"

# pulumi-aws-native: the ECS service where it needs `monitoring` (docs/metrics-resolution.md)
NATIVE_SERVICE_TYPE = "aws-native:ecs:Service"

# The program's own ComponentResources (`<package>:<module>:<Type>`): the tools group the
# resource tree by them.
SCALABLE_SERVICE_COMPONENT = "z360:ecs:ScalableService"
COST_BREAKER_COMPONENT = "z360:budgets:CostBreaker"
SERVICE_DASHBOARD_COMPONENT = "z360:cloudwatch:ServiceDashboard"
RATE_LIMITED_WEB_ACL_COMPONENT = "z360:wafv2:RateLimitedWebAcl"
BURN_RATE_ALARMS_COMPONENT = "z360:cloudwatch:BurnRateAlarms"
COST_BUDGET_COMPONENT = "z360:budgets:CostBudget"
ALERT_CHANNEL_COMPONENT = "z360:sns:AlertChannel"
SPOT_INTERRUPTIONS_COMPONENT = "z360:events:SpotInterruptions"
