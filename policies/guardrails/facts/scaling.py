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
