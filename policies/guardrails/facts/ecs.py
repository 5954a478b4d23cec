"""ECS facts the program and the pack share: capacity providers and launch types.

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

FARGATE_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
MAX_CAPACITY_PROVIDERS_PER_CLUSTER = 20

NOT_ASSOCIATED_MESSAGE = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster"
)


def cluster_name_of(cluster: str) -> str:
    """An ECS service's `cluster` (ARN or name) -> the cluster's name."""
    return cluster.rsplit("cluster/", 1)[-1] if cluster.startswith("arn:") else cluster
