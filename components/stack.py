"""Composition of one stack: alert channel, clusters, services (with their web ACLs), the Spot
interruption rule when a service may run on Spot, budget, and the summary export.

`build_stack` takes only the validated StackConfig; `__main__.py` reads config and calls it.
Deletion protection is set on the protected resources themselves (clusters, services, topic,
budget), never on a component: children inherit `protect`, and a protected scaling target
would make turning auto-scaling off fail.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerts import AlertChannel, AlertChannelArgs
from components.budget import CostBudget, CostBudgetArgs
from components.burn_rate import BurnRateAlarms, BurnRateAlarmsArgs, BurnRateService
from components.cost_breaker import CostBreaker, CostBreakerArgs, breaker_targets, held_maxima
from components.dashboard import DashboardService, ServiceDashboard, ServiceDashboardArgs
from components.scalable_service import ScalableService, ScalableServiceArgs
from components.spot_interruptions import SpotInterruptions, SpotInterruptionsArgs
from components.waf import build_web_acls
from stack_model.config import ServiceConfig, StackConfig
from stack_model.naming import (
    burn_rate_trip_alarm_names,
    cluster_arn,
    cost_breaker_names,
    environment_tags,
    event_rule_arn,
    sns_topic_arn,
    spot_interruption_rule_name,
)
from stack_model.pricing import burn_rate_figures, service_cost, summary_figures


def service_summary(key: str, service: ServiceConfig) -> dict[str, Any]:
    """What an engineer reviews per service; money (stack_model/pricing.py) as exact strings to
    the cent."""
    return {
        "family": service.family,
        "cpu": service.cpu,
        "memory": service.memory,
        "architecture": service.architecture,
        "capacityProviderStrategy": [
            {"capacityProvider": provider, "base": base, "weight": weight}
            for provider, base, weight in service.strategy
        ] or None,
        "launchType": service.launch_type,
        "scaling": service.scaling.enabled,
        "min": service.effective_min,
        "max": service.effective_max,
        "desiredCount": service.desired_count,
        **summary_figures(service_cost(key, service)),
    }


def spot_cluster_arns(config: StackConfig) -> list[str]:
    """ARNs of the clusters with a service that may run on FARGATE_SPOT, from their names (known
    at preview); empty when none may."""
    keys = sorted({s.cluster for s in config.services.values() if s.may_run_on_spot})
    return [cluster_arn(config.region, config.account_id, config.clusters[k].name) for k in keys]


def build_stack(config: StackConfig) -> dict[str, Any]:
    env = config.environment
    spot_clusters = spot_cluster_arns(config)
    spot_rule = spot_interruption_rule_name(env) if spot_clusters else None
    alerts = AlertChannel(
        "alerts",
        AlertChannelArgs(
            config=config.alerts,
            environment=env,
            account_id=config.account_id,
            protect=config.protect,
            event_rule_arns=(
                [event_rule_arn(config.region, config.account_id, spot_rule)] if spot_rule else []
            ),
        ),
    )

    clusters: dict[str, aws.ecs.Cluster] = {}
    for key, cluster in config.clusters.items():
        clusters[key] = aws.ecs.Cluster(
            f"{key}-cluster",
            name=cluster.name,
            settings=[{
                "name": "containerInsights",
                "value": "enabled" if cluster.container_insights else "disabled",
            }],
            tags=environment_tags(env),
            opts=pulumi.ResourceOptions(protect=config.protect, import_=cluster.import_id),
        )

    breaker_on = (config.budget is not None and config.cost_breaker is not None
                  and config.cost_breaker.enabled)
    # A tripped breaker's lowered maxima stay until a deliberate restore.
    held = held_maxima(env, [k for k, s in config.services.items() if s.scaling.enabled]) \
        if breaker_on else {}

    # ECS refuses a service whose strategy names a provider the cluster has not associated.
    associations: dict[str, aws.ecs.ClusterCapacityProviders] = {}
    for key, cluster in config.clusters.items():
        providers = config.cluster_capacity_providers(key)
        if providers is None:
            continue
        associations[key] = aws.ecs.ClusterCapacityProviders(
            f"{key}-capacity-providers",
            cluster_name=clusters[key].name,
            # PutClusterCapacityProviders replaces the whole list and the default strategy.
            capacity_providers=providers,
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                    capacity_provider=item.capacity_provider, weight=item.weight, base=item.base,
                )
                for item in cluster.default_capacity_provider_strategy
            ],
            # Deleting it disassociates every provider: the services on the cluster then fail.
            opts=pulumi.ResourceOptions(protect=config.protect),
        )

    services: dict[str, ScalableService] = {}
    for key, service in config.services.items():
        service_cluster = clusters[service.cluster]
        association = associations.get(service.cluster)
        services[key] = ScalableService(
            key,
            ScalableServiceArgs(
                key=key,
                config=service,
                environment=env,
                # Built from the name so the policy pack can join a service to its cluster's
                # capacity providers at preview; the service still waits for both.
                cluster_arn=cluster_arn(
                    config.region, config.account_id, config.clusters[service.cluster].name
                ),
                cluster_name=service_cluster.name,
                service_depends_on=[service_cluster, *([association] if association else [])],
                alert_topic_arn=alerts.topic_arn,
                account_id=config.account_id,
                region=config.region,
                protect=config.protect,
                held_max=held.get(key),
            ),
        )

    web_acls = build_web_acls(config, alerts.topic_arn, services)

    if spot_clusters:
        SpotInterruptions(
            "spot-interruptions",
            SpotInterruptionsArgs(
                environment=env, cluster_arns=spot_clusters,
                # From its name, so the pack sees the wiring at preview; created after it.
                alert_topic_arn=sns_topic_arn(config.region, config.account_id,
                                              config.alerts.topic_name),
            ),
            opts=pulumi.ResourceOptions(depends_on=[alerts]),
        )

    # The breaker's topic must exist before the budget that notifies it.
    breaker: CostBreaker | None = None
    scaled = [key for key, svc in config.services.items() if svc.scaling.enabled]
    if config.budget is not None and config.cost_breaker is not None and config.cost_breaker.enabled:
        breaker = CostBreaker(
            "cost-breaker",
            CostBreakerArgs(
                config=config.cost_breaker,
                budget=config.budget,
                environment=env,
                account_id=config.account_id,
                region=config.region,
                targets=breaker_targets(
                    config, {key: svc.scaling_resource_id for key, svc in services.items()}
                ),
                alert_topic_arn=sns_topic_arn(
                    config.region, config.account_id, config.alerts.topic_name
                ),
                # The burn-rate alarms below are its second trip source.
                trip_alarm_names=(
                    burn_rate_trip_alarm_names(env, len(scaled))
                    if config.cost_breaker.burn_rate is not None else []
                ),
            ),
            opts=pulumi.ResourceOptions(depends_on=[alerts]),
        )

    if breaker is not None and config.cost_breaker is not None \
            and config.cost_breaker.burn_rate is not None:
        if scaled:
            BurnRateAlarms(
                "burn-rate",
                BurnRateAlarmsArgs(
                    config=config.cost_breaker.burn_rate,
                    environment=env,
                    services=[
                        BurnRateService(
                            key=key,
                            config=config.services[key],
                            cluster_name=clusters[config.services[key].cluster].name,
                            service_name=services[key].service_name,
                        )
                        for key in scaled
                    ],
                    # Both from their names, so the pack sees the wiring at preview.
                    alert_topic_arn=sns_topic_arn(
                        config.region, config.account_id, config.alerts.topic_name
                    ),
                    breaker_topic_arn=sns_topic_arn(
                        config.region, config.account_id, cost_breaker_names(env)["topic"]
                    ),
                ),
                opts=pulumi.ResourceOptions(depends_on=[alerts, breaker]),
            )

    if config.budget is not None:
        CostBudget(
            "monthly",
            CostBudgetArgs(
                config=config.budget,
                environment=env,
                account_id=config.account_id,
                alert_topic_arn=alerts.topic_arn,
                protect=config.protect,
                extra_notifications=[breaker.budget_notification] if breaker else [],
            ),
        )

    if config.dashboard:
        ServiceDashboard(
            "services",
            ServiceDashboardArgs(
                environment=env,
                account_id=config.account_id,
                region=config.region,
                services=[
                    DashboardService(
                        key=key,
                        config=config.services[key],
                        cluster_name=clusters[config.services[key].cluster].name,
                        service_name=svc.service_name,
                        alarm_names=svc.alarm_names,
                    )
                    for key, svc in services.items()
                ],
                burn_rate=burn_rate_figures(config),
                spot_interruption_rule=spot_rule,
            ),
        )

    exports = {
        "environment": env,
        "alertTopicArn": alerts.topic_arn,
        "clusters": {key: cluster.name for key, cluster in clusters.items()},
        "services": {key: service_summary(key, svc) for key, svc in config.services.items()},
    }
    if web_acls:
        exports["webAcls"] = {key: acl.web_acl_name for key, acl in web_acls.items()}
    if breaker is not None:
        exports["costBreakerFunctionName"] = breaker.function_name
        exports["costBreakerRestoreCommand"] = breaker.restore_command
    return exports
