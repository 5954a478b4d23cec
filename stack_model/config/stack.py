"""The whole stack config (StackConfig): every section, and the checks that need more than one
of them (service -> cluster references, names used twice, capacity providers, the cost breaker
against its budget and services; import ids in adoption.py, web ACLs in waf.py)."""

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
from stack_model.config.limits import ACCOUNT_ID, MAX_BUDGET_NOTIFICATIONS, Region
from stack_model.config.services import ServiceConfig
from stack_model.config.waf import waf_problems


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
        problems.extend(import_problems(
            region=self.region, account_id=self.account_id, services=self.services,
            clusters=self.clusters, alerts=self.alerts, budget=self.budget,
        ))
        problems.extend(waf_problems(self.region, self.account_id, self.services))
        raise_problems(problems)
        return self

    def _strategy_users(self, cluster_key: str) -> dict[str, list[str]]:
        """Capacity provider -> the service keys whose strategy names it, on one cluster."""
        users: dict[str, list[str]] = {}
        for key, service in self.services.items():
            if service.cluster == cluster_key and service.uses_capacity_provider_strategy:
                users.setdefault(service.capacity_provider, []).append(key)
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
