"""facts/scaling.py: Application Auto Scaling's namespace and dimension are the API's values, and a
resource id round-trips while look-alikes are refused."""

from __future__ import annotations

import pytest
from botocore.loaders import Loader

from policies.guardrails.facts.scaling import (
    AWS_DEFAULT_COOLDOWN_S,
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    parse_scaling_resource_id,
    scaling_resource_id,
)


@pytest.fixture(scope="module")
def model():
    return Loader().load_service_model("application-autoscaling", "service-2")


def test_namespace_and_dimension_are_the_apis_values(model):
    assert SCALING_NAMESPACE in model["shapes"]["ServiceNamespace"]["enum"]
    assert SCALABLE_DIMENSION in model["shapes"]["ScalableDimension"]["enum"]


def test_the_default_cooldown_comes_from_the_guide_the_api_points_to(model):
    members = model["shapes"]["TargetTrackingScalingPolicyConfiguration"]["members"]
    for cooldown in ("ScaleOutCooldown", "ScaleInCooldown"):
        assert "#target-tracking-cooldown" in members[cooldown]["documentation"]
    assert AWS_DEFAULT_COOLDOWN_S == 300


def test_a_resource_id_round_trips():
    resource_id = scaling_resource_id("z360-beta-Cluster-8E41UEvLHdpU", "z360-beta-web")
    assert resource_id == "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web"
    assert parse_scaling_resource_id(resource_id) == ("z360-beta-Cluster-8E41UEvLHdpU", "z360-beta-web")


@pytest.mark.parametrize("look_alike", [
    "service/z360-beta",                      # a cluster without a service
    "service/z360-beta/web/extra",            # one segment too many
    "service//web",                           # an empty cluster
    "table/z360-beta/web",                    # another namespace's resource id
    "ecs/service/z360-beta/web",              # an import id, not a resource id
])
def test_a_look_alike_resource_id_is_not_parsed(look_alike):
    assert parse_scaling_resource_id(look_alike) is None
