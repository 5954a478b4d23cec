"""Physical names, ARNs and tags: how the program identifies what it creates in AWS.

Each name here is a fact other places rely on: import ids must name exactly these resources,
IAM documents are built from these ARNs at preview (so the policy pack checks them in CI),
the dashboard shows these alarms, and the policy pack and cost reports tell services apart by
these tags. Everything is a pure function of validated config values, so the config models,
the components, the adoption check and the offline tools all derive names from one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote

from policies.guardrails.facts.burn_rate import MAX_METRICS_PER_ALARM, TRIP
from policies.guardrails.facts.conventions import ENVIRONMENT_TAG, SERVICE_TAG

# Re-exported: the program names scalable targets with them (one home: facts/scaling.py).
from policies.guardrails.facts.scaling import (  # noqa: F401
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    scaling_resource_id,
)

# Suffixes appended to a service's namePrefix. CloudWatch alarm names allow 255 characters,
# scaling policy names 256: the longest suffix bounds the prefix (config/limits.py).
ALARM_SUFFIXES = {"cpu": "-high-cpu", "memory": "-high-memory", "spike": "-task-count-spike",
                  "waf": "-waf-blocked", "target-5xx": "-target-5xx",
                  "response-time": "-latency-p90"}
POLICY_SUFFIXES = {"cpu": "-cpu-scaling", "memory": "-memory-scaling",
                   "backlog": "-backlog-scaling", "requests": "-requests-scaling",
                   "calls": "-calls-scaling"}
# The execution role is named after the task family; IAM allows 64 characters.
EXECUTION_ROLE_SUFFIX = "-execution"
# The task role the program creates for a protected service without taskRoleArn, and the
# managed policy that lets it protect its tasks (components/task_protection.py); IAM policy
# names allow 128 characters. Both shorter than EXECUTION_ROLE_SUFFIX or within 128.
TASK_ROLE_SUFFIX = "-task"
TASK_PROTECTION_POLICY_SUFFIX = "-task-protection"
# A service's WAF web ACL; WAF names allow 128 characters (config/limits.py).
WEB_ACL_SUFFIX = "-web-acl"


# --- a service's resources ------------------------------------------------------------------


def alarm_name(name_prefix: str, kind: str) -> str:
    """CloudWatch name of a service's alarm `kind` (cpu, memory, spike, waf: the web ACL's
    blocked requests)."""
    return f"{name_prefix}{ALARM_SUFFIXES[kind]}"


def policy_name(name_prefix: str, metric: str) -> str:
    """Name of a service's target-tracking policy on `metric` (cpu, memory)."""
    return f"{name_prefix}{POLICY_SUFFIXES[metric]}"


SCHEDULED_ACTION_SUFFIXES = {"wake": "-wake", "sleep": "-sleep", "wake-end": "-wake-end"}
"""A service's scheduled actions: working hours (wake, sleep) and `z360-ecs wake`'s one-time
action that ends a wake."""


def scheduled_action_name(name_prefix: str, role: str) -> str:
    """ScheduledActionName of a service's action `role` (wake, sleep, wake-end); unique per
    scalable target, which is all PutScheduledAction asks."""
    return f"{name_prefix}{SCHEDULED_ACTION_SUFFIXES[role]}"


def web_acl_name(name_prefix: str) -> str:
    """Name of the WAF web ACL in front of a service (services.<key>.waf)."""
    return f"{name_prefix}{WEB_ACL_SUFFIX}"


def log_group_name(family: str) -> str:
    return f"/ecs/{family}"


def execution_role_name(family: str) -> str:
    return f"{family}{EXECUTION_ROLE_SUFFIX}"


def task_role_name(family: str) -> str:
    """The task role the program creates for a protected service with no taskRoleArn."""
    return f"{family}{TASK_ROLE_SUFFIX}"


def task_protection_policy_name(family: str) -> str:
    """The managed policy granting a service's task role its task protection."""
    return f"{family}{TASK_PROTECTION_POLICY_SUFFIX}"


def scalable_target_id(cluster_name: str, service_name: str) -> str:
    """Import id of a service's scalable target: `ecs/service/<cluster>/<service>/<dimension>`."""
    return (f"{SCALING_NAMESPACE}/{scaling_resource_id(cluster_name, service_name)}/"
            f"{SCALABLE_DIMENSION}")


def scaling_policy_id(cluster_name: str, service_name: str, policy: str) -> str:
    """Import id of a service's scaling policy: its scalable target's id + `/<policy name>`."""
    return f"{scalable_target_id(cluster_name, service_name)}/{policy}"


def service_import_id(cluster_name: str, service_name: str) -> str:
    """Import id of an ECS service: `<cluster name>/<service name>`."""
    return f"{cluster_name}/{service_name}"


def native_service_import_id(region: str, account_id: str, cluster_name: str,
                             service_name: str) -> str:
    """Import id of an ECS service as an aws-native ecs.Service (AWS::ECS::Service through Cloud
    Control): `<service ARN>|<cluster name>`, the schema's primaryIdentifier (ServiceArn,
    Cluster) joined by `|`."""
    arn = ecs_arn(region, account_id, f"service/{cluster_name}/{service_name}")
    return f"{arn}|{cluster_name}"


