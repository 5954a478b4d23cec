"""ECS rules: a valid Fargate size, no credentials in plain environment, a service's launch
configuration ECS accepts, no Spot for a service tagged as not interruptible, its monitoring
(metric resolution) one ECS accepts, a service behind a web ACL's load balancer that keeps its
target group, and (stack) capacity providers associated with the service's cluster.

Both kinds of ECS service are checked: pulumi-aws's `aws:ecs/service:Service` and, for a
service publishing 20-second metrics, pulumi-aws-native's `aws-native:ecs:Service`, whose
properties differ in name (`capacityProviderStrategy`, `serviceName`; see `strategy_items`).

The sizes themselves are facts the program shares: they live in fargate_facts.py; the capacity
provider facts and their sources in ecs_facts.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import (
    NotApplicable,
    known,
    label,
    mapping,
    number,
    parse_json,
    resource_label,
    resource_policy,
    sequence,
    setting,
    show,
    stack_policy,
    tags_of,
)
from .facts.cloudwatch import (
    HIGH_RESOLUTION,
    MAX_METRIC_CONFIGURATIONS,
    RESOLUTIONS,
    SERVICE_METRIC_NAMES,
)
from .facts.conventions import INTERRUPTIBLE_TAG, NOT_INTERRUPTIBLE, SECRET_NAME_PATTERN
from .facts.ecs import (
    FARGATE,
    FARGATE_SPOT,
    MAX_STRATEGY_BASE,
    MAX_STRATEGY_ITEMS,
    MAX_STRATEGY_WEIGHT,
    NOT_ASSOCIATED_MESSAGE,
    cluster_name_of,
)
from .facts.fargate import CPU_NEEDING_PLATFORM_1_4, describe_allowed_memory, is_valid_size
from .facts.types import NATIVE_SERVICE_TYPE, SERVICE_TYPE, TASK_DEFINITION_TYPE
from .facts.wafv2 import WEB_ACL_TAG

# Variable names that look like credentials: their values belong in `secrets` (SSM or Secrets
# Manager), never in plain `environment`, which anyone who can describe the task reads.
SECRET_NAME = re.compile(SECRET_NAME_PATTERN, re.IGNORECASE)

LINUX = "LINUX"


def _is_fargate(props: Mapping[str, Any]) -> bool:
    compatibilities = props.get("requiresCompatibilities") or []
    return "FARGATE" in list(compatibilities)


def _units(value: Any) -> int | None:
    """Task cpu/memory: Pulumi sends strings ("1024"); anything else is not a size."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def check_fargate_task_size(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """cpu and memory form one of the Fargate task sizes; 8 and 16 vCPU run only on Linux."""
    props = args.props
    if not _is_fargate(props):
        raise NotApplicable("not a Fargate task definition")
    who = label(props, str(props.get("family") or args.name))
    cpu_raw, memory_raw = props.get("cpu"), props.get("memory")
    cpu, memory = _units(cpu_raw), _units(memory_raw)
    if cpu is None or memory is None:
        report(
            f"{who}: Fargate needs task-level cpu and memory as whole numbers "
            f"(got cpu {cpu_raw!r}, memory {memory_raw!r})",
            None,
        )
        return
    if not is_valid_size(cpu, memory):
        report(
            f"{who}: cpu {cpu} with memory {memory} is not a Fargate task size; "
            f"with cpu {cpu} memory may be {describe_allowed_memory(cpu)}",
            None,
        )
    if cpu in CPU_NEEDING_PLATFORM_1_4:
        platform = props.get("runtimePlatform") or {}
        # AWS runs a task with no runtimePlatform on Linux.
        family = platform.get("operatingSystemFamily") or LINUX
        if family != LINUX:
            report(
                f"{who}: cpu {cpu} needs runtimePlatform.operatingSystemFamily LINUX "
                f"(got {family}); Fargate offers 8 and 16 vCPU only on Linux",
                None,
            )


SECRETS_SCHEMA = {
    "secretNamePattern": {
        "type": "string",
        "default": SECRET_NAME_PATTERN,
        "description": "Regular expression (case-insensitive) for variable names that hold "
                       "credentials.",
    },
}


def check_no_plaintext_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Environment variables named like credentials come from `secrets`, not `environment`."""
    props = args.props
    pattern_text = setting(args, SECRETS_SCHEMA, "secretNamePattern")
    try:
        pattern = re.compile(str(pattern_text), re.IGNORECASE)
    except re.error as exc:
        report(
            f"policy config no-plaintext-secrets.secretNamePattern {pattern_text!r} is not a "
            f"valid regular expression ({exc})",
            None,
        )
        return
    containers = parse_json(props.get("containerDefinitions"), "containerDefinitions")
    if not isinstance(containers, list):
        raise ValueError("containerDefinitions is not a JSON list")
    who = label(props, str(props.get("family") or args.name))
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        for entry in container.get("environment") or []:
            name = str(entry.get("name", "")) if isinstance(entry, Mapping) else ""
            if name and pattern.search(name):
                report(
                    f"{who}: container {container.get('name', '?')} has {name} in plain "
                    "environment; move it to secrets (an SSM parameter or Secrets Manager ARN)",
                    None,
                )


