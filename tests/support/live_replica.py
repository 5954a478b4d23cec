"""A moto replica of Z360's live ECS estate, built from the ops log's facts.

What the log records is used as it is: account 108782097218, us-east-1, the cluster
`z360-beta-Cluster-8E41UEvLHdpU` and service `z360-beta-web-Service-5Ao8dxMzQ1d8`, the task
families (`z360-beta-web`, `z360-agent-layer-beta-aegra`, ...), the sizes *before*
right-sizing ("Before" columns), the maxima before the upgrade ("Old Max"), cooldowns 60 s out
/ 300 s in, CPU and memory targets of 70, the eight alarms (the spike alarms on
RunningTaskCount in AWS/ECS, where a hand-made one usually ends up), the budget
`z360-monthly-spending-alert` of $2,500 with notifications at 20/40/80 % of actual spend.

Where the log gives a name only as a prefix (its tables' `z360-beta-queue`,
`agent-layer-beta-gateway`), the live name is the CloudFormation name made from it,
`<name>-<LogicalId>-<12 characters>`, as web's is. The agent layer runs in a cluster of its
own, `agent-layer-<env>-Cluster-<suffix>` (no log names it). What else the log does not
record is made up in the estate's own style: gateway's family `z360-agent-layer-<env>-gateway`
(like aegra's and voice's), services made with `launchType: FARGATE` (CloudFormation's usual
template), container names equal to the service key except web's (`app`), images tagged by
date, log groups `/ecs/<family>`, the alert topic `z360-<env>-alerts` in beta only. The
application cluster has FARGATE and FARGATE_SPOT associated with a FARGATE default strategy
(as the beta stack file states it; the agent cluster has none). Web and gateway each sit
behind an internet-facing Application Load Balancer through an `ip` target group, the load
balancers the stack files name for their web ACLs (`z360-<env>-web`,
`z360-agent-layer-<env>`), and DescribeServices gives them the ECS service-linked role as
`roleArn` (an awsvpc service with a load balancer uses it: ECS developer guide, "Using
service-linked roles for Amazon ECS"). moto takes it as CreateService's `role`, which AWS
itself would refuse for awsvpc: only the read is replicated.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.ecs.models import ecs_backends

ACCOUNT = "108782097218"
REGION = "us-east-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
SERVICE_LINKED_ROLE = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/"
                       "AWSServiceRoleForECS")


@dataclass
class ReplicaService:
    key: str
    cluster: str  # app or agent
    family: str
    name: str
    name_prefix: str
    image: str
    port: int | None
    cpu: int
    memory: int
    revision: int
    old_max: int | None = None
    alarms: dict[str, float] = field(default_factory=dict)
    container: str | None = None


def _queue_environment(stack: str, key: str) -> dict[str, str]:
    """Beta's queue worker runs Laravel on SQS: the variables adopt reads its backlog signal
    from (z360_ecs/live/adopt_fill.py, QUEUE_CONNECTION and SQS_QUEUE)."""
    if (stack, key) != ("beta", "queue"):
        return {}
    return {"QUEUE_CONNECTION": "sqs", "SQS_QUEUE": "z360-beta-jobs-live"}


def _beta() -> list[ReplicaService]:
    web = f"{ECR}/z360-web:beta-2026-01-16"
    return [
        ReplicaService("web", "app", "z360-beta-web", "z360-beta-web-Service-5Ao8dxMzQ1d8",
                       "z360-beta-web", web, 80, 2048, 4096, 20, 3,
                       {"cpu": 85, "memory": 85, "spike": 10}, container="app"),
        ReplicaService("queue", "app", "z360-beta-queue", "z360-beta-queue-Service-Kd82LmQp0aZx",
                       "z360-beta-queue", web, None, 512, 1024, 17, 2),
        ReplicaService("reverb", "app", "z360-beta-reverb",
                       "z360-beta-reverb-Service-T7yU8iO9pA0s", "z360-beta-reverb", web, 8080,
                       512, 1024, 2, 2),
        ReplicaService("gateway", "agent", "z360-agent-layer-beta-gateway",
                       "agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7",
                       "z360-beta-gateway", f"{ECR}/agent-layer-gateway:beta-2026-01-16", 8000,
                       512, 1024, 9, 3, {"cpu": 80, "memory": 75, "spike": 10}),
        ReplicaService("aegra", "agent", "z360-agent-layer-beta-aegra",
                       "agent-layer-beta-aegra-Service-Ae1Gr2Ab3Cd4", "z360-beta-aegra",
                       f"{ECR}/agent-layer-aegra:beta-2026-01-16", 8000, 2048, 4096, 17, 3),
        ReplicaService("voice", "agent", "z360-agent-layer-beta-voice",
                       "agent-layer-beta-voice-Service-Vo5Ic6Ef7Gh8", "z360-beta-voice",
                       f"{ECR}/agent-layer-voice:beta-2026-01-16", 8000, 4096, 8192, 17, 3,
                       {"memory": 80, "spike": 10}),
    ]


def _staging() -> list[ReplicaService]:
    web = f"{ECR}/z360-web:staging-2026-01-16"
    return [
        ReplicaService("web", "app", "z360-staging-web", "z360-staging-web-Service-Sw1Eb2Rt3Yu4",
                       "z360-staging-web", web, 80, 1024, 2048, 155, container="app"),
        ReplicaService("queue", "app", "z360-staging-queue",
                       "z360-staging-queue-Service-Sq5Ue6Ue7Ue8", "z360-staging-queue", web,
                       None, 512, 1024, 46),
        ReplicaService("reverb", "app", "z360-staging-reverb",
                       "z360-staging-reverb-Service-Sr9Ev0Er1Bb2", "z360-staging-reverb", web,
                       8080, 512, 1024, 5),
        ReplicaService("gateway", "agent", "z360-agent-layer-staging-gateway",
                       "agent-layer-staging-gateway-Service-Sg3At4Ew5Ay6",
                       "z360-staging-gateway", f"{ECR}/agent-layer-gateway:staging-2026-01-16",
                       8000, 512, 1024, 8),
        ReplicaService("aegra", "agent", "z360-agent-layer-staging-aegra",
                       "agent-layer-staging-aegra-Service-Sa7Eg8Ra9Aa0", "z360-staging-aegra",
                       f"{ECR}/agent-layer-aegra:staging-2026-01-16", 8000, 2048, 4096, 96),
        ReplicaService("voice", "agent", "z360-agent-layer-staging-voice",
                       "agent-layer-staging-voice-Service-Sv1Oi2Ce3Vv4", "z360-staging-voice",
                       f"{ECR}/agent-layer-voice:staging-2026-01-16", 8000, 4096, 8192, 94),
    ]


# Services behind a load balancer: key -> (load balancer name, target group name).
BALANCED = {"web": ("z360-{stack}-web", "z360-{stack}-web-tg"),
            "gateway": ("z360-agent-layer-{stack}", "z360-{stack}-gateway-tg")}
# What the application cluster has associated (the agent cluster: nothing).
APP_PROVIDERS = ["FARGATE", "FARGATE_SPOT"]
APP_DEFAULT_STRATEGY = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]

CLUSTERS = {
    "beta": {"app": "z360-beta-Cluster-8E41UEvLHdpU",
             "agent": "agent-layer-beta-Cluster-Ag9Lb8Kc7Jd6"},
    "staging": {"app": "z360-staging-Cluster-St4Ag5In6Gx7",
                "agent": "agent-layer-staging-Cluster-Sa8Gl9Mk0Nj1"},
}
SERVICES = {"beta": _beta, "staging": _staging}


@dataclass
class Replica:
    stack: str
    services: list[ReplicaService]
    clusters: dict[str, str]
    subnets: list[str]
    security_groups: list[str]
    target_groups: dict[str, str]
    """Service key -> its target group's ARN."""
    load_balancers: dict[str, str]
    """Service key -> the ARN of the load balancer its target group belongs to."""
    topic_arn: str | None
    secrets: dict[str, str]


