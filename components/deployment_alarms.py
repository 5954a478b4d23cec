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
    periods = settings.evaluation_periods

    def alarm(role: str, kind: str, description: str, metric: str, threshold: float,
              statistic: str | None = None, extended_statistic: str | None = None,
              ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{role}",
            name=config.alarm_name(kind),
            alarm_description=f"{environment} {key}: {description} for {periods} minutes; "
                              "a deployment rolls back",
            namespace=ALB_NAMESPACE, metric_name=metric, dimensions=dimensions,
            period=ALB_METRIC_PERIOD_S, evaluation_periods=periods,
            datapoints_to_alarm=periods, threshold=threshold,
            comparison_operator="GreaterThanThreshold",
            # No requests means no datapoints: not a bad release.
            treat_missing_data="notBreaching",
            alarm_actions=[alert_topic_arn], ok_actions=[alert_topic_arn], tags=tags,
            statistic=statistic, extended_statistic=extended_statistic, opts=opts,
        )

    return [
        alarm("target-5xx", "target-5xx",
              f"more than {settings.target_5xx_count} target 5xx responses a minute",
              TARGET_5XX_COUNT, settings.target_5xx_count, statistic="Sum"),
        alarm("latency-p90", "response-time",
              f"p90 target response time above {settings.p90_response_time:g} s",
              TARGET_RESPONSE_TIME, settings.p90_response_time, extended_statistic="p90"),
    ]
