"""Read the live estate a stack file describes: read-only AWS calls, nothing written.

`discover(clients, config)` finds, for every cluster and service of a validated StackConfig,
the live resources (cluster with its capacity providers, service with its launch
configuration, its current task definition and containers, log group, scalable target,
scaling policies and scheduled actions, alarms, and, for a service whose stack file enables `waf`, the load
balancer its target group belongs to), plus the alert topic and the budget, and returns them
as plain dataclasses. It matches on what the ops log records as facts, and never guesses:

- Every cluster (ListClusters) and every service in each (ListServices, DescribeServices), all
  pages, is listed with the task-definition family its service runs (the family is in the
  service's `taskDefinition` ARN, `task-definition/<family>:<revision>`).
- A stack service is matched by its `family` first (the ops log records the families:
  `z360-beta-web`, `z360-agent-layer-beta-aegra`, ...); when no live service runs it, by its
  `serviceName` as it is or as the prefix of a CloudFormation name,
  `<serviceName>-<LogicalId>-<suffix>` (AWS CloudFormation User Guide, "Name type": a
  resource without a name gets a physical id made of the stack name, the logical id and a
  random string; the ops log's `z360-beta-Cluster-8E41UEvLHdpU` and
  `z360-beta-web-Service-5Ao8dxMzQ1d8` are that shape, and its tables give the rest as the
  prefix only, `agent-layer-beta-gateway`). Two candidates narrowed by neither the exact
  `serviceName` nor the cluster are ambiguous: reported with every candidate, nothing taken.
- A cluster whose stack name exists live is that cluster, and its services are looked for in
  it only. Any other cluster (the file's PLACEHOLDER) is the one its services run in: one
  cluster found, it is taken; services in several clusters are ambiguous; none, the
  CloudFormation pattern `<name>-<LogicalId>-<suffix>` on the cluster names, else missing.
- A live service two stack services match is ambiguous for both. Live services in a matched
  cluster that no stack service matched are listed as unmanaged.

Every call goes through `Clients`, whose botocore clients the IAM test records; the calls are
exactly those the read-only policy in docs/adopt.md allows. Request limits used here are the
botocore service models' (ecs 2014-11-13 DescribeServices: "up to 10 services";
DescribeClusters: "up to 100"; application-autoscaling 2016-02-06
DescribeScalableTargets.ResourceIds max 50; cloudwatch 2010-08-01 DescribeAlarms.AlarmNames
max 100). A target group is described one ARN at a time: elbv2 2015-12-01
DescribeTargetGroups fails the whole call (TargetGroupNotFound) when any ARN it names does not
exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stack_model import naming
from stack_model.config import ServiceConfig, StackConfig

# botocore ecs-2014-11-13 DescribeServices: "A list of services to describe. You may specify
# up to 10 services to describe in a single operation."; DescribeClusters: "A list of up to 100
# cluster names or full cluster Amazon Resource Name (ARN) entries."
_DESCRIBE_SERVICES_MAX = 10
_DESCRIBE_CLUSTERS_MAX = 100
_RESOURCE_IDS_MAX = 50  # application-autoscaling DescribeScalableTargets.ResourceIds max
_ALARM_NAMES_MAX = 100  # cloudwatch DescribeAlarms.AlarmNames max


def cloudformation_pattern(base: str) -> re.Pattern[str]:
    """`<base>-<LogicalId>-<random>`: how CloudFormation names what it creates unnamed."""
    return re.compile(rf"^{re.escape(base)}-[A-Za-z0-9]+-[A-Za-z0-9]{{8,}}$")


@dataclass
class Lookup:
    """How a live resource was found: by the stack file's name, a naming pattern, or not."""

    status: str
    """"found", "missing" or "ambiguous"."""
    how: str = ""
    """"stack name" or the pattern that matched."""
    candidates: list[str] = field(default_factory=list)
    """Every name a pattern matched (two or more when ambiguous)."""


@dataclass
class LiveCluster:
    key: str
    lookup: Lookup
    name: str | None = None
    arn: str | None = None
    container_insights: str | None = None
    """"enabled", "disabled" or None when the cluster has no such setting."""
    capacity_providers: list[str] = field(default_factory=list)
    default_strategy: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LiveContainer:
    name: str
    image: str
    port: int | None
    environment: dict[str, str]
    secrets: dict[str, str]
    """Variable name -> valueFrom (an ARN; AWS never returns a secret's value here)."""
    log_driver: str | None
    log_options: dict[str, str]


