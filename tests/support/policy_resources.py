"""Compliant resources for the pack's rule tests: change one field per failing case."""

from __future__ import annotations

from tests.support.policy_sdk import changed


def target(**changes):
    """A compliant scalable target: beta web, 1..50."""
    return changed({
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8",
        "minCapacity": 1,
        "maxCapacity": 50,
        "tags": {"z360:service": "web", "z360:environment": "beta"},
    }, **changes)
