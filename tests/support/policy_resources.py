"""Compliant resources for the pack's rule tests: change one field per failing case.

Each factory returns the properties of one compliant resource as the engine sends them (beta
web unless said otherwise); keyword changes replace top-level keys (`REMOVE` deletes one, see
tests/support/policy_sdk.py). Stacks are built from these in tests/support/policy_estate.py and
in each area's test file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from policies.guardrails.facts.burn_rate import rate_expression
from policies.guardrails.facts.fargate import hourly_task_cost
from policies.guardrails.facts.types import (
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
)
from policies.guardrails.facts.wafv2 import TASK_THROUGHPUT_TAG
from tests.support.policy_estate import CLUSTER
from tests.support.policy_sdk import changed

ACCOUNT = "108782097218"
ECS_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:z360/db"
ALERTS_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-alerts"
WEB_TAGS = {"z360:service": "web", "z360:environment": "beta"}
# A live resource id: the cluster and service names carry CloudFormation-style suffixes.
LIVE_WEB_RESOURCE_ID = (
    "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8")


# --- Application Auto Scaling ----------------------------------------------------------------


def target(**changes):
    """A compliant scalable target: beta web, 1..50."""
    return changed({
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": LIVE_WEB_RESOURCE_ID,
        "minCapacity": 1,
        "maxCapacity": 50,
        "tags": dict(WEB_TAGS),
    }, **changes)


def tracking_policy(**changes):
    """A compliant target-tracking policy: CPU at 65 %, out 0 s, in 600 s. `changes` apply to
    its targetTrackingScalingPolicyConfiguration."""
    configuration = changed({
        "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "targetValue": 65,
        "scaleOutCooldown": 0,
        "scaleInCooldown": 600,
        "disableScaleIn": False,
    }, **changes)
    return {
        "name": "z360-beta-web-cpu-scaling",
        "policyType": "TargetTrackingScaling",
        "resourceId": LIVE_WEB_RESOURCE_ID,
        "targetTrackingScalingPolicyConfiguration": configuration,
    }


# --- ECS -----------------------------------------------------------------------------------


def containers(environment=(), secrets=()):
    """containerDefinitions (a JSON string, as the provider sends it) of one web container."""
    return json.dumps([{
        "name": "web",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/z360-web:1",
        "essential": True,
        "environment": [{"name": n, "value": "x"} for n in environment],
        "secrets": [{"name": n, "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/p"}
                    for n in secrets],
    }])


def task_definition(**changes):
    """A compliant Fargate task definition: 1 vCPU / 2 GB, Linux x86."""
    return changed({
        "family": "z360-beta-web",
        "cpu": "1024",
        "memory": "2048",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": containers(environment=["APP_ENV"], secrets=["DB_PASSWORD"]),
        "tags": dict(WEB_TAGS),
    }, **changes)


def service(**changes):
    """A compliant pulumi-aws service on a FARGATE strategy in cluster z360-beta."""
    return changed({
        "name": "z360-beta-web", "cluster": f"{ECS_ARN}:cluster/z360-beta", "tags": dict(WEB_TAGS),
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    }, **changes)


def native_service(**changes):
    """The same service as pulumi-aws-native declares it, publishing CPU and memory at 20 s:
    `serviceName`, `capacityProviderStrategy`, tags as a list, the ECS deployment controller."""
    return changed({
        "serviceName": "z360-beta-web", "cluster": f"{ECS_ARN}:cluster/z360-beta",
        "tags": [{"key": k, "value": v} for k, v in WEB_TAGS.items()],
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        "deploymentController": {"type": "ECS"},
        "monitoring": {"metricConfigurations": [
            {"metricNames": ["CPUUtilization", "MemoryUtilization"], "resolutionSeconds": 20},
        ]},
    }, **changes)


# --- CloudWatch ----------------------------------------------------------------------------


def metric_alarm(**changes):
    """A compliant CPU alarm on beta web's AWS/ECS metric, 60 s period, notifying the alerts."""
    return changed({"name": "z360-beta-web-high-cpu", "namespace": "AWS/ECS",
                    "metricName": "CPUUtilization", "period": 60, "alarmActions": [ALERTS_ARN]},
                   **changes)


