"""Physical names across components: every name the program gives a resource, with the setting
that decides it, and the check that no two settings give two resources one name.

`physical_names` lists the names the program gives, each derived by stack_model/naming.py as
the components derive it (tests/stack_model/config/test_names.py holds the list to what a run of
the program registers, so a new named resource cannot be left out of it). `name_problems`
reports each collision once, at the key that decides the name, naming the other owners' key
paths and what AWS does with the second resource (naming.NameKind).

Two services giving the same family, serviceName or namePrefix, and two clusters given the same
name, are the per-field checks' (StackConfig: "used by 2 services"); this module reports the
collisions across components and fields: `alerts.topicName` equal to the cost breaker's topic,
a cluster name equal to another's service... StackConfig runs it with its other cross-checks and
hands over the sections it reads, as it does adoption.py's.
"""

from __future__ import annotations

from collections.abc import Mapping

from policies.guardrails.facts.burn_rate import MAX_METRICS_PER_ALARM, TRIP, WARN
from stack_model import naming
from stack_model.config.alerts import AlertsConfig
from stack_model.config.budget import BudgetConfig
from stack_model.config.clusters import ClusterConfig
from stack_model.config.cost_breaker import CostBreakerConfig
from stack_model.config.errors import Problem
from stack_model.config.services import ServiceConfig
from stack_model.config.signals import deployment_alarm_names, policy_kinds
from stack_model.naming import PhysicalName

# Fields whose repeats across services (or clusters) StackConfig reports itself, as "used by
# 2 services": a collision between two of them only is left to that check.
PER_FIELD_CHECKS = frozenset({("services", "family"), ("services", "serviceName"),
                              ("services", "namePrefix"), ("clusters", "name")})
NAME_KEYS = frozenset({"topicName", "name", "family", "serviceName", "namePrefix"})
"""Keys that hold a name outright; a collision is reported at one of them, where it is fixed,
rather than at a section whose names follow from the environment."""

BREAKER = ("costBreaker",)
"""Owner of the cost breaker's names, all fixed by the environment (naming.cost_breaker_names)."""


