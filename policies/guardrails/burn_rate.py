"""Burn-rate rules: a stack with a cost breaker trips it within minutes, at a rate that can happen.

The budget path hears of a flood a day or more late (docs: "Cost breaker"); the burn-rate trip
alarm (tag `z360:burn-rate` = `trip`, expression in burn_rate_facts.py) hears in minutes. These
stack rules check, from values known at preview:

- burn-rate-trip-wired (mandatory): every cost-breaker topic (tag `z360:cost-breaker`) is among
  the alarm actions of a trip alarm, and every ECS scalable target's service is counted by one.
  Without it the breaker waits for the budget: ~$313 at beta's maxima instead of a few dollars.
- burn-rate-trip-in-range (mandatory): each trip alarm's threshold lies strictly between the
  rate of the services it watches at their min capacities and at their max capacities, and its
  expression prices each task at the list price of its task definition. Under the baseline the
  alarm is in ALARM from the first minute and the breaker caps production at once; at or above
  the maximum it can never fire; a stale price moves both. Either way a deploy must not proceed.
- burn-rate-warn-in-range (advisory): the same bounds for the warning alarm. A misplaced warning
  only makes noise or silence, it changes no capacity: worth a note, not a blocked deploy.

Stack policies fail a preview (CI), but on `pulumi up` they report after the changes (see
`stack_policy` in _kit.py). Joins: alarm metric (ClusterName, ServiceName) -> scalable target
`service/<cluster>/<service>` -> its `z360:service` tag -> task definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import (
    NotApplicable,
    boolean,
    known,
    known_number,
    mapping,
    number,
    sequence,
    service_tag,
    stack_policy,
    tags_of,
)
from .facts.burn_rate import (
    BURN_RATE_TAG,
    COST_BREAKER_TAG,
    RATE_ID,
    TRIP,
    WARN,
    parse_rate_expression,
)
from .facts.cloudwatch import CLUSTER_DIMENSION, RUNNING_TASK_COUNT, SERVICE_DIMENSION
from .facts.fargate import Architecture, hourly_task_cost, is_valid_size
from .facts.metrics import CONTAINER_INSIGHTS_NAMESPACE
from .facts.scaling import parse_scaling_resource_id, scaling_resource_id
from .facts.types import METRIC_ALARM_TYPE, TOPIC_TYPE


@dataclass
class BurnRateAlarm:
    resource: PolicyResource
    kind: str
    name: str
    threshold: float | None
    actions: list[str | None] | None
    """Alarm actions (None for one unknown during preview), or None while the list is."""
    metrics: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    """Query id -> (namespace + metric name, cluster, service)."""
    expression: str | None = None


def _alarm(resource: PolicyResource) -> BurnRateAlarm | None:
    """The alarm as the provider would take it (the threshold as a number or a numeric string,
    returnData as a boolean or "true"); malformed parts (queries that are not objects,
    dimensions that are not a mapping) read as absent, so the alarm is still judged."""
    props = resource.props
    kind = tags_of(props).get(BURN_RATE_TAG)
    if kind not in (TRIP, WARN):
        return None
    name = str(known(lambda: props.get("name"))[1] or resource.name)
    alarm = BurnRateAlarm(resource, str(kind), name, known_number(props, "threshold"),
                          _known_actions(props))
    for query in sequence(props.get("metricQueries")):
        if not isinstance(query, Mapping):
            continue
        ident = str(query.get("id"))
        metric = query.get("metric")
        if isinstance(metric, Mapping):
            dimensions = mapping(metric.get("dimensions"))
            cluster = known(partial(dimensions.get, CLUSTER_DIMENSION))[1]
            service = known(partial(dimensions.get, SERVICE_DIMENSION))[1]
            alarm.metrics[ident] = (
                f"{metric.get('namespace')} {metric.get('metricName')}",
                str(cluster) if cluster else None,
                str(service) if service else None,
            )
        elif boolean(query.get("returnData")) and ident == RATE_ID:
            expression = known(partial(query.get, "expression"))[1]
            alarm.expression = expression if isinstance(expression, str) else None
    return alarm


def _known_actions(props: Mapping[str, object]) -> list[str | None] | None:
    """Alarm actions, each None while unknown; None when the list itself is unknown."""
    ok, actions = known(partial(props.get, "alarmActions"))
    if not ok:
        return None
    actions = sequence(actions)
    ok, count = known(partial(len, actions))
    if not ok:
        return None
    out: list[str | None] = []
    for position in range(count):
        ok, value = known(partial(actions.__getitem__, position))
        out.append(str(value) if ok and value is not None else None)
    return out


def _burn_rate_alarms(args: StackValidationArgs) -> list[BurnRateAlarm]:
    alarms = []
    for resource in args.resources:
        if resource.resource_type == METRIC_ALARM_TYPE:
            try:
                ok, alarm = known(partial(_alarm, resource))
            except Exception:  # noqa: BLE001 - one malformed alarm hides no other's finding
                continue
            if ok and alarm is not None:
                alarms.append(alarm)
    return alarms


def _breaker_topics(args: StackValidationArgs) -> list[tuple[PolicyResource, str | None]]:
    """(topic, its name or None while unknown) of each cost-breaker topic."""
    topics = []
    for resource in args.resources:
        if resource.resource_type != TOPIC_TYPE:
            continue
        if known(partial(_tag, resource, COST_BREAKER_TAG))[1]:
            topics.append((resource, known(partial(resource.props.get, "name"))[1]))
    return topics


def _tag(resource: PolicyResource, key: str) -> object:
    return tags_of(resource.props).get(key)


def _names_topic(arn: str, topic: str) -> bool:
    return arn.startswith("arn:") and arn.rsplit(":", 1)[-1] == topic


# --- burn-rate-trip-wired --------------------------------------------------------------------


def check_burn_rate_trip_wired(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack with a cost breaker has a burn-rate trip alarm notifying the breaker's topic,
    and every auto-scaled service counts in a trip alarm's rate."""
    topics = _breaker_topics(args)
    if not topics:
        raise NotApplicable("this stack has no cost breaker")
    trips = [a for a in _burn_rate_alarms(args) if a.kind == TRIP]
    for topic, name in topics:
        if name is None:
            continue  # not known until created
        known_actions = [arn for a in trips for arn in a.actions or [] if arn is not None]
        if any(_names_topic(arn, str(name)) for arn in known_actions):
            continue
        if any(a.actions is None or None in a.actions for a in trips):
            continue  # an action is unknown: cannot tell yet
        report(
            f"cost breaker topic {name}: no burn-rate trip alarm (tag {BURN_RATE_TAG}="
            f"{TRIP}) has it among its alarm actions, so the breaker waits for the budget's "
            "notification, a day or more into a flood; set costBreaker.burnRate",
            topic.urn,
        )
    if not trips:
        return
    index = StackIndex.build(args.resources)
    counted = {(cluster, service) for a in trips for _, cluster, service in a.metrics.values()}
    if any(cluster is None or service is None for cluster, service in counted):
        return  # a name is unknown: cannot tell yet
    for resource_id, target in index.targets.items():
        if parse_scaling_resource_id(resource_id) not in counted:
            report(
                f"{resource_id}: auto-scales, but no burn-rate trip alarm counts its "
                "RunningTaskCount, so a flood of this service never trips the breaker early",
                target.urn,
            )


