"""`services.<key>.network` and `services.<key>.loadBalancer`: where the tasks run (subnets,
security groups, public IP) and the target group that sends them traffic. Both are referenced
by id or ARN: this program manages neither the VPC nor the load balancer.

A service behind a load balancer must declare it: an `up` that sends an adopted service without
its load balancers detaches it from its target group (an outage). The load balancer entry ECS
gets names the target group, the container and its port; the container is the program's one
container, named after the service key (stack_model/ecs_service.py), so the stack file states
the target group and, where it differs from containerPort, the port. services.py refuses
`waf` without a loadBalancer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from stack_model.config.base import ConfigModel
from stack_model.config.limits import SECURITY_GROUP_ID, SUBNET_ID, TARGET_GROUP_ARN


class NetworkConfig(ConfigModel):
    subnets: Annotated[list[str], Field(min_length=1, max_length=16)]
    """Subnet ids the tasks run in."""
    security_groups: Annotated[list[str], Field(min_length=1, max_length=5)]
    """Security group ids attached to the tasks."""
    assign_public_ip: bool = False
    """Give each task a public IP; off unless a service really needs one."""

    @field_validator("subnets")
    @classmethod
    def _subnet_ids(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not SUBNET_ID.fullmatch(subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-<8 to 17 hex digits>)")
        return value

    @field_validator("security_groups")
    @classmethod
    def _sg_ids(cls, value: list[str]) -> list[str]:
        for group in value:
            if not SECURITY_GROUP_ID.fullmatch(group):
                raise ValueError(f"{group!r} is not a security group id (sg-<8 to 17 hex digits>)")
        return value


class LoadBalancerConfig(ConfigModel):
    target_group_arn: str
    """ARN of the ALB target group the service registers its tasks with (`aws ecs
    describe-services` lists it under loadBalancers). The container it sends to is the
    service's one container, named after the service key."""
    container_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Port the target group sends to; defaults to the service's containerPort."""

    @field_validator("target_group_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not TARGET_GROUP_ARN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an elasticloadbalancing target group ARN "
                "(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)"
            )
        return value