# --- stack-wide resources -------------------------------------------------------------------


def email_subscription_name(channel: str, email: str) -> str:
    """Pulumi name of the email subscription of `email` on alert channel `channel`.

    Keyed by the address, never its position in the list: a subscription whose name changes
    is replaced, and a replaced email subscription waits for a new confirmation click while
    alerts go nowhere. Addresses are unique case-insensitively (config), so the lowercased
    address is the identity; characters a URN must not carry (':') are percent-encoded."""
    return f"{channel}-email-{quote(email.lower(), safe='@._+-')}"


def dashboard_name(environment: str) -> str:
    return f"z360-{environment}-services"


def spot_interruption_rule_name(environment: str) -> str:
    """The EventBridge rule that forwards the stack's Fargate Spot interruptions."""
    return f"z360-{environment}-spot-interruptions"


def event_rule_arn(region: str, account_id: str, rule_name: str) -> str:
    """A rule on the default event bus: `arn:aws:events:<region>:<account>:rule/<name>`."""
    return f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"


def budget_import_id(account_id: str, budget_name: str) -> str:
    """Import id of an AWS Budgets budget: `<account id>:<budget name>`."""
    return f"{account_id}:{budget_name}"


def cost_breaker_names(environment: str) -> dict[str, str]:
    """Physical names of the cost breaker's resources, shared by the component, the docs and
    the tests."""
    return {
        "topic": f"z360-{environment}-cost-breaker",
        "function": f"z360-{environment}-cost-breaker",
        "role": f"z360-{environment}-cost-breaker",
        "parameter": f"/z360/{environment}/cost-breaker/state",
        "log_group": f"/aws/lambda/z360-{environment}-cost-breaker",
        # The lock is named after the record by the breaker's contract
        # (breaker/contract.py, lock_parameter_name).
    }


def burn_rate_alarm_name(environment: str, kind: str, group: int, groups: int) -> str:
    """Name of a burn-rate alarm, `kind` trip or warn, of group `group` (0-based) of `groups`:
    one alarm watches at most 10 services, and only a split stack numbers its alarms."""
    suffix = f"-{group + 1}" if groups > 1 else ""
    return f"z360-{environment}-burn-rate-{kind}{suffix}"


