"""Application Auto Scaling rules: capacity ceilings (of targets and scheduled actions) and
bounds, schedules AWS takes, cooldowns, utilisation targets, and (a stack rule) CPU and memory
tracking for every scalable target that is not moved by a schedule alone.

The resource rules run per resource at preview, so a bad scaling change is stopped before it
reaches AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import (
    BACKLOG_SIGNAL,
    TARGET_TRACKING,
    StackIndex,
    backlog_math,
    is_target_tracking,
)
from ._kit import (
    NotApplicable,
    Schema,
    label,
    number,
    resource_label,
    resource_policy,
    setting,
    show,
    stack_policy,
    tags_of,
)
from .facts.cloudwatch import (
    CPU_METRIC_TYPE,
    CUSTOM_METRIC_EQUIVALENT,
    MEMORY_METRIC_TYPE,
    METRIC_TYPES,
    STANDARD_RESOLUTION,
    metric_type,
)
from .facts.conventions import MAX_TASKS_PER_SERVICE, SERVICE_TAG
from .facts.scaling import (
    AWS_DEFAULT_COOLDOWN_S,
    MIN_BACKLOG_PER_TASK,
    SCALING_NAMESPACE,
    parse_scaling_resource_id,
)
from .facts.schedule import schedule_problem, timezone_problem
from .facts.types import SCALING_POLICY_TYPE, SCHEDULED_ACTION_TYPE, TARGET_TYPE

# The one place the per-service ceilings live: reviewed in the right-sizing work, raised only
# with a capacity review. Services not listed get DEFAULT_CEILING.
DEFAULT_CEILINGS: dict[str, int] = {
    "web": 50,
    "queue": 20,
    "reverb": 20,
    "gateway": 50,
    "aegra": 30,
    "voice": 50,
}
DEFAULT_CEILING = 10


def service_key(props: Mapping[str, Any], keys: set[str]) -> str | None:
    """The service a scalable target belongs to: its z360:service tag, or, only for an
    untagged target, the service named in resourceId `service/<cluster>/<service>`."""
    tags = tags_of(props)
    if tags:
        value = tags.get(SERVICE_TAG)
        return str(value) if value else None
    names = parse_scaling_resource_id(str(props.get("resourceId") or ""))
    if names is None:
        return None
    name = names[1]
    if name in keys:
        return name
    # Live names carry the key as one dash-separated word (z360-beta-web-Service-5Ao8...).
    matches = [key for key in keys if key in name.split("-")]
    return matches[0] if len(matches) == 1 else None


# --- max-capacity-ceiling ----------------------------------------------------------------------

CEILING_SCHEMA: Schema = {
    "ceilings": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "default": DEFAULT_CEILINGS,
        "description": "Service key (the z360:service tag) -> highest maxCapacity allowed.",
    },
    "defaultCeiling": {
        "type": "integer",
        "minimum": 0,
        "default": DEFAULT_CEILING,
        "description": "Highest maxCapacity for a service not listed in ceilings.",
    },
}


def check_max_capacity_ceiling(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """maxCapacity of an ECS scalable target, and ScalableTargetAction.MaxCapacity of a
    scheduled action on one, stays at or below its service's ceiling.

    A scheduled action is judged here, per resource, so an `up` is stopped before the action
    exists (a stack rule reports only after the steps: _kit.stack_policy). It carries no tags:
    its service is the one its resourceId names (`service_key`'s untagged path)."""
    props = args.props
    if props.get("serviceNamespace") != SCALING_NAMESPACE:
        raise NotApplicable("not an ECS service target")
    scheduled = args.resource_type == SCHEDULED_ACTION_TYPE
    if scheduled:
        action = props.get("scalableTargetAction")
        maximum = number(action.get("maxCapacity")) if isinstance(action, Mapping) else None
        if maximum is None:
            raise NotApplicable("the scheduled action sets no MaxCapacity")
        field = "scalableTargetAction.maxCapacity"
        fix = "Lower scaling.max (or desiredCount) of the scheduled service"
    else:
        maximum = number(props.get("maxCapacity"))
        if maximum is None:
            return  # capacity-bounds reports a missing maxCapacity
        field = "maxCapacity"
        fix = "Lower scaling.max in the stack file"
    ceilings = setting(args, CEILING_SCHEMA, "ceilings")
    key = service_key(props, set(ceilings))
    who = label(props, args.name)
    if key is not None and key in ceilings:
        ceiling = number(ceilings[key])
        source = f"max-capacity-ceiling.ceilings.{key}"
    else:
        ceiling = number(setting(args, CEILING_SCHEMA, "defaultCeiling"))
        source = (
            "max-capacity-ceiling.defaultCeiling; "
            + (f"no ceilings.{key} entry" if key else "no z360:service tag")
        )
    if ceiling is not None and maximum > ceiling:
        report(
            f"{who}: {field} {show(maximum)} exceeds the ceiling {show(ceiling)} "
            f"(policy config {source}). {fix}, or raise the "
            "ceiling in the policy pack config after a capacity review.",
            None,
        )


# --- scheduled-action-schedule ---------------------------------------------------------------


def check_scheduled_action_schedule(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A scheduled action's schedule is one AWS takes (at, rate or a six-field cron) and its
    time zone an IANA name (facts/schedule.py; PutScheduledAction Schedule, Timezone)."""
    props = args.props
    who = str(props.get("name") or args.name)
    schedule = props.get("schedule")
    problem = schedule_problem(schedule) if isinstance(schedule, str) else "is unset"
    if problem:
        report(f"{who}: schedule {show_text(schedule)} {problem}; AWS refuses it "
               "(PutScheduledAction Schedule)", None)
    timezone = props.get("timezone")
    if timezone is not None:
        zone_problem = timezone_problem(timezone) if isinstance(timezone, str) else \
            "is not a string"
        if zone_problem:
            report(f"{who}: timezone {show_text(timezone)} {zone_problem}; AWS refuses it "
                   "(PutScheduledAction Timezone)", None)


def show_text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# --- capacity-bounds ------------------------------------------------------------------------------

BOUNDS_SCHEMA = {
    "maxTasksPerService": {
        "type": "integer",
        "minimum": 1,
        "default": MAX_TASKS_PER_SERVICE,
        "description": "Highest maxCapacity any service may have (ECS's tasks-per-service quota).",
    },
}


def check_capacity_bounds(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """0 <= minCapacity <= maxCapacity <= the tasks-per-service quota."""
    props = args.props
    who = label(props, args.name)
    minimum = number(props.get("minCapacity"))
    maximum = number(props.get("maxCapacity"))
    if minimum is None or maximum is None:
        missing = " and ".join(
            n for n, v in (("minCapacity", minimum), ("maxCapacity", maximum)) if v is None
        )
        report(f"{who}: {missing} unset; a scalable target needs both", None)
        return
    quota = number(setting(args, BOUNDS_SCHEMA, "maxTasksPerService"))
    if minimum < 0:
        report(f"{who}: minCapacity {show(minimum)} is below 0", None)
    if minimum > maximum:
        report(
            f"{who}: minCapacity {show(minimum)} is above maxCapacity {show(maximum)}; "
            "set scaling.min <= scaling.max",
            None,
        )
    if quota is not None and maximum > quota:
        report(
            f"{who}: maxCapacity {show(maximum)} exceeds {show(quota)} tasks per service "
            "(policy config capacity-bounds.maxTasksPerService)",
            None,
        )


# --- target tracking policies ---------------------------------------------------------------------


def _tracking(args: ResourceValidationArgs) -> Mapping[str, Any]:
    props = args.props
    if not is_target_tracking(props):
        raise NotApplicable("not a target-tracking policy")
    tracking = props.get(TARGET_TRACKING)
    if not isinstance(tracking, Mapping):
        raise NotApplicable("no target-tracking configuration")
    return tracking


def _policy_label(args: ResourceValidationArgs) -> str:
    return str(args.props.get("name") or args.name)


COOLDOWN_SCHEMA = {
    "maxScaleOutCooldown": {
        "type": "integer",
        "minimum": 0,
        "default": 60,
        "description": "Longest scale-out cooldown (s): a spike must get tasks fast.",
    },
    "minScaleInCooldown": {
        "type": "integer",
        "minimum": 0,
        "default": 300,
        "description": "Shortest scale-in cooldown (s): shed tasks slowly to avoid flapping.",
    },
}


def check_scaling_cooldowns(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Scale out fast, scale in slowly: out <= maxScaleOutCooldown, in >= minScaleInCooldown
    and in >= out; an unset cooldown is AWS's 300 s."""
    tracking = _tracking(args)
    who = _policy_label(args)
    out_raw = number(tracking.get("scaleOutCooldown"))
    in_raw = number(tracking.get("scaleInCooldown"))
    out = out_raw if out_raw is not None else float(AWS_DEFAULT_COOLDOWN_S)
    scale_in = in_raw if in_raw is not None else float(AWS_DEFAULT_COOLDOWN_S)

    def described(name: str, raw: float | None, value: float) -> str:
        if raw is None:
            return f"{name} unset (AWS uses {show(value)} s)"
        return f"{name} {show(value)} s"

    max_out = number(setting(args, COOLDOWN_SCHEMA, "maxScaleOutCooldown"))
    min_in = number(setting(args, COOLDOWN_SCHEMA, "minScaleInCooldown"))
    if max_out is not None and out > max_out:
        report(
            f"{who}: {described('scaleOutCooldown', out_raw, out)} exceeds {show(max_out)} s "
            "(policy config scaling-cooldowns.maxScaleOutCooldown); set "
            "scaling.scaleOutCooldown lower so a spike gets tasks quickly",
            None,
        )
    if min_in is not None and scale_in < min_in:
        report(
            f"{who}: {described('scaleInCooldown', in_raw, scale_in)} is below "
            f"{show(min_in)} s (policy config scaling-cooldowns.minScaleInCooldown); raise "
            "scaling.scaleInCooldown so the service does not flap",
            None,
        )
    if scale_in < out:
        report(
            f"{who}: {described('scaleInCooldown', in_raw, scale_in)} is shorter than "
            f"{described('scaleOutCooldown', out_raw, out)}; scale in at least as slowly as out",
            None,
        )


def _utilisation_schema(low: int, high: int) -> dict[str, dict[str, Any]]:
    return {
        "minTarget": {"type": "number", "minimum": 0, "maximum": 100, "default": low,
                      "description": "Lowest target utilisation (%) allowed."},
        "maxTarget": {"type": "number", "minimum": 0, "maximum": 100, "default": high,
                      "description": "Highest target utilisation (%) allowed."},
    }


UTILISATION_BOUNDS_SCHEMA = _utilisation_schema(40, 85)
UTILISATION_PREFERRED_SCHEMA = _utilisation_schema(60, 70)


def _tracks_utilisation(tracking: Mapping[str, Any]) -> bool:
    """A CPU or memory utilisation policy (a percentage); backlog, requests and calls
    policies hold counts, which the utilisation bands do not judge."""
    predefined = tracking.get("predefinedMetricSpecification")
    if isinstance(predefined, Mapping):
        return predefined.get("predefinedMetricType") in METRIC_TYPES
    custom = tracking.get("customizedMetricSpecification")
    if isinstance(custom, Mapping):
        return not custom.get("metrics") and custom.get("metricName") in CUSTOM_METRIC_EQUIVALENT
    return True  # no metric at all: judged, so the missing targetValue is still reported


def _check_target_value(policy_name: str, schema: Mapping[str, Any], why: str):
    def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
        tracking = _tracking(args)
        if not _tracks_utilisation(tracking):
            raise NotApplicable("tracks a count, not a utilisation")
        who = _policy_label(args)
        value = number(tracking.get("targetValue"))
        low = number(setting(args, schema, "minTarget"))
        high = number(setting(args, schema, "maxTarget"))
        if value is None:
            report(f"{who}: targetValue unset", None)
            return
        if (low is not None and value < low) or (high is not None and value > high):
            report(
                f"{who}: targetValue {show(value)} % lies outside {show(low)}-{show(high)} % "
                f"(policy config {policy_name}.minTarget/maxTarget); {why}",
                None,
            )

    check.__name__ = f"check_{policy_name.replace('-', '_')}"
    return check


check_target_utilisation_bounds = _check_target_value(
    "target-utilisation-bounds", UTILISATION_BOUNDS_SCHEMA,
    "too low wastes tasks, too high leaves no headroom while new tasks start",
)
check_target_utilisation_preferred = _check_target_value(
    "target-utilisation-preferred", UTILISATION_PREFERRED_SCHEMA,
    "the estate's usual band; keep a reason in the stack file when leaving it",
)


def check_scale_in_enabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Target tracking may scale in; disableScaleIn leaves a service at its peak forever."""
    tracking = _tracking(args)
    if tracking.get("disableScaleIn") is True:
        report(
            f"{_policy_label(args)}: disableScaleIn is true, so this policy never removes "
            "tasks and the service stays at its peak count (and cost)",
            None,
        )


# --- queue-backlog-per-task ----------------------------------------------------------------------


def check_queue_backlog_per_task(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A backlog policy divides its queue's depth by its own service's task count, and holds a
    target of at least one job per task.

    Backlog per task is the queue's depth over the tasks that work it (Application Auto
    Scaling user guide, "Scaling policy based on Amazon SQS"); divided by another service's
    count, or not divided at all, the metric does not move when this service scales, and
    target tracking keeps adding tasks up to max. A target under one job per task is
    acceptableLatency < secondsPerJob: a task always holds the job it is on, so no count of
    tasks reaches it and the service sits at max."""
    tracking = _tracking(args)
    names = parse_scaling_resource_id(str(args.props.get("resourceId") or ""))
    if names is None:
        raise NotApplicable("not an ECS service policy")
    backlog = backlog_math(tracking, *names)
    if backlog is None:
        raise NotApplicable("reads no queue depth")
    who = _policy_label(args)
    if backlog.problem is not None:
        report(f"{who}: backlog metric math for service {names[1]}: {backlog.problem}; divide "
               "the queue depth by this service's RunningTaskCount (ECS/ContainerInsights, "
               "ClusterName and ServiceName of the scalable target)", None)
    value = number(tracking.get("targetValue"))
    if value is not None and value < MIN_BACKLOG_PER_TASK:
        report(f"{who}: targetValue {show(value)} jobs per task is under "
               f"{show(MIN_BACKLOG_PER_TASK)}: the acceptable latency is shorter than one job, "
               "which no number of tasks reaches (the service would sit at max); raise "
               "scaling.queueBacklog.acceptableLatency to at least secondsPerJob", None)


# --- scaling-tracks-cpu-and-memory (stack) -------------------------------------------------------


def check_scaling_tracks_cpu_and_memory(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every ECS scalable target has CPU and memory target tracking, but a schedule-only one
    (working hours, no auto-scaling: StackIndex.schedule_only), which tracks nothing."""
    index = StackIndex.build(args.resources)
    if not index.targets:
        raise NotApplicable("no ECS scalable targets")
    names = {CPU_METRIC_TYPE: "CPU", MEMORY_METRIC_TYPE: "memory"}
    for resource_id, target in index.targets.items():
        if index.schedule_only(resource_id):
            continue
        tracked = set(index.tracked_metrics.get(resource_id, ()))
        if BACKLOG_SIGNAL in tracked:
            # A queue worker's load is its backlog: I/O-bound jobs leave CPU low while the
            # queue grows, so backlog per task replaces CPU (memory stays).
            tracked.add(CPU_METRIC_TYPE)
        missing = [names[m] for m in names if m not in tracked]
        if missing:
            report(
                f"{resource_label(target)}: scalable target {resource_id} has no "
                f"{' or '.join(missing)} target-tracking policy; a service scaled on one "
                "signal runs out of the other",
                target.urn,
            )


# --- high-resolution-needs-20s-metrics (stack) ---------------------------------------------------


def check_high_resolution_needs_20s_metrics(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """A HighResolution target-tracking policy's service publishes that metric at 20 s.

    Otherwise its alarms never get a datapoint, and the policy never scales (Application Auto
    Scaling user guide, target tracking: no scaling on insufficient data; ECS developer guide,
    "Faster auto scaling with high-resolution metrics": the service must publish the metric at
    20 s through its monitoring configuration). A stack rule: it needs the policy and the
    service together, so it fails the preview CI runs before an `up`."""
    index = StackIndex.build(args.resources)
    high = [p for p in index.tracking_policies
            if METRIC_TYPES.get(p.metric_type, ("", STANDARD_RESOLUTION))[1] < STANDARD_RESOLUTION]
    if not high:
        raise NotApplicable("no HighResolution target-tracking policies")
    for policy in high:
        metric, needed = METRIC_TYPES[policy.metric_type]
        service = policy.service
        published = index.resolutions.get(service, {}).get(metric, STANDARD_RESOLUTION)
        if published != needed:
            where = ("publishes it" if service in index.resolutions
                     else "is not in this stack, so assume ECS's default")
            report(
                f"{resource_label(policy.resource)}: {policy.metric_type} reads {metric} at "
                f"{needed} s, but service {service} {where} at {published} s: the policy would "
                f"never get data and never scale. Set metricResolution: {needed} on the service, "
                f"or use {metric_type(metric, published)}",
                policy.resource.urn,
            )


RESOURCE_POLICIES = [
    resource_policy(
        "max-capacity-ceiling",
        "An ECS scalable target's maxCapacity, and a scheduled action's MaxCapacity, stays at or "
        "below its service's ceiling.",
        EnforcementLevel.MANDATORY, [TARGET_TYPE, SCHEDULED_ACTION_TYPE],
        check_max_capacity_ceiling, CEILING_SCHEMA,
    ),
    resource_policy(
        "scheduled-action-schedule",
        "A scheduled action's schedule and time zone are ones Application Auto Scaling takes.",
        EnforcementLevel.MANDATORY, [SCHEDULED_ACTION_TYPE], check_scheduled_action_schedule, {},
    ),
    resource_policy(
        "capacity-bounds",
        "A scalable target has 0 <= minCapacity <= maxCapacity <= the tasks-per-service quota.",
        EnforcementLevel.MANDATORY, [TARGET_TYPE], check_capacity_bounds, BOUNDS_SCHEMA,
    ),
    resource_policy(
        "scaling-cooldowns",
        "Target tracking scales out within maxScaleOutCooldown and scales in no faster than "
        "minScaleInCooldown.",
        EnforcementLevel.MANDATORY, [SCALING_POLICY_TYPE], check_scaling_cooldowns,
        COOLDOWN_SCHEMA,
    ),
    resource_policy(
        "target-utilisation-bounds",
        "A target-tracking targetValue lies within the allowed utilisation band.",
        EnforcementLevel.MANDATORY, [SCALING_POLICY_TYPE], check_target_utilisation_bounds,
        UTILISATION_BOUNDS_SCHEMA,
    ),
    resource_policy(
        "target-utilisation-preferred",
        "A target-tracking targetValue lies within the estate's preferred utilisation band.",
        EnforcementLevel.ADVISORY, [SCALING_POLICY_TYPE], check_target_utilisation_preferred,
        UTILISATION_PREFERRED_SCHEMA,
    ),
    resource_policy(
        "queue-backlog-per-task",
        "A backlog policy divides its queue's depth by its own service's task count and holds "
        "at least one job per task.",
        EnforcementLevel.MANDATORY, [SCALING_POLICY_TYPE], check_queue_backlog_per_task, {},
    ),
    resource_policy(
        "scale-in-enabled",
        "Target-tracking policies are allowed to scale in.",
        EnforcementLevel.ADVISORY, [SCALING_POLICY_TYPE], check_scale_in_enabled, {},
    ),
]

STACK_POLICIES = [
    stack_policy(
        "scaling-tracks-cpu-and-memory",
        "Every ECS scalable target has both CPU (or its queue's backlog per task) and memory "
        "target-tracking policies, unless scheduled actions alone move it.",
        EnforcementLevel.MANDATORY, check_scaling_tracks_cpu_and_memory, {},
    ),
    stack_policy(
        "high-resolution-needs-20s-metrics",
        "A HighResolution target-tracking policy's service publishes that metric at 20 seconds.",
        EnforcementLevel.MANDATORY, check_high_resolution_needs_20s_metrics, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
