"""`clusters.<key>` (stack_model/config/clusters.py): the cluster's name, its adoption and its
capacity providers. Providers against the services that run on them: test_stack.py."""

from __future__ import annotations

import pytest

from stack_model.config import ClusterConfig
from tests.support.config_mutations import (
    CLUSTERS,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("import-cluster-not-its-name", "beta",
     setter("app", "importId", value="arn:aws:ecs:us-east-1:108782097218:cluster/x",
            stack_key=CLUSTERS),
     ("clusters.app.importId:", "cluster/x", "imported by its name")),
    ("provider-listed-twice", "beta",
     setter("app", "capacityProviders", value=["FARGATE", "FARGATE"], stack_key=CLUSTERS),
     ("clusters.app.capacityProviders:", "FARGATE listed more than once")),
    ("two-providers-with-a-base", "beta",
     setter("app", "defaultCapacityProviderStrategy", stack_key=CLUSTERS,
            value=[{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                   {"capacityProvider": "FARGATE_SPOT", "base": 1}]),
     ("clusters.app.defaultCapacityProviderStrategy.1.base:",
      "ECS allows a base on one provider of a strategy only")),
    ("cluster-name-with-space", "beta",
     setter("agent", "name", value="agent layer", stack_key=CLUSTERS),
     ("clusters.agent.name:", "'agent layer'", "not a valid cluster name")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_cluster_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_created_cluster_has_insights_and_leaves_its_providers_to_its_services() -> None:
    cluster = ClusterConfig.model_validate({"name": "z360-test"})
    assert cluster.container_insights is True
    assert cluster.capacity_providers is None
    assert cluster.default_capacity_provider_strategy == []
