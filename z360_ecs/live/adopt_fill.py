"""What the live estate fixes in a stack file, and writing it with comments and key order kept.

`fill(config, estate, document)` compares each value the live estate fixes (live names, a
cluster's capacity providers and default strategy, image, container port, network, target
group, the load balancer a waf-enabled service's web ACL protects, task role, launch
configuration, environment names and values, secret references, log settings, import ids) with
the stack file (`document`: its values as the one stack-file reader gives them,
z360_ecs.common.read_stack_document), and returns one `Row` per value (for the table) and the
`Edit`s that make the file agree with the estate.
Values the ops log changed on purpose (task sizes, scaling bounds, cooldowns, targets, alarm
thresholds, the budget's amounts) are shown but never written: the stack file decides them.

A value the config model has no key for yet (say `launchType` before the model grows it) is
never written: its row says "live value, no stack key yet". A key is written only when
`stack_model.config`'s models accept it, so the file always stays loadable.

`apply(document, edits)` edits a ruamel.yaml round-trip document in place: existing keys keep
their position and comments; a PLACEHOLDER mark on a key whose value adopt wrote or found to
agree with the estate is dropped (the rest of its line from `PLACEHOLDER` on, in the key's own
comment and in the comment lines right above it); new keys are appended (a launch
configuration key before `image`, as the stack files state it). A value every service
inherits from `serviceDefaults` is written there when all live services agree on it, else per
service.

Secrets: a secret's value is never read from AWS (a task definition's `secrets` hold only the
`valueFrom` ARN) and never written; a plain environment variable whose name looks like a
credential is not copied into the file (the model refuses it there) and is reported instead.

Odd live values are reported at their key and the rest goes on: a string the stack-file reader
would read as something else unquoted is written double-quoted (`_scalar`); a `valueFrom`
given as a bare SSM parameter name is written as its ARN (`secret_arn`); names the config
refuses and containers beside the application's (which the first `up` would drop) are
reported and left out; a node an alias shares is copied before it is edited (`_unshare`);
`Fill.refuse` takes back an edit the config refuses for any other reason. An ambiguous
service or cluster gets no row written and keeps every import id.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from policies.guardrails.facts.ecs import FARGATE_CAPACITY_PROVIDERS
from policies.guardrails.facts.schedule import DEFAULT_TIMEZONE, weekly_cron_problem
from stack_model import naming
from stack_model.config import PROJECT, ClusterConfig, ServiceConfig, StackConfig
from stack_model.config.errors import Problem
from stack_model.config.limits import (
    ENV_VAR_NAME,
    LOAD_BALANCER_ARN,
    SECRET_ARN,
    SECRET_LOOKING_NAME,
)
from stack_model.config.scaling import QUEUE_NAME
from stack_model.config.source import SourceError, resolve_plain
from z360_ecs.live.adopt_estate import LiveEstate, LiveService

# The retentionInDays values the config model allows (a live value outside them is reported).
_RETENTION_DAYS = get_args(ServiceConfig.model_fields["log_retention_days"].annotation)
# The launch types the config model allows (FARGATE: the program runs Fargate tasks only).
_LAUNCH_TYPES = get_args(get_args(ServiceConfig.model_fields["launch_type"].annotation)[0])
_PLACEHOLDER_COMMENT = re.compile(r"#[^\n]*PLACEHOLDER[^\n]*")
_PLACEHOLDER_TAIL = re.compile(r"\s*\(?PLACEHOLDER.*$")
# Where a new key goes when adopt adds it to a service: before this key (the stack files state
# the launch configuration right above the image).
_BEFORE = {"launchType": "image", "capacityProvider": "image"}
# The capacity provider strategy item the program sends (components/scalable_service.py).
def _strategy_value(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A live capacityProviderStrategy as the stack file writes it (DescribeServices leaves out
    a base or weight of 0; CapacityProviderStrategyItem's default for both is 0)."""
    return [{"capacityProvider": item.get("capacityProvider"), "base": item.get("base", 0),
             "weight": item.get("weight", 0)} for item in items]

# stack_model's rule for environment and secret names (ServiceConfig._plain_environment).
_NAME_RULE = "not a name the config takes (letters, digits and '_', not starting with a digit)"

WRITTEN = "written"
SAME = "same"
NO_KEY = "live value, no stack key yet"
STACK_DECIDES = "stack decides"
NOT_LIVE = "not live"
REFUSED = "not written"
AMBIGUOUS = "ambiguous: nothing written"


def accepts(model: type[BaseModel], alias: str) -> bool:
    """Whether the config model has a key `alias` (camelCase, as the stack file spells it)."""
    return any((f.alias or name) == alias for name, f in model.model_fields.items())


@dataclass
class Row:
    """One value of one scope (services.web, clusters.app, alerts, budget) in the table."""

    scope: str
    key: str
    live: Any
    stack: Any
    status: str
    note: str = ""

    @property
    def error(self) -> bool:
        return self.status == REFUSED


@dataclass
class Edit:
    path: tuple[str, ...]
    """Keys from the document's `config` mapping down, e.g. ("z360-ecs:services", "web", "image")."""
    old: Any
    new: Any
    """None deletes the key."""

    @property
    def dotted(self) -> str:
        return ".".join((self.path[0].split(":", 1)[-1], *self.path[1:]))