def physical_names(
    *,
    environment: str,
    services: Mapping[str, ServiceConfig],
    clusters: Mapping[str, ClusterConfig],
    alerts: AlertsConfig,
    budget: BudgetConfig | None,
    cost_breaker: CostBreakerConfig | None,
    dashboard: bool,
) -> list[PhysicalName]:
    """Every physical name the program gives (components/), with the key that decides it."""
    names = [PhysicalName(naming.SNS_TOPIC, alerts.topic_name, ("alerts", "topicName"))]
    for key, cluster in clusters.items():
        names.append(PhysicalName(naming.ECS_CLUSTER, cluster.name, ("clusters", key, "name")))
    for key, service in services.items():
        names.extend(_service_names(key, service, clusters.get(service.cluster)))
    if dashboard:
        names.append(PhysicalName(naming.DASHBOARD, naming.dashboard_name(environment),
                                  ("dashboard",)))
    if budget is not None:
        names.append(PhysicalName(naming.BUDGET, budget.name, ("budget", "name")))
    if budget is None or cost_breaker is None or not cost_breaker.enabled:
        return names
    breaker = naming.cost_breaker_names(environment)
    owner = BREAKER
    names.extend([
        PhysicalName(naming.SNS_TOPIC, breaker["topic"], owner),
        PhysicalName(naming.LAMBDA_FUNCTION, breaker["function"], owner),
        PhysicalName(naming.IAM_ROLE, breaker["role"], owner),
        PhysicalName(naming.SSM_PARAMETER, breaker["parameter"], owner),
        PhysicalName(naming.LOG_GROUP, breaker["log_group"], owner),
    ])
    scaled = sum(1 for service in services.values() if service.scaling.enabled)
    if cost_breaker.burn_rate is not None and scaled:
        groups = -(-scaled // MAX_METRICS_PER_ALARM)
        names.extend(
            PhysicalName(naming.ALARM,
                         naming.burn_rate_alarm_name(environment, kind, group, groups),
                         ("costBreaker", "burnRate"))
            for kind in (TRIP, WARN) for group in range(groups)
        )
    return names


def _service_names(
    key: str, service: ServiceConfig, cluster: ClusterConfig | None
) -> list[PhysicalName]:
    """A service's names: components/scalable_service.py and, with waf on, components/waf.py."""
    family, prefix = ("services", key, "family"), ("services", key, "namePrefix")
    names = [
        PhysicalName(naming.LOG_GROUP, service.log_group_name, family),
        PhysicalName(naming.IAM_ROLE, service.execution_role_name, family),
        PhysicalName(naming.TASK_FAMILY, service.family, family),
    ]
    if cluster is not None:  # an unknown cluster key is StackConfig's to report
        names.append(PhysicalName(naming.ECS_SERVICE, service.service_name,
                                  ("services", key, "serviceName"), scope=cluster.name))
        if service.scaling.enabled:
            target = service.scaling_resource_id(cluster.name)
            names.extend(PhysicalName(naming.SCALING_POLICY, service.policy_name(metric),
                                      prefix, scope=target)
                         for metric in policy_kinds(service))
    alarms = service.alarms
    for kind, wanted in (("cpu", alarms.cpu_high), ("memory", alarms.memory_high),
                         ("spike", alarms.task_count_spike), ("waf", service.waf.enabled or None)):
        if wanted is not None:
            names.append(PhysicalName(naming.ALARM, service.alarm_name(kind), prefix))
    names.extend(PhysicalName(naming.ALARM, name, prefix)
                 for name in deployment_alarm_names(service))
    if service.task_protection.enabled:
        names.append(PhysicalName(naming.IAM_POLICY,
                                  naming.task_protection_policy_name(service.family), family))
        if service.task_role_arn is None:
            names.append(PhysicalName(naming.IAM_ROLE, naming.task_role_name(service.family),
                                      family))
    if service.waf.enabled:
        names.append(PhysicalName(naming.WEB_ACL, naming.web_acl_name(service.name_prefix),
                                  prefix))
    return names


def name_problems(names: list[PhysicalName]) -> list[Problem]:
    """One problem per set of owners whose names collide, at the first owner that holds a name
    outright (NAME_KEYS)."""
    by_owners: dict[tuple[tuple[str, ...], ...], list[list[PhysicalName]]] = {}
    for group in naming.name_collisions(names):
        owners = tuple(dict.fromkeys(entry.owner for entry in group))
        if _per_field(owners) and len({entry.name for entry in group}) == 1:
            continue  # an exact repeat: the per-field check reports it (not one of case only)
        by_owners.setdefault(owners, []).append(group)
    problems = []
    for owners, groups in by_owners.items():
        first = next((owner for owner in owners if owner[-1] in NAME_KEYS), owners[0])
        others = [".".join(owner) for owner in owners if owner != first]
        shown = next(entry.name for entry in groups[0] if entry.owner == first)
        kinds = ", ".join(dict.fromkeys(group[0].kind.label for group in groups))
        effects = "; ".join(dict.fromkeys(group[0].kind.effect for group in groups))
        if BREAKER in owners and any(g[0].kind == naming.SNS_TOPIC for g in groups):
            effects += (" (the cost breaker's function is subscribed to its topic: every alarm "
                        "and budget alert would invoke it, and its own reports re-invoke it)")
        problems.append(Problem(first, (
            f"{shown!r} is the {kinds} name of both {'.'.join(first)} and "
            f"{' and '.join(others)}: {effects}; give {'.'.join(first)} a value of its own")))
    return problems


def _per_field(owners: tuple[tuple[str, ...], ...]) -> bool:
    """Every owner is the same field of a different item, a repeat the per-field checks report."""
    fields = {(owner[0], owner[-1]) for owner in owners if len(owner) == 3}
    return len(fields) == 1 and len(owners) == sum(1 for o in owners if len(o) == 3) \
        and fields <= PER_FIELD_CHECKS
