"""The scalable targets: read their min/max, set a max (Application Auto Scaling)."""

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
