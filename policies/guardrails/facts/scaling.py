"""Application Auto Scaling's facts for an ECS service: the one home of its namespace, dimension,
resource-id shape, target-tracking policy type and default cooldown. The pack, the program
(stack_model/naming.py), the breaker's function and the tools all read them here.

Sources: Application Auto Scaling API reference, RegisterScalableTarget (`ServiceNamespace`
`ecs`, `ScalableDimension` `ecs:service:DesiredCount`, `ResourceId` `service/<cluster>/<service>`),
PutScalingPolicy (`PolicyType` `TargetTrackingScaling`) and
TargetTrackingScalingPolicyConfiguration (`ScaleOutCooldown`/`ScaleInCooldown`, whose
documentation sends the default to the Application Auto Scaling User Guide, "Define cooldown
periods", #target-tracking-cooldown: 300 s for ECS services).
"""

import re

SCALING_NAMESPACE = "ecs"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"

# PutScalingPolicy `PolicyType` of a target-tracking policy.
TARGET_TRACKING_POLICY_TYPE = "TargetTrackingScaling"

# What AWS waits when a target-tracking policy leaves a cooldown unset (ECS services).
AWS_DEFAULT_COOLDOWN_S = 300

_RESOURCE_ID_PREFIX = "service/"


def scaling_resource_id(cluster_name: str, service_name: str) -> str:
    """Application Auto Scaling's id of a service: `service/<cluster>/<service>`."""
    return f"{_RESOURCE_ID_PREFIX}{cluster_name}/{service_name}"


def parse_scaling_resource_id(resource_id: str) -> tuple[str, str] | None:
    """(cluster, service) of `service/<cluster>/<service>`, or None for any other shape."""
    if not resource_id.startswith(_RESOURCE_ID_PREFIX):
        return None
    parts = resource_id[len(_RESOURCE_ID_PREFIX):].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


# --- scaling on what a service does (issue 26) ----------------------------------------------
# Target tracking on a load balancer's requests per target (Application Auto Scaling API
# reference, PredefinedMetricSpecification: ALBRequestCountPerTarget needs a ResourceLabel).
ALB_REQUEST_COUNT_PER_TARGET = "ALBRequestCountPerTarget"

# A queue worker's target: backlog per task = acceptable latency / seconds per job
# (Application Auto Scaling user guide, "Scaling policy based on Amazon SQS": "acceptable
# backlog per instance"; Copilot's queue_delay: acceptable_latency / msg_processing_time).
# A task always holds at least the job it is on: a target under one job per task asks for a
# latency shorter than one job, which no number of tasks reaches.
MIN_BACKLOG_PER_TASK = 1.0


def backlog_per_task_target(acceptable_latency_s: float, seconds_per_job: float) -> float:
    """Jobs each task may have waiting so the last one starts within the acceptable latency."""
    return acceptable_latency_s / seconds_per_job


# Metric-math ids of the backlog policy: the queue's depth over the service's task count.
BACKLOG_DEPTH_ID = "depth"
BACKLOG_TASKS_ID = "tasks"
BACKLOG_EXPRESSION = f"{BACKLOG_DEPTH_ID} / {BACKLOG_TASKS_ID}"

# ECS task scale-in protection (ECS developer guide, "Protect your Amazon ECS tasks from being
# terminated by scale-in events"): a protected task is not stopped by a scale-in nor by a
# deployment until protection expires; expiresInMinutes defaults to 120 and is at most 2,880
# (48 h). The task sets it through the agent ($ECS_AGENT_URI/task-protection/v1/state) with
# its task role, which needs these actions (Service Authorization Reference, "Actions,
# resources, and condition keys for Amazon Elastic Container Service": UpdateTaskProtection
# and GetTaskProtection, resource type `task`).
TASK_PROTECTION_ACTIONS = ("ecs:GetTaskProtection", "ecs:UpdateTaskProtection")
DEFAULT_PROTECTION_MINUTES = 120
MAX_PROTECTION_MINUTES = 2880


# One cluster's tasks (or one task of it): `task/<cluster>/<id or *>`. `*` or `task/*` would
# let one service's tasks hold every task of the account out of a scale-in.
CLUSTER_TASKS_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9*]+$")


def cluster_tasks_arn(region: str, account_id: str, cluster_name: str) -> str:
    """Every task of one cluster: the `task` resource type's ARN
    `arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}` with a wildcard id."""
    return f"arn:aws:ecs:{region}:{account_id}:task/{cluster_name}/*"
