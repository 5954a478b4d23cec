"""The scalable targets: read their min/max, set a max, suspend and resume their scheduled
scaling (Application Auto Scaling)."""

from __future__ import annotations

from breaker.clients import Aws
from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE

# DescribeScalableTargets takes at most 50 resource ids per call (API reference, ResourceIds).
_IDS_PER_CALL = 50


def describe(aws: Aws, resource_ids: list[str]) -> dict[str, dict[str, int]]:
    """Current {resourceId: {"min", "max"}} of the registered targets among `resource_ids`."""
    found: dict[str, dict[str, int]] = {}
    paginator = aws.scaling.get_paginator("describe_scalable_targets")
    for start in range(0, len(resource_ids), _IDS_PER_CALL):
        pages = paginator.paginate(
            ServiceNamespace=SCALING_NAMESPACE,
            ScalableDimension=SCALABLE_DIMENSION,
            ResourceIds=resource_ids[start:start + _IDS_PER_CALL],
        )
        for page in pages:
            for target in page["ScalableTargets"]:
                found[target["ResourceId"]] = {
                    "min": int(target["MinCapacity"]),
                    "max": int(target["MaxCapacity"]),
                }
    return found


def set_max(aws: Aws, resource_id: str, max_capacity: int) -> None:
    # Only MaxCapacity is sent: an update leaves every other setting as it is.
    aws.scaling.register_scalable_target(
        ServiceNamespace=SCALING_NAMESPACE,
        ScalableDimension=SCALABLE_DIMENSION,
        ResourceId=resource_id,
        MaxCapacity=max_capacity,
    )


def scheduled_suspended(aws: Aws, resource_ids: list[str]) -> dict[str, dict[str, bool]]:
    """{resourceId: its SuspendedState} of the registered targets among `resource_ids`
    (DescribeScalableTargets ScalableTarget.SuspendedState; absent reads as nothing suspended)."""
    found: dict[str, dict[str, bool]] = {}
    paginator = aws.scaling.get_paginator("describe_scalable_targets")
    for start in range(0, len(resource_ids), _IDS_PER_CALL):
        for page in paginator.paginate(
            ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
            ResourceIds=resource_ids[start:start + _IDS_PER_CALL],
        ):
            for target in page["ScalableTargets"]:
                state = target.get("SuspendedState") or {}
                found[target["ResourceId"]] = {
                    key: bool(state.get(key, False)) for key in SUSPENDED_STATE_KEYS}
    return found


# RegisterScalableTarget SuspendedState (API reference, SuspendedState data type): each is
# "true" to suspend, "false" to resume; scheduled scaling is ScheduledScalingSuspended.
SUSPENDED_STATE_KEYS = (
    "DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


def set_scheduled_scaling_suspended(
    aws: Aws, resource_id: str, current: dict[str, bool], suspended: bool
) -> None:
    """Suspend (True) or resume (False) the target's scheduled actions, so none can raise its
    capacity while the breaker holds it. The whole SuspendedState is sent with the other two
    flags as they are, so a dynamic-scaling suspension someone else set is kept; no capacity
    is sent, so min and max stay as they are."""
    aws.scaling.register_scalable_target(
        ServiceNamespace=SCALING_NAMESPACE,
        ScalableDimension=SCALABLE_DIMENSION,
        ResourceId=resource_id,
        SuspendedState={**current, "ScheduledScalingSuspended": suspended},
    )