@dataclass
class Fill:
    rows: list[Row] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    confirmed: list[tuple[str, ...]] = field(default_factory=list)
    """Paths (as Edit.path) of values the file already states as the estate has them: their
    PLACEHOLDER marks are dropped too."""

    def for_scope(self, scope: str) -> list[Row]:
        return [r for r in self.rows if r.scope == scope]

    def refuse(self, problem: Problem) -> bool:
        """Take back the edits the config refuses with `problem` (its key path from the top
        of the `z360-ecs:` namespace), and report it at its key. False when no edit made it."""
        path = tuple(str(part) for part in problem.path)

        def related(edit: Edit) -> bool:
            own = (edit.path[0].split(":", 1)[-1], *edit.path[1:])
            shorter = min(len(own), len(path))
            return shorter >= 2 and own[:shorter] == path[:shorter]

        taken = [e for e in self.edits if related(e)]
        if not taken:
            return False
        self.edits = [e for e in self.edits if not related(e)]
        scoped = path[0] in ("services", "clusters") and len(path) > 2
        scope = ".".join(path[:2]) if scoped else path[0]
        key = ".".join(path[2:] if scoped else path[1:]) or path[-1]
        self.rows.append(Row(scope, key, ", ".join(repr(e.new) for e in taken)[:200], None,
                             REFUSED, f"the config refuses it: {problem.message}; not written"))
        return True


# --- reading the raw document ------------------------------------------------------------


def config_key(config_map: Mapping[str, Any], short: str) -> str:
    """The document's spelling of a `z360-ecs:` key (namespaced or, as the CLI allows, not)."""
    full = f"{PROJECT}:{short}"
    return short if short in config_map and full not in config_map else full


