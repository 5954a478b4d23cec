"""facts/ecs.py: the create-only lists are the installed SDK's, cluster names come out of either
form, and the Fargate providers and scheduler are the API's values."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from botocore.loaders import Loader

from policies.guardrails.facts import ecs
from policies.guardrails.facts.ecs import (
    CLASSIC_SERVICE_FORCE_NEW,
    CLASSIC_SERVICE_KEPT_WHEN_UNSET,
    FARGATE_CAPACITY_PROVIDERS,
    NATIVE_SERVICE_CREATE_ONLY,
    SCHEDULING_STRATEGY,
    cluster_name_of,
)


def test_native_create_only_properties_are_the_sdks_replace_on_changes():
    spec = importlib.util.find_spec("pulumi_aws_native")
    assert spec is not None and spec.origin is not None
    source = (Path(spec.origin).parent / "ecs" / "service.py").read_text()
    found = re.search(r"replace_on_changes=\[([^\]]*)\]", source)
    assert found, "pulumi_aws_native.ecs.Service no longer lists replace_on_changes"
    assert sorted(re.findall(r'"(\w+)"', found[1])) == sorted(NATIVE_SERVICE_CREATE_ONLY)


def test_what_terraform_keeps_when_unset_is_a_part_of_what_it_forces_new():
    assert set(CLASSIC_SERVICE_KEPT_WHEN_UNSET) < set(CLASSIC_SERVICE_FORCE_NEW)


def test_scheduler_and_providers_are_the_ecs_models_values():
    model = Loader().load_service_model("ecs", "service-2")
    assert SCHEDULING_STRATEGY in model["shapes"]["SchedulingStrategy"]["enum"]
    documentation = model["shapes"]["CapacityProviderStrategyItem"]["documentation"]
    assert all(provider in documentation for provider in FARGATE_CAPACITY_PROVIDERS)


def test_a_cluster_name_comes_out_of_an_arn_or_a_name():
    arn = "arn:aws:ecs:us-east-1:108782097218:cluster/z360-beta-Cluster-8E41UEvLHdpU"
    assert cluster_name_of(arn) == "z360-beta-Cluster-8E41UEvLHdpU"
    assert cluster_name_of("z360-beta") == "z360-beta"


# --- split_tasks: ECS's placement over a strategy -----------------------------------------------


@pytest.mark.parametrize("count, strategy, expected", [
    # Base first, then the weights split the rest.
    (50, [("FARGATE", 1, 1), ("FARGATE_SPOT", 0, 1)], {"FARGATE": 26, "FARGATE_SPOT": 24}),
    (10, [("FARGATE", 2, 1), ("FARGATE_SPOT", 0, 3)], {"FARGATE": 4, "FARGATE_SPOT": 6}),
    # spotFrom 2: the base on FARGATE (weight 0 places nothing more), the rest on Spot.
    (20, [("FARGATE", 1, 0), ("FARGATE_SPOT", 0, 1)], {"FARGATE": 1, "FARGATE_SPOT": 19}),
    # Fewer tasks than the base: the base provider takes them all.
    (1, [("FARGATE", 2, 0), ("FARGATE_SPOT", 0, 1)], {"FARGATE": 1, "FARGATE_SPOT": 0}),
    (0, [("FARGATE_SPOT", 0, 1)], {"FARGATE_SPOT": 0}),
    # The base may sit on the provider listed second.
    (5, [("FARGATE_SPOT", 0, 1), ("FARGATE", 3, 0)], {"FARGATE_SPOT": 2, "FARGATE": 3}),
], ids=["split-half", "weights-1-3", "spot-from-2", "below-base", "none", "base-second"])
def test_split_tasks_places_the_base_then_the_weights(count, strategy, expected):
    placed = ecs.split_tasks(count, strategy)
    assert placed == expected
    assert sum(placed.values()) == count


def test_strategy_bounds_and_stop_timeout_are_the_ecs_models():
    """CapacityProviderStrategyItem base 0..100,000 and weight 0..1,000, at most 20 items, and
    Fargate's stopTimeout 2..120, as the installed botocore `ecs` model documents them."""
    shapes = Loader().load_service_model("ecs", "service-2")["shapes"]
    assert (shapes["CapacityProviderStrategyItemBase"]["min"],
            shapes["CapacityProviderStrategyItemBase"]["max"]) == (0, ecs.MAX_STRATEGY_BASE)
    assert (shapes["CapacityProviderStrategyItemWeight"]["min"],
            shapes["CapacityProviderStrategyItemWeight"]["max"]) == (0, ecs.MAX_STRATEGY_WEIGHT)
    strategy_doc = shapes["CreateServiceRequest"]["members"]["capacityProviderStrategy"][
        "documentation"]
    assert f"maximum of {ecs.MAX_STRATEGY_ITEMS} capacity providers" in strategy_doc
    stop_doc = shapes["ContainerDefinition"]["members"]["stopTimeout"]["documentation"]
    assert (f"The valid values for Fargate are {ecs.MIN_STOP_TIMEOUT}-{ecs.MAX_STOP_TIMEOUT} "
            "seconds") in stop_doc
    assert f"default value of {ecs.DEFAULT_STOP_TIMEOUT} seconds" in stop_doc