def spike_alarm(**changes):
    """A compliant RunningTaskCount alarm on beta web."""
    return changed({
        "name": "z360-beta-web-task-count-spike",
        "namespace": "ECS/ContainerInsights",
        "metricName": "RunningTaskCount",
        "dimensions": {"ClusterName": "z360-beta", "ServiceName": "z360-beta-web"},
        "statistic": "Maximum",
        "threshold": 10,
        "comparisonOperator": "GreaterThanThreshold",
        "alarmActions": [ALERTS_ARN],
    }, **changes)


def resolution_stack(resolution: int, metric_type: str, period: int = 60, native: bool = True):
    """Beta web as (type, name, props): its service publishing CPU and memory every
    `resolution` s (a pulumi-aws service, at ECS's default, when not `native`), a CPU
    target-tracking policy on `metric_type`, and a CPU alarm with `period`."""
    rid = f"service/{CLUSTER}/z360-beta-web"
    web = (
        (NATIVE_SERVICE_TYPE, "web-service", native_service(monitoring={"metricConfigurations": [
            {"metricNames": ["CPUUtilization", "MemoryUtilization"],
             "resolutionSeconds": resolution}]}))
        if native else
        (SERVICE_TYPE, "web-service", {"name": "z360-beta-web",
                                       "tags": {"z360:service": "web"}})
    )
    return [
        web,
        (SCALING_POLICY_TYPE, "web-cpu-scaling", {
            "name": "z360-beta-web-cpu-scaling", "resourceId": rid,
            "targetTrackingScalingPolicyConfiguration": {
                "predefinedMetricSpecification": {"predefinedMetricType": metric_type},
                "targetValue": 60}}),
        (METRIC_ALARM_TYPE, "web-high-cpu", metric_alarm(
            period=period, dimensions={"ClusterName": CLUSTER, "ServiceName": "z360-beta-web"})),
    ]


# --- IAM -----------------------------------------------------------------------------------

LOGS_STATEMENT = {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:PutLogEvents"],
                  "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/x:*"}