@dataclass
class LiveService:
    key: str
    lookup: Lookup
    cluster_name: str | None = None
    name: str | None = None
    arn: str | None = None
    launch_type: str | None = None
    capacity_provider_strategy: list[dict[str, Any]] = field(default_factory=list)
    platform_version: str | None = None
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    assign_public_ip: bool | None = None
    load_balancers: list[dict[str, Any]] = field(default_factory=list)
    load_balancer_arns: list[str] | None = None
    """The load balancers its target groups belong to (elbv2 DescribeTargetGroups
    `LoadBalancerArns`), read only for a service whose stack file enables waf; None when not
    read."""
    deployment_controller: str | None = None
    desired_count: int | None = None
    scheduling_strategy: str | None = None
    circuit_breaker: dict[str, Any] | None = None
    role_arn: str | None = None
    """DescribeServices `roleArn`: the role ECS calls the load balancer with (for an awsvpc
    service with a load balancer, the ECS service-linked role)."""
    described: dict[str, Any] = field(default_factory=dict)
    """The service as DescribeServices returned it (what a Cloud Control read is made of)."""
    task_definition_arn: str | None = None
    task_family: str | None = None
    task_revision: int | None = None
    task_cpu: str | None = None
    task_memory: str | None = None
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    containers: list[LiveContainer] = field(default_factory=list)
    container: LiveContainer | None = None
    """The service's application container (the only one, or the load balancer's)."""
    log_group: dict[str, Any] | None = None
    scalable_target: dict[str, Any] | None = None
    policies: list[dict[str, Any]] = field(default_factory=list)
    scheduled_actions: list[dict[str, Any]] = field(default_factory=list)
    """Its target's scheduled actions (DescribeScheduledActions), working hours among them."""
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The service's alarms by kind (cpu, memory, spike), named as the program names them."""
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.lookup.status == "found"

    @property
    def import_id(self) -> str | None:
        if not self.found or self.cluster_name is None or self.name is None:
            return None
        return naming.service_import_id(self.cluster_name, self.name)

    @property
    def native_import_id(self) -> str | None:
        """The import id of this service as an aws-native ecs.Service (a metricResolution 20
        service): `<service ARN>|<cluster name>`, with the ARN AWS returns."""
        if self.import_id is None or self.arn is None:
            return None
        return f"{self.arn}|{self.cluster_name}"


@dataclass
class LiveEstate:
    account_id: str
    region: str
    clusters: dict[str, LiveCluster]
    services: dict[str, LiveService]
    unmanaged: list[tuple[str, str]]
    """(cluster name, service name) of live services no stack service names."""
    topic: dict[str, Any] | None
    """The alert topic's attributes, or None when it does not exist live."""
    budget: dict[str, Any] | None
    """The budget and its notifications, or None (or no budget in the stack)."""
    problems: list[str] = field(default_factory=list)


class Clients:
    """boto3 clients of one session, made once each, in the stack's region."""

    def __init__(self, session: Any, region: str) -> None:
        self._session = session
        self.region = region
        self._clients: dict[str, Any] = {}
        self.on_create: list[Callable[[Any], None]] = []

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            client = self._session.client(service, region_name=self.region)
            for hook in self.on_create:
                hook(client)
            self._clients[service] = client
        return self._clients[service]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _match(names: Iterable[str], bases: Iterable[str]) -> Lookup:
    bases = list(dict.fromkeys(bases))
    patterns = [cloudformation_pattern(b) for b in bases]
    matched = sorted({n for n in names if any(p.fullmatch(n) for p in patterns)})
    how = " or ".join(f"{b}-<LogicalId>-<suffix>" for b in bases)
    if len(matched) == 1:
        return Lookup("found", how, matched)
    if matched:
        return Lookup("ambiguous", how, matched)
    return Lookup("missing", how)


# --- clusters and services, as listed --------------------------------------------------