def _register_revisions(ecs: Any, count: int, **request: Any) -> str:
    """Register the task definition `request` `count` times (revisions 1 to `count`); the ARN of
    the last. The first and the last go through the ECS API; those between, hundreds in a
    replica and each read by nothing but its revision number, go straight to the moto ECS
    backend's `register_task_definition` with the same arguments, which is what moto's
    RegisterTaskDefinition handler calls (moto/ecs/responses.py): the same state, without a
    request serialised and parsed on both sides for each."""
    arn: str = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    if count > 2:
        account = arn.split(":")[4]  # the mock's account (MOTO_ACCOUNT_ID)
        backend = ecs_backends[account][REGION]
        for _ in range(count - 2):
            backend.register_task_definition(
                request["family"], copy.deepcopy(request["containerDefinitions"]),
                network_mode=request["networkMode"],
                requires_compatibilities=list(request["requiresCompatibilities"]),
                cpu=request["cpu"], memory=request["memory"],
                task_role_arn=request["taskRoleArn"],
                execution_role_arn=request["executionRoleArn"])
    if count > 1:
        arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    assert arn.endswith(f":{count}"), (arn, count)
    return arn


def build(stack: str, skip: tuple[str, ...] = (), extra: tuple[tuple[str, ...], ...] = (),
          families: dict[str, str] | None = None, cluster_names: dict[str, str] | None = None,
          providers: dict[str, list[str]] | None = None) -> Replica:
    """Create the replica of `stack` in the active moto mock. `skip` leaves services out;
    `extra` adds services: (cluster key, service name[, family]), the family defaulting to the
    name (a service the stack file does not name); `families` (service key -> family) and
    `cluster_names` (cluster key -> name) replace the replica's own; `providers` (cluster key
    -> capacity providers) associates providers with the agent cluster too."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
               for i, zone in ((1, "a"), (2, "b"))]
    groups = [ec2.create_security_group(GroupName=f"z360-{stack}-tasks", Description="tasks",
                                        VpcId=vpc)["GroupId"]]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    target_groups: dict[str, str] = {}
    balancers: dict[str, str] = {}
    ports = {s.key: s.port for s in SERVICES[stack]()}
    for key, (balancer_name, group_name) in BALANCED.items():
        balancer = elbv2.create_load_balancer(
            Name=balancer_name.format(stack=stack), Subnets=subnets, SecurityGroups=groups,
            Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        group = elbv2.create_target_group(
            Name=group_name.format(stack=stack), Protocol="HTTP", Port=ports[key], VpcId=vpc,
            TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        # A listener forwarding to the target group is what puts the load balancer in its
        # LoadBalancerArns (elbv2 DescribeTargetGroups).
        elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
        target_groups[key], balancers[key] = group, balancer
    ecs = boto3.client("ecs", region_name=REGION)
    clusters = {**CLUSTERS[stack], **(cluster_names or {})}
    for key, name in clusters.items():
        if key == "app":
            ecs.create_cluster(clusterName=name, capacityProviders=APP_PROVIDERS,
                               defaultCapacityProviderStrategy=APP_DEFAULT_STRATEGY)
        elif providers and key in providers:
            ecs.create_cluster(clusterName=name, capacityProviders=providers[key])
        else:
            ecs.create_cluster(clusterName=name)
    topic_arn = None
    if stack == "beta":
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(
            Name="z360-beta-alerts")["TopicArn"]
    secrets = {
        "DB_PASSWORD": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/z360/{stack}/DB_PASSWORD",
        "APP_KEY": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:z360/{stack}/app-AbCdEf",
    }
    logs = boto3.client("logs", region_name=REGION)
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    services = [dataclasses.replace(s, family=(families or {}).get(s.key, s.family))
                for s in SERVICES[stack]() if s.key not in skip]
    for service in services:
        container = service.container or service.key
        log_group = f"/ecs/{service.family}"
        logs.create_log_group(logGroupName=log_group)
        logs.put_retention_policy(logGroupName=log_group,
                                  retentionInDays=14 if service.key == "voice" else 30)
        definition: dict[str, Any] = {
            "name": container, "image": service.image, "essential": True,
            "environment": [{"name": k, "value": v} for k, v in sorted(
                {"APP_ENV": stack, "LOG_CHANNEL": "stderr", **_queue_environment(
                    stack, service.key)}.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": REGION,
                "awslogs-stream-prefix": service.key}},
        }
        if service.port is not None:
            definition["portMappings"] = [{"containerPort": service.port, "protocol": "tcp"}]
        arn = _register_revisions(
            ecs, service.revision, family=service.family, containerDefinitions=[definition],
            cpu=str(service.cpu), memory=str(service.memory), networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{service.family}-task",
            executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{service.family}-TaskExecRole",
        )
        cluster = clusters[service.cluster]
        ecs.create_service(
            cluster=cluster, serviceName=service.name, taskDefinition=arn, desiredCount=1,
            launchType="FARGATE", platformVersion="1.4.0",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": subnets, "securityGroups": groups, "assignPublicIp": "DISABLED"}},
            loadBalancers=([{"targetGroupArn": target_groups[service.key],
                             "containerName": container, "containerPort": service.port}]
                           if service.key in target_groups else []),
            **({"role": SERVICE_LINKED_ROLE} if service.key in target_groups else {}),
        )
        resource_id = f"service/{cluster}/{service.name}"
        if service.old_max is not None:
            scaling.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=resource_id,
                ScalableDimension="ecs:service:DesiredCount", MinCapacity=1,
                MaxCapacity=service.old_max)
            for metric, predefined in (("cpu", "ECSServiceAverageCPUUtilization"),
                                       ("memory", "ECSServiceAverageMemoryUtilization")):
                scaling.put_scaling_policy(
                    PolicyName=f"{service.name_prefix}-{metric}-scaling", ServiceNamespace="ecs",
                    ResourceId=resource_id, ScalableDimension="ecs:service:DesiredCount",
                    PolicyType="TargetTrackingScaling",
                    TargetTrackingScalingPolicyConfiguration={
                        "TargetValue": 70.0,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": predefined},
                        "ScaleOutCooldown": 60, "ScaleInCooldown": 300,
                    })
        for kind, threshold in service.alarms.items():
            metric = {"cpu": "CPUUtilization", "memory": "MemoryUtilization",
                      "spike": "RunningTaskCount"}[kind]
            suffix = {"cpu": "high-cpu", "memory": "high-memory", "spike": "task-count-spike"}
            cloudwatch.put_metric_alarm(
                AlarmName=f"{service.name_prefix}-{suffix[kind]}", Namespace="AWS/ECS",
                MetricName=metric, Statistic="Average" if kind != "spike" else "Maximum",
                Dimensions=[{"Name": "ClusterName", "Value": cluster},
                            {"Name": "ServiceName", "Value": service.name}],
                Period=300 if kind != "spike" else 60, EvaluationPeriods=2,
                Threshold=threshold, ComparisonOperator="GreaterThanThreshold",
                AlarmActions=[topic_arn] if topic_arn else [],
            )
    for cluster_key, name, *family in extra:
        arn = ecs.register_task_definition(
            family=family[0] if family else name,
            containerDefinitions=[{"name": "x", "image": "busybox"}],
            cpu="256", memory="512", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=clusters[cluster_key], serviceName=name, taskDefinition=arn,
                           desiredCount=1, launchType="FARGATE", networkConfiguration={
                               "awsvpcConfiguration": {"subnets": subnets,
                                                       "securityGroups": groups}})
    if stack == "beta":
        boto3.client("budgets", region_name=REGION).create_budget(
            AccountId=ACCOUNT,
            Budget={"BudgetName": "z360-monthly-spending-alert", "BudgetType": "COST",
                    "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "2500", "Unit": "USD"}},
            NotificationsWithSubscribers=[
                {"Notification": {"NotificationType": "ACTUAL",
                                  "ComparisonOperator": "GREATER_THAN", "Threshold": percent,
                                  "ThresholdType": "PERCENTAGE"},
                 "Subscribers": [{"SubscriptionType": "EMAIL", "Address": a}
                                 for a in ("ansar@z360.biz", "hammasuddin@z360.biz")]}
                for percent in (20.0, 40.0, 80.0)
            ])
    return Replica(stack, services, clusters, subnets, groups, target_groups, balancers,
                   topic_arn, secrets)