def burn_rate_trip_alarm_names(environment: str, scaled_services: int) -> list[str]:
    """The trip alarms of a stack with `scaled_services` auto-scaled services: the names the
    cost breaker accepts as a trip source (by ARN, BREAKER_TRIP_ALARM_ARNS), known before they
    exist."""
    groups = -(-scaled_services // MAX_METRICS_PER_ALARM)
    return [burn_rate_alarm_name(environment, TRIP, group, groups) for group in range(groups)]


# --- ARNs, known before AWS creates the resources -------------------------------------------


def sns_topic_arn(region: str, account_id: str, topic_name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{topic_name}"


def log_group_arn(region: str, account_id: str, log_group_name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"


def alarm_arn(region: str, account_id: str, alarm_name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_name}"


def ecs_arn(region: str, account_id: str, resource: str) -> str:
    """ARN of an ECS resource, e.g. `service/<cluster>/<service>` (a scaling resource id)."""
    return f"arn:aws:ecs:{region}:{account_id}:{resource}"


def cluster_arn(region: str, account_id: str, cluster_name: str) -> str:
    """ARN of a cluster, known at preview (a created cluster's `arn` output is not)."""
    return ecs_arn(region, account_id, f"cluster/{cluster_name}")


def task_definition_arn_prefix(region: str, account_id: str) -> str:
    """What every task definition revision ARN of this account and region starts with."""
    return ecs_arn(region, account_id, "task-definition/")


def ssm_parameter_arn(region: str, account_id: str, parameter_name: str) -> str:
    """ARN of a parameter whose name starts with '/' (the ARN adds no second slash)."""
    return f"arn:aws:ssm:{region}:{account_id}:parameter{parameter_name}"


def scalable_target_arn_pattern(region: str, account_id: str) -> str:
    """Every scalable target of the account: their ARNs end in a random id nothing exposes."""
    return f"arn:aws:application-autoscaling:{region}:{account_id}:scalable-target/*"


def ecr_repository_arn(region: str, account_id: str, repository: str) -> str:
    return f"arn:aws:ecr:{region}:{account_id}:repository/{repository}"


# --- tags -------------------------------------------------------------------------------------
# Tags identify resources as names do: the policy pack and cost reports match on them.


def environment_tags(environment: str) -> dict[str, str]:
    return {ENVIRONMENT_TAG: environment, "managed-by": "pulumi:z360-ecs"}


def service_tags(service_key: str, environment: str) -> dict[str, str]:
    return {SERVICE_TAG: service_key, **environment_tags(environment)}


# --- names that must not collide --------------------------------------------------------------
# Two resources of the stack given one physical name are one resource in AWS, or one of them
# fails: what each API does with a name already taken is why a collision is refused
# (stack_model/config/names.py reports it, with the key paths of both owners).


class NameKind(NamedTuple):
    """What kind of name a physical name is: where AWS keeps it unique and what a second
    resource of the same name does."""

    label: str
    case_insensitive: bool
    """IAM compares names without case (IAM User Guide, "IAM and AWS STS quotas": names "are
    not distinguished by case"); the other services here compare them exactly."""
    effect: str
    """What AWS does with the second resource of a name already taken."""


SNS_TOPIC = NameKind(
    "SNS topic", False,
    # SNS API Reference, CreateTopic: "This action is idempotent, so if the requester already
    # owns a topic with the specified name, that topic's ARN is returned".
    "CreateTopic returns the existing topic for a name already taken, so both are one topic "
    "and every message for one reaches the other's subscribers")
ALARM = NameKind(
    "CloudWatch alarm", False,
    # CloudWatch API Reference, PutMetricAlarm: "Creates or updates an alarm".
    "PutMetricAlarm creates or updates by name, so the second overwrites the first")
IAM_ROLE = NameKind(
    "IAM role", True,
    # IAM API Reference, CreateRole: EntityAlreadyExists.
    "CreateRole refuses a name already taken (EntityAlreadyExists), whatever its case")
IAM_POLICY = NameKind(
    "IAM managed policy", True,
    # IAM API Reference, CreatePolicy: EntityAlreadyExists.
    "CreatePolicy refuses a name already taken (EntityAlreadyExists)")
LOG_GROUP = NameKind(
    "CloudWatch log group", False,
    # CloudWatch Logs API Reference, CreateLogGroup: ResourceAlreadyExistsException.
    "CreateLogGroup refuses a name already taken (ResourceAlreadyExistsException)")
SSM_PARAMETER = NameKind(
    "SSM parameter", False,
    # SSM API Reference, PutParameter: ParameterAlreadyExists unless Overwrite.
    "PutParameter refuses a name already taken (ParameterAlreadyExists)")
LAMBDA_FUNCTION = NameKind(
    "Lambda function", False,
    # Lambda API Reference, CreateFunction: ResourceConflictException.
    "CreateFunction refuses a name already taken (ResourceConflictException)")
WEB_ACL = NameKind(
    "WAF web ACL", False,
    # WAFV2 API Reference, CreateWebACL: WAFDuplicateItemException.
    "CreateWebACL refuses a name already taken in its scope (WAFDuplicateItemException)")
DASHBOARD = NameKind(
    "CloudWatch dashboard", False,
    # CloudWatch API Reference, PutDashboard: "creates a dashboard if it does not already
    # exist, or updates an existing dashboard".
    "PutDashboard creates or updates by name, so the second overwrites the first")
BUDGET = NameKind(
    "AWS budget", False,
    # AWS Budgets API Reference, CreateBudget: DuplicateRecordException.
    "CreateBudget refuses a name already taken (DuplicateRecordException)")
ECS_CLUSTER = NameKind(
    "ECS cluster", False,
    # ECS API Reference, CreateCluster: creating a cluster whose name exists returns it.
    "CreateCluster returns the existing cluster for a name already taken, so both are one "
    "cluster")
ECS_SERVICE = NameKind(
    "ECS service", False,
    # ECS API Reference, CreateService: "Creation of service was not idempotent" for an
    # active service of that name in the cluster.
    "CreateService refuses a name an active service of the cluster has")
TASK_FAMILY = NameKind(
    "task definition family", False,
    # ECS API Reference, RegisterTaskDefinition: a family's first registration is revision 1,
    # each later one the next revision of the same family.
    "RegisterTaskDefinition adds each one's revisions to the same family, so a rollback by "
    "revision may start the other service's task")
SCALING_POLICY = NameKind(
    "scaling policy", False,
    # Application Auto Scaling API Reference, PutScalingPolicy: "Creates or updates a scaling
    # policy" by name, per scalable target.
    "PutScalingPolicy creates or updates by name, so the second overwrites the first")


class PhysicalName(NamedTuple):
    """A name the program gives a resource, and the stack-file key that decides it."""

    kind: NameKind
    name: str
    owner: tuple[str, ...]
    """Key path of the setting that decides the name (`("alerts", "topicName")`), or of the
    section that creates the resource when its name is fixed (`("costBreaker",)`)."""
    scope: str = ""
    """Where the name must be unique inside the account and region: '' for the whole of it,
    a cluster's name for an ECS service, a scalable target's id for a scaling policy."""


def name_collisions(names: Iterable[PhysicalName]) -> list[list[PhysicalName]]:
    """Groups of two or more names of one kind and scope that AWS takes as the same name and
    that different settings decide, in the order first given. A setting that decides several
    names of one kind (a family: log group, role, family) is one owner."""
    groups: dict[tuple[str, str, str], list[PhysicalName]] = {}
    for entry in names:
        key = entry.name.casefold() if entry.kind.case_insensitive else entry.name
        groups.setdefault((entry.kind.label, entry.scope, key), []).append(entry)
    return [group for group in groups.values() if len({e.owner for e in group}) > 1]