def _describe_clusters(clients: Clients, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(names, _DESCRIBE_CLUSTERS_MAX):
        answer = clients("ecs").describe_clusters(clusters=chunk, include=["SETTINGS"])
        for cluster in answer.get("clusters", []):
            if cluster.get("status") == "ACTIVE":
                found[cluster["clusterName"]] = cluster
    return found


def _list_cluster_names(clients: Clients) -> list[str]:
    names: list[str] = []
    for page in clients("ecs").get_paginator("list_clusters").paginate():
        names.extend(_name_from_arn(arn) for arn in page.get("clusterArns", []))
    return names


def _describe_services(clients: Clients, cluster: str, names: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in _chunks(names, _DESCRIBE_SERVICES_MAX):
        answer = clients("ecs").describe_services(cluster=cluster, services=chunk)
        for service in answer.get("services", []):
            if service.get("status") == "ACTIVE":
                found[service["serviceName"]] = service
    return found


def _list_service_names(clients: Clients, cluster: str) -> list[str]:
    names: list[str] = []
    for page in clients("ecs").get_paginator("list_services").paginate(cluster=cluster):
        names.extend(_name_from_arn(arn) for arn in page.get("serviceArns", []))
    return names


def task_family(arn: str | None) -> str | None:
    """The family of a task definition ARN, `...:task-definition/<family>:<revision>`."""
    if not arn or "task-definition/" not in arn:
        return None
    family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
    return family if family and revision.isdigit() else None


@dataclass(frozen=True)
class Listed:
    """One ACTIVE live service: its cluster, name and the family its task definition is of."""

    cluster: str
    name: str
    family: str | None


def _list_estate(clients: Clients) -> tuple[list[str], list[Listed], dict[tuple[str, str], Any]]:
    """Every cluster name, every ACTIVE service in them, and each service as described."""
    clusters = _list_cluster_names(clients)
    listed: list[Listed] = []
    described: dict[tuple[str, str], Any] = {}
    for cluster in clusters:
        names = _list_service_names(clients, cluster)
        for name, service in _describe_services(clients, cluster, names).items():
            listed.append(Listed(cluster, name, task_family(service.get("taskDefinition"))))
            described[(cluster, name)] = service
    return clusters, listed, described


# --- matching the stack file to what is listed ---------------------------------------------


def _service_candidates(service: ServiceConfig, listed: list[Listed]) -> tuple[list[Listed], str]:
    """The live services that are `service`, and how they were found: its family first, then
    its serviceName as it is or as a CloudFormation name's prefix. Several are narrowed to the
    one named exactly as the stack file names it, if there is one."""
    by_family = [s for s in listed if s.family == service.family]
    if by_family:
        found, how = by_family, f"task family {service.family}"
    else:
        pattern = cloudformation_pattern(service.service_name)
        found = [s for s in listed
                 if s.name == service.service_name or pattern.fullmatch(s.name)]
        how = f"name {service.service_name} or {service.service_name}-<LogicalId>-<suffix>"
    exact = [s for s in found if s.name == service.service_name]
    if len(found) > 1 and len(exact) == 1:
        return exact, f"{how} and the exact serviceName"
    return found, how


def _where(candidates: list[Listed]) -> str:
    return ", ".join(f"{s.cluster}/{s.name}" for s in candidates)


def _resolve_clusters(config: StackConfig, names: list[str], listed: list[Listed]
                      ) -> dict[str, Lookup]:
    """Each cluster key's live cluster: the stack name when it exists live, else the cluster
    its services run in, else the CloudFormation pattern on the stack name."""
    result: dict[str, Lookup] = {}
    members: dict[str, list[ServiceConfig]] = {}
    for service in config.services.values():
        members.setdefault(service.cluster, []).append(service)
    for key, cluster in config.clusters.items():
        if cluster.name in names:
            result[key] = Lookup("found", "stack name", [cluster.name])
            continue
        found: dict[str, list[str]] = {}
        for service in members.get(key, []):
            candidates, _ = _service_candidates(service, listed)
            for where in sorted({c.cluster for c in candidates}):
                found.setdefault(where, []).append(service.family)
        if len(found) == 1:
            where, families = next(iter(found.items()))
            result[key] = Lookup("found", f"the cluster its services run in "
                                 f"({', '.join(families)})", [where])
        elif found:
            result[key] = Lookup("ambiguous", "the clusters its services run in ("
                                 + "; ".join(f"{c}: {', '.join(f)}" for c, f in found.items())
                                 + ")", sorted(found))
        else:
            result[key] = _match(names, [cluster.name])
    taken: dict[str, str] = {}
    for key, lookup in result.items():
        if lookup.status != "found":
            continue
        other = taken.setdefault(lookup.candidates[0], key)
        if other != key:
            for claimant in (key, other):
                if result[claimant].how != "stack name":
                    result[claimant] = Lookup("ambiguous", f"{lookup.how}, which clusters."
                                              f"{other} names too", list(lookup.candidates))
    return result


def _resolve_services(config: StackConfig, clusters: dict[str, Lookup], listed: list[Listed]
                      ) -> dict[str, Lookup]:
    """Each service key's live service (candidates as `cluster/name`), in its cluster only."""
    result: dict[str, Lookup] = {}
    for key, service in config.services.items():
        cluster = clusters[service.cluster]
        if cluster.status == "ambiguous":
            result[key] = Lookup("ambiguous", f"its cluster is ambiguous ({cluster.how})",
                                 list(cluster.candidates))
            continue
        if cluster.status != "found":
            result[key] = Lookup("missing", "its cluster does not exist live")
            continue
        everywhere, how = _service_candidates(service, listed)
        inside = [s for s in everywhere if s.cluster == cluster.candidates[0]]
        if len(inside) == 1:
            result[key] = Lookup("found", how, [inside[0].name])
        elif inside:
            result[key] = Lookup("ambiguous", how, [s.name for s in inside])
        elif everywhere:
            result[key] = Lookup("ambiguous", f"{how}, in other clusters than "
                                 f"{cluster.candidates[0]}", [_where(everywhere)])
        else:
            result[key] = Lookup("missing", how)
    claimants: dict[str, list[str]] = {}
    for key, lookup in result.items():
        if lookup.status == "found":
            claimants.setdefault(f"{clusters[config.services[key].cluster].candidates[0]}/"
                                 f"{lookup.candidates[0]}", []).append(key)
    for where, keys in claimants.items():
        if len(keys) > 1:
            for key in keys:
                result[key] = Lookup("ambiguous", f"{result[key].how}; the same live service "
                                     f"matches services {', '.join(keys)}", [where])
    return result


def _container(definition: dict[str, Any]) -> LiveContainer:
    log = definition.get("logConfiguration") or {}
    ports = definition.get("portMappings") or []
    return LiveContainer(
        name=definition["name"],
        image=definition["image"],
        port=ports[0].get("containerPort") if ports else None,
        environment={e["name"]: e.get("value", "") for e in definition.get("environment", [])},
        secrets={s["name"]: s["valueFrom"] for s in definition.get("secrets", [])},
        log_driver=log.get("logDriver"),
        log_options=dict(log.get("options") or {}),
    )


def _fill_service(live: LiveService, described: dict[str, Any], clients: Clients) -> None:
    live.name = described["serviceName"]
    live.arn = described["serviceArn"]
    live.launch_type = described.get("launchType")
    live.capacity_provider_strategy = list(described.get("capacityProviderStrategy") or [])
    live.platform_version = described.get("platformVersion")
    vpc = (described.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    live.subnets = list(vpc.get("subnets", []))
    live.security_groups = list(vpc.get("securityGroups", []))
    if "assignPublicIp" in vpc:
        live.assign_public_ip = vpc["assignPublicIp"] == "ENABLED"
    live.load_balancers = list(described.get("loadBalancers") or [])
    live.desired_count = described.get("desiredCount")
    live.scheduling_strategy = described.get("schedulingStrategy")
    deployment = described.get("deploymentConfiguration") or {}
    live.circuit_breaker = deployment.get("deploymentCircuitBreaker")
    live.deployment_controller = (described.get("deploymentController") or {}).get("type")
    live.role_arn = described.get("roleArn")
    live.described = dict(described)
    live.task_definition_arn = described.get("taskDefinition")
    if not live.task_definition_arn:
        return
    task = clients("ecs").describe_task_definition(
        taskDefinition=live.task_definition_arn)["taskDefinition"]
    live.task_family = task.get("family")
    live.task_revision = task.get("revision")
    live.task_cpu = task.get("cpu")
    live.task_memory = task.get("memory")
    live.task_role_arn = task.get("taskRoleArn")
    live.execution_role_arn = task.get("executionRoleArn")
    live.containers = [_container(c) for c in task.get("containerDefinitions", [])]
    lb_names = {lb.get("containerName") for lb in live.load_balancers if lb.get("containerName")}
    if len(live.containers) == 1:
        live.container = live.containers[0]
    elif len(lb_names) == 1:
        live.container = next((c for c in live.containers if c.name in lb_names), None)
    else:
        essential = [c for c in task.get("containerDefinitions", []) if c.get("essential", True)]
        if len(essential) == 1:
            live.container = next(c for c in live.containers if c.name == essential[0]["name"])
    if live.container is None:
        live.problems.append(
            f"task definition {live.task_family}:{live.task_revision} has "
            f"{len(live.containers)} containers ({', '.join(c.name for c in live.containers)}) "
            "and none is clearly the application's: the program runs one container; "
            "nothing was taken from the task definition")


# --- scaling, alarms, logs ---------------------------------------------------------------


def _resource_id(live: LiveService) -> str:
    return naming.scaling_resource_id(str(live.cluster_name), str(live.name))


def _scaling(clients: Clients, services: list[LiveService]) -> None:
    by_id = {_resource_id(s): s for s in services}
    client = clients("application-autoscaling")
    for chunk in _chunks(list(by_id), _RESOURCE_IDS_MAX):
        answer = client.describe_scalable_targets(
            ServiceNamespace=naming.SCALING_NAMESPACE, ResourceIds=chunk,
            ScalableDimension=naming.SCALABLE_DIMENSION)
        for target in answer.get("ScalableTargets", []):
            by_id[target["ResourceId"]].scalable_target = target
    for resource_id, live in by_id.items():
        if live.scalable_target is None:
            continue
        pages = client.get_paginator("describe_scaling_policies").paginate(
            ServiceNamespace=naming.SCALING_NAMESPACE, ResourceId=resource_id,
            ScalableDimension=naming.SCALABLE_DIMENSION)
        for page in pages:
            live.policies.extend(page.get("ScalingPolicies", []))
        # Working hours (services.<key>.schedule): DescribeScheduledActions, paginated.
        actions = client.get_paginator("describe_scheduled_actions").paginate(
            ServiceNamespace=naming.SCALING_NAMESPACE, ResourceId=resource_id,
            ScalableDimension=naming.SCALABLE_DIMENSION)
        for page in actions:
            live.scheduled_actions.extend(page.get("ScheduledActions", []))


def _alarms(clients: Clients, config: StackConfig, services: list[LiveService]) -> None:
    names = {config.services[s.key].alarm_name(kind): (s, kind)
             for s in services for kind in ("cpu", "memory", "spike")}
    paginator = clients("cloudwatch").get_paginator("describe_alarms")
    for chunk in _chunks(sorted(names), _ALARM_NAMES_MAX):
        for page in paginator.paginate(AlarmNames=chunk, AlarmTypes=["MetricAlarm"]):
            for alarm in page.get("MetricAlarms", []):
                live, kind = names[alarm["AlarmName"]]
                live.alarms[kind] = alarm


def _log_groups(clients: Clients, services: list[LiveService]) -> None:
    paginator = clients("logs").get_paginator("describe_log_groups")
    for live in services:
        group = live.container.log_options.get("awslogs-group") if live.container else None
        if not group:
            continue
        for page in paginator.paginate(logGroupNamePrefix=group):
            for found in page.get("logGroups", []):
                if found["logGroupName"] == group:
                    live.log_group = found


def _load_balancers(clients: Clients, config: StackConfig, services: list[LiveService]) -> None:
    """The load balancer of each waf-enabled service's target groups. elbv2 2015-12-01
    TargetGroup.LoadBalancerArns: "the load balancer that routes traffic to this target group.
    You can use each target group with only one load balancer.\""""
    described: dict[str, list[str]] = {}
    for live in services:
        if not config.services[live.key].waf.enabled:
            continue
        arns: list[str] = []
        for balancer in live.load_balancers:
            group = balancer.get("targetGroupArn")
            if not group:
                continue
            if group not in described:
                described[group] = _target_group_balancers(clients, group)
            arns.extend(a for a in described[group] if a not in arns)
        live.load_balancer_arns = arns


def _target_group_balancers(clients: Clients, arn: str) -> list[str]:
    try:
        answer = clients("elbv2").describe_target_groups(TargetGroupArns=[arn])
    except Exception as exc:
        # botocore elbv2 DescribeTargetGroups: TargetGroupNotFoundException (code
        # TargetGroupNotFound) when the service names a target group that is gone.
        if _error_code(exc) == "TargetGroupNotFound":
            return []
        raise
    return [a for group in answer.get("TargetGroups", []) for a in group.get("LoadBalancerArns", [])]


# --- topic and budget --------------------------------------------------------------------


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _topic(clients: Clients, config: StackConfig) -> dict[str, Any] | None:
    arn = naming.sns_topic_arn(config.region, config.account_id, config.alerts.topic_name)
    try:
        attributes = clients("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    except Exception as exc:
        # botocore sns-2010-03-31 GetTopicAttributes: NotFoundException when no such topic.
        if _error_code(exc) in ("NotFound", "NotFoundException"):
            return None
        raise
    return dict(attributes, TopicArn=arn)


def _budget(clients: Clients, config: StackConfig) -> dict[str, Any] | None:
    if config.budget is None:
        return None
    client = clients("budgets")
    try:
        budget = client.describe_budget(AccountId=config.account_id,
                                        BudgetName=config.budget.name)["Budget"]
    except Exception as exc:
        # botocore budgets-2016-10-20 DescribeBudget: NotFoundException when no such budget.
        if _error_code(exc) == "NotFoundException":
            return None
        raise
    notifications = client.describe_notifications_for_budget(
        AccountId=config.account_id, BudgetName=config.budget.name).get("Notifications", [])
    return {"Budget": budget, "Notifications": notifications}


# --- all of it ----------------------------------------------------------------------------


def caller_account(clients: Clients) -> str:
    """The credentials' account. STS GetCallerIdentity needs no IAM permission (AWS STS API
    reference: "No permissions are required to perform this operation")."""
    return str(clients("sts").get_caller_identity()["Account"])


def _ambiguity(scope: str, what: str, lookup: Lookup, fix: str) -> str:
    count = len(lookup.candidates)
    matched = (f"{count} live {what}s match {lookup.how}" if count > 1
               else f"matched by {lookup.how}")
    return (f"{scope}: {matched}: {', '.join(lookup.candidates)}; nothing is written for it: "
            f"{fix}")


def discover(clients: Clients, config: StackConfig) -> LiveEstate:
    names, listed, described = _list_estate(clients)
    cluster_lookups = _resolve_clusters(config, names, listed)
    wanted = [lookup.candidates[0] for lookup in cluster_lookups.values()
              if lookup.status == "found"]
    by_name = _describe_clusters(clients, wanted) if wanted else {}
    clusters: dict[str, LiveCluster] = {}
    for key, lookup in cluster_lookups.items():
        live = LiveCluster(key=key, lookup=lookup)
        cluster = by_name.get(lookup.candidates[0]) if lookup.status == "found" else None
        if lookup.status == "found" and cluster is None:
            live.lookup = Lookup("missing", lookup.how)
        elif cluster is not None:
            live.name = cluster["clusterName"]
            live.arn = cluster["clusterArn"]
            settings = {s["name"]: s["value"] for s in cluster.get("settings", [])}
            live.container_insights = settings.get("containerInsights")
            live.capacity_providers = list(cluster.get("capacityProviders", []))
            live.default_strategy = list(cluster.get("defaultCapacityProviderStrategy", []))
        clusters[key] = live
    service_lookups = _resolve_services(
        config, {key: cluster.lookup for key, cluster in clusters.items()}, listed)
    services: dict[str, LiveService] = {}
    matched: set[tuple[str, str]] = set()
    for key, lookup in service_lookups.items():
        cluster_name = clusters[config.services[key].cluster].name
        service = LiveService(key, lookup, cluster_name=cluster_name)
        if lookup.status == "found" and cluster_name is not None:
            matched.add((cluster_name, lookup.candidates[0]))
            _fill_service(service, described[(cluster_name, lookup.candidates[0])], clients)
        services[key] = service
    live_clusters = {c.name for c in clusters.values() if c.name}
    unmanaged = sorted((s.cluster, s.name) for s in listed
                       if s.cluster in live_clusters and (s.cluster, s.name) not in matched
                       and not any(lookup.status == "ambiguous" and s.name in lookup.candidates
                                   for lookup in service_lookups.values()))
    found = [s for s in services.values() if s.found]
    _scaling(clients, found)
    _alarms(clients, config, found)
    _log_groups(clients, found)
    _load_balancers(clients, config, found)
    problems = [_ambiguity(f"clusters.{c.key}", "cluster", c.lookup, "set its name by hand")
                for c in clusters.values() if c.lookup.status == "ambiguous"]
    problems += [_ambiguity(f"services.{s.key}", "service", s.lookup,
                            "set serviceName (and its cluster's name) by hand")
                 for s in services.values() if s.lookup.status == "ambiguous"]
    return LiveEstate(
        account_id=config.account_id,
        region=config.region,
        clusters=clusters,
        services=services,
        unmanaged=unmanaged,
        topic=_topic(clients, config),
        budget=_budget(clients, config),
        problems=problems,
    )
