"""CloudWatch facts for ECS service metrics: their names and dimensions (Container Insights'
RunningTaskCount among them), resolutions, the target-tracking metric types that read them, and
us-east-1 list prices. The one source of truth; the program imports it. Namespaces and the
alarm-period rule are in metrics.py.

Resolutions and metric names: botocore ecs-2014-11-13, `MetricConfiguration` ("The supported
metric names are CPUUtilization and MemoryUtilization"; resolutionSeconds "20 and 60") and the
CloudFormation schema of AWS::ECS::Service (1 to 2 MetricConfigurations, each with 1 to 2
unique MetricNames), as pulumi-aws-native carries it. Metric types: botocore
application-autoscaling-2016-02-06 `MetricType`, which lists
ECSServiceAverageCPUUtilizationHighResolution and ...MemoryUtilizationHighResolution (tested
against the installed model in tests/policies/test_cloudwatch_facts.py).

Prices (USD, us-east-1), Amazon CloudWatch pricing page (aws.amazon.com/cloudwatch/pricing),
"Metrics" and "Alarms": a custom metric costs $0.30 per metric-month for the first 10,000
metrics, prorated by the hour; a standard-resolution (60 s) alarm $0.10 per alarm metric-month,
a high-resolution (10/20/30 s) alarm $0.30. ECS charges nothing for its 60 s service metrics
(basic monitoring). Its 20 s metrics are billed like detailed monitoring, i.e. at the custom
metric rate per metric published ("Additional cost: Yes (equivalent to Detailed Monitoring)",
the Classmethod measurement of the June 2026 launch; AWS's ECS guide page "Faster auto scaling
with high-resolution metrics" points to CloudWatch pricing). We count each 20 s metric a
service publishes (CPU, memory) as one custom metric for the whole month: the upper end, since
no first-10,000 tier discount or free-tier metrics are assumed.
"""

from __future__ import annotations

import re
from decimal import Decimal

STANDARD_RESOLUTION = 60
HIGH_RESOLUTION = 20
RESOLUTIONS = (HIGH_RESOLUTION, STANDARD_RESOLUTION)

CPU_METRIC_NAME = "CPUUtilization"
MEMORY_METRIC_NAME = "MemoryUtilization"
SERVICE_METRIC_NAMES = (CPU_METRIC_NAME, MEMORY_METRIC_NAME)
MAX_METRIC_CONFIGURATIONS = 2  # AWS::ECS::Service MonitoringConfiguration, maxItems

# A service's count of RUNNING tasks. It exists only in Container Insights' namespace
# (ECS/ContainerInsights, metrics.py), per service under the dimensions ClusterName and
# ServiceName (ECS developer guide, "Amazon ECS Container Insights metrics"); in AWS/ECS it
# never reports.
RUNNING_TASK_COUNT = "RunningTaskCount"
# The count the service asks for, beside RunningTaskCount in the same namespace (same guide).
DESIRED_TASK_COUNT = "DesiredTaskCount"

# The dimensions that name one service's metric, in AWS/ECS and in Container Insights alike
# (ECS developer guide, "Amazon ECS CloudWatch metrics", dimensions; CloudWatch identifies a
# metric by its namespace, name and its whole set of dimensions).
CLUSTER_DIMENSION = "ClusterName"
SERVICE_DIMENSION = "ServiceName"
SERVICE_DIMENSIONS = (CLUSTER_DIMENSION, SERVICE_DIMENSION)

CPU_METRIC_TYPE = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC_TYPE = "ECSServiceAverageMemoryUtilization"
CPU_METRIC_TYPE_HIGH_RESOLUTION = "ECSServiceAverageCPUUtilizationHighResolution"
MEMORY_METRIC_TYPE_HIGH_RESOLUTION = "ECSServiceAverageMemoryUtilizationHighResolution"

# Predefined target-tracking metric type -> (CloudWatch metric it reads, resolution it needs).
METRIC_TYPES: dict[str, tuple[str, int]] = {
    CPU_METRIC_TYPE: (CPU_METRIC_NAME, STANDARD_RESOLUTION),
    MEMORY_METRIC_TYPE: (MEMORY_METRIC_NAME, STANDARD_RESOLUTION),
    CPU_METRIC_TYPE_HIGH_RESOLUTION: (CPU_METRIC_NAME, HIGH_RESOLUTION),
    MEMORY_METRIC_TYPE_HIGH_RESOLUTION: (MEMORY_METRIC_NAME, HIGH_RESOLUTION),
}


# A target-tracking policy's customized metric (namespace AWS/ECS) -> the predefined type that
# tracks the same signal (Application Auto Scaling API reference,
# CustomizedMetricSpecification; ECSServiceAverageCPUUtilization is the service's average
# AWS/ECS CPUUtilization).
CUSTOM_METRIC_EQUIVALENT: dict[str, str] = {
    CPU_METRIC_NAME: CPU_METRIC_TYPE,
    MEMORY_METRIC_NAME: MEMORY_METRIC_TYPE,
}


def metric_type(metric_name: str, resolution: int) -> str:
    """The predefined metric type that tracks `metric_name` at `resolution` seconds."""
    for name, (metric, needed) in METRIC_TYPES.items():
        if metric == metric_name and needed == resolution:
            return name
    raise ValueError(f"no predefined metric type for {metric_name} at {resolution} s")


