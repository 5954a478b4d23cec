"""Deployment alarms for ScalableService (deploymentAlarms.enabled): the target group's 5xx
count and p90 response time, which ECS watches while a deployment runs and rolls back on.

ECS (developer guide, "How the CloudWatch deployment alarms work"): with the ECS (rolling
update) deployment controller, a deployment whose alarm enters ALARM is marked failed and, with
rollback on, the service returns to the last completed deployment; ECS keeps watching through
the bake time after the new tasks are healthy. The circuit breaker only catches tasks that fail
to start or fail health checks; a release that starts healthy and answers 5xx is caught here.

The alarms name the load balancer's metrics by the ARNs the stack file declares
(waf.loadBalancerArn, loadBalancer.targetGroupArn). They also notify the alert topic.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.cloudwatch import (
    ALB_METRIC_PERIOD_S,
    ALB_NAMESPACE,
    LOAD_BALANCER_DIMENSION,
    TARGET_5XX_COUNT,
    TARGET_GROUP_DIMENSION,
    TARGET_RESPONSE_TIME,
    load_balancer_dimension,
    target_group_dimension,
)
from stack_model.config import ServiceConfig


def alb_dimensions(config: ServiceConfig) -> dict[str, str] | None:
    """LoadBalancer and TargetGroup dimensions of the service's target group, or None."""
    if config.load_balancer is None or config.waf.load_balancer_arn is None:
        return None
    balancer = load_balancer_dimension(config.waf.load_balancer_arn)
    group = target_group_dimension(config.load_balancer.target_group_arn)
    if balancer is None or group is None:
        return None
    return {LOAD_BALANCER_DIMENSION: balancer, TARGET_GROUP_DIMENSION: group}


def create_deployment_alarms(
    name: str,
    config: ServiceConfig,
    *,
    key: str,
    environment: str,
    alert_topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> list[aws.cloudwatch.MetricAlarm]:
    """The two alarms, or none when deploymentAlarms is off."""
    dimensions = alb_dimensions(config)
    if not config.deployment_alarms.enabled or dimensions is None:
        return []
    settings = config.deployment_alarms
    topic = [alert_topic_arn]
    periods = settings.evaluation_periods
    common = dict(
        namespace=ALB_NAMESPACE, dimensions=dimensions, period=ALB_METRIC_PERIOD_S,
        evaluation_periods=periods, datapoints_to_alarm=periods,
        comparison_operator="GreaterThanThreshold",
        # No requests means no datapoints: not a bad release.
        treat_missing_data="notBreaching",
        alarm_actions=topic, ok_actions=topic, tags=tags, opts=opts,
    )
    return [
        aws.cloudwatch.MetricAlarm(
            f"{name}-target-5xx",
            name=config.alarm_name("target-5xx"),
            alarm_description=(
                f"{environment} {key}: more than {settings.target_5xx_count} target 5xx "
                f"responses a minute for {periods} minutes; a deployment rolls back"),
            metric_name=TARGET_5XX_COUNT, statistic="Sum",
            threshold=settings.target_5xx_count, **common,  # type: ignore[arg-type]
        ),
        aws.cloudwatch.MetricAlarm(
            f"{name}-response-time-p90",
            name=config.alarm_name("response-time"),
            alarm_description=(
                f"{environment} {key}: p90 target response time above "
                f"{settings.p90_response_time:g} s for {periods} minutes; a deployment rolls back"),
            metric_name=TARGET_RESPONSE_TIME, extended_statistic="p90",
            threshold=settings.p90_response_time, **common,  # type: ignore[arg-type]
        ),
    ]