# --- thresholds -------------------------------------------------------------------------------


@dataclass
class Assessment:
    baseline: Decimal
    maximum: Decimal
    problems: list[str]


def _task_price(index: StackIndex, target: PolicyResource) -> Decimal | None:
    service = service_tag(target.props)
    task = index.task_definitions.get(service) if service else None
    if task is None:
        return None
    props = task.props
    cpu, memory = number(props.get("cpu")), number(props.get("memory"))
    architecture = mapping(props.get("runtimePlatform")).get("cpuArchitecture") \
        or Architecture.X86_64.value
    if cpu is None or memory is None or architecture not in Architecture.__members__:
        return None
    if cpu != int(cpu) or memory != int(memory) or not is_valid_size(int(cpu), int(memory)):
        return None  # fargate-task-size reports it; Fargate has no price for it
    return hourly_task_cost(int(cpu), int(memory), architecture)


def _assess(alarm: BurnRateAlarm, index: StackIndex) -> Assessment | None:
    """The alarm's baseline and all-at-max rates and what is wrong with its expression, or
    None while something it needs is unknown or not in this stack."""
    problems = []
    prices = parse_rate_expression(alarm.expression) if alarm.expression else None
    if prices is None:
        return Assessment(Decimal(0), Decimal(0), [
            f"its expression {alarm.expression!r} is not the priced sum "
            "FILL(m1,0)*<price>+..., so its rate cannot be checked"])
    baseline = maximum = Decimal(0)
    for ident, price in prices.items():
        if ident not in alarm.metrics:
            problems.append(f"{ident} in the expression is not one of its metrics")
            continue
        metric, cluster, service = alarm.metrics[ident]
        if metric != f"{CONTAINER_INSIGHTS_NAMESPACE} {RUNNING_TASK_COUNT}":
            problems.append(f"{ident} reads {metric}; the rate needs "
                            f"{CONTAINER_INSIGHTS_NAMESPACE} {RUNNING_TASK_COUNT}")
            continue
        if cluster is None or service is None:
            return None
        target = index.targets.get(scaling_resource_id(cluster, service))
        if target is None:
            return None  # a fixed-count or foreign service: no capacity bounds to check
        low = known_number(target.props, "minCapacity")
        high = known_number(target.props, "maxCapacity")
        list_price = _task_price(index, target)
        if low is None or high is None or list_price is None:
            return None
        if price != list_price:
            problems.append(
                f"{ident} ({service}) is priced ${price}/task-hour, its task definition "
                f"costs ${list_price.normalize()}: the rate is wrong; preview again so the "
                "program writes the price from the price table")
        baseline += list_price * Decimal(str(low))
        maximum += list_price * Decimal(str(high))
    return Assessment(baseline, maximum, problems)


