"""`services.<key>.taskProtection` and `services.<key>.deploymentAlarms`: a service that never
loses work to a scale-in or a deploy, and a deploy that rolls back on what its users see.

taskProtection: the task role may set ECS task scale-in protection on the cluster's tasks (the
application calls the agent while it holds a call: docs/operations.md, "Call-safe voice"), and,
when the application publishes its calls in flight, target tracking holds callsPerTask.

deploymentAlarms: two alarms on the service's target group (target 5xx count, p90 response
time) that ECS watches during a deployment and rolls back on (ECS developer guide, "How the
CloudWatch deployment alarms work"). They need the load balancer's ARN, whose one home is
waf.loadBalancerArn, and the target group's, loadBalancer.targetGroupArn.

`signal_problems` holds the checks that need the rest of the service; services.py calls it.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import Field

from policies.guardrails.facts.scaling import DEFAULT_PROTECTION_MINUTES, MAX_PROTECTION_MINUTES
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath
from stack_model.config.network import LoadBalancerConfig
from stack_model.config.scaling import ScalingConfig
from stack_model.config.waf import WafConfig


class TaskProtectionConfig(ConfigModel):
    enabled: bool = False
    """Grant the task role ecs:UpdateTaskProtection/GetTaskProtection on the cluster's tasks
    (the program creates a task role when taskRoleArn is unset)."""
    expires_in_minutes: Annotated[int, Field(ge=1, le=MAX_PROTECTION_MINUTES)] = \
        DEFAULT_PROTECTION_MINUTES
    """How long the application protects a task per call (ECS: default 120, at most 2,880);
    the longest a scale-in or a deploy waits for a task that stopped renewing it."""
    calls_per_task: Annotated[float, Field(gt=0, le=10_000)] | None = None
    """Calls each task holds on average: target tracking on the Z360/Voice CallsInFlight
    metric the application publishes. Unset: no calls policy (CPU and memory only)."""


class DeploymentAlarmsConfig(ConfigModel):
    enabled: bool = False
    """Create the alarms and roll a deployment back when one fires."""
    target_5xx_count: Annotated[int, Field(ge=1, alias="target5xxCount")] = 10
    """Target 5xx responses per minute above which the release is bad."""
    p90_response_time: Annotated[float, Field(gt=0, le=60)] = 2.0
    """Seconds: p90 target response time per minute above which the release is bad."""
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 3
    """Consecutive minutes over a threshold before the alarm fires (one bad minute is noise)."""


class ServiceWithSignals(Protocol):
    """What these checks read of a service (ServiceConfig)."""

    @property
    def scaling(self) -> ScalingConfig: ...

    @property
    def load_balancer(self) -> LoadBalancerConfig | None: ...

    @property
    def waf(self) -> WafConfig: ...

    @property
    def task_protection(self) -> TaskProtectionConfig: ...

    @property
    def interruptible(self) -> bool: ...

    @property
    def deployment_alarms(self) -> DeploymentAlarmsConfig: ...

    @property
    def effective_min(self) -> int: ...

    def alarm_name(self, kind: str) -> str: ...


def policy_kinds(service: ServiceWithSignals) -> tuple[str, ...]:
    """The target-tracking policies the program creates for a scaled service, by kind
    (stack_model/naming.py POLICY_SUFFIXES): CPU unless a queue worker tracks its backlog
    instead, memory, and each signal the stack file asks for."""
    if not service.scaling.enabled:
        return ()
    scaling = service.scaling
    wanted = {
        "cpu": scaling.queue_backlog is None,
        "memory": True,
        "backlog": scaling.queue_backlog is not None,
        "requests": scaling.requests_per_target is not None,
        "calls": service.task_protection.calls_per_task is not None,
    }
    return tuple(kind for kind, on in wanted.items() if on)


# The deployment alarms' kinds (stack_model/naming.py ALARM_SUFFIXES).
DEPLOYMENT_ALARM_KINDS = ("target-5xx", "response-time")


def deployment_alarm_names(service: ServiceWithSignals) -> tuple[str, ...]:
    """The alarms ECS watches during a deployment, named from the config (known at preview),
    or () when the service has none."""
    if not service.deployment_alarms.enabled:
        return ()
    return tuple(service.alarm_name(kind) for kind in DEPLOYMENT_ALARM_KINDS)


def signal_problems(service: ServiceWithSignals) -> list[tuple[KeyPath, str]]:
    """Settings that need another part of the service: each is refused with what to set."""
    problems: list[tuple[KeyPath, str]] = []
    scaling = service.scaling
    if scaling.queue_backlog is not None and not scaling.enabled:
        problems.append((("scaling", "queueBacklog"), (
            "set but scaling.enabled is false: no scalable target tracks the backlog; "
            "set scaling.enabled: true or remove queueBacklog")))
    if scaling.queue_backlog is not None and scaling.enabled and service.effective_min == 0:
        # At 0 tasks RunningTaskCount sends no datapoints (facts/cloudwatch.py), so depth /
        # tasks has none either and target tracking never scales out of 0.
        problems.append((("scaling", "min"), (
            "0 with queueBacklog: backlog per task divides by the running tasks, which have "
            "no datapoint at 0 tasks, so the service would never scale out of 0; set min >= 1")))
    if scaling.queue_backlog is not None and service.load_balancer is not None:
        problems.append((("scaling", "queueBacklog"), (
            "set on a service behind a load balancer: backlog per task is a queue worker's "
            "signal; remove it or loadBalancer")))
    needs_load_balancer: list[str] = []
    if scaling.requests_per_target is not None:
        if not scaling.enabled:
            problems.append((("scaling", "requestsPerTarget"), (
                "set but scaling.enabled is false; set scaling.enabled: true or remove it")))
        needs_load_balancer.append("scaling.requestsPerTarget")
        if service.waf.task_requests_per_second is None:
            problems.append((("waf", "taskRequestsPerSecond"), (
                "unset, but scaling.requestsPerTarget derives its target from it: set one "
                "task's measured requests per second (z360-ecs loadtest)")))
    if service.deployment_alarms.enabled:
        needs_load_balancer.append("deploymentAlarms")
    problems.extend(_load_balancer_problems(service, needs_load_balancer))
    protection = service.task_protection
    if protection.enabled and service.interruptible:
        # `interruptible` is the one home of the "never on Spot" rule (config and pack): a
        # protected task holds calls, and Fargate Spot stops it at two minutes' notice
        # whatever its protection (ECS developer guide, "Fargate Spot task interruption").
        problems.append((("interruptible",), (
            "true (the default) with taskProtection.enabled: a protected task holds calls, and "
            "a Fargate Spot interruption stops it regardless of protection; set "
            "interruptible: false")))
    if protection.calls_per_task is not None and not (protection.enabled and scaling.enabled):
        problems.append((("taskProtection", "callsPerTask"), (
            f"{protection.calls_per_task:g} needs taskProtection.enabled and scaling.enabled "
            "true: the calls policy scales a protected, auto-scaled service")))
    return problems


def _load_balancer_problems(
    service: ServiceWithSignals, readers: list[str]
) -> list[tuple[KeyPath, str]]:
    """The load balancer's metrics are named by its ARN and the target group's: one problem
    for all the settings that read them, reported where the first is set. A web ACL without
    either is refused by its own checks (services.py, waf.py): not reported twice."""
    if not readers:
        return []
    missing = []
    if service.load_balancer is None and not service.waf.enabled:
        missing.append("loadBalancer.targetGroupArn")
    if service.waf.load_balancer_arn is None and not service.waf.enabled:
        missing.append("waf.loadBalancerArn")
    if not missing:
        return []
    first = readers[0].split(".")
    return [(tuple(first), (
        f"needs {' and '.join(missing)} ({' and '.join(readers)} read the load balancer's "
        "metrics, named by both ARNs: dimensions LoadBalancer app/<name>/<id> and TargetGroup "
        f"targetgroup/<name>/<id>); set {'them' if len(missing) > 1 else 'it'}, or turn "
        f"{' and '.join(readers)} off"))]
