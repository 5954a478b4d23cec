"""The import-id check: every id a stack adopts must name the very resource the program declares.

Pulumi imports, then updates (pulumi/docs#18198): an id naming some other resource would adopt
it and rewrite it into this one. So each id is compared with the name the program gives that
resource (stack_model/naming.py), in this stack's account and region. One rule per id, each id
reported at most once, in the order ImportIds declares them. Formats alone are ImportIds's own
check (import_ids.py); this runs once the whole stack has validated, from StackConfig
(stack.py), which hands over the sections it reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from stack_model import naming
from stack_model.config.alerts import AlertsConfig
from stack_model.config.budget import BudgetConfig
from stack_model.config.clusters import ClusterConfig
from stack_model.config.errors import Problem
from stack_model.config.services import ServiceConfig


def import_problems(
    *,
    region: str,
    account_id: str,
    services: Mapping[str, ServiceConfig],
    clusters: Mapping[str, ClusterConfig],
    alerts: AlertsConfig,
    budget: BudgetConfig | None,
) -> list[Problem]:
    """Import ids that name something other than what the program creates."""
    problems: list[Problem] = []
    for key, service in services.items():
        cluster = clusters.get(service.cluster)
        # An unknown cluster key is reported by StackConfig; checks needing its name wait.
        cluster_name = cluster.name if cluster is not None else None
        problems.extend(
            Problem(("services", key, "importIds", field), message)
            for field, message in _service_problems(service, cluster_name, region, account_id)
        )
    topic_arn = alerts.import_topic_arn
    wanted_topic = naming.sns_topic_arn(region, account_id, alerts.topic_name)
    if topic_arn is not None and topic_arn != wanted_topic:
        problems.append(Problem(("alerts", "importTopicArn"), f"{topic_arn!r} must be "
                                f"{wanted_topic!r}: a topic imports by its ARN, in this "
                                "stack's account and region"))
    if budget is not None and budget.import_id is not None:
        wanted_budget = naming.budget_import_id(account_id, budget.name)
        if budget.import_id != wanted_budget:
            problems.append(Problem(("budget", "importId"), f"{budget.import_id!r} must "
                                    f"be {wanted_budget!r} ('<account id>:<budget name>')"))
    return problems


def _service_problems(
    service: ServiceConfig, cluster_name: str | None, region: str, account_id: str
) -> list[tuple[str, str]]:
    """(importIds key, message) for each id of one service that is wrong."""
    ids = service.import_ids
    problems: list[tuple[str, str]] = []

    def names_elsewhere(given: str, wanted: str) -> str:
        return (f"{given!r} must be {wanted!r}: cluster {cluster_name!r} and service "
                f"{service.service_name!r} are the names this service has")

    if ids.service is not None and cluster_name is not None:
        wanted = naming.service_import_id(cluster_name, service.service_name)
        if ids.service != wanted:
            problems.append(("service", names_elsewhere(ids.service, wanted)))

    arn = ids.task_definition
    prefix = naming.task_definition_arn_prefix(region, account_id)
    if arn is not None and not arn.rsplit("/", 1)[-1].startswith(f"{service.family}:"):
        problems.append(("taskDefinition", f"{arn!r} is not a revision of family "
                         f"{service.family!r}"))
    elif arn is not None and not arn.startswith(prefix):
        problems.append(("taskDefinition", f"{arn!r} is not in this stack's account and region "
                         f"(must start {prefix!r})"))

    if ids.log_group is not None and ids.log_group != service.log_group_name:
        problems.append(("logGroup", f"{ids.log_group!r} must be {service.log_group_name!r}, "
                         "the name the program gives the log group"))

    target_id = (naming.scalable_target_id(cluster_name, service.service_name)
                 if cluster_name is not None else None)
    if ids.scalable_target is not None:
        if not service.scaling.enabled:
            problems.append(("scalableTarget", f"{ids.scalable_target!r} adopts a scalable "
                             "target, but scaling.enabled is false"))
        elif target_id is not None and ids.scalable_target != target_id:
            problems.append(("scalableTarget", names_elsewhere(ids.scalable_target, target_id)))

    for field, given, metric in (("cpuPolicy", ids.cpu_policy, "cpu"),
                                 ("memoryPolicy", ids.memory_policy, "memory")):
        if given is None:
            continue
        policy = service.policy_name(metric)
        if not service.scaling.enabled:
            problems.append((field, f"{given!r} adopts a scaling policy, but scaling.enabled "
                             "is false"))
        elif not given.endswith("/" + policy):
            problems.append((field, f"{given!r} must end with '/{policy}', the name the "
                             "program gives this policy"))
        elif cluster_name is not None and given != naming.scaling_policy_id(
                cluster_name, service.service_name, policy):
            problems.append((field, names_elsewhere(
                given, naming.scaling_policy_id(cluster_name, service.service_name, policy))))

    for field, given, kind, threshold, setting in (
        ("cpuAlarm", ids.cpu_alarm, "cpu", service.alarms.cpu_high, "alarms.cpuHigh"),
        ("memoryAlarm", ids.memory_alarm, "memory", service.alarms.memory_high,
         "alarms.memoryHigh"),
        ("spikeAlarm", ids.spike_alarm, "spike", service.alarms.task_count_spike,
         "alarms.taskCountSpike"),
    ):
        if given is None:
            continue
        if threshold is None:
            problems.append((field, f"{given!r} adopts an alarm this service does not have: "
                             f"set {setting} or drop the import id"))
        elif given != service.alarm_name(kind):
            problems.append((field, f"{given!r} must be {service.alarm_name(kind)!r}, the name "
                             "the program gives this alarm (an alarm imports by name)"))
    return problems