# --- launch configuration -----------------------------------------------------------------------


# The two ECS service types this pack checks, and the name each gives the strategy:
# pulumi-aws `capacity_provider_strategies`, pulumi-aws-native `capacity_provider_strategy`
# (AWS::ECS::Service CapacityProviderStrategy). `launchType` and `cluster` are the same in both.
SERVICE_TYPES = [SERVICE_TYPE, NATIVE_SERVICE_TYPE]
STRATEGY_PROPERTIES = ("capacityProviderStrategies", "capacityProviderStrategy")


def strategy_items(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The items of a service's capacity provider strategy, under either type's name; a value
    that is not a list, or items that are not objects, read as absent."""
    for key in STRATEGY_PROPERTIES:
        items = sequence(props.get(key))
        if items:
            return [item for item in items if isinstance(item, Mapping)]
    return []


def strategy_providers(props: Mapping[str, Any]) -> list[str]:
    """The capacity providers a service's strategy names, in order."""
    return [str(item.get("capacityProvider")) for item in strategy_items(props)]


def launch_configuration_problems(props: Mapping[str, Any]) -> list[str]:
    """What ECS CreateService/UpdateService refuse in a service's launch configuration.

    botocore `ecs` model, CreateServiceRequest.capacityProviderStrategy: "If a
    capacityProviderStrategy is specified, the launchType parameter must be omitted";
    capacity provider strategies (ECS developer guide): only one provider may define a base."""
    strategy = strategy_items(props)
    launch_type = props.get("launchType")
    if not strategy and not launch_type:
        raise NotApplicable("neither a launch type nor a capacity provider strategy")
    problems = []
    if strategy and launch_type:
        problems.append(f"launchType {launch_type} and a capacity provider strategy "
                        f"({', '.join(strategy_providers(props))}) together: ECS requires the "
                        "launch type to be omitted with a strategy; keep one (stack file: "
                        "launchType or capacityProviderStrategy)")
    # base as the provider takes it: 2 or "2"; 0, "0" and unset are no base.
    with_base = [str(item.get("capacityProvider")) for item in strategy
                 if number(item.get("base"))]
    if len(with_base) > 1:
        problems.append(f"{', '.join(with_base)} all set base: ECS allows a base on one "
                        "provider of a strategy only")
    problems.extend(_strategy_bounds(strategy))
    return problems


def _strategy_bounds(strategy: list[Mapping[str, Any]]) -> list[str]:
    """The numbers ECS allows in a strategy (facts/ecs.py: CapacityProviderStrategyItem base
    0 to 100,000, weight 0 to 1,000, a weight above 0 somewhere; at most 20 items)."""
    problems = []
    if len(strategy) > MAX_STRATEGY_ITEMS:
        problems.append(f"{len(strategy)} capacity providers: a strategy holds at most "
                        f"{MAX_STRATEGY_ITEMS}")
    for item in strategy:
        provider = str(item.get("capacityProvider"))
        for field, most in (("base", MAX_STRATEGY_BASE), ("weight", MAX_STRATEGY_WEIGHT)):
            value = number(item.get(field))
            if value is not None and not (0 <= value <= most and value == int(value)):
                problems.append(f"{provider} {field} {show(value)}: ECS takes a whole number "
                                f"from 0 to {most:,}")
    if strategy and not any(number(item.get("weight")) for item in strategy):
        problems.append("every weight is 0 or unset: ECS places tasks beyond the base only on "
                        "a provider with a weight above 0, and refuses a strategy with none")
    return problems


# --- interruptible-not-on-spot ------------------------------------------------------------------


def spot_on_uninterruptible(props: Mapping[str, Any]) -> str | None:
    """The problem with a service tagged not interruptible whose strategy may place a task on
    FARGATE_SPOT (a weight or a base above 0), or None."""
    if tags_of(props).get(INTERRUPTIBLE_TAG) != NOT_INTERRUPTIBLE:
        raise NotApplicable("not tagged as interruption-intolerant")
    on_spot = [item for item in strategy_items(props)
               if item.get("capacityProvider") == FARGATE_SPOT
               and (number(item.get("weight")) or number(item.get("base")))]
    if not on_spot:
        return None
    return (f"tagged {INTERRUPTIBLE_TAG}={NOT_INTERRUPTIBLE}, but its capacity provider strategy "
            f"places tasks on {FARGATE_SPOT}, which stops a task at two minutes' notice; run it "
            f"on {FARGATE} only (stack file: services.<key>.interruptible false forbids Spot)")


def check_interruptible_not_on_spot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A service marked not interruptible places no task on FARGATE_SPOT."""
    props = args.props
    problem = spot_on_uninterruptible(props)
    if problem is not None:
        who = label(props, str(props.get("name") or props.get("serviceName") or args.name))
        report(f"{who}: {problem}", None)


def check_service_launch_configuration(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A service runs on a launch type or a capacity provider strategy, never both, and the
    strategy is one ECS accepts."""
    props = args.props
    who = label(props, str(props.get("name") or props.get("serviceName") or args.name))
    for problem in launch_configuration_problems(props):
        report(f"{who}: {problem}", None)


def _cluster_of(service: PolicyResource) -> str:
    return cluster_name_of(str(service.props.get("cluster") or ""))


def unassociated_providers(index: StackIndex, service: PolicyResource) -> tuple[str, list[str]]:
    """(cluster name, providers the service's strategy names that the cluster lacks); none
    when nothing is known to be missing."""
    cluster = _cluster_of(service)
    wanted = strategy_providers(service.props)
    if not wanted or not cluster:
        return cluster, []
    association = index.capacity_providers.get(cluster)
    if association is None:
        # A cluster this stack does not manage keeps associations the pack cannot see.
        return cluster, wanted if cluster in index.clusters else []
    ok, associated = known(lambda: list(sequence(association.props.get("capacityProviders"))))
    if not ok:
        return cluster, []
    return cluster, [p for p in wanted if p not in associated]


def check_capacity_providers_associated(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """Every provider a service's strategy names is associated with the service's cluster."""
    index = StackIndex.build(args.resources)
    users = [s for s in index.services
             if known(partial(strategy_providers, s.props))[1]]
    if not users:
        raise NotApplicable("no service runs on a capacity provider strategy")
    for service in users:
        ok, found = known(partial(unassociated_providers, index, service))
        if not ok or not found[1]:
            continue
        cluster, missing = found
        has = index.capacity_providers.get(cluster)
        where = ("no aws.ecs.ClusterCapacityProviders" if has is None
                 else "its ClusterCapacityProviders")
        report(
            f"{resource_label(service)}: runs on {', '.join(missing)}, which cluster {cluster} "
            f"does not associate ({where}); ECS refuses it: \"{NOT_ASSOCIATED_MESSAGE}\". "
            f"Add {', '.join(missing)} to clusters.<key>.capacityProviders",
            service.urn,
        )


# --- service-monitoring-valid ------------------------------------------------------------------


def check_service_monitoring(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """An ECS service's monitoring asks only for what ECS allows, and 20-second metrics only
    with the ECS deployment controller.

    Sources: botocore ecs-2014-11-13 `MetricConfiguration` (metric names CPUUtilization and
    MemoryUtilization; resolutionSeconds 20 or 60); the AWS::ECS::Service schema that
    pulumi-aws-native carries (1 to 2 MetricConfigurations, each with 1 to 2 unique names);
    ECS developer guide, "Faster auto scaling with high-resolution metrics", considerations
    (high-resolution metrics need the ECS deployment controller; cited the same way by
    aws/aws-cdk#38402's validation)."""
    props = args.props
    monitoring = props.get("monitoring")
    if not isinstance(monitoring, Mapping):
        raise NotApplicable("no monitoring configuration: ECS publishes at 60 s")
    who = label(props, str(props.get("serviceName") or args.name))
    entries = sequence(monitoring.get("metricConfigurations"))
    if not 1 <= len(entries) <= MAX_METRIC_CONFIGURATIONS:
        report(f"{who}: {len(entries)} metricConfigurations; ECS takes 1 to "
               f"{MAX_METRIC_CONFIGURATIONS}", None)
    seen: set[str] = set()
    high = False
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            report(f"{who}: metricConfigurations[{position}] is not an object "
                   "({metricNames, resolutionSeconds})", None)
            continue
        seconds = number(entry.get("resolutionSeconds"))
        if seconds not in RESOLUTIONS:
            report(f"{who}: resolutionSeconds {show(seconds)} is not one of "
                   f"{', '.join(str(r) for r in RESOLUTIONS)}", None)
        high = high or seconds == HIGH_RESOLUTION
        for name in sequence(entry.get("metricNames")):
            if name not in SERVICE_METRIC_NAMES:
                report(f"{who}: metric {name!r} has no configurable resolution; allowed: "
                       f"{', '.join(SERVICE_METRIC_NAMES)}", None)
            elif name in seen:
                report(f"{who}: {name} is configured twice; give each metric one resolution",
                       None)
            seen.add(str(name))
    controller = props.get("deploymentController")
    kind = controller.get("type") if isinstance(controller, Mapping) else None
    if high and kind not in (None, "ECS"):
        report(f"{who}: 20-second metrics need the ECS deployment controller, not {kind}; "
               "ECS publishes them only for rolling-update services", None)


# --- service-load-balancer-declared ------------------------------------------------------------

# What each load balancer entry of a service names (ECS LoadBalancer; both providers' names).
LOAD_BALANCER_KEYS = ("targetGroupArn", "containerName", "containerPort")


def missing_load_balancer(props: Mapping[str, Any]) -> list[str]:
    """Why a service behind a web ACL's load balancer does not register with it: no entry, or
    an entry without a target group, container name or port.

    Why it matters: an ECS service attached to a target group is detached by an update that
    sends no loadBalancers (UpdateService replaces the list; AWS::ECS::Service LoadBalancers:
    "To remove this property from your service resource, specify an empty LoadBalancer
    array"), and an adopted service imports the live list as its inputs, so leaving it out is
    that update: the service stops receiving traffic. The web ACL tag (facts/wafv2.py
    WEB_ACL_TAG) is the program's statement that the service sits behind a load balancer."""
    web_acl = tags_of(props).get(WEB_ACL_TAG)
    if not web_acl:
        raise NotApplicable("no web ACL in front of the service")
    entries = sequence(props.get("loadBalancers"))
    if not entries:
        return [f"is behind web ACL {web_acl}'s load balancer but declares no loadBalancers: "
                "an update without them detaches the service from its target group (no "
                "traffic reaches it). Set services.<key>.loadBalancer (targetGroupArn, "
                "containerName, containerPort); `z360-ecs adopt` reads them from AWS"]
    problems = []
    for position, entry in enumerate(entries):
        fields = mapping(entry)
        missing = [key for key in LOAD_BALANCER_KEYS
                   if fields.get(key) in (None, "") or (key == "containerPort"
                                                        and number(fields.get(key)) is None)]
        if missing:
            problems.append(f"loadBalancers[{position}] lacks {', '.join(missing)}: ECS "
                            "registers a task with a target group by container name and port")
    return problems


def check_service_load_balancer(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A service behind a web ACL's load balancer declares the target group it registers with."""
    props = args.props
    who = label(props, str(props.get("name") or props.get("serviceName") or args.name))
    for problem in missing_load_balancer(props):
        report(f"{who}: {problem}", None)


RESOURCE_POLICIES = [
    resource_policy(
        "fargate-task-size",
        "A Fargate task definition's cpu and memory form a valid Fargate task size.",
        EnforcementLevel.MANDATORY, [TASK_DEFINITION_TYPE], check_fargate_task_size, {},
    ),
    resource_policy(
        "no-plaintext-secrets",
        "Container environment variables named like credentials are passed as secrets.",
        EnforcementLevel.MANDATORY, [TASK_DEFINITION_TYPE], check_no_plaintext_secrets,
        SECRETS_SCHEMA,
    ),
    resource_policy(
        "service-launch-configuration",
        "An ECS service runs on a launch type or on a capacity provider strategy, never both, "
        "and its strategy is one ECS accepts.",
        EnforcementLevel.MANDATORY, SERVICE_TYPES, check_service_launch_configuration, {},
    ),
    resource_policy(
        "interruptible-not-on-spot",
        "An ECS service tagged as not interruptible places no task on FARGATE_SPOT.",
        EnforcementLevel.MANDATORY, SERVICE_TYPES, check_interruptible_not_on_spot, {},
    ),
    resource_policy(
        "service-monitoring-valid",
        "An ECS service's monitoring names valid metrics and resolutions, and 20-second "
        "metrics use the ECS deployment controller.",
        EnforcementLevel.MANDATORY, [NATIVE_SERVICE_TYPE], check_service_monitoring, {},
    ),
    resource_policy(
        "service-load-balancer-declared",
        "An ECS service behind a web ACL's load balancer declares the target group, container "
        "and port it registers with, so an update never detaches it.",
        EnforcementLevel.MANDATORY, SERVICE_TYPES, check_service_load_balancer, {},
    ),
]

STACK_POLICIES = [
    stack_policy(
        "capacity-providers-associated",
        "Every capacity provider a service's strategy names is associated with its cluster.",
        EnforcementLevel.MANDATORY, check_capacity_providers_associated, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
