"""facts/ecs.py: the create-only lists are the installed SDK's, cluster names come out of either
form, and the Fargate providers and scheduler are the API's values."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from botocore.loaders import Loader

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