def _get(data: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return False, None
        data = data[part]
    return True, data


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- what the estate fixes, per service ---------------------------------------------------


def secret_arn(value_from: str, region: str, account_id: str) -> str:
    """A task definition secret's `valueFrom` as an ARN. ECS Secret.valueFrom (API reference):
    "If the SSM Parameter Store parameter exists in the same Region as the task you're
    launching, then you can use either the full ARN or name of the parameter": a value that
    is not an ARN is such a name, `/a/b` or `name` (ARN `...:parameter/a/b`, `...:parameter/name`).
    """
    if value_from.startswith("arn:"):
        return value_from
    name = value_from if value_from.startswith("/") else f"/{value_from}"
    return naming.ssm_parameter_arn(region, account_id, name)


def _service_values(key: str, service: ServiceConfig, live: LiveService, cluster_name: str,
                    region: str, account_id: str
                    ) -> tuple[dict[str, tuple[Any, Any]], list[Row]]:
    """(relative path -> (live value, effective stack value), rows) for one live service."""
    scope = f"services.{key}"
    values: dict[str, tuple[Any, Any]] = {}
    rows: list[Row] = []

    def fixed(path: str, live_value: Any, stack_value: Any, note: str = "") -> None:
        values[path] = (live_value, stack_value)
        status = SAME if _plain(stack_value) == _plain(live_value) else WRITTEN
        rows.append(Row(scope, path, live_value, stack_value, status, note))

    def no_key(path: str, live_value: Any, stack_value: Any, note: str) -> None:
        rows.append(Row(scope, path, live_value, stack_value, NO_KEY, note))

    def decides(path: str, live_value: Any, stack_value: Any, note: str = "") -> None:
        rows.append(Row(scope, path, live_value, stack_value, STACK_DECIDES, note))

    fixed("serviceName", live.name, service.service_name)
    # Launch configuration: the program sends one or the other (ECS CreateService: with a
    # capacityProviderStrategy the launchType must be omitted); an adopted service must state
    # which (the config refuses neither), so the stack values here are the stated ones, not
    # the defaults. Moving between them is a replace in pulumi-aws (engine/diff.py).
    stated = service.model_fields_set
    if live.launch_type is not None:
        if live.launch_type in _LAUNCH_TYPES:
            fixed("launchType", live.launch_type, service.launch_type)
        else:
            rows.append(Row(scope, "launchType", live.launch_type, service.launch_type, REFUSED,
                            f"the program runs {', '.join(_LAUNCH_TYPES)} tasks only"))
    elif live.capacity_provider_strategy:
        strategy = _strategy_value(live.capacity_provider_strategy)
        foreign = [item["capacityProvider"] for item in strategy
                   if item["capacityProvider"] not in FARGATE_CAPACITY_PROVIDERS]
        if foreign:
            no_key("capacityProviderStrategy", strategy, None,
                   f"{', '.join(map(str, foreign))}: not a Fargate provider")
        else:
            # Written as AWS has it, base and weight included: the program sends exactly this
            # strategy, so the import is no change (a strategy change needs a forced deployment
            # in pulumi-aws, docs/aws-checks.md#launch-configuration). spotFrom or launchType in
            # the stack file would exclude it, so they go.
            stated_strategy = (
                [{"capacityProvider": p, "base": b, "weight": w} for p, b, w in service.strategy]
                if stated & {"capacity_provider_strategy", "spot_from"} else None)
            fixed("capacityProviderStrategy", strategy, stated_strategy)
            if service.launch_type is not None:
                values["launchType"] = (None, service.launch_type)  # the two exclude each other
            if service.spot_from is not None:
                values["spotFrom"] = (None, service.spot_from)
    if live.platform_version is not None:
        if accepts(ServiceConfig, "platformVersion"):
            fixed("platformVersion", live.platform_version,
                  getattr(service, "platform_version", None))
        else:
            no_key("platformVersion", live.platform_version, "LATEST (program)",
                   "updated in place to LATEST")
    if live.subnets:
        fixed("network.subnets", live.subnets, service.network.subnets)
    if live.security_groups:
        fixed("network.securityGroups", live.security_groups, service.network.security_groups)
    if live.assign_public_ip is not None:
        fixed("network.assignPublicIp", live.assign_public_ip, service.network.assign_public_ip)

    container = live.container
    if container is not None:
        fixed("image", container.image, service.image)
        if container.port is not None:
            fixed("containerPort", container.port, service.container_port)
        elif service.container_port is not None:
            no_key("containerPort", None, service.container_port,
                   "the live container maps no port; remove containerPort if it needs none")
        if container.name != key:
            if accepts(ServiceConfig, "containerName"):
                fixed("containerName", container.name, getattr(service, "container_name", None))
            else:
                no_key("containerName", container.name, f"{key} (the service key)",
                       "the new task revision renames the container")
        plain = {n: v for n, v in container.environment.items()
                 if ENV_VAR_NAME.fullmatch(n) and not SECRET_LOOKING_NAME.search(n)}
        for name in sorted(set(container.environment) - set(plain)):
            if not ENV_VAR_NAME.fullmatch(name):
                rows.append(Row(scope, f"environment.{name}", container.environment[name], None,
                                REFUSED, f"{_NAME_RULE}: left out; the new task revision would "
                                "run without it"))
                continue
            rows.append(Row(scope, f"environment.{name}", "(value not read)", None, REFUSED,
                            "a credential-looking name in plain environment: move it to SSM or "
                            "Secrets Manager and list its ARN under secrets; the new task "
                            "revision would run without it"))
        fixed("environment", dict(sorted(plain.items())), service.environment,
              f"{len(plain)} names: {', '.join(sorted(plain)) or '-'}")
        _queue_connection(scope, service, container.environment, fixed, no_key)
        secrets: dict[str, str] = {}
        for name, value_from in sorted(container.secrets.items()):
            reference = secret_arn(value_from, region, account_id)
            if not ENV_VAR_NAME.fullmatch(name):
                rows.append(Row(scope, f"secrets.{name}", value_from, None, REFUSED,
                                f"{_NAME_RULE}: left out; the new task revision would run "
                                "without it"))
            elif not SECRET_ARN.fullmatch(reference):
                rows.append(Row(scope, f"secrets.{name}", value_from, None, REFUSED,
                                "not an SSM parameter or Secrets Manager secret ARN: left out"))
            else:
                secrets[name] = reference
                if reference != value_from:
                    in_file = service.secrets.get(name)
                    rows.append(Row(scope, f"secrets.{name}", value_from, in_file,
                                    SAME if in_file == reference else WRITTEN,
                                    f"a parameter name (ECS takes one in the task's region): "
                                    f"stated as its ARN {reference}"))
        fixed("secrets", secrets, service.secrets,
              f"{len(secrets)} references (valueFrom ARNs only)")
        for other in live.containers:
            if other is not container:
                rows.append(Row(scope, f"containers.{other.name}", other.image, None, REFUSED,
                                "a container beside the application's: the program's task "
                                "definition runs one container, so the first up would drop it"))
        group = container.log_options.get("awslogs-group")
        if container.log_driver not in (None, "awslogs"):
            no_key("logDriver", container.log_driver, "awslogs (program)", "")
        if group and group != service.log_group_name:
            no_key("logGroup", group, service.log_group_name,
                   "the program creates its own log group; the live one stays")
        prefix = container.log_options.get("awslogs-stream-prefix")
        if prefix is not None and prefix != key:
            no_key("logStreamPrefix", prefix, key, "new streams get the program's prefix")
    if live.task_role_arn:
        fixed("taskRoleArn", live.task_role_arn, service.task_role_arn)
    elif service.task_role_arn:
        no_key("taskRoleArn", None, service.task_role_arn, "live tasks run without a task role")
    if live.log_group is not None and live.log_group["logGroupName"] == service.log_group_name:
        retention = live.log_group.get("retentionInDays")
        if retention in _RETENTION_DAYS:
            fixed("logRetentionDays", retention, service.log_retention_days)
        else:
            no_key("logRetentionDays", retention or "never expire", service.log_retention_days,
                   "updated in place")

    if live.load_balancers:
        balancer = live.load_balancers[0]
        arn = balancer.get("targetGroupArn")
        if len(live.load_balancers) > 1 or not arn:
            no_key("loadBalancer", live.load_balancers, None, "the program attaches one target group")
        else:
            fixed("loadBalancer.targetGroupArn", arn,
                  service.load_balancer.target_group_arn if service.load_balancer else None)
            port = balancer.get("containerPort")
            if port is not None and port != (container.port if container else None):
                fixed("loadBalancer.containerPort", port,
                      service.load_balancer.container_port if service.load_balancer else None)
    elif service.load_balancer is not None:
        no_key("loadBalancer", None, service.load_balancer.target_group_arn,
               "the live service has no load balancer: adding one replaces it")
    if service.waf.enabled:
        _waf_load_balancer(scope, service, live, values, rows)

    # Values the ops log changed on purpose: shown, never written.
    if live.task_cpu or live.task_memory:
        decides("cpu/memory", f"{live.task_cpu}/{live.task_memory}",
                f"{service.cpu}/{service.memory}",
                f"live revision {live.task_family}:{live.task_revision}")
    target = live.scalable_target
    if target is not None:
        decides("scaling.min/max", f"{target['MinCapacity']}/{target['MaxCapacity']}",
                f"{service.effective_min}/{service.effective_max}" if service.scaling.enabled
                else "scaling off")
    elif service.scaling.enabled:
        decides("scaling", "no scalable target", "enabled")
    _schedule_values(service, live, fixed, no_key, decides)
    for policy in live.policies:
        tracking = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
        decides(f"policy {policy['PolicyName']}",
                f"target {tracking.get('TargetValue')}, out {tracking.get('ScaleOutCooldown')} s, "
                f"in {tracking.get('ScaleInCooldown')} s", _policy_stack(service, policy))
    for kind, alarm in live.alarms.items():
        threshold = {"cpu": service.alarms.cpu_high, "memory": service.alarms.memory_high,
                     "spike": service.alarms.task_count_spike}[kind]
        decides(f"alarm {alarm['AlarmName']}",
                f"{alarm.get('Namespace')} {alarm.get('MetricName')} > {alarm.get('Threshold')}",
                "not in the stack file: stays unmanaged" if threshold is None else f"> {threshold}")

    # Import ids: every resource that exists live and the program declares.
    live_name = str(live.name)
    ids: dict[str, str | None] = {"service": naming.service_import_id(cluster_name, live_name)}
    scaling_on = service.scaling.enabled
    # A schedule-only service has a scalable target too (stack_model/schedule_actions.py).
    ids["scalableTarget"] = (naming.scalable_target_id(cluster_name, live_name)
                             if service.has_scalable_target and target is not None else None)
    policy_names = {p["PolicyName"] for p in live.policies}
    for metric in ("cpu", "memory"):
        name = service.policy_name(metric)
        ids[f"{metric}Policy"] = (naming.scaling_policy_id(cluster_name, live_name, name)
                                  if scaling_on and name in policy_names else None)
    for metric, name in (("cpu", "ECSServiceAverageCPUUtilization"),
                         ("memory", "ECSServiceAverageMemoryUtilization")):
        for policy in live.policies:
            spec = ((policy.get("TargetTrackingScalingPolicyConfiguration") or {})
                    .get("PredefinedMetricSpecification") or {})
            if spec.get("PredefinedMetricType") == name and \
                    policy["PolicyName"] != service.policy_name(metric):
                no_key(f"policy {policy['PolicyName']}", policy["PolicyName"],
                       service.policy_name(metric),
                       f"the program adds its own {metric} policy beside this one")
    thresholds = {"cpu": service.alarms.cpu_high, "memory": service.alarms.memory_high,
                  "spike": service.alarms.task_count_spike}
    for kind in ("cpu", "memory", "spike"):
        live_alarm = live.alarms.get(kind)
        ids[f"{kind}Alarm"] = (live_alarm["AlarmName"]
                               if live_alarm is not None and thresholds[kind] is not None else None)
    ids["logGroup"] = (service.log_group_name if live.log_group is not None
                       and live.log_group["logGroupName"] == service.log_group_name else None)
    current = service.import_ids.model_dump(by_alias=True)
    for name, value in ids.items():
        if value is None and current.get(name) is None:
            continue
        values[f"importIds.{name}"] = (value, current.get(name))
        status = SAME if current.get(name) == value else WRITTEN
        rows.append(Row(scope, f"importIds.{name}", value or "(does not exist)",
                        current.get(name), status,
                        "" if value else "removed: nothing live to import"))
    if live.task_definition_arn:
        rows.append(Row(scope, "taskDefinition", f"{live.task_family}:{live.task_revision}",
                        None, STACK_DECIDES,
                        "never imported: the first up registers a new revision, the live one "
                        "stays for rollback"))
    return values, rows


# Laravel's queue settings in the task's environment (config/queue.php): QUEUE_CONNECTION names
# the driver, SQS_QUEUE the SQS queue's name (SQS_PREFIX holds the account's queue URL prefix).
QUEUE_CONNECTION = "QUEUE_CONNECTION"
SQS_QUEUE = "SQS_QUEUE"
BACKLOG_CONNECTIONS = ("sqs", "redis")


def _queue_connection(scope: str, service: ServiceConfig, environment: Mapping[str, str],
                      fixed: Any, no_key: Any) -> None:
    """Which backlog signal applies, from the live QUEUE_CONNECTION: sqs reads AWS/SQS for free,
    redis needs a published depth (docs/operations.md, "Queue backlog scaling"). Written into
    scaling.queueBacklog only where the stack file has one (its job time and latency are the
    operator's to state); otherwise reported."""
    connection = environment.get(QUEUE_CONNECTION)
    if connection is None:
        return
    backlog = service.scaling.queue_backlog
    path = "scaling.queueBacklog.connection"
    if connection not in BACKLOG_CONNECTIONS:
        no_key(path, connection, backlog.connection if backlog else None,
               f"backlog scaling reads {' or '.join(BACKLOG_CONNECTIONS)} queues only")
        return
    if backlog is None:
        no_key(path, connection, None,
               f"QUEUE_CONNECTION={connection}: scaling.queueBacklog (connection {connection}) "
               "applies; set it with queueName, acceptableLatency and secondsPerJob")
        return
    fixed(path, connection, backlog.connection)
    queue = environment.get(SQS_QUEUE)
    if connection == "sqs" and queue is not None:
        if re.fullmatch(QUEUE_NAME, queue):
            fixed("scaling.queueBacklog.queueName", queue, backlog.queue_name)
        else:
            no_key("scaling.queueBacklog.queueName", queue, backlog.queue_name,
                   "SQS_QUEUE is not a queue name (a URL?): set the name by hand")


def _waf_load_balancer(scope: str, service: ServiceConfig, live: LiveService,
                       values: dict[str, tuple[Any, Any]], rows: list[Row]) -> None:
    """waf.loadBalancerArn: the load balancer of the live service's target group (elbv2
    DescribeTargetGroups LoadBalancerArns; one per target group). The web ACL is associated
    with it, so it must be the live one."""
    stack = service.waf.load_balancer_arn
    arns = live.load_balancer_arns or []
    groups = [str(lb["targetGroupArn"]) for lb in live.load_balancers if lb.get("targetGroupArn")]
    if len(arns) == 1 and LOAD_BALANCER_ARN.fullmatch(arns[0]):
        values["waf.loadBalancerArn"] = (arns[0], stack)
        status = SAME if stack == arns[0] else WRITTEN
        rows.append(Row(scope, "waf.loadBalancerArn", arns[0], stack, status,
                        f"the load balancer of target group {groups[0].rsplit(':', 1)[-1]}"))
    elif len(arns) == 1:
        rows.append(Row(scope, "waf.loadBalancerArn", arns[0], stack, REFUSED,
                        "not an Application Load Balancer: a web ACL protects ALBs only"))
    elif arns:
        rows.append(Row(scope, "waf.loadBalancerArn", arns, stack, NO_KEY,
                        "its target groups sit behind several load balancers; the web ACL "
                        "protects one: set it by hand"))
    else:
        rows.append(Row(scope, "waf.loadBalancerArn",
                        "(no target group)" if not groups else "(no load balancer)", stack,
                        NOT_LIVE, "waf is on but the live service has no load balancer to read "
                        "it from: set it by hand"))


def _working_hours(actions: list[dict[str, Any]]
                   ) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """(wake, sleep) of a target's live scheduled actions, or why they are not working hours:
    exactly one recurring action sets MaxCapacity 0 (sleep) and one sets more (wake), both
    weekly crons in one time zone (facts/schedule.py)."""
    recurring = [a for a in actions if str(a.get("Schedule", "")).startswith("cron(")]
    sleeps = [a for a in recurring
              if (a.get("ScalableTargetAction") or {}).get("MaxCapacity") == 0]
    wakes = [a for a in recurring
             if ((a.get("ScalableTargetAction") or {}).get("MaxCapacity") or 0) > 0]
    if len(sleeps) != 1 or len(wakes) != 1:
        return (f"{len(wakes)} recurring action(s) raising capacity and {len(sleeps)} setting "
                "max 0: working hours are one of each")
    wake, sleep = wakes[0], sleeps[0]
    # PutScheduledAction Timezone: unset means UTC.
    if (wake.get("Timezone") or DEFAULT_TIMEZONE) != (sleep.get("Timezone") or DEFAULT_TIMEZONE):
        return "the wake and sleep actions use different time zones"
    for action in (wake, sleep):
        problem = weekly_cron_problem(str(action["Schedule"]))
        if problem:
            return f"{action['ScheduledActionName']}: {action['Schedule']} {problem}"
    return wake, sleep


def _schedule_values(service: ServiceConfig, live: LiveService, fixed: Any, no_key: Any,
                     decides: Any) -> None:
    """services.<key>.schedule from the target's live scheduled actions: the time zone and the
    two crons are written; the wake capacity is the stack's to decide; an action the program
    does not name stays unmanaged beside the program's (say so, so it is deleted after the
    first `up`), a one-time action (`at(...)`, `z360-ecs wake`'s end) is left as it is."""
    stack = service.schedule if service.scheduled else None
    if not live.scheduled_actions:
        if stack is not None:
            decides("schedule", "no scheduled actions", f"wake {stack.wake}, sleep {stack.sleep}",
                    "the first `up` creates them")
        return
    for action in live.scheduled_actions:
        if not str(action.get("Schedule", "")).startswith("cron("):
            no_key(f"scheduled action {action.get('ScheduledActionName')}",
                   action.get("Schedule"), None, "one-time or rate action: left as it is")
    pair = _working_hours(live.scheduled_actions)
    if isinstance(pair, str):
        no_key("schedule", [a.get("ScheduledActionName") for a in live.scheduled_actions],
               None, pair)
        return
    wake, sleep = pair
    fixed("schedule.timezone", wake.get("Timezone") or DEFAULT_TIMEZONE,
          stack.timezone if stack else None)
    fixed("schedule.wake", wake["Schedule"], stack.wake if stack else None)
    fixed("schedule.sleep", sleep["Schedule"], stack.sleep if stack else None)
    capacity = wake.get("ScalableTargetAction") or {}
    decides("schedule wake capacity",
            f"{capacity.get('MinCapacity')}/{capacity.get('MaxCapacity')}",
            f"{service.effective_min}/{service.effective_max}")
    for role, action in (("wake", wake), ("sleep", sleep)):
        name = naming.scheduled_action_name(service.name_prefix, role)
        if action["ScheduledActionName"] != name:
            no_key(f"scheduled action {action['ScheduledActionName']}",
                   action["ScheduledActionName"], name,
                   f"the program puts its own {role} action beside it: delete this one after "
                   "the first `up`")


def _policy_stack(service: ServiceConfig, policy: dict[str, Any]) -> str:
    scaling = service.scaling
    if not scaling.enabled:
        return "scaling off"
    name = policy["PolicyName"]
    target = scaling.cpu_target if name == service.policy_name("cpu") else (
        scaling.memory_target if name == service.policy_name("memory") else None)
    if target is None:
        return "not the program's"
    return (f"target {target:g}, out {scaling.scale_out_cooldown} s, "
            f"in {scaling.scale_in_cooldown} s")


# --- placing values in the document -------------------------------------------------------


def _place(document_config: Mapping[str, Any], services_key: str, defaults_key: str,
           wanted: dict[str, dict[str, tuple[Any, Any]]],
           confirmed: list[tuple[str, ...]] | None = None) -> list[Edit]:
    """Edits that give each service its wanted values, in serviceDefaults where all agree.

    `wanted[key][path]` is (live value, the value the service has now, defaults applied); a
    key absent from the file whose model default already equals the live value is left out.
    The paths of values the file already states right are added to `confirmed`.
    """
    services_raw = document_config.get(services_key) or {}
    defaults_raw = document_config.get(defaults_key) or {}
    edits: list[Edit] = []
    agreed = confirmed if confirmed is not None else []
    inherited: dict[str, dict[str, Any]] = {}
    for key, values in wanted.items():
        raw = services_raw.get(key) or {}
        for path, (value, effective) in values.items():
            parts = tuple(path.split("."))
            present, old = _get(raw, parts)
            in_defaults, _ = _get(defaults_raw, parts)
            if not present and not in_defaults and _plain(effective) == _plain(value):
                continue
            if path.startswith("schedule.") and not present and in_defaults:
                # Working hours are adopted per service: a live service whose hours differ
                # from serviceDefaults.schedule must not move every other service's.
                if _plain(effective) != _plain(value):
                    edits.append(Edit((services_key, key, *parts), None, value))
                continue
            if present or not in_defaults or path.startswith("importIds."):
                if _plain(old) != _plain(value) and (present or value is not None):
                    edits.append(Edit((services_key, key, *parts), _plain(old), value))
                elif present:
                    agreed.append((services_key, key, *parts))
            else:
                inherited.setdefault(path, {})[key] = value
    for path, by_service in inherited.items():
        parts = tuple(path.split("."))
        _, default = _get(defaults_raw, parts)
        distinct = {repr(_plain(v)) for v in by_service.values()}
        if len(distinct) == 1:
            value = next(iter(by_service.values()))
            if _plain(default) != _plain(value):
                edits.append(Edit((defaults_key, *parts), _plain(default), value))
            else:
                agreed.append((defaults_key, *parts))
            continue
        for key, value in by_service.items():
            if _plain(default) != _plain(value):
                edits.append(Edit((services_key, key, *parts), None, value))
    return edits


def fill(config: StackConfig, estate: LiveEstate, document: Mapping[str, Any]) -> Fill:
    """Rows for the table and the edits that make the stack file agree with the estate.

    `document` is the stack file's plain values from the one reader, never ruamel's tree:
    ruamel is for `apply`, the write."""
    result = Fill()
    config_map = document.get("config") or {}
    clusters_key = config_key(config_map, "clusters")
    services_key = config_key(config_map, "services")
    defaults_key = config_key(config_map, "serviceDefaults")
    for key, cluster in config.clusters.items():
        live_cluster = estate.clusters[key]
        scope = f"clusters.{key}"
        if live_cluster.name is None:
            ambiguous = live_cluster.lookup.status == "ambiguous"
            result.rows.append(Row(scope, "name", f"({live_cluster.lookup.status})", cluster.name,
                                   AMBIGUOUS if ambiguous else NOT_LIVE,
                                   _lookup_note(live_cluster.lookup)))
            if cluster.import_id is not None and not ambiguous:
                result.rows.append(Row(scope, "importId", "(does not exist)", cluster.import_id,
                                       WRITTEN, "removed: nothing live to import"))
                result.edits.append(Edit((clusters_key, key, "importId"), cluster.import_id, None))
            continue
        for path, live_value, stack_value in (("name", live_cluster.name, cluster.name),
                                              ("importId", live_cluster.name, cluster.import_id)):
            status = SAME if live_value == stack_value else WRITTEN
            result.rows.append(Row(scope, path, live_value, stack_value, status,
                                   _lookup_note(live_cluster.lookup) if path == "name" else ""))
            if status == WRITTEN:
                result.edits.append(Edit((clusters_key, key, path), stack_value, live_value))
            else:
                result.confirmed.append((clusters_key, key, path))
        # Services adopt cannot read keep the strategy the stack file gives them: their
        # providers stay associated, or the config refuses the list.
        unread = sorted({provider for k, s in config.services.items()
                         if s.cluster == key and not estate.services[k].found
                         and s.launch_type is None for provider, _, _ in s.strategy})
        _cluster_providers(result, (clusters_key, key), scope, cluster, live_cluster, unread)
        insights = live_cluster.container_insights
        if insights != ("enabled" if cluster.container_insights else "disabled"):
            result.rows.append(Row(scope, "containerInsights", insights or "(unset)",
                                   cluster.container_insights, STACK_DECIDES))

    wanted: dict[str, dict[str, tuple[Any, Any]]] = {}
    for key, service in config.services.items():
        live = estate.services[key]
        scope = f"services.{key}"
        if not live.found:
            if live.lookup.status == "ambiguous":
                # Never guessed: nothing is written for this service, no import id removed.
                result.rows.append(Row(scope, "serviceName", "(ambiguous)",
                                       service.service_name, AMBIGUOUS,
                                       _lookup_note(live.lookup)))
                continue
            result.rows.append(Row(scope, "serviceName", f"({live.lookup.status})",
                                   service.service_name, NOT_LIVE, _lookup_note(live.lookup)))
            stale = {k: v for k, v in service.import_ids.model_dump(by_alias=True).items() if v}
            if stale:
                wanted[key] = {f"importIds.{name}": (None, value) for name, value in stale.items()}
                for name, value in stale.items():
                    result.rows.append(Row(scope, f"importIds.{name}", "(does not exist)", value,
                                           WRITTEN, "removed: nothing live to import"))
            continue
        cluster_name = estate.clusters[service.cluster].name or ""
        values, rows = _service_values(key, service, live, cluster_name, estate.region,
                                       estate.account_id)
        for problem in live.problems:
            rows.append(Row(scope, "taskDefinition", problem, None, REFUSED))
        if "launchType" in values and values["launchType"][0] is not None:
            raw = (config_map.get(services_key) or {}).get(key) or {}
            # launchType excludes a strategy, long or short.
            if "capacityProviderStrategy" in raw:
                values["capacityProviderStrategy"] = (None, service.capacity_provider_strategy)
            if "spotFrom" in raw:
                values["spotFrom"] = (None, service.spot_from)
        wanted[key] = values
        result.rows.extend(rows)
    result.edits.extend(_place(config_map, services_key, defaults_key, wanted, result.confirmed))

    alerts_key = config_key(config_map, "alerts")
    topic_arn = estate.topic["TopicArn"] if estate.topic else None
    if topic_arn != config.alerts.import_topic_arn:
        result.edits.append(Edit((alerts_key, "importTopicArn"), config.alerts.import_topic_arn,
                                 topic_arn))
    result.rows.append(Row("alerts", "importTopicArn", topic_arn or "(does not exist)",
                           config.alerts.import_topic_arn,
                           SAME if topic_arn == config.alerts.import_topic_arn else WRITTEN))
    if config.budget is not None:
        budget_key = config_key(config_map, "budget")
        wanted_id = (naming.budget_import_id(config.account_id, config.budget.name)
                     if estate.budget else None)
        if wanted_id != config.budget.import_id:
            result.edits.append(Edit((budget_key, "importId"), config.budget.import_id, wanted_id))
        result.rows.append(Row("budget", "importId", wanted_id or "(does not exist)",
                               config.budget.import_id,
                               SAME if wanted_id == config.budget.import_id else WRITTEN))
        if estate.budget:
            limit = estate.budget["Budget"].get("BudgetLimit", {}).get("Amount")
            result.rows.append(Row("budget", "monthlyLimit", limit, config.budget.monthly_limit,
                                   STACK_DECIDES))
            thresholds = sorted(float(n["Threshold"]) for n in estate.budget["Notifications"])
            result.rows.append(Row("budget", "alertAmounts", thresholds,
                                   config.budget.alert_amounts, STACK_DECIDES,
                                   ", ".join(sorted({n.get("ThresholdType", "PERCENTAGE")
                                                     for n in estate.budget["Notifications"]}))))
    return result


def _strategy(items: list[Any]) -> list[dict[str, Any]]:
    """A capacity provider strategy as the stack file states it (base only when set)."""
    shaped = []
    for item in items:
        entry = {"capacityProvider": item.get("capacityProvider"), "weight": item.get("weight", 0)}
        if item.get("base", 0):
            entry["base"] = item["base"]
        shaped.append(entry)
    return shaped


def _cluster_providers(result: Fill, path: tuple[str, str], scope: str, cluster: ClusterConfig,
                       live: Any, kept: Sequence[str] = ()) -> None:
    """capacityProviders and defaultCapacityProviderStrategy of an adopted cluster, as ECS
    DescribeClusters returns them (Cluster.capacityProviders, .defaultCapacityProviderStrategy).
    The program restates both with PutClusterCapacityProviders, which replaces the whole list
    and the default strategy: the config requires the list on an adopted cluster, [] for none.
    The list is a set to the provider (terraform-provider-aws ecs_cluster_capacity_providers:
    capacity_providers is a TypeSet), so only its members are compared. `kept`: providers
    the strategies of services adopt could not read name; associated as well (associating a
    Fargate provider changes no running service)."""
    providers = list(live.capacity_providers)
    providers += [p for p in kept if p not in providers]
    stack = cluster.capacity_providers
    if stack is not None and sorted(stack) == sorted(providers):
        result.rows.append(Row(scope, "capacityProviders", providers, stack, SAME))
        result.confirmed.append((*path, "capacityProviders"))
    else:
        result.rows.append(Row(scope, "capacityProviders", providers, stack, WRITTEN,
                               "PutClusterCapacityProviders replaces the whole list"))
        result.edits.append(Edit((*path, "capacityProviders"), stack, providers))
    live_strategy = _strategy(live.default_strategy)
    stack_strategy = _strategy([i.model_dump(by_alias=True)
                                for i in cluster.default_capacity_provider_strategy])
    if not live_strategy and not stack_strategy:
        return
    if live_strategy == stack_strategy:
        result.rows.append(Row(scope, "defaultCapacityProviderStrategy", live_strategy,
                               stack_strategy, SAME))
        result.confirmed.append((*path, "defaultCapacityProviderStrategy"))
        return
    result.rows.append(Row(scope, "defaultCapacityProviderStrategy", live_strategy or "(none)",
                           stack_strategy, WRITTEN,
                           "" if live_strategy else "removed: the live cluster has none"))
    result.edits.append(Edit((*path, "defaultCapacityProviderStrategy"), stack_strategy,
                             live_strategy or None))


def _lookup_note(lookup: Any) -> str:
    if lookup.status == "found":
        return f"found by {lookup.how}"
    if lookup.status == "ambiguous":
        return f"ambiguous: {', '.join(lookup.candidates)} match {lookup.how}"
    return f"nothing live matches {lookup.how}: the first up creates it"


# --- writing -----------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """A string the one stack-file reader would not read back as itself (`yes`, `off`,
    `10:00`, `0400`, `1_000`, `true`, `12`, an empty string, ...), double-quoted."""
    if not isinstance(value, str):
        return value
    try:
        same = resolve_plain(value, ()) == value
    except SourceError:
        same = False
    return value if same else DoubleQuotedScalarString(value)


def _yaml_value(value: Any, old: Any) -> Any:
    if isinstance(value, list):
        seq = CommentedSeq(_scalar(v) if not isinstance(v, (dict, list)) else _yaml_value(v, None)
                           for v in value)
        if not isinstance(old, CommentedSeq) or old.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap()
        for k, v in value.items():
            mapping[_scalar(k)] = _yaml_value(v, None)
        if not value:
            mapping.fa.set_flow_style()
        return mapping
    return _scalar(value)


def _add(node: CommentedMap, key: str, value: Any) -> None:
    before = _BEFORE.get(key)
    if before is not None and before in node:
        node.insert(list(node).index(before), key, value)
    elif "importIds" in node:
        # Import ids close a service: new settings go before them.
        node.insert(list(node).index("importIds"), key, value)
    else:
        _append(node, key, value)


def _deepest_last(node: CommentedMap) -> tuple[CommentedMap, Any]:
    """The mapping and key that end `node` in the text (where a trailing comment sits)."""
    key = list(node)[-1]
    value = node[key]
    while isinstance(value, CommentedMap) and len(value) and not value.fa.flow_style():
        node, key = value, list(value)[-1]
        value = node[key]
    return node, key


def _append(node: CommentedMap, key: str, value: Any) -> None:
    """Append `key`, keeping the comment lines that followed the old last key after the new
    one (ruamel attaches the comment above the next section to the previous last key)."""
    if not len(node):
        node[key] = value
        return
    owner, last = _deepest_last(node)
    item = owner.ca.items.get(last)
    token = item[2] if item and len(item) > 2 else None
    node[key] = value
    if token is None:
        return
    first, newline, rest = token.value.partition("\n")
    if not rest.strip():
        return
    token.value = first + newline
    moved = copy.copy(token)
    moved.value = "\n" + rest
    target, target_key = _deepest_last(node)
    target.ca.items.setdefault(target_key, [None, None, None, None])[2] = moved


def _drop_placeholder_comment(mapping: CommentedMap, key: str) -> None:
    item = mapping.ca.items.get(key)
    if not item or len(item) < 3 or item[2] is None:
        return
    token = item[2]
    first, newline, rest = token.value.partition("\n")
    if "PLACEHOLDER" in first:
        token.value = _PLACEHOLDER_COMMENT.sub("", first).rstrip() + newline + rest


def _drop_placeholder_above(mapping: CommentedMap, key: str) -> None:
    """Drop PLACEHOLDER marks from the comment lines right above `key` (ruamel keeps them
    after the end-of-line comment of the key before, or of that key's deepest last key)."""
    keys = list(mapping)
    position = keys.index(key)
    if position == 0:
        return
    owner, last = mapping, keys[position - 1]
    value = owner[last]
    while isinstance(value, CommentedMap) and len(value) and not value.fa.flow_style():
        owner, last = value, list(value)[-1]
        value = owner[last]
    item = owner.ca.items.get(last)
    token = item[2] if item and len(item) > 2 else None
    if token is None:
        return
    first, newline, rest = token.value.partition("\n")
    if "PLACEHOLDER" not in rest:
        return
    lines = []
    for line in rest.split("\n"):
        if "PLACEHOLDER" in line and line.lstrip().startswith("#"):
            line = _PLACEHOLDER_TAIL.sub("", line).rstrip()
            if line.strip() == "#":
                continue
        lines.append(line)
    token.value = first + newline + "\n".join(lines)


def _drop_placeholders(root: Any, path: tuple[str, ...]) -> None:
    found, node = _get(root, path[:-1])
    if found and isinstance(node, CommentedMap) and path[-1] in node:
        _drop_placeholder_comment(node, path[-1])
        _drop_placeholder_above(node, path[-1])


def apply(document: Any, edits: list[Edit], confirmed: Sequence[tuple[str, ...]] = ()) -> None:
    """Make `edits` in a ruamel.yaml round-trip document (its `config` mapping), and drop the
    PLACEHOLDER marks of the `confirmed` values."""
    root = document["config"]
    uses = _uses(root)
    for path in confirmed:
        _drop_placeholders(root, path)
    for edit in edits:
        node = root
        for part in edit.path[:-1]:
            if part not in node:
                if edit.new is None:
                    break
                _add(node, part, CommentedMap())
            _unshare(node, part, uses)
            node = node[part]
        else:
            last = edit.path[-1]
            if edit.new is None:
                if last in node:
                    del node[last]
                _prune_empty(root, edit.path[:-1])
                continue
            value = _yaml_value(edit.new, node.get(last))
            if last in node:
                node[last] = value
                _drop_placeholder_comment(node, last)
                _drop_placeholder_above(node, last)
            else:
                _add(node, last, value)


def _uses(node: Any, counts: dict[int, int] | None = None) -> dict[int, int]:
    """How many places hold each mapping or sequence of the document: more than one is a
    node shared by a YAML anchor and its aliases (ruamel loads an alias as the same object)."""
    counts = {} if counts is None else counts
    if isinstance(node, (CommentedMap, CommentedSeq)):
        counts[id(node)] = counts.get(id(node), 0) + 1
        if counts[id(node)] == 1:
            for child in (node.values() if isinstance(node, CommentedMap) else node):
                _uses(child, counts)
    return counts


def _unanchored(node: Any) -> None:
    if isinstance(node, CommentedBase) and node.anchor.value is not None:
        node.anchor.value = None
        node.anchor.always_dump = False
    if isinstance(node, (CommentedMap, CommentedSeq)):
        for child in (node.values() if isinstance(node, CommentedMap) else node):
            _unanchored(child)


def _unshare(parent: CommentedMap, key: str, uses: dict[int, int]) -> None:
    """Give `parent[key]` a copy of its own when an alias shares it, so an edit through one
    place never changes the other (a network block anchored on aegra and aliased on gateway
    keeps aegra's subnets)."""
    child = parent[key]
    if not isinstance(child, (CommentedMap, CommentedSeq)) or uses.get(id(child), 0) < 2:
        return
    uses[id(child)] -= 1
    own = copy.deepcopy(child)
    _unanchored(own)
    parent[key] = own
    _uses(own, uses)


def _prune_empty(root: Any, path: tuple[str, ...]) -> None:
    """Remove mappings a deletion left empty (an empty `importIds:` would read as null)."""
    while len(path) > 1:
        found, node = _get(root, path)
        if not found or not isinstance(node, Mapping) or node:
            return
        _, parent = _get(root, path[:-1])
        del parent[path[-1]]
        path = path[:-1]
