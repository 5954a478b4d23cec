"""The rule framework every rule module builds on: validators that never raise, a not-applicable
signal, config with schema defaults, and readers for the engine's property shapes.

Why a wrapper: the SDK runs every policy of a resource in one loop, and any exception other
than an unknown value or a not-applicable signal aborts that loop, losing every other policy's
diagnostics for the resource. So each validator is wrapped: an unknown value passes through, a
check that does not apply raises `NotApplicable`, which the wrapper hands to the SDK's public
`args.not_applicable()`, and anything else is reported as a violation of the failing policy,
naming the error. The pack so names no private SDK class: only `not_applicable()` knows how the
SDK marks a skip.

Why defaults here: the engine merges schema defaults into config, the Python SDK does not. A
policy read with `setting(args, SCHEMA, key)` gets the schema's default when no config came,
so the default is written once, in the schema.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .facts.conventions import ENVIRONMENT_TAG, SERVICE_TAG

T = TypeVar("T")
ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]
Schema = Mapping[str, Mapping[str, Any]]


class NotApplicable(Exception):
    """Raised by a check whose rule does not apply to this resource or stack.

    Checks raise this rather than call `args.not_applicable()` themselves: the wrapper would
    otherwise have to recognise the SDK's own (private) exception to let it through."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def internal_error_message(policy_name: str, exc: Exception) -> str:
    return (
        f"policy {policy_name} failed on this resource ({type(exc).__name__}: {exc}); "
        "the other policies still ran. Fix the policy or its config; until then this "
        "resource is not checked by it"
    )


def never_raises(policy_name: str, check: Callable[[Any, ReportViolation], None]):
    """`check`, with every error except an unknown value reported instead of raised, and
    `NotApplicable` turned into the SDK's `args.not_applicable()`."""

    def guarded(args: Any, report_violation: ReportViolation) -> None:
        try:
            check(args, report_violation)
        except UnknownValueError:
            raise  # the SDK reports "can't run during preview"
        except NotApplicable as skip:
            # Outside the try: what not_applicable() raises reaches the SDK untouched.
            args.not_applicable(skip.reason)
        except Exception as exc:  # noqa: BLE001 - reporting is the point
            report_violation(internal_error_message(policy_name, exc), None)

    guarded.__name__ = getattr(check, "__name__", "check")
    guarded.__doc__ = check.__doc__
    return guarded


def _config_schema(schema: Schema) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={k: dict(v) for k, v in schema.items()})


def resource_policy(
    name: str,
    description: str,
    level: EnforcementLevel,
    resource_types: Iterable[str],
    check: ResourceCheck,
    schema: Schema,
) -> ResourceValidationPolicy:
    """A resource policy that applies to `resource_types` only and never raises."""
    types = frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            raise NotApplicable(f"applies to {', '.join(sorted(types))}")
        check(args, report_violation)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=never_raises(name, validate),
        enforcement_level=level,
        config_schema=_config_schema(schema),
    )


def stack_policy(
    name: str, description: str, level: EnforcementLevel, check: StackCheck, schema: Schema
) -> StackValidationPolicy:
    """A stack policy that never raises.

    Stack policies run after the resource steps: they fail a preview (so CI blocks the pull
    request), but on `pulumi up` they report after the changes are made."""
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=never_raises(name, check),
        enforcement_level=level,
        config_schema=_config_schema(schema),
    )


# --- work shared by the policies of one request ------------------------------------------------

_REQUEST: ContextVar[dict[Any, tuple[list[Any], Any]] | None] = ContextVar(
    "guardrails_request", default=None)


@contextmanager
def one_request() -> Iterator[None]:
    """The span of one analyzer request (`_servicer.py`): what `once_per_request` builds inside
    it is shared by the request's policies and dropped when it ends, so nothing outlives it.
    A context variable, so concurrent requests (the SDK serves on a thread pool) share nothing."""
    token = _REQUEST.set({})
    try:
        yield
    finally:
        _REQUEST.reset(token)


def once_per_request(kind: Any, resources: list[Any], build: Callable[[list[Any]], T]) -> T:
    """`build(resources)`, built once per request for the same list of resources (that very
    list: the servicer hands every stack policy the same one), else every time, as outside a
    request (the SDK's own servicer gives each policy a new list)."""
    memo = _REQUEST.get()
    if memo is None:
        return build(resources)
    entry = memo.get(kind)
    if entry is not None and entry[0] is resources:
        return entry[1]
    value = build(resources)
    memo[kind] = (resources, value)  # holds the list, so its id cannot be reused meanwhile
    return value


# --- config --------------------------------------------------------------------------------


def setting(args: ResourceValidationArgs | StackValidationArgs, schema: Schema, key: str) -> Any:
    """The config value `key`, or the schema's default when the engine sent none."""
    config = args.get_config() or {}
    if key in config and config[key] is not None:
        return config[key]
    return schema[key]["default"]


# --- property readers ------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite number from the engine (always a float) or a numeric string (the provider takes
    "5000" for 5000); None for anything else, booleans, NaN and infinities included (no AWS
    number is one, and a NaN would make every comparison false)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def sequence(value: Any) -> Sequence[Any]:
    """A list property (a list, or the SDK's read-only list proxy); anything else (a string, a
    mapping, a number: shapes the provider refuses) as no items, so one malformed property
    hides no other finding."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return value
    return ()


def mapping(value: Any) -> Mapping[str, Any]:
    """An object property, or an empty one when it is anything else."""
    return value if isinstance(value, Mapping) else {}


def boolean(value: Any) -> bool | None:
    """A boolean from the engine, or the strings "true"/"false" the provider also takes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def show(value: float | int | None) -> str:
    """60.0 -> "60"; 62.5 -> "62.5"."""
    if value is None:
        return "unset"
    return f"{value:g}" if isinstance(value, float) else str(value)


def tags_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Tags as a mapping; aws-native resources carry them as a list of {key, value}."""
    tags = props.get("tags")
    if isinstance(tags, Sequence) and not isinstance(tags, str):
        return {
            str(tag.get("key")): tag.get("value") for tag in tags if isinstance(tag, Mapping)
        }
    return tags if isinstance(tags, Mapping) else {}


def service_tag(props: Mapping[str, Any]) -> str | None:
    """The z360:service tag, or None when the resource has none."""
    value = tags_of(props).get(SERVICE_TAG)
    return str(value) if value else None


def label(props: Mapping[str, Any], fallback: str) -> str:
    """"beta web" from the resource's tags, else `fallback` (its name)."""
    tags = tags_of(props)
    service = tags.get(SERVICE_TAG)
    environment = tags.get(ENVIRONMENT_TAG)
    if service and environment:
        return f"{environment} {service}"
    return str(service or fallback)


def parse_json(text: Any, what: str) -> Any:
    """A JSON document held in a string property, or already an object (pulumi_aws serializes a
    dict given for `policy` itself); ValueError naming `what` when it is neither."""
    if isinstance(text, (Mapping, list)):
        return text
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a JSON string")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{what} is not valid JSON: {exc}") from None


def known(read: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, value) or (False, None) when the value is unknown during preview.

    Stack policies use it per resource, so one unknown value skips one resource instead of
    the whole policy."""
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def known_number(props: Mapping[str, Any], key: str) -> float | None:
    """`number(props[key])`, or None when it is unknown during preview."""
    return known(lambda: number(props.get(key)))[1]


def resource_label(resource: PolicyResource) -> str:
    """`label()` of a stack policy's resource, its name while its tags are unknown."""
    return known(lambda: label(resource.props, resource.name))[1] or resource.name
