"""Physical names, ARNs and tags: how the program identifies what it creates in AWS.

Each name here is a fact other places rely on: import ids must name exactly these resources,
IAM documents are built from these ARNs at preview (so the policy pack checks them in CI),
the dashboard shows these alarms, and the policy pack and cost reports tell services apart by
these tags. Everything is a pure function of validated config values, so the config models,
the components, the adoption check and the offline tools all derive names from one place.
"""

from __future__ import annotations

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
                  "waf": "-waf-blocked"}
POLICY_SUFFIXES = {"cpu": "-cpu-scaling", "memory": "-memory-scaling"}
# The execution role is named after the task family; IAM allows 64 characters.
EXECUTION_ROLE_SUFFIX = "-execution"
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


def web_acl_name(name_prefix: str) -> str:
    """Name of the WAF web ACL in front of a service (services.<key>.waf)."""
    return f"{name_prefix}{WEB_ACL_SUFFIX}"


def log_group_name(family: str) -> str:
    return f"/ecs/{family}"


def execution_role_name(family: str) -> str:
    return f"{family}{EXECUTION_ROLE_SUFFIX}"


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
