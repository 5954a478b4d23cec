"""Loading: the stack file's values (or Pulumi config) -> a validated StackConfig, or every problem.

`load_stack_config(raw, aws_config)` takes the project's keys as plain data (what
`pulumi.Config().get_object(...)` returns, or a stack file's values) and raises `ConfigError`
listing every problem at once, each at its stack-file key path (`services.web.memory`) with the
bad value and what is allowed. `serviceDefaults` is deep-merged under every service before
validation, so stack files only say what differs; a bad default is reported once, at its
`serviceDefaults` path.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pydantic import BaseModel, TypeAdapter, ValidationError

from policies.guardrails.facts.cloudwatch import HIGH_RESOLUTION
from stack_model.config.clusters import ClusterConfig
from stack_model.config.errors import (
    ConfigError,
    KeyPath,
    Problem,
    describe,
    did_you_mean,
    expand,
    format_value,
    unique,
    yaml_kind,
)
from stack_model.config.limits import ACCOUNT_ID, SERVICE_KEY, SUPPORTED_REGION
from stack_model.config.services import ServiceConfig
from stack_model.config.source import SourceError, read_config_json
from stack_model.config.stack import StackConfig

PROJECT = "z360-ecs"
NATIVE_PROVIDER = "aws-native"
"""The config namespace of pulumi-aws-native, whose ECS services carry 20-second metrics."""

# Top-level keys of the `z360-ecs:` namespace, as declared in Pulumi.yaml.
CONFIG_KEYS = (
    "environment",
    "protect",
    "clusters",
    "serviceDefaults",
    "services",
    "alerts",
    "budget",
    "costBreaker",
    "dashboard",
)


def load_stack_config(
    raw: Mapping[str, Any],
    aws_config: Mapping[str, Any] | None = None,
    aws_native_config: Mapping[str, Any] | None = None,
) -> StackConfig:
    """Validate the project's config values; raise ConfigError with every problem found.

    `raw` holds the `z360-ecs:` keys without their namespace; `aws_config` the `aws:` keys
    (region, allowedAccountIds) likewise; `aws_native_config` the `aws-native:` keys (region),
    or None from a caller that does not read that provider's config (then the providers'
    regions are not compared). The program and the tools always pass it.
    """
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem((), f"configuration must be a mapping, got {format_value(raw)}")])
    aws_settings = _aws_settings(aws_config or {}, problems)
    raw = {k: v for k, v in raw.items() if v is not None}
    for key in raw:
        if key not in CONFIG_KEYS:
            problems.append(Problem(
                (f"{PROJECT}:{key}",),
                f"unknown config key{did_you_mean(key, CONFIG_KEYS)} "
                f"(allowed: {', '.join(CONFIG_KEYS)})",
            ))
    defaults = raw.get("serviceDefaults", {})
    problems.extend(_validate_defaults(defaults))
    if not isinstance(defaults, Mapping):
        defaults = {}
    services_raw = raw.get("services")
    merged_services: Any = services_raw
    if isinstance(services_raw, Mapping):
        merged_services = {}
        # Only keys a service has are inherited; unknown defaults are reported on their own.
        service_keys = set(_field_aliases(ServiceConfig))
        inherited = {k: v for k, v in defaults.items() if k in service_keys}
        for key, service in services_raw.items():
            if not isinstance(key, str) or not SERVICE_KEY.fullmatch(key):
                problems.append(Problem(
                    ("services", key),
                    "service keys are 1 to 32 lowercase letters, digits or '-', starting with "
                    "a letter",
                ))
            if isinstance(service, Mapping):
                merged_services[key] = _deep_merge(inherited, service)
            else:
                merged_services[key] = service
        if not services_raw:
            problems.append(Problem(("services",), "at least one service is required"))
    document = {k: v for k, v in raw.items() if k in CONFIG_KEYS and k != "serviceDefaults"}
    document.update(aws_settings)
    if merged_services is not None:
        document["services"] = merged_services
    for optional in ("budget", "costBreaker"):
        if document.get(optional) == {}:
            del document[optional]
    if aws_native_config is not None and "region" in aws_settings:
        # Compared only with a valid aws:region: a wrong one is refused on its own.
        problems.extend(_native_region_problems(
            aws_native_config, aws_settings["region"], merged_services))
    try:
        config = StackConfig.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            for loc, item in expand(error):
                loc = _blame_default(loc, item, services_raw, defaults)
                if loc and loc[0] in ("accountId", "region"):
                    continue  # reported by _aws_settings under its aws: key
                problems.append(describe(item, loc, _allowed_keys))
        raise ConfigError(unique(problems)) from None
    if problems:
        raise ConfigError(unique(problems))
    return config


def read_pulumi_config(config: pulumi.Config | None = None) -> StackConfig:
    """Read every `z360-ecs:` key from Pulumi config and validate it.

    Every key in the namespace is read, not only the known ones, so a misspelt key is refused
    here too ("did you mean"), whatever the CLI lets through. Each value is read by the same
    rules as a stack file (stack_model/config/source.py).
    """
    config = config or pulumi.Config(PROJECT)
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in sorted(set(CONFIG_KEYS) | set(_namespace_keys(config.name))):
        text = config.get(key)
        if text is None:
            continue
        # The CLI hands every value over as text: objects, arrays, numbers and booleans as
        # JSON, plain strings as themselves.
        try:
            raw[key] = read_config_json(text, key)
        except SourceError as exc:
            problems.append(Problem(exc.path, exc.message))
    aws_config = pulumi.Config("aws")
    aws_raw: dict[str, Any] = {"region": aws_config.get("region")}
    native_raw = {"region": pulumi.Config(NATIVE_PROVIDER).get("region")}
    try:
        accounts = aws_config.get("allowedAccountIds")
        aws_raw["allowedAccountIds"] = (
            None if accounts is None else read_config_json(accounts, "aws:allowedAccountIds")
        )
    except SourceError as exc:
        problems.append(Problem(exc.path, exc.message))
    if problems:
        raise ConfigError(problems)
    return load_stack_config(raw, aws_raw, native_raw)


def _namespace_keys(namespace: str) -> list[str]:
    """Every config key the engine gave the program in `namespace`, without the namespace."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{namespace}:"
    return [key[len(prefix):] for key in keys if key.startswith(prefix)]


