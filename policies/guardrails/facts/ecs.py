"""ECS facts the program and the pack share: capacity providers and launch types, and what
replaces a live ECS service in each provider (its create-only properties).

Sources:
- ECS CreateService (botocore `ecs` service model, CreateServiceRequest.capacityProviderStrategy):
  "If a capacityProviderStrategy is specified, the launchType parameter must be omitted."
  A strategy naming a provider the cluster has not associated is refused with
  InvalidParameterException "The specified capacity provider strategy cannot contain a capacity
  provider that is not associated with the cluster".
- ECS PutClusterCapacityProviders (same model): "If the specified cluster has existing capacity
  providers associated with it, you must specify all existing capacity providers in addition to
  any new ones ... Any existing capacity providers ... omitted ... will be disassociated."
  FARGATE and FARGATE_SPOT "only need to be associated with a cluster to be used".
- ECS developer guide, "Amazon ECS clusters for Fargate" / capacity provider strategies: only
  one provider in a strategy may define a base; a cluster associates at most 20 providers
  (Service quotas, "Capacity providers per cluster").
"""

from __future__ import annotations

from .types import NATIVE_SERVICE_TYPE, SERVICE_TYPE

FARGATE_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
MAX_CAPACITY_PROVIDERS_PER_CLUSTER = 20

NOT_ASSOCIATED_MESSAGE = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster"
)


def cluster_name_of(cluster: str) -> str:
    """An ECS service's `cluster` (ARN or name) -> the cluster's name."""
    return cluster.rsplit("cluster/", 1)[-1] if cluster.startswith("arn:") else cluster


# --- what replaces a live service -----------------------------------------------------------
# A service is created with these and never changes them in place: each provider replaces it
# instead, and an adopted (imported) service that leaves one unset or different is replaced,
# which the engine refuses while the import id is set (pulumi/pulumi#20762) and on a protected
# resource. The program states each one or keeps the live value (stack_model/ecs_service.py).
#
# pulumi-aws-native: the createOnlyProperties of AWS::ECS::Service (CloudFormation resource
# schema, pulumi-aws-native aws-cloudformation-schema/aws-ecs-service.json: Cluster, Role,
# SchedulingStrategy, ServiceName; LaunchType under conditionalCreateOnlyProperties), which the
# SDK turns into replace_on_changes (sdk/python/pulumi_aws_native/ecs/service.py:
# ["cluster", "role", "schedulingStrategy", "serviceName"]). With no recorded inputs, an import
# takes every writable property Cloud Control reads as an input (provider/pkg/provider/
# provider.go, Read: `ProjectWritableOutputState` when there are no old inputs;
# pulumi-aws-native#2941), so an unset one is a delete: a replace.
NATIVE_SERVICE_CREATE_ONLY = ("cluster", "role", "schedulingStrategy", "serviceName")
NATIVE_SERVICE_CONDITIONALLY_CREATE_ONLY = ("launchType",)
# pulumi-aws (terraform-provider-aws internal/service/ecs/service.go, ResourceService): ForceNew
# on name, cluster, iam_role, launch_type, scheduling_strategy and deployment_controller.type
# (cluster, iam_role and launch_type are also Optional+Computed: left unset, they keep the
# live value); capacity_provider_strategy through capacityProviderStrategyCustomizeDiff
# (docs/aws-checks.md, "Launch configuration"). Pulumi names, camelCase.
CLASSIC_SERVICE_FORCE_NEW = (
    "name", "cluster", "iamRole", "launchType", "schedulingStrategy", "deploymentController.type",
)
# Of those, the Optional+Computed ones: left unset they keep the live value, so an import never
# diffs on them.
CLASSIC_SERVICE_KEPT_WHEN_UNSET = ("cluster", "iamRole", "launchType")
CREATE_ONLY_BY_TYPE: dict[str, tuple[str, ...]] = {
    SERVICE_TYPE: CLASSIC_SERVICE_FORCE_NEW,
    NATIVE_SERVICE_TYPE: NATIVE_SERVICE_CREATE_ONLY + NATIVE_SERVICE_CONDITIONALLY_CREATE_ONLY,
}

# Fargate services run the REPLICA scheduler: "Tasks using the Fargate launch type or the
# CODE_DEPLOY or EXTERNAL deployment controller types don't support the DAEMON scheduling
# strategy" (AWS::ECS::Service schema, SchedulingStrategy; botocore ecs model,
# CreateServiceRequest.schedulingStrategy). terraform-provider-aws defaults to it as well.
SCHEDULING_STRATEGY = "REPLICA"
# ECS (rolling update): the deployment controller of a service that names none, and the one
# 20-second metrics need (ECS developer guide, "Faster auto scaling with high-resolution
# metrics", considerations).
DEPLOYMENT_CONTROLLER = "ECS"

