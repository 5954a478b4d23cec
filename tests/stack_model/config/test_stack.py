"""The whole stack (stack_model/config/stack.py): the checks across sections (a service's
cluster, names used twice, capacity providers, the cost breaker against its budget and its
services) and the providers each cluster associates."""

from __future__ import annotations

import pytest

from tests.support.config_mutations import (
    BREAKER,
    BUDGET,
    CLUSTERS,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
    top,
)
from tests.support.configs import beta_config

CASES: list[RefusalCase] = [
    ("duplicate-family", "beta", setter("queue", "family", value="z360-beta-web"),
     ("services.{web,queue}.family:", "'z360-beta-web'", "each needs its own")),
    ("duplicate-service-name", "beta",
     setter("queue", "serviceName", value="z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.{web,queue}.serviceName:", "5Ao8dxMzQ1d8", "each needs its own")),
    ("unknown-cluster-reference", "beta", setter("web", "cluster", value="ap"),
     ("services.web.cluster:", "'ap'", "allowed: agent, app")),
    ("environment-not-allowed", "beta", top("z360-ecs:environment", "prod"),
     ("environment:", "'prod'", "'staging' or 'beta'")),
    ("breaker-ceiling-on-fixed-count-service", "beta",
     setter("aegra", "scaling", "enabled", value=False),
     ("costBreaker.emergencyCeilings.aegra:", "scaling off", "remove the ceiling")),
    ("breaker-notification-over-the-limit", "beta",
     setter("alertAmounts", value=list(range(100, 1100, 100)), stack_key=BUDGET),
     ("budget.alertAmounts:", "10 amounts plus the cost breaker's", "at most 9")),
    ("cluster-name-used-twice", "beta",
     setter("agent", "name", value="z360-beta-Cluster-8E41UEvLHdpU", stack_key=CLUSTERS),
     ("clusters.{app,agent}.name:", "used twice")),
    ("breaker-ceiling-for-no-service", "beta",
     setter("emergencyCeilings", "nope", value=1, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.nope:", "not a service key", "allowed: aegra")),
    ("breaker-ceiling-above-max", "beta",
     setter("emergencyCeilings", "web", value=60, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.web:", "60 is above services.web.scaling.max 50")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_an_inconsistent_stack_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_listed_cluster_keeps_its_list_and_a_derived_one_takes_its_services() -> None:
    config = beta_config()
    # app lists its providers (adopted); agent's come from its services, all on FARGATE.
    assert config.cluster_capacity_providers("app") == ["FARGATE", "FARGATE_SPOT"]
    assert config.cluster_capacity_providers("agent") == ["FARGATE"]


def test_a_created_cluster_whose_services_all_use_a_launch_type_is_left_alone() -> None:
    def launch_type_everywhere(document):
        for key in ("gateway", "aegra", "voice"):
            document["z360-ecs:services"][key]["launchType"] = "FARGATE"

    assert beta_config(launch_type_everywhere).cluster_capacity_providers("agent") is None