# --- serviceDefaults ----------------------------------------------------------------------


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _validate_defaults(defaults: Any) -> list[Problem]:
    """Check `serviceDefaults` on its own, so a bad default is reported once, at its path,
    even when every service overrides it."""
    if not isinstance(defaults, Mapping):
        return [Problem(("serviceDefaults",), f"{format_value(defaults)} is {yaml_kind(defaults)}; "
                        "must be a mapping (key: value)")]
    problems = []
    by_alias = {(f.alias or n): f for n, f in ServiceConfig.model_fields.items()}
    for key, value in defaults.items():
        if key not in by_alias:
            problems.append(Problem(
                ("serviceDefaults", key),
                f"unknown key{did_you_mean(key, list(by_alias))} (allowed: {', '.join(by_alias)})",
            ))
            continue
        field = by_alias[key]
        try:
            annotation: Any = (
                Annotated[(field.annotation, *field.metadata)] if field.metadata
                else field.annotation
            )
            TypeAdapter(annotation).validate_python(value, strict=True)
        except ValidationError as exc:
            for error in exc.errors():
                # A default may be partial (network without subnets): services complete it.
                if error["type"] == "missing":
                    continue
                for loc, item in expand(error):
                    problems.append(describe(item, ("serviceDefaults", key, *loc), _allowed_keys))
    return problems


def _blame_default(
    loc: KeyPath, error: Mapping[str, Any], services_raw: Any, defaults: Mapping[str, Any]
) -> KeyPath:
    """A value a service inherited from serviceDefaults is reported at its serviceDefaults path."""
    if (
        len(loc) >= 3
        and loc[0] == "services"
        and isinstance(services_raw, Mapping)
        and isinstance(services_raw.get(loc[1]), Mapping)
        and not _has_path(services_raw[loc[1]], loc[2:])
        and _has_path(defaults, loc[2:])
        and error["type"] != "missing"
    ):
        return ("serviceDefaults",) + loc[2:]
    return loc


