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
