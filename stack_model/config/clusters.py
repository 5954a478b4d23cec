"""`clusters.<key>`: an ECS cluster, its Container Insights setting and the capacity providers
it associates (with its default strategy). Whether every provider a service runs on is listed
needs the services too: StackConfig checks it (stack.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from policies.guardrails.facts.ecs import (
    FARGATE_CAPACITY_PROVIDERS,
    MAX_CAPACITY_PROVIDERS_PER_CLUSTER,
    MAX_STRATEGY_BASE,
    MAX_STRATEGY_ITEMS,
    MAX_STRATEGY_WEIGHT,
)
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, format_value, raise_problems
from stack_model.config.limits import ECS_NAME


class CapacityProviderStrategyItem(ConfigModel):
    capacity_provider: str
    """A provider the cluster associates (capacityProviders): FARGATE or FARGATE_SPOT."""
    weight: Annotated[int, Field(ge=0, le=MAX_STRATEGY_WEIGHT)] = 0
    """Relative share of the tasks beyond the base placed on this provider (0 to 1,000; 0
    places none); at least one provider of a strategy needs a weight above 0."""
    base: Annotated[int, Field(ge=0, le=MAX_STRATEGY_BASE)] = 0
    """Tasks placed on this provider first (0 to 100,000); one provider per strategy may set it."""

    @field_validator("capacity_provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if not ECS_NAME.fullmatch(value):
            raise ValueError(f"{format_value(value)} is not a capacity provider name "
                             f"({', '.join(FARGATE_CAPACITY_PROVIDERS)} or an Auto Scaling "
                             "group provider's name)")
        return value


def strategy_problems(items: list[CapacityProviderStrategyItem]) -> list[tuple[KeyPath, str]]:
    """What ECS refuses in any capacity provider strategy (a service's or a cluster's default),
    paths relative to the strategy (policies/guardrails/facts/ecs.py has the sources): at most
    20 items, each provider once, a base on one provider only, and a weight above 0 somewhere."""
    problems: list[tuple[KeyPath, str]] = []
    if len(items) > MAX_STRATEGY_ITEMS:
        problems.append(((), f"{len(items)} providers: a strategy holds at most "
                         f"{MAX_STRATEGY_ITEMS}"))
    names = [item.capacity_provider for item in items]
    for position, name in enumerate(names):
        if name in names[:position]:
            problems.append(((position, "capacityProvider"), f"{name!r} is listed twice: "
                             "name each provider once"))
    with_base = [position for position, item in enumerate(items) if item.base]
    if len(with_base) > 1:
        problems.append(((with_base[1], "base"), (
            f"{items[with_base[1]].base}, but {items[with_base[0]].capacity_provider} sets a "
            "base too: ECS allows a base on one provider of a strategy only; set the others' "
            "base to 0")))
    if items and not any(item.weight for item in items):
        problems.append(((), "every weight is 0: ECS places tasks beyond the base only on a "
                         "provider with a weight above 0, and refuses a strategy with none; "
                         "give one provider weight: 1"))
    return problems


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
        problems.extend((("defaultCapacityProviderStrategy", *path), message) for path, message
                        in strategy_problems(self.default_capacity_provider_strategy))
        raise_problems(problems)
        return self
