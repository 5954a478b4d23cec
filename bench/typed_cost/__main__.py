"""`count` CloudWatch alarms with the inputs of a service's CPU alarm, through the pulumi_aws
class or as a plain CustomResource of the same type token: the difference is what the
provider's typed classes (a declared Output for every output property) cost under mocks."""

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.types import METRIC_ALARM_TYPE

config = pulumi.Config("bench-typed-cost")
typed, count = config.require_bool("typed"), config.require_int("count")
for index in range(count):
    name = f"z360-beta-web-{index:04d}-high-cpu"
    if typed:
        aws.cloudwatch.MetricAlarm(
            name, name=name, comparison_operator="GreaterThanThreshold", evaluation_periods=3,
            metric_name="CPUUtilization", namespace="AWS/ECS", period=60, statistic="Average",
            threshold=85.0, dimensions={"ClusterName": "z360-beta", "ServiceName": name},
            tags={"z360:service": "web", "z360:environment": "beta"},
        )
    else:
        pulumi.CustomResource(METRIC_ALARM_TYPE, name, {
            "name": name, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3,
            "metricName": "CPUUtilization", "namespace": "AWS/ECS", "period": 60,
            "statistic": "Average", "threshold": 85.0,
            "dimensions": {"ClusterName": "z360-beta", "ServiceName": name},
            "tags": {"z360:service": "web", "z360:environment": "beta"},
        })