def _check_range(kind: str, key: str, args: StackValidationArgs, report: ReportViolation) -> None:
    alarms = [a for a in _burn_rate_alarms(args) if a.kind == kind]
    if not alarms:
        raise NotApplicable(f"no burn-rate {kind} alarm")
    index = StackIndex.build(args.resources)
    for alarm in alarms:
        assessment = known(partial(_assess, alarm, index))[1]
        if assessment is None or alarm.threshold is None:
            continue
        for problem in assessment.problems:
            report(f"{alarm.name}: {problem}", alarm.resource.urn)
        if assessment.problems:
            continue
        threshold = Decimal(str(alarm.threshold))
        span = (f"baseline ${assessment.baseline:.2f}/h (every service at min), all at max "
                f"${assessment.maximum:.2f}/h")
        if threshold <= assessment.baseline:
            effect = ("trips the breaker at once, capping production on the first minute"
                      if kind == TRIP else "is in ALARM all the time")
            report(
                f"{alarm.name}: threshold ${threshold:.2f}/h is not above the {span}; it "
                f"{effect}. Set costBreaker.burnRate.{key} between the two",
                alarm.resource.urn,
            )
        elif threshold >= assessment.maximum:
            report(
                f"{alarm.name}: threshold ${threshold:.2f}/h is not below the {span}; it can "
                f"never fire. Set costBreaker.burnRate.{key} between the two",
                alarm.resource.urn,
            )


def check_burn_rate_trip_in_range(args: StackValidationArgs, report: ReportViolation) -> None:
    """A burn-rate trip threshold lies between its services' baseline and all-at-max rates."""
    _check_range(TRIP, "tripPerHour", args, report)


def check_burn_rate_warn_in_range(args: StackValidationArgs, report: ReportViolation) -> None:
    """A burn-rate warning threshold lies between its services' baseline and all-at-max rates."""
    _check_range(WARN, "warnPerHour", args, report)


RESOURCE_POLICIES: list[ResourceValidationPolicy] = []

STACK_POLICIES = [
    stack_policy(
        "burn-rate-trip-wired",
        "A stack with a cost breaker has a burn-rate trip alarm on every scaled service that "
        "notifies the breaker's topic.",
        EnforcementLevel.MANDATORY, check_burn_rate_trip_wired, {},
    ),
    stack_policy(
        "burn-rate-trip-in-range",
        "A burn-rate trip threshold lies between the baseline and the all-at-max Fargate rate, "
        "at list prices.",
        EnforcementLevel.MANDATORY, check_burn_rate_trip_in_range, {},
    ),
    stack_policy(
        "burn-rate-warn-in-range",
        "A burn-rate warning threshold lies between the baseline and the all-at-max Fargate "
        "rate, at list prices.",
        EnforcementLevel.ADVISORY, check_burn_rate_warn_in_range, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
