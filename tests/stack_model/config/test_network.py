"""`services.<key>.network` and `.loadBalancer` (stack_model/config/network.py): ids and ARNs of
what the program references but does not manage."""

from __future__ import annotations

import pytest

from stack_model.config import NetworkConfig
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

ALB = "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/z360-beta-web/0123456789abcdef"

CASES: list[RefusalCase] = [
    ("subnet-not-an-id", "beta", setter("web", "network", "subnets", value=["subnet-xyz"]),
     ("services.web.network.subnets:", "'subnet-xyz'", "not a subnet id")),
    ("no-subnet", "beta", setter("web", "network", "subnets", value=[]),
     ("services.web.network.subnets:",)),
    ("security-group-not-an-id", "beta",
     setter("web", "network", "securityGroups", value=["sg-1"]),
     ("services.web.network.securityGroups:", "'sg-1'", "not a security group id")),
    ("load-balancer-arn-for-target-group", "beta",
     setter("web", "loadBalancer", "targetGroupArn", value=ALB),
     ("services.web.loadBalancer.targetGroupArn:", "loadbalancer/app", "target group ARN",
      "targetgroup/<name>/<id>")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_network_or_target_group_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_tasks_get_no_public_ip_unless_asked() -> None:
    network = NetworkConfig.model_validate(
        {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-0123456789abcdef0"]})
    assert network.assign_public_ip is False
