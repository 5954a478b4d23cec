"""The ECS service one ServiceConfig asks for, decided once for both providers.

ScalableService (components/scalable_service.py) creates a service through pulumi-aws
(`aws.ecs.Service`) or, when it publishes 20-second metrics, through pulumi-aws-native
(`AWS::ECS::Service` by Cloud Control). What the service is does not depend on the provider:
its count and what a `pulumi up` leaves to auto-scaling, the revision it is pinned to, how it
launches, where it runs, what load balancer feeds it, how it deploys, and what a live service
it adopts keeps. `describe_service` decides all of that here, from the validated config alone;
each emitter only spells the result in its provider's names and shapes.

Adopting a live service must not replace it. Each provider replaces a service when a create-only
property changes (policies/guardrails/facts/ecs.py: AWS::ECS::Service's createOnlyProperties,
terraform-provider-aws's ForceNew fields), and an import takes what AWS has as the old value, so
the description states every one of them or keeps it as AWS has it: the name, the cluster, the
launch type or strategy, the scheduling strategy (REPLICA) and the deployment controller (ECS)
are stated; the IAM role is ECS's own with awsvpc and is kept as AWS has it (ignored by the
aws-native emitter, left unset where pulumi-aws computes it).

Pure data (no provider SDK), so the tools can read the same decisions: what count an `up`
sends and whether it sends it at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.guardrails.facts.cloudwatch import HIGH_RESOLUTION
from policies.guardrails.facts.ecs import DEPLOYMENT_CONTROLLER, SCHEDULING_STRATEGY
from stack_model import naming
from stack_model.config import ServiceConfig
from stack_model.config.signals import deployment_alarm_names

# What a `pulumi up` must leave as AWS has it while Application Auto Scaling owns the count.
# Both providers call the property desiredCount.
DESIRED_COUNT = "desiredCount"


@dataclass(frozen=True)
class StrategyItem:
    """One capacity provider of the service's strategy."""

    capacity_provider: str
    """FARGATE or FARGATE_SPOT."""
    weight: int = 1
    """Share of the tasks beyond the base; 0 places none."""
    base: int = 0
    """Tasks placed here before the weights apply."""


@dataclass(frozen=True)
class LoadBalancerAttachment:
    """The target group the service registers its tasks with."""

    target_group_arn: str
    """ARN of the ALB target group."""
    container_name: str
    """The container the target group sends to: the program's one container, named after the
    service key."""
    container_port: int
    """Its port: loadBalancer.containerPort, else the service's containerPort."""