def _has_path(data: Any, path: KeyPath) -> bool:
    for part in path:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        else:
            return False
    return True


# --- aws: keys ------------------------------------------------------------------------------


def _aws_settings(aws_config: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """aws:region and aws:allowedAccountIds, checked here so messages name those keys."""
    settings: dict[str, Any] = {}
    region = aws_config.get("region")
    if region != SUPPORTED_REGION:
        problems.append(Problem(
            ("aws:region",),
            f"{format_value(region)} is not allowed: must be {SUPPORTED_REGION!r} "
            "(the Fargate prices the program and policies use are that region's)",
        ))
    else:
        settings["region"] = region
    accounts = aws_config.get("allowedAccountIds")
    if (
        not isinstance(accounts, list)
        or len(accounts) != 1
        or not isinstance(accounts[0], str)
        or not ACCOUNT_ID.fullmatch(accounts[0])
    ):
        problems.append(Problem(
            ("aws:allowedAccountIds",),
            f"{format_value(accounts)} is not allowed: must list exactly one 12-digit account "
            "id, as a string",
        ))
    else:
        settings["accountId"] = accounts[0]
    return settings


def _native_region_problems(
    native: Mapping[str, Any], aws_region: Any, services: Any
) -> list[Problem]:
    """Both providers manage the stack in one region.

    A service with metricResolution 20 is an aws-native resource (docs/metrics-resolution.md),
    managed in aws-native:region; everything else in aws:region. Unset, aws-native takes its
    region from AWS_REGION or AWS_DEFAULT_REGION (pulumi-aws-native provider schema, `region`
    defaultInfo; pulumi_aws_native/provider.py), so the environment of whoever runs `up`
    would decide where those services go."""
    region = native.get("region")
    key = f"{NATIVE_PROVIDER}:region"
    if region is not None:
        if region == aws_region:
            return []
        return [Problem((key,), (
            f"{format_value(region)} differs from aws:region {format_value(aws_region)}: the "
            f"services with metricResolution: {HIGH_RESOLUTION} would be managed in "
            f"{format_value(region)}, apart from their cluster, task definitions, scaling and "
            f"alarms; set {key} to aws:region's value"))]
    native_services = sorted(
        str(name) for name, service in (services.items() if isinstance(services, Mapping)
                                       else ())
        if isinstance(service, Mapping)
        and service.get("metricResolution") == HIGH_RESOLUTION  # serviceDefaults merged in
    )
    if not native_services:
        return []
    return [Problem((key,), (
        f"unset, but services {', '.join(native_services)} have metricResolution: "
        f"{HIGH_RESOLUTION} and are managed by aws-native, which then takes its region from "
        f"AWS_REGION or AWS_DEFAULT_REGION wherever `pulumi up` runs; set {key} to aws:region's "
        f"value ({format_value(aws_region)})"))]


# --- "did you mean" ---------------------------------------------------------------------------


def _field_aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _allowed_keys(path: KeyPath) -> list[str]:
    """Keys the mapping at `path` may hold; none when no model owns it."""
    model = _model_for(path)
    return _field_aliases(model) if model else []


def _model_for(path: KeyPath) -> type[BaseModel] | None:
    """The model that owns the mapping at `path`."""
    model: type[BaseModel] = StackConfig
    parts = list(path)
    while parts:
        part = parts.pop(0)
        if model is StackConfig and part in ("services", "clusters") and parts:
            parts.pop(0)
            model = ServiceConfig if part == "services" else ClusterConfig
            continue
        field = next(
            (f for n, f in model.model_fields.items() if (f.alias or n) == part), None
        )
        if field is None:
            return None
        annotation = field.annotation
        candidates = [a for a in getattr(annotation, "__args__", (annotation,))]
        sub = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if sub is None:
            return None
        model = sub
    return model