def policy_document(*statements):
    """An IAM policy document (a JSON string, as the provider sends `policy`)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def secret_read_policy(*resources):
    """A policy document granting secretsmanager:GetSecretValue on `resources`."""
    return policy_document({"Sid": "ReadSecrets", "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": list(resources)})


# --- SNS -----------------------------------------------------------------------------------


def email_subscription(endpoint="ansar@z360.biz", protocol="email"):
    """A subscription of the alerts topic (name it after its address to comply)."""
    return {"topic": ALERTS_ARN, "protocol": protocol, "endpoint": endpoint}


# --- WAFv2 ---------------------------------------------------------------------------------

WEB_ACL_ARN = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/z360-beta-web-web-acl/abc"


def rate_rule(**changes):
    """A compliant rate-based rule: 3,000 requests per 300 s per IP, blocking. `changes`
    apply to its rateBasedStatement."""
    rate = changed({"limit": 3000, "evaluationWindowSec": 300, "aggregateKeyType": "IP"},
                   **changes)
    return {"name": "rate-limit-per-ip", "priority": 0, "action": {"block": {}},
            "statement": {"rateBasedStatement": rate},
            "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "m",
                                 "sampledRequestsEnabled": True}}


def web_acl(rules=None, service="web", throughput="11.06", **changes):
    """A compliant web ACL: beta web, 3,000 requests per 300 s per IP, blocking."""
    tags = {"z360:service": service, "z360:environment": "beta"}
    if throughput is not None:
        tags[TASK_THROUGHPUT_TAG] = throughput
    return changed({
        "name": f"z360-beta-{service}-web-acl", "scope": "REGIONAL", "arn": WEB_ACL_ARN,
        "defaultAction": {"allow": {}},
        "rules": [rate_rule()] if rules is None else rules, "tags": tags,
    }, **changes)


# --- burn rate -----------------------------------------------------------------------------

BREAKER = "z360-beta-cost-breaker"
BREAKER_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:{BREAKER}"
# The shared estate's task size, 1 vCPU / 2 GB ($0.04937 per task-hour), and two of its
# services: web 1..50, queue 1..20.
TASK_HOUR = hourly_task_cost(1024, 2048, "X86_64")
BURN_RATE_SERVICES = (("web", 1, 50), ("queue", 1, 20))


def burn_rate_alarm(kind: str = "trip", threshold: Any = 1.5,
                    actions: Sequence[Any] = (BREAKER_ARN, ALERTS_ARN),
                    services: Sequence[tuple[str, int, int]] = BURN_RATE_SERVICES,
                    prices: Sequence[Decimal] | None = None, expression: str | None = None):
    """A compliant burn-rate alarm as (type, name, props): `kind` trip or warn, the priced sum
    of `services`' RunningTaskCount in the estate's cluster (each at the task size's list
    price unless `prices`), notifying `actions`."""
    queries: list[dict[str, Any]] = [{
        "id": f"m{i + 1}", "returnData": False,
        "metric": {"namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount",
                   "stat": "Maximum", "period": 60,
                   "dimensions": {"ClusterName": CLUSTER, "ServiceName": f"z360-beta-{key}"}},
    } for i, (key, _, _) in enumerate(services)]
    prices = prices or [TASK_HOUR] * len(services)
    queries.append({"id": "rate", "returnData": True, "label": "Fargate USD per hour",
                    "expression": expression or rate_expression(prices)})
    return (METRIC_ALARM_TYPE, f"burn-rate-{kind}", {
        "name": f"z360-beta-burn-rate-{kind}", "threshold": threshold,
        "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 5,
        "alarmActions": list(actions), "metricQueries": queries,
        "tags": {"z360:burn-rate": kind, "z360:environment": "beta"}})


def backlog_policy(service_name="z360-beta-queue", cluster="z360-beta", divisor=None,
                   expression="depth / tasks", **changes):
    """A compliant backlog-per-task policy (queue: SQS depth over its own RunningTaskCount,
    120 jobs per task). `divisor` replaces the task count query's dimensions; `changes` apply
    to its targetTrackingScalingPolicyConfiguration."""
    dimensions = divisor if divisor is not None else [
        {"name": "ClusterName", "value": cluster}, {"name": "ServiceName", "value": service_name}]
    configuration = changed({
        "customizedMetricSpecification": {"metrics": [
            {"id": "depth", "returnData": False, "metricStat": {"stat": "Sum", "metric": {
                "namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
                "dimensions": [{"name": "QueueName", "value": "z360-beta-jobs"}]}}},
            {"id": "tasks", "returnData": False, "metricStat": {"stat": "Average", "metric": {
                "namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount",
                "dimensions": dimensions}}},
            {"id": "backlogPerTask", "expression": expression, "returnData": True},
        ]},
        "targetValue": 120,
        "scaleOutCooldown": 0,
        "scaleInCooldown": 600,
        "disableScaleIn": False,
    }, **changes)
    return {
        "name": f"{service_name}-backlog-scaling",
        "policyType": "TargetTrackingScaling",
        "serviceNamespace": "ecs",
        "resourceId": f"service/{cluster}/{service_name}",
        "targetTrackingScalingPolicyConfiguration": configuration,
    }


# --- deployment alarms ------------------------------------------------------------------------

WEB_TARGET_GROUP = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/z360-beta-web/0a"
GATEWAY_TARGET_GROUP = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/gw/0b"


def alb_alarm(name, target_group="targetgroup/z360-beta-web/0a", **changes):
    """A single-metric AWS/ApplicationELB 5xx alarm on one target group."""
    return (METRIC_ALARM_TYPE, name, changed({
        "name": name, "namespace": "AWS/ApplicationELB",
        "metricName": "HTTPCode_Target_5XX_Count", "statistic": "Sum", "period": 60,
        "evaluationPeriods": 3, "threshold": 10, "comparisonOperator": "GreaterThanThreshold",
        "dimensions": {"LoadBalancer": "app/z360-beta-web/0c", "TargetGroup": target_group},
    }, **changes))


def deployment_stack(names=("z360-beta-web-target-5xx",), native=False, rollback=True,
                     alarms=None):
    """Web's service rolling back on `names`, with `alarms` (default: web's 5xx alarm)."""
    setting = {"alarmNames": list(names), "enable": True, "rollback": rollback}
    props: dict[str, Any] = {
        "loadBalancers": [{"targetGroupArn": WEB_TARGET_GROUP, "containerName": "web",
                           "containerPort": 80}],
        "tags": dict(WEB_TAGS),
    }
    if native:
        props.update(serviceName="z360-beta-web",
                     deploymentConfiguration={"alarms": setting})
        service = (NATIVE_SERVICE_TYPE, "web-service", props)
    else:
        props.update(name="z360-beta-web", alarms=setting)
        service = (SERVICE_TYPE, "web-service", props)
    return [service, *(alarms if alarms is not None
                       else [alb_alarm("z360-beta-web-target-5xx")])]