@dataclass(frozen=True)
class ServiceDescription:
    """Every setting of the ECS service, in neither provider's shape."""

    name: str
    """The service's name, as AWS knows it."""
    desired_count: int
    """Tasks the service is created with (and an `up` sends unless it is ignored): the
    configured count, held within what auto-scaling may run."""
    ignore_changes: tuple[str, ...]
    """Properties an `up` leaves as AWS has them: desiredCount while auto-scaling owns it."""
    task_definition_pin: str | None
    """`family:N` of a pinned revision (rollback), or None to follow the task definition."""
    launch_type: str | None
    """FARGATE, or None when the service runs on a capacity provider strategy."""
    capacity_provider_strategy: tuple[StrategyItem, ...]
    """The strategy; empty with a launch type (ECS CreateService takes one or the other)."""
    force_new_deployment: bool
    """Set only while migrating between a launch type and a strategy, to move the tasks."""
    subnets: tuple[str, ...]
    """Subnets of the tasks' awsvpc network interfaces."""
    security_groups: tuple[str, ...]
    """Security groups of those interfaces."""
    assign_public_ip: bool
    """Whether each task gets a public IP."""
    load_balancers: tuple[LoadBalancerAttachment, ...]
    """Target groups; empty for a worker."""
    metric_resolution: int
    """Seconds between the service's CPU and memory datapoints (20 or 60)."""
    adopt: tuple[str, str] | None
    """(cluster name, service name) of the running service an import adopts, or None."""
    web_acl: str | None = None
    """Name of the web ACL on the load balancer in front of the service (waf.enabled), or None.
    Tagged on the service (facts/wafv2.py WEB_ACL_TAG), so the pack can refuse an `up` that
    sends such a service without its loadBalancers."""
    interruptible: bool = True
    """False: an interruption is not harmless. Tagged on the service (facts/conventions.py
    INTERRUPTIBLE_TAG) so the pack refuses a FARGATE_SPOT strategy on it."""
    scheduling_strategy: str = SCHEDULING_STRATEGY
    """REPLICA: the only strategy Fargate runs. Create-only in both providers: stated, so an
    import that reads it back finds the same value."""
    deployment_controller: str = DEPLOYMENT_CONTROLLER
    """ECS (rolling update). ForceNew in pulumi-aws, and 20-second metrics need it."""
    keep_live_role: bool = True
    """The IAM role ECS calls the load balancer with is never stated: with awsvpc tasks it is
    ECS's service-linked role, and CreateService refuses one. A live service's role (create-only
    in both providers) is kept as AWS has it: the aws-native emitter ignores `role`; pulumi-aws's
    `iamRole` is Optional+Computed, so leaving it unset keeps it (facts/ecs.py)."""
    platform_version: str = "LATEST"
    """Fargate platform version."""
    circuit_breaker: bool = True
    """The deployment circuit breaker stops a deployment whose tasks keep failing..."""
    rollback_on_failure: bool = True
    """...and rolls the service back to its last completed deployment."""
    deployment_alarms: tuple[str, ...] = ()
    """CloudWatch alarms ECS watches during a deployment, rolling back when one fires
    (deploymentAlarms; ECS developer guide, "How the CloudWatch deployment alarms work")."""
    minimum_healthy_percent: int = 100
    """A deployment never runs fewer tasks than the desired count (a protected task holding
    calls is stopped only when its protection lapses: ECS developer guide, "Protect your
    Amazon ECS tasks from being terminated by scale-in events")..."""
    maximum_percent: int = 200
    """...and at most twice as many."""
    propagate_tags: str = "SERVICE"
    """Tasks carry the service's tags (cost allocation by service)."""
    enable_ecs_managed_tags: bool = True
    """Tasks also carry ECS's own cluster and service tags."""

    @property
    def high_resolution(self) -> bool:
        """Publishes 20-second metrics: only pulumi-aws-native can say so (its `monitoring`)."""
        return self.metric_resolution == HIGH_RESOLUTION


def describe_service(key: str, config: ServiceConfig) -> ServiceDescription:
    """The service `config` asks for; `key` names its container."""
    # A schedule-only target owns the count too: its actions move it between 0 and desiredCount.
    scaled = config.has_scalable_target
    desired = config.desired_count
    if scaled:
        desired = max(config.effective_min, min(desired, config.effective_max))
    load_balancers: tuple[LoadBalancerAttachment, ...] = ()
    if config.load_balancer is not None:
        port = config.load_balancer.container_port or config.container_port
        assert port is not None  # the config refuses a load balancer without a port
        load_balancers = (LoadBalancerAttachment(
            target_group_arn=config.load_balancer.target_group_arn,
            container_name=key,
            container_port=port,
        ),)
    adopt = None
    if config.import_ids.service:
        cluster, name = config.import_ids.service.split("/", 1)
        adopt = (cluster, name)
    return ServiceDescription(
        name=config.service_name,
        desired_count=desired,
        # While auto-scaling owns the count, an `up` must not reset it, unless the operator sets
        # applyDesiredCount for one update (docs/operations.md, "Changing the baseline count on
        # purpose").
        ignore_changes=(DESIRED_COUNT,) if scaled and not config.apply_desired_count else (),
        task_definition_pin=(
            f"{config.family}:{config.task_definition_revision}"
            if config.task_definition_revision else None
        ),
        launch_type=config.launch_type,
        capacity_provider_strategy=tuple(
            StrategyItem(provider, weight=weight, base=base)
            for provider, base, weight in config.strategy
        ),
        force_new_deployment=config.migrate_launch_configuration,
        subnets=tuple(config.network.subnets),
        security_groups=tuple(config.network.security_groups),
        assign_public_ip=config.network.assign_public_ip,
        load_balancers=load_balancers,
        metric_resolution=config.metric_resolution,
        adopt=adopt,
        web_acl=naming.web_acl_name(config.name_prefix) if config.waf.enabled else None,
        interruptible=config.interruptible,
        deployment_alarms=deployment_alarm_names(config),
    )
