"""`clusters.<key>`: an ECS cluster, its Container Insights setting and the capacity providers
it associates (with its default strategy). Whether every provider a service runs on is listed
needs the services too: StackConfig checks it (stack.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from policies.guardrails.facts.ecs import (
    FARGATE_CAPACITY_PROVIDERS,
    MAX_CAPACITY_PROVIDERS_PER_CLUSTER,
)
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, format_value, raise_problems
from stack_model.config.limits import ECS_NAME


class CapacityProviderStrategyItem(ConfigModel):
    capacity_provider: str
    """A provider the cluster associates (capacityProviders)."""
    weight: Annotated[int, Field(ge=0, le=1000)] = 0
    """Relative share of tasks placed on this provider."""
    base: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Tasks placed on this provider first; one provider per strategy may set it."""


class ClusterConfig(ConfigModel):
    name: str
    """ECS cluster name."""
    container_insights: bool = True
    """RunningTaskCount (the spike alarm's metric) exists only with Container Insights."""
    import_id: str | None = None
    """Name of an existing cluster to adopt."""
    capacity_providers: list[str] | None = None
    """Every capacity provider the cluster has associated (FARGATE, FARGATE_SPOT, or an Auto
    Scaling group provider's name). PutClusterCapacityProviders replaces the whole list, so an
    adopted cluster must list all it has today; a created cluster defaults to the providers its
    services name."""
    default_capacity_provider_strategy: list[CapacityProviderStrategyItem] = []
    """The cluster's default strategy, for tasks started with neither a launch type nor a
    strategy; replaced together with the list, so an adopted cluster restates its own."""

    @field_validator("capacity_providers")
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        for provider in value:
            if not ECS_NAME.fullmatch(provider):
                raise ValueError(f"{format_value(provider)} is not a capacity provider name "
                                 f"({', '.join(FARGATE_CAPACITY_PROVIDERS)} or an Auto Scaling "
                                 "group provider's name)")
        duplicates = sorted({p for p in value if value.count(p) > 1})
        if duplicates:
            raise ValueError(f"{', '.join(duplicates)} listed more than once")
        if len(value) > MAX_CAPACITY_PROVIDERS_PER_CLUSTER:
            raise ValueError(f"{len(value)} providers: a cluster takes at most "
                             f"{MAX_CAPACITY_PROVIDERS_PER_CLUSTER}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ECS_NAME.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not a valid cluster name: 1 to 255 letters, "
                "digits, '-' or '_'"
            )
        return value

    @model_validator(mode="after")
    def _import(self) -> ClusterConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.import_id is not None and self.import_id != self.name:
            problems.append((("importId",), f"{self.import_id!r} must be the cluster's name "
                             f"{self.name!r}: an ECS cluster is imported by its name"))
        if self.import_id is not None and self.capacity_providers is None:
            problems.append((("capacityProviders",), "unset on an adopted cluster: list every "
                             "capacity provider it has associated today (aws ecs "
                             "describe-clusters), [] for none; the program replaces the whole "
                             "list and would drop any left out"))
        listed = self.capacity_providers
        for position, item in enumerate(self.default_capacity_provider_strategy):
            if listed is not None and item.capacity_provider not in listed:
                problems.append((
                    ("defaultCapacityProviderStrategy", str(position), "capacityProvider"),
                    f"{item.capacity_provider!r} is not in capacityProviders "
                    f"({', '.join(listed) or 'none'}): a default strategy may only name "
                    "associated providers",
                ))
        if sum(1 for item in self.default_capacity_provider_strategy if item.base) > 1:
            problems.append((("defaultCapacityProviderStrategy",), "more than one provider "
                             "sets base: ECS allows a base on one provider only"))
        raise_problems(problems)
        return self
