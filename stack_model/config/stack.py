"""The whole stack config (StackConfig): every section, and the checks that need more than one
of them (service -> cluster references, names used twice, capacity providers, the cost breaker
against its budget and services, a burnRate that would make no alarm, Container Insights under
every alarm reading it, ARNs in the stack's region; import ids in adoption.py, web ACLs in
waf.py, physical names across components in names.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stack_model.config.adoption import import_problems
from stack_model.config.alerts import AlertsConfig
from stack_model.config.base import ConfigModel
from stack_model.config.budget import BudgetConfig
from stack_model.config.clusters import ClusterConfig
from stack_model.config.cost_breaker import CostBreakerConfig
from stack_model.config.errors import KeyPath, raise_problems
from stack_model.config.limits import (
    ACCOUNT_ID,
    MAX_BUDGET_NOTIFICATIONS,
    Region,
    arn_region,
)
from stack_model.config.names import name_problems, physical_names
from stack_model.config.services import ServiceConfig
from stack_model.config.waf import waf_problems
from stack_model.naming import PhysicalName


class StackConfig(ConfigModel):
    account_id: Annotated[str, Field(pattern=rf"^{ACCOUNT_ID.pattern}$")]
    """From aws:allowedAccountIds, which must name exactly one account."""
    region: Region
    """From aws:region; the prices in policies/guardrails/facts/fargate.py are us-east-1's."""
    environment: Literal["staging", "beta"]
    protect: bool = False
    clusters: dict[str, ClusterConfig]
    services: dict[str, ServiceConfig]
    alerts: AlertsConfig
    budget: BudgetConfig | None = None
    cost_breaker: CostBreakerConfig | None = None
    dashboard: bool = True

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        problems: list[tuple[KeyPath, str]] = []
        for key, service in self.services.items():
            if service.cluster not in self.clusters:
                problems.append((
                    ("services", key, "cluster"),
                    f"{service.cluster!r} is not a key of clusters "
                    f"(allowed: {', '.join(sorted(self.clusters))})",
                ))
        for attribute, label in (("family", "family"), ("service_name", "serviceName"),
                                 ("name_prefix", "namePrefix")):
            owners: dict[str, list[str]] = {}
            for key, service in self.services.items():
                owners.setdefault(getattr(service, attribute), []).append(key)
            for value, keys in owners.items():
                if len(keys) > 1:
                    problems.append((
                        ("services", f"{{{','.join(keys)}}}", label),
                        f"{value!r} is used by {len(keys)} services; each needs its own",
                    ))
        problems.extend(self._capacity_provider_problems())
        cluster_names: dict[str, list[str]] = {}
        for key, cluster in self.clusters.items():
            cluster_names.setdefault(cluster.name, []).append(key)
        for value, keys in cluster_names.items():
            if len(keys) > 1:
                problems.append((("clusters", f"{{{','.join(keys)}}}", "name"),
                                 f"{value!r} is used twice; each cluster needs its own name"))
        if self.cost_breaker is not None and self.cost_breaker.enabled:
            if self.budget is None:
                problems.append((("costBreaker", "enabled"),
                                 "true, but the breaker needs a budget in this stack"))
            for key in self.cost_breaker.emergency_ceilings:
                if key not in self.services:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"not a service key (allowed: {', '.join(sorted(self.services))})",
                    ))
                elif not self.services[key].scaling.enabled:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"services.{key} has scaling off, so it has no max capacity to lower; "
                        "remove the ceiling or turn scaling on",
                    ))
                elif self.cost_breaker.emergency_ceilings[key] > self.services[key].scaling.max:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"{self.cost_breaker.emergency_ceilings[key]} is above services.{key}."
                        f"scaling.max {self.services[key].scaling.max}: the breaker only lowers "
                        "max, so tripping would leave this service at full capacity; set it "
                        "at most max",
                    ))
            # The breaker adds one notification of its own to the budget.
            if self.budget is not None and \
                    len(self.budget.alert_amounts) + 1 > MAX_BUDGET_NOTIFICATIONS:
                problems.append((
                    ("budget", "alertAmounts"),
                    f"{len(self.budget.alert_amounts)} amounts plus the cost breaker's "
                    f"notification exceed the {MAX_BUDGET_NOTIFICATIONS} notifications AWS "
                    f"Budgets allows per budget; list at most {MAX_BUDGET_NOTIFICATIONS - 1}",
                ))
        problems.extend(self._burn_rate_problems())
        problems.extend(self._container_insights_problems())
        problems.extend(self._region_problems())
        problems.extend(import_problems(
            region=self.region, account_id=self.account_id, services=self.services,
            clusters=self.clusters, alerts=self.alerts, budget=self.budget,
        ))
        problems.extend(waf_problems(self.region, self.account_id, self.services))
        problems.extend(name_problems(self.physical_names()))
        raise_problems(problems)
        return self

    @property
    def breaker_on(self) -> bool:
        """The cost breaker is created: enabled, with the budget it listens to."""
        return (self.budget is not None and self.cost_breaker is not None
                and self.cost_breaker.enabled)

    @property
    def burn_rate_services(self) -> list[str]:
        """Keys of the services the burn-rate alarms price (components/stack.py): the
        auto-scaled ones, when the breaker is on and has a burnRate; none otherwise."""
        if not self.breaker_on or self.cost_breaker is None or \
                self.cost_breaker.burn_rate is None:
            return []
        return [key for key, service in self.services.items() if service.scaling.enabled]

    def _burn_rate_problems(self) -> list[tuple[KeyPath, str]]:
        """A burnRate the program would create no alarm for (components/stack.py makes the
        burn-rate alarms only with the breaker on and only over auto-scaled services)."""
        breaker = self.cost_breaker
        if breaker is None or breaker.burn_rate is None:
            return []
        if not breaker.enabled:
            return [(("costBreaker", "burnRate"), (
                "set, but costBreaker.enabled is false: no burn-rate alarm is created, not even "
                "the warning; set costBreaker.enabled: true or remove burnRate"))]
        if self.budget is not None and not self.burn_rate_services:
            return [(("costBreaker", "burnRate"), (
                "set, but no service has scaling on: the burn-rate alarms price the auto-scaled "
                "services' tasks, so none is created; remove burnRate or turn scaling on"))]
        return []

    def _container_insights_problems(self) -> list[tuple[KeyPath, str]]:
        """What an alarm reads is published: RunningTaskCount exists only in
        ECS/ContainerInsights, for clusters with Container Insights on (CloudWatch user guide,
        "Amazon ECS Container Insights metrics"). A spike alarm on a silent metric never fires;
        the burn-rate alarms FILL a missing count with 0 (CloudWatch user guide, "Metric math
        syntax and functions", FILL), so their rate never reaches the trip."""
        spikes: dict[str, list[str]] = {}
        priced: dict[str, list[str]] = {}
        for key, service in self.services.items():
            if service.alarms.task_count_spike is not None:
                spikes.setdefault(service.cluster, []).append(
                    f"services.{key}.alarms.taskCountSpike")
            if service.scaling.enabled and service.scaling.queue_backlog is not None:
                # Backlog per task divides by RunningTaskCount: no count, no scaling.
                spikes.setdefault(service.cluster, []).append(
                    f"services.{key}.scaling.queueBacklog")
        for key in self.burn_rate_services:
            priced.setdefault(self.services[key].cluster, []).append(key)
        problems: list[tuple[KeyPath, str]] = []
        for cluster_key, cluster in self.clusters.items():
            readers = list(spikes.get(cluster_key, []))
            effect = ""
            if cluster_key in priced and self.cost_breaker is not None and \
                    self.cost_breaker.burn_rate is not None:
                readers.append(f"costBreaker.burnRate (services {', '.join(priced[cluster_key])})")
                effect = ("; FILL makes each missing count 0, so the burn rate never reaches "
                          f"tripPerHour {self.cost_breaker.burn_rate.trip_per_hour}")
            if cluster.container_insights or not readers:
                continue
            problems.append((("clusters", cluster_key, "containerInsights"), (
                f"false, but {_listing(readers)} read RunningTaskCount, which CloudWatch "
                f"has only for clusters with Container Insights on{effect}; set "
                "containerInsights: true")))
        return problems

    def _region_problems(self) -> list[tuple[KeyPath, str]]:
        """ARNs that must be in the stack's region (an ARN's fourth field; IAM User Guide,
        "Amazon Resource Names (ARNs)")."""
        problems: list[tuple[KeyPath, str]] = []
        for key, service in self.services.items():
            for position, arn in enumerate(service.secrets_kms_key_arns):
                region = arn_region(arn)
                if region is not None and region != self.region:
                    # The grant allows kms:Decrypt only kms:ViaService secretsmanager.<region>
                    # and ssm.<region> of the stack (components/scalable_service.py; AWS KMS
                    # developer guide, "kms:ViaService"), and a KMS key encrypts only secrets
                    # of its own region: a key elsewhere is never usable through them.
                    problems.append((("services", key, "secretsKmsKeyArns", position), (
                        f"{arn!r} is in {region}, not this stack's region {self.region}: the "
                        f"execution role may use it only through Secrets Manager and SSM in "
                        f"{self.region} (kms:ViaService), so the task cannot read its secrets "
                        f"and does not start; list the key of {self.region} (a multi-Region "
                        f"key's replica there)")))
            target_group = service.load_balancer.target_group_arn \
                if service.load_balancer is not None else ""
            region = arn_region(target_group)
            if region is not None and region != self.region:
                # ECS registers a service's tasks with target groups of its own region
                # (CreateService loadBalancers; a target group is a regional resource).
                problems.append((("services", key, "loadBalancer", "targetGroupArn"), (
                    f"{target_group!r} is in {region}, not this stack's region {self.region}: "
                    "ECS registers tasks only with target groups of the service's region")))
        return problems

    def physical_names(self) -> list[PhysicalName]:
        """Every physical name the program gives, with the key that decides it (names.py)."""
        return physical_names(
            environment=self.environment, services=self.services, clusters=self.clusters,
            alerts=self.alerts, budget=self.budget, cost_breaker=self.cost_breaker,
            dashboard=self.dashboard,
        )

    def _strategy_users(self, cluster_key: str) -> dict[str, list[str]]:
        """Capacity provider -> the service keys whose strategy names it, on one cluster."""
        users: dict[str, list[str]] = {}
        for key, service in self.services.items():
            if service.cluster != cluster_key:
                continue
            # Every provider named counts, weight 0 too: ECS refuses the strategy otherwise.
            for provider, _, _ in service.strategy:
                users.setdefault(provider, []).append(key)
        return users

    def _capacity_provider_problems(self) -> list[tuple[KeyPath, str]]:
        """ECS refuses a service whose strategy names a provider its cluster has not associated
        ("The specified capacity provider strategy cannot contain a capacity provider that is
        not associated with the cluster", CreateService InvalidParameterException)."""
        problems: list[tuple[KeyPath, str]] = []
        for cluster_key, cluster in self.clusters.items():
            listed = cluster.capacity_providers
            if listed is None:
                continue  # derived from the services: complete by construction
            for provider, keys in sorted(self._strategy_users(cluster_key).items()):
                if provider not in listed:
                    problems.append((
                        ("clusters", cluster_key, "capacityProviders"),
                        f"[{', '.join(listed)}] lacks {provider}, which services "
                        f"{', '.join(keys)} run on: ECS refuses a strategy naming a provider "
                        f"the cluster has not associated; add {provider}",
                    ))
        return problems

    def cluster_capacity_providers(self, cluster_key: str) -> list[str] | None:
        """The full list of providers to associate with a cluster, or None to leave the
        cluster's associations alone (a created cluster none of whose services uses a
        strategy)."""
        listed = self.clusters[cluster_key].capacity_providers
        if listed is not None:
            return list(listed)
        used = sorted(self._strategy_users(cluster_key))
        return used or None


def _listing(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