# Alarms Application Auto Scaling creates per target-tracking policy (AlarmHigh, AlarmLow).
ALARMS_PER_TARGET_TRACKING_POLICY = 2

PRICE_CUSTOM_METRIC_MONTH = Decimal("0.30")
PRICE_STANDARD_ALARM_MONTH = Decimal("0.10")
PRICE_HIGH_RESOLUTION_ALARM_MONTH = Decimal("0.30")
PRICES_SOURCE = "Amazon CloudWatch pricing, us-east-1 (aws.amazon.com/cloudwatch/pricing)"


def alarm_price(period_seconds: int) -> Decimal:
    """Monthly price of one single-metric alarm with this period."""
    return PRICE_HIGH_RESOLUTION_ALARM_MONTH if period_seconds < 60 else PRICE_STANDARD_ALARM_MONTH


def high_resolution_extra(metrics_at_20: int, alarms_at_20: int) -> Decimal:
    """What 20-second metrics add to a month: each metric published at 20 s, and each alarm
    that moves from a 60 s to a sub-minute period (the difference between the two prices)."""
    return (
        PRICE_CUSTOM_METRIC_MONTH * metrics_at_20
        + (PRICE_HIGH_RESOLUTION_ALARM_MONTH - PRICE_STANDARD_ALARM_MONTH) * alarms_at_20
    )


# --- queue depth, calls in flight, load balancer metrics (issue 26) ------------------------
# SQS publishes each queue's depth free of charge every minute (Amazon SQS developer guide,
# "Available CloudWatch metrics for Amazon SQS": namespace AWS/SQS, dimension QueueName,
# ApproximateNumberOfMessagesVisible "the number of messages available for retrieval").
SQS_NAMESPACE = "AWS/SQS"
SQS_VISIBLE_MESSAGES = "ApproximateNumberOfMessagesVisible"
QUEUE_NAME_DIMENSION = "QueueName"

# A Redis queue has no AWS metric: the application (or a sidecar) publishes its depth with
# PutMetricData under this namespace and name, dimension QueueName = the Laravel queue name
# (docs/operations.md, "Queue backlog scaling"). Ours to define; CloudWatch reserves only the
# AWS/ prefix (PutMetricData, Namespace).
QUEUE_DEPTH_NAMESPACE = "Z360/Queue"
QUEUE_DEPTH_METRIC = "QueueDepth"

# Calls a voice task holds, published by each task (PutMetricData) under the service's
# dimensions (ClusterName, ServiceName): the Average across tasks is calls per task.
CALLS_NAMESPACE = "Z360/Voice"
CALLS_IN_FLIGHT_METRIC = "CallsInFlight"

# Application Load Balancer metrics (Elastic Load Balancing user guide, "CloudWatch metrics for
# your Application Load Balancer"): target 5xx responses (Sum) and the time targets take to
# answer (seconds; percentiles allowed), per LoadBalancer (`app/<name>/<id>`) and TargetGroup
# (`targetgroup/<name>/<id>`), every 60 s.
ALB_NAMESPACE = "AWS/ApplicationELB"
TARGET_5XX_COUNT = "HTTPCode_Target_5XX_Count"
TARGET_RESPONSE_TIME = "TargetResponseTime"
LOAD_BALANCER_DIMENSION = "LoadBalancer"
TARGET_GROUP_DIMENSION = "TargetGroup"
ALB_METRIC_PERIOD_S = 60

# PutMetricData: $0.01 per 1,000 requests (CloudWatch pricing, "API"); a custom metric is
# PRICE_CUSTOM_METRIC_MONTH per metric-month above.
PRICE_PUT_METRIC_DATA_PER_1000 = Decimal("0.01")
MONTH_SECONDS = 730 * 3600


def published_metric_month(interval_s: int, publishers: int = 1) -> Decimal:
    """What one custom metric costs a month when `publishers` each call PutMetricData every
    `interval_s` seconds: the metric-month plus the requests."""
    requests = Decimal(MONTH_SECONDS // interval_s * publishers)
    return PRICE_CUSTOM_METRIC_MONTH + requests / 1000 * PRICE_PUT_METRIC_DATA_PER_1000


_LOAD_BALANCER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/(app/[^/]+/[^/]+)$"
)
_TARGET_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:(targetgroup/[^/]+/[^/]+)$"
)


def load_balancer_dimension(arn: str) -> str | None:
    """The LoadBalancer dimension (`app/<name>/<id>`) of an Application Load Balancer's ARN."""
    match = _LOAD_BALANCER_ARN.fullmatch(arn)
    return match[1] if match else None


def target_group_dimension(arn: str) -> str | None:
    """The TargetGroup dimension (`targetgroup/<name>/<id>`) of a target group's ARN."""
    match = _TARGET_GROUP_ARN.fullmatch(arn)
    return match[1] if match else None


def request_count_resource_label(load_balancer_arn: str, target_group_arn: str) -> str | None:
    """ALBRequestCountPerTarget's ResourceLabel: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/
    <tg-id>` (Application Auto Scaling API reference, PredefinedMetricSpecification.
    ResourceLabel), or None when either ARN has another shape."""
    balancer = load_balancer_dimension(load_balancer_arn)
    group = target_group_dimension(target_group_arn)
    return f"{balancer}/{group}" if balancer and group else None