# The IAM role ECS calls the load balancer with, as each provider names it. The program's tasks
# use the awsvpc network mode, and then the role is not the program's to give: CreateService's
# `role` "is only permitted if you are using a load balancer with your service and your task
# definition doesn't use the awsvpc network mode"; "the service-linked role is required if your
# task definition uses the awsvpc network mode" (botocore ecs model, CreateServiceRequest.role).
# A live service may still carry one (DescribeServices Service.roleArn: a service made before
# awsvpc, or the service-linked role reported back), and both providers read it: Cloud Control
# returns Role (the schema's propertyTransform reads a name back as `arn:...:role/<name>`),
# terraform-provider-aws sets iam_role from RoleArn (resourceServiceRead). So the program never
# states it and keeps what AWS has: aws-native through ignoreChanges (an import then takes the
# live value; nothing is sent on create), pulumi-aws by leaving the Optional+Computed iam_role
# unset.
SERVICE_ROLE_PROPERTY: dict[str, str] = {SERVICE_TYPE: "iamRole", NATIVE_SERVICE_TYPE: "role"}


# --- capacity provider strategies ------------------------------------------------------------
# botocore `ecs` model (ECS API reference), CapacityProviderStrategyItem: base 0 to 100,000
# ("Only one capacity provider in a capacity provider strategy can have a base defined"); weight
# 0 to 1,000, "at least one of the capacity providers must have a weight value greater than
# zero and any capacity providers with a weight of 0 can't be used to place tasks" (default 0);
# CreateServiceRequest.capacityProviderStrategy: "A capacity provider strategy can contain a
# maximum of 20 capacity providers."
FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
MAX_STRATEGY_BASE = 100_000
MAX_STRATEGY_WEIGHT = 1000
MAX_STRATEGY_ITEMS = 20

# ECS developer guide, "AWS Fargate capacity providers", considerations: "Linux tasks with the
# ARM64 architecture don't support the Fargate Spot capacity provider."
SPOT_ARCHITECTURES = ("X86_64",)

# botocore `ecs` model, ContainerDefinition.stopTimeout: "For tasks that use the Fargate launch
# type, the max stop timeout value is 120 seconds and if the parameter is not specified, the
# default value of 30 seconds is used ... The valid values for Fargate are 2-120 seconds."
# Fargate Spot gives a task a two-minute warning (SIGTERM) before it stops it (ECS developer
# guide, "Fargate Spot task interruption"; AWS Knowledge Center "How do I handle Spot
# termination notices in AWS Fargate Spot tasks?"): 120 s uses all of it.
MIN_STOP_TIMEOUT = 2
MAX_STOP_TIMEOUT = 120
DEFAULT_STOP_TIMEOUT = 30
SPOT_STOP_TIMEOUT = MAX_STOP_TIMEOUT

# The EventBridge event ECS sends when Fargate Spot reclaims a task (ECS developer guide,
# "Amazon ECS task state change events" and "Fargate Spot task interruption": detail-type
# "ECS Task State Change", detail.stopCode "SpotInterruption").
TASK_STATE_CHANGE = "ECS Task State Change"
SPOT_INTERRUPTION_STOP_CODE = "SpotInterruption"
ECS_EVENT_SOURCE = "aws.ecs"


def split_tasks(count: int, strategy: list[tuple[str, int, int]]) -> dict[str, int]:
    """How ECS places `count` tasks over a strategy of (provider, base, weight): the provider
    with a base gets up to `base` tasks first, the rest go by weight (CapacityProviderStrategyItem:
    "The weight value is taken into consideration after the base value, if defined, is
    satisfied"; a weight of 0 places no task beyond the base).

    ECS does not document which provider takes a task the weights cannot split evenly (an odd
    task at 1:1); it goes here to the provider listed first among the largest remainders, so the
    figure is one placement ECS may make, and the split is exact for even shares."""
    placed = {provider: 0 for provider, _, _ in strategy}
    remaining = max(count, 0)
    for provider, base, _ in strategy:
        if base > 0:
            taken = min(base, remaining)
            placed[provider] += taken
            remaining -= taken
    weights = [(provider, weight) for provider, _, weight in strategy if weight > 0]
    total = sum(weight for _, weight in weights)
    if remaining <= 0 or total == 0:
        return placed
    shares = [(provider, remaining * weight // total, remaining * weight % total)
              for provider, weight in weights]
    for provider, whole, _ in shares:
        placed[provider] += whole
    left = remaining - sum(whole for _, whole, _ in shares)
    order = sorted(range(len(shares)), key=lambda i: (-shares[i][2], i))
    for i in order[:left]:
        placed[shares[i][0]] += 1
    return placed
