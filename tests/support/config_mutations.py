"""Stack-file mutations for config tests: set a key path, combine changes, load the result;
and the one check of a refused change (one problem, naming its key, value and what is allowed)
that every section's test module runs over its own table of cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stack_model.config import ConfigError, StackConfig, load_stack_config
from tests.support.runs import stack_document

Mutation = Callable[[dict[str, Any]], None]

# Stack-file keys of the top-level sections (the services' is setter's default).
BUDGET = "z360-ecs:budget"
ALERTS = "z360-ecs:alerts"
CLUSTERS = "z360-ecs:clusters"
BREAKER = "z360-ecs:costBreaker"

RefusalCase = tuple[str, str, Mutation, tuple[str, ...]]
"""(id, stack, mutation, fragments the single problem must contain: path, value, what is allowed)."""


def split(
    document: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The stack file's `z360-ecs:`, `aws:` and `aws-native:` keys, without their namespace:
    load_stack_config's arguments, as the tools pass them."""
    config = document["config"]

    def keys(namespace: str) -> dict[str, Any]:
        return {k.split(":", 1)[1]: v for k, v in config.items()
                if k.startswith(f"{namespace}:")}

    return keys("z360-ecs"), keys("aws"), keys("aws-native")


def load(stack: str, mutate: Mutation) -> StackConfig:
    document = stack_document(stack)
    mutate(document)
    return load_stack_config(*split(document))


def service(document: dict[str, Any], key: str = "web") -> dict[str, Any]:
    return document["config"]["z360-ecs:services"][key]


def setter(*path: str, value: Any, stack_key: str = "z360-ecs:services") -> Mutation:
    """Set config[stack_key][path...] = value, creating maps on the way."""

    def mutate(document: dict[str, Any]) -> None:
        node = document["config"].setdefault(stack_key, {})
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(document)

    return mutate


def top(key: str, value: Any) -> Mutation:
    """Set a top-level stack-file key (`z360-ecs:environment`, `aws:region`)."""
    return lambda document: document["config"].__setitem__(key, value)


def remove(*path: str) -> Mutation:
    """Delete config["z360-ecs:services"][path...]."""

    def mutate(document: dict[str, Any]) -> None:
        node = document["config"]["z360-ecs:services"]
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


def refusal_params(cases: list[RefusalCase]) -> list[Any]:
    """pytest params of a table of refusal cases, each id used once."""
    ids = [case[0] for case in cases]
    assert len(set(ids)) == len(ids), f"case ids used twice: {sorted(i for i in ids if ids.count(i) > 1)}"
    return [pytest.param(stack, mutate, fragments, id=name)
            for name, stack, mutate, fragments in cases]


def assert_one_clear_problem(stack: str, mutate: Mutation, fragments: tuple[str, ...]) -> None:
    """The changed stack is refused with exactly one problem holding every fragment."""
    with pytest.raises(ConfigError) as refused:
        load(stack, mutate)
    problems = refused.value.problems
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], f"{fragment!r} not in {problems[0]!r}"
