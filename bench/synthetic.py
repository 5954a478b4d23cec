"""Synthetic stacks of any size, for the benchmark: the beta stack with its services cloned.

Service `i` is a copy of beta's service number `i mod 6` (same sizes, scaling and alarms) with
its own key, family, service name and name prefix and no import ids, so every clone passes the
config model's uniqueness checks and registers the same resources as its template. Everything else (clusters,
alerts, budget, cost breaker, dashboard) is beta's own; per-service settings elsewhere
(the breaker's emergency ceilings) follow each clone's template.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from stack_model.config.source import read_stack_yaml
from z360_ecs.common import PROJECT_DIR

TEMPLATE_STACK = "beta"
NAMESPACE = "z360-ecs"


def template_document(stack: str = TEMPLATE_STACK) -> dict[str, Any]:
    """Pulumi.<stack>.yaml as the one stack-file reader reads it."""
    return dict(read_stack_yaml(PROJECT_DIR / f"Pulumi.{stack}.yaml"))


def clone_services(templates: dict[str, Any], count: int) -> dict[str, Any]:
    """`count` services cycling through `templates`, each with unique names.

    Returns key -> service mapping; a clone's key is `<template key>-<index>`."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    keys = list(templates)
    services: dict[str, Any] = {}
    for index in range(count):
        base = keys[index % len(keys)]
        service = copy.deepcopy(templates[base])
        # A clone is a new service: nothing live to adopt, and import ids name the template's.
        service.pop("importIds", None)
        key = f"{base}-{index:04d}"
        for field in ("family", "serviceName", "namePrefix"):
            service[field] = f"{service[field]}-{index:04d}"
        if isinstance(service.get("waf"), dict) and service["waf"].get("loadBalancerArn"):
            # A load balancer takes one web ACL: each clone sits behind its own.
            arn = service["waf"]["loadBalancerArn"]
            service["waf"]["loadBalancerArn"] = f"{arn.rsplit('/', 1)[0]}/{index:016x}"
        services[key] = service
    return services


def synthetic_document(services: int, stack: str = TEMPLATE_STACK) -> dict[str, Any]:
    """The `stack` stack file with its services replaced by `services` clones of them."""
    document = template_document(stack)
    config = document["config"]
    templates = config[f"{NAMESPACE}:services"]
    clones = clone_services(templates, services)
    config[f"{NAMESPACE}:services"] = clones
    # Settings keyed by service key follow the clones: each gets its template's value.
    breaker = config.get(f"{NAMESPACE}:costBreaker")
    if isinstance(breaker, dict) and isinstance(breaker.get("emergencyCeilings"), dict):
        ceilings = breaker["emergencyCeilings"]
        breaker["emergencyCeilings"] = {
            key: ceilings[template_of(key)] for key in clones if template_of(key) in ceilings
        }
    return document


def template_of(key: str) -> str:
    """The template service a clone was made from: `web-0007` -> `web`."""
    return key.rsplit("-", 1)[0]


def write_synthetic_stack(services: int, directory: Path, stack: str = TEMPLATE_STACK) -> Path:
    """Write a synthetic stack file with `services` services into `directory`; return its path."""
    path = Path(directory) / f"Pulumi.{stack}-{services}.yaml"
    path.write_text(yaml.safe_dump(synthetic_document(services, stack), sort_keys=False))
    return path
