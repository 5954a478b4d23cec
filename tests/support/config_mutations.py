"""Stack-file mutations for config tests: set a key path, combine changes, load the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stack_model.config import StackConfig, load_stack_config
from tests.support.runs import stack_document

Mutation = Callable[[dict[str, Any]], None]


def split(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack file's `z360-ecs:` and `aws:` keys, without their namespace."""
    config = document["config"]
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("z360-ecs:")}
    aws = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("aws:")}
    return raw, aws


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
