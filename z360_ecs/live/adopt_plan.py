"""What the first `pulumi up` of the adopted stack file will do, resource by resource.

`plan(run, config, estate)` takes the offline preview of the written stack file (every
registration the program makes, with its import id) and the live estate, and gives each
resource one action:

- `create`: nothing live is imported (task definitions always: a new revision is registered,
  and the live one stays for `family:N` rollbacks);
- `import`: the live resource is adopted as it is;
- `import, update`: adopted, then updated in place (the engine imports, then updates, since
  pulumi/docs#18198);
- `import, REPLACE`: adopted, then replaced. This is an error: a protected resource fails the
  `up`, an unprotected one is deleted and made again (a service outage).
- `import FAILS`: the import id names nothing live (the engine fails the import). An error.
- `import, not checked`: the resource's live match was ambiguous; its import ids stay as the
  file has them. An error until its name is set by hand.

Each difference names the input, the live and the program's value, and who decides it:
`estate` (a value adopt should have copied: one left means a stack key is missing), `stack`
(the ops log's intended change: sizes, scaling bounds, cooldowns, targets, thresholds, the
budget) or `program` (the program's own fixed settings: circuit breaker, Container Insights,
alarm shape).

Whether a difference replaces the resource is engine/diff.py's knowledge (`REPLACE_ON_CHANGE`,
`REPLACE_WHEN`: what each provider forces a new resource for, with its sources), the same table
`preview --compare` uses; the live value stands in for the old input. For the estate that means:
a changed cluster, service, alarm, log group, topic or budget name, a service's cluster,
`launchType` (classic), `schedulingStrategy` or role, a scalable target's or policy's
`resourceId`.

What an import records decides what an input the program leaves unset becomes
(engine/diff.py `UNSET_AFTER_IMPORT`, `unset_after_import`): an aws-native import records every
writable property the read returns (`imported_inputs`, from what DescribeServices gave), so an
unset one is deleted, and deleting a create-only one (schedulingStrategy, role) is a replace; a
pulumi-aws import keeps an unset Optional+Computed attribute and gives one with a default its
default. A replace of a live resource is an error, never "import, update".

A metricResolution 20 service is an `aws-native:ecs:Service` (AWS::ECS::Service through Cloud
Control; components/scalable_service.py): its inputs carry the CloudFormation names
(`serviceName`, `capacityProviderStrategy`, `networkConfiguration.awsvpcConfiguration`,
`deploymentConfiguration`), its import id is `<service ARN>|<cluster name>` (the schema's
primaryIdentifier ServiceArn, Cluster), and engine/diff.py's REPLACE_ON_CHANGE entry for the
type says what replaces it. A service step whose import id does not name the live service (a
classic `<cluster>/<service>`, or the native id with the ARN DescribeServices returns) is
`import FAILS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policies.guardrails.facts.cloudwatch import METRIC_TYPES
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    LOG_GROUP_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    SCALABLE_SERVICE_COMPONENT,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_TYPE,
)
from stack_model.config import StackConfig
from z360_ecs.engine.diff import KEEPS, replaces_on_change, unset_after_import
from z360_ecs.engine.program import COMPUTED, SECRET, ProgramRun, Registration
from z360_ecs.live.adopt_estate import LiveEstate, LiveService

_SERVICE_TYPES = (SERVICE_TYPE, NATIVE_SERVICE_TYPE)

CREATE = "create"
IMPORT = "import"
UPDATE = "import, update"
REPLACE = "import, REPLACE"
FAILS = "import FAILS"
NOT_CHECKED = "import, not checked"

ESTATE, STACK, PROGRAM = "estate", "stack", "program"



@dataclass
class Difference:
    path: str
    live: Any
    program: Any
    replaces: bool
    decided_by: str


@dataclass
class Step:
    urn: str
    type: str
    name: str
    scope: str
    """services.<key>, clusters.<key>, alerts, budget or stack."""
    action: str
    import_id: str = ""
    differences: list[Difference] = field(default_factory=list)
    note: str = ""

    @property
    def error(self) -> bool:
        return self.action in (REPLACE, FAILS, NOT_CHECKED)


def _unknown(value: Any) -> bool:
    return value is COMPUTED or value is SECRET


def _num(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


class _Compare:
    """Live values against the program's inputs of one resource of type `type_token`."""

    def __init__(self, type_token: str, inputs: dict[str, Any]) -> None:
        self.type_token = type_token
        self.inputs = inputs
        self.differences: list[Difference] = []

    def __call__(self, path: str, live: Any, decided_by: str, program: Any = None,
                 numeric: bool = False) -> None:
        value = program if program is not None else self.inputs.get(path)
        if _unknown(value):
            return
        same = _num(live) == _num(value) if numeric else live == value
        if not same:
            self.add(path, live, value, decided_by)

    def add(self, path: str, live: Any, program: Any, decided_by: str) -> None:
        """A difference; whether it replaces is engine/diff.py's to say (live value as the old
        input, the program's as the new)."""
        top = path.split(".", 1)[0]
        replaces = replaces_on_change(self.type_token, path, {top: live},
                                      dict(self.inputs, **{top: program}))
        self.differences.append(Difference(path, live, program, replaces, decided_by))


def _strategy(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"capacityProvider": s.get("capacityProvider"), "weight": s.get("weight", 0),
             "base": s.get("base", 0)} for s in items]


# DescribeServices field -> the AWS::ECS::Service property (pulumi-aws-native's input name)
# Cloud Control reads it into. The schema's read handler has one permission,
# ecs:DescribeServices (aws-ecs-service.json, handlers.read), so what a Cloud Control read
# returns is this, in CloudFormation's names; which of them it returns, and in which form, only
# a live read shows (docs/adopt.md, "What stays unverified").
_NATIVE_PROPERTIES = (
    ("serviceName", "serviceName"), ("clusterArn", "cluster"), ("launchType", "launchType"),
    ("capacityProviderStrategy", "capacityProviderStrategy"),
    ("platformVersion", "platformVersion"), ("schedulingStrategy", "schedulingStrategy"),
    ("roleArn", "role"), ("desiredCount", "desiredCount"), ("taskDefinition", "taskDefinition"),
    ("networkConfiguration", "networkConfiguration"), ("loadBalancers", "loadBalancers"),
    ("deploymentConfiguration", "deploymentConfiguration"),
    ("deploymentController", "deploymentController"), ("propagateTags", "propagateTags"),
    ("enableECSManagedTags", "enableEcsManagedTags"),
    ("enableExecuteCommand", "enableExecuteCommand"),
    ("healthCheckGracePeriodSeconds", "healthCheckGracePeriodSeconds"),
    ("placementConstraints", "placementConstraints"),
    ("placementStrategy", "placementStrategies"), ("serviceRegistries", "serviceRegistries"),
    ("tags", "tags"), ("availabilityZoneRebalancing", "availabilityZoneRebalancing"),
)


def imported_inputs(live: LiveService) -> dict[str, Any]:
    """The inputs an aws-native import records for `live`: every writable property the read
    returns (engine/diff.py, UNSET_AFTER_IMPORT). Empty values are left out: whether Cloud
    Control returns them is not known offline, and deleting one replaces nothing."""
    described = live.described
    inputs = {name: described[field] for field, name in _NATIVE_PROPERTIES
              if described.get(field) not in (None, [], {}, "")}
    # Cluster is half of the primaryIdentifier (ServiceArn, Cluster), and a read handler must
    # return the identifier as it was asked (CloudFormation resource handler contract, "read";
    # the schema has no propertyTransform for Cluster, unlike Role and TaskDefinition): the
    # import id carries the cluster's name, so the read records the name.
    if live.cluster_name:
        inputs["cluster"] = live.cluster_name
    return inputs


def _unset(compare: _Compare, live_inputs: dict[str, Any], ignored: list[str]) -> None:
    """Each imported input the program leaves unset: what the first diff makes of it
    (engine/diff.py `unset_after_import`), a difference when that is not the live value."""
    shown = {d.path.split(".", 1)[0] for d in compare.differences}
    for key, value in live_inputs.items():
        if key in compare.inputs or key in ignored or key in shown:
            continue
        after = unset_after_import(compare.type_token, key)
        if after is KEEPS or after == value:
            continue
        compare.add(key, value, after, PROGRAM)


def _native_service_diff(inputs: dict[str, Any], live: LiveService) -> list[Difference]:
    """As `_service_diff`, for an aws-native:ecs:Service: the same live values against the
    inputs pulumi-aws-native names as AWS::ECS::Service does; every writable property the
    import recorded that the program leaves unset is deleted (`_unset`)."""
    compare = _Compare(NATIVE_SERVICE_TYPE, inputs)
    compare("serviceName", live.name, ESTATE)
    compare("cluster", imported_inputs(live).get("cluster"), ESTATE)
    compare("launchType", live.launch_type, ESTATE)
    compare("capacityProviderStrategy", _strategy(live.capacity_provider_strategy), ESTATE,
            program=_strategy(inputs.get("capacityProviderStrategy") or []))
    for key, value in (("schedulingStrategy", live.scheduling_strategy),
                       ("role", live.role_arn)):
        if key in inputs:
            compare(key, value, ESTATE)
    vpc = (inputs.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    prefix = "networkConfiguration.awsvpcConfiguration"
    compare(f"{prefix}.subnets", sorted(live.subnets), ESTATE,
            program=sorted(vpc.get("subnets") or []))
    compare(f"{prefix}.securityGroups", sorted(live.security_groups), ESTATE,
            program=sorted(vpc.get("securityGroups") or []))
    compare(f"{prefix}.assignPublicIp", "ENABLED" if live.assign_public_ip else "DISABLED",
            ESTATE, program=vpc.get("assignPublicIp") or "DISABLED")
    keys = ("targetGroupArn", "containerName", "containerPort")
    program_lbs = [{k: lb.get(k) for k in keys} for lb in inputs.get("loadBalancers") or []]
    live_lbs = [{k: lb.get(k) for k in keys} for lb in live.load_balancers]
    if program_lbs != live_lbs:
        compare.add("loadBalancers", live_lbs, program_lbs, ESTATE)
    compare("platformVersion", live.platform_version, ESTATE)
    breaker = live.circuit_breaker or {"enable": False, "rollback": False}
    program_breaker = ((inputs.get("deploymentConfiguration") or {})
                       .get("deploymentCircuitBreaker") or {})
    compare("deploymentConfiguration.deploymentCircuitBreaker",
            {"enable": breaker.get("enable"), "rollback": breaker.get("rollback")}, PROGRAM,
            program={"enable": program_breaker.get("enable"),
                     "rollback": program_breaker.get("rollback")})
    # ECS: a service without a deploymentController uses ECS (rolling update).
    compare("deploymentController.type", live.deployment_controller or "ECS", PROGRAM,
            program=(inputs.get("deploymentController") or {}).get("type") or "ECS")
    if "desiredCount" not in inputs.get("__ignore", []):
        compare("desiredCount", live.desired_count, STACK, numeric=True)
    compare.add("taskDefinition", f"{live.task_family}:{live.task_revision}", "(new revision)",
                STACK)
    _unset(compare, imported_inputs(live), inputs.get("__ignore", []))
    return compare.differences


def _service_import(registration: Registration, live: LiveService) -> str | None:
    """Why the service's import id does not name the live service, or None when it does."""
    native = registration.type == NATIVE_SERVICE_TYPE
    wanted = live.native_import_id if native else live.import_id
    if registration.import_id == wanted:
        return None
    return (f"the import id names {registration.import_id}, the live service is {wanted}"
            + (" (its ARN as DescribeServices returns it)" if native else ""))


def _service_diff(inputs: dict[str, Any], live: LiveService) -> list[Difference]:
    compare = _Compare(SERVICE_TYPE, inputs)
    compare("name", live.name, ESTATE)
    compare("cluster", live.described.get("clusterArn"), ESTATE)
    compare("launchType", live.launch_type, ESTATE)
    compare("capacityProviderStrategies", _strategy(live.capacity_provider_strategy), ESTATE,
            program=_strategy(inputs.get("capacityProviderStrategies") or []))
    # What the import read that the program may leave unset (engine/diff.py
    # UNSET_AFTER_IMPORT): scheduling_strategy takes its default, iam_role, launch_type and
    # the deployment controller keep the live value.
    live_inputs = {"schedulingStrategy": live.scheduling_strategy, "iamRole": live.role_arn,
                   "deploymentController": ({"type": live.deployment_controller}
                                            if live.deployment_controller else None)}
    for key, value in live_inputs.items():
        if value is not None and key in inputs:
            compare(key, value, ESTATE)
    network = inputs.get("networkConfiguration") or {}
    compare("networkConfiguration.subnets", sorted(live.subnets), ESTATE,
            program=sorted(network.get("subnets") or []))
    compare("networkConfiguration.securityGroups", sorted(live.security_groups), ESTATE,
            program=sorted(network.get("securityGroups") or []))
    compare("networkConfiguration.assignPublicIp", bool(live.assign_public_ip), ESTATE,
            program=bool(network.get("assignPublicIp")))
    program_lbs = [{k: lb.get(k) for k in ("targetGroupArn", "containerName", "containerPort")}
                   for lb in inputs.get("loadBalancers") or []]
    live_lbs = [{k: lb.get(k) for k in ("targetGroupArn", "containerName", "containerPort")}
                for lb in live.load_balancers]
    if program_lbs != live_lbs:
        compare.add("loadBalancers", live_lbs, program_lbs, ESTATE)
    compare("platformVersion", live.platform_version, ESTATE)
    breaker = live.circuit_breaker or {"enable": False, "rollback": False}
    program_breaker = inputs.get("deploymentCircuitBreaker") or {}
    compare("deploymentCircuitBreaker", {"enable": breaker.get("enable"),
                                         "rollback": breaker.get("rollback")}, PROGRAM,
            program={"enable": program_breaker.get("enable"),
                     "rollback": program_breaker.get("rollback")})
    if "desiredCount" not in inputs.get("__ignore", []):
        compare("desiredCount", live.desired_count, STACK, numeric=True)
    # The service moves to the new task revision: an update in place.
    compare.add("taskDefinition", f"{live.task_family}:{live.task_revision}", "(new revision)",
                STACK)
    _unset(compare, {k: v for k, v in live_inputs.items() if v is not None},
           inputs.get("__ignore", []))
    return compare.differences


def _target_diff(inputs: dict[str, Any], target: dict[str, Any]) -> list[Difference]:
    compare = _Compare(TARGET_TYPE, inputs)
    compare("resourceId", target["ResourceId"], ESTATE)
    compare("scalableDimension", target["ScalableDimension"], ESTATE)
    compare("serviceNamespace", target["ServiceNamespace"], ESTATE)
    compare("minCapacity", target["MinCapacity"], STACK, numeric=True)
    compare("maxCapacity", target["MaxCapacity"], STACK, numeric=True)
    return compare.differences


def _policy_diff(inputs: dict[str, Any], policy: dict[str, Any]) -> list[Difference]:
    compare = _Compare(SCALING_POLICY_TYPE, inputs)
    compare("name", policy["PolicyName"], ESTATE)
    compare("resourceId", policy["ResourceId"], ESTATE)
    compare("policyType", policy["PolicyType"], ESTATE)
    live = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    program = inputs.get("targetTrackingScalingPolicyConfiguration") or {}
    metric = (live.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    program_metric = (program.get("predefinedMetricSpecification") or {}).get(
        "predefinedMetricType")
    # The same CloudWatch metric at another resolution is the stack's metricResolution (a 20 s
    # service tracks the HighResolution type); any other metric type is the estate's.
    same_metric = (metric in METRIC_TYPES and program_metric in METRIC_TYPES
                   and METRIC_TYPES[metric][0] == METRIC_TYPES[program_metric][0])
    compare("predefinedMetricType", metric, STACK if same_metric else ESTATE,
            program=program_metric)
    for live_key, key in (("TargetValue", "targetValue"), ("ScaleOutCooldown", "scaleOutCooldown"),
                          ("ScaleInCooldown", "scaleInCooldown")):
        # Application Auto Scaling: an unset cooldown means 300 s (DESIGN.md).
        live_value = live.get(live_key, 300 if "Cooldown" in live_key else None)
        compare(f"targetTracking.{key}", live_value, STACK, program=program.get(key, 300),
                numeric=True)
    compare("targetTracking.disableScaleIn", bool(live.get("DisableScaleIn", False)), STACK,
            program=bool(program.get("disableScaleIn", False)))
    return compare.differences


_ALARM_FIELDS = (
    ("Namespace", "namespace", PROGRAM, False), ("MetricName", "metricName", ESTATE, False),
    ("Statistic", "statistic", PROGRAM, False),
    ("ComparisonOperator", "comparisonOperator", PROGRAM, False),
    ("Threshold", "threshold", STACK, True), ("Period", "period", STACK, True),
    ("EvaluationPeriods", "evaluationPeriods", STACK, True),
    ("DatapointsToAlarm", "datapointsToAlarm", STACK, True),
    ("TreatMissingData", "treatMissingData", PROGRAM, False),
)


def _alarm_diff(inputs: dict[str, Any], alarm: dict[str, Any]) -> list[Difference]:
    compare = _Compare(METRIC_ALARM_TYPE, inputs)
    compare("name", alarm["AlarmName"], ESTATE)
    for live_key, key, decided_by, numeric in _ALARM_FIELDS:
        live_value = alarm.get(live_key)
        if live_key == "DatapointsToAlarm" and live_value is None:
            live_value = alarm.get("EvaluationPeriods")  # CloudWatch: unset means all of them
        if live_key == "TreatMissingData" and live_value is None:
            live_value = "missing"  # CloudWatch's default
        compare(key, live_value, decided_by, numeric=numeric)
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    compare("dimensions", dimensions, ESTATE)
    compare("alarmActions", sorted(alarm.get("AlarmActions", [])), PROGRAM,
            program=sorted(inputs.get("alarmActions") or []) or None)
    return compare.differences


def _owner(run: ProgramRun, registration: Registration) -> str:
    by_urn = {r.urn: r for r in run.registrations}
    parent = by_urn.get(registration.parent)
    while parent is not None:
        if parent.type == SCALABLE_SERVICE_COMPONENT:
            return f"services.{parent.name}"
        parent = by_urn.get(parent.parent)
    if registration.type == CLUSTER_TYPE:
        return f"clusters.{registration.name.removesuffix('-cluster')}"
    if registration.type.startswith("aws:sns/"):
        return "alerts"
    if registration.type == BUDGET_TYPE:
        return "budget"
    return "stack"


def _ambiguous(estate: LiveEstate, scope: str, service: LiveService | None) -> str:
    """Why the live resource of `scope` is not known, when its match was ambiguous ("" else):
    its import ids stay as the file has them and are not checked."""
    kind, _, key = scope.partition(".")
    lookup = (service.lookup if service is not None
              else estate.clusters[key].lookup if kind == "clusters" else None)
    if lookup is None or lookup.status != "ambiguous":
        return ""
    return (f"{scope} is ambiguous ({', '.join(lookup.candidates)}): its import ids are "
            "not checked until its name is set by hand")


def plan(run: ProgramRun, config: StackConfig, estate: LiveEstate) -> list[Step]:
    """One step per custom resource of the preview `run` of the adopted stack file."""
    steps = []
    for registration in run.resources:
        if not registration.custom:
            continue
        scope = _owner(run, registration)
        step = Step(registration.urn, registration.type, registration.name, scope, CREATE,
                    registration.import_id)
        inputs = dict(registration.inputs)
        inputs["__ignore"] = registration.ignore_changes
        live_service = (estate.services.get(scope.split(".", 1)[1])
                        if scope.startswith("services.") else None)
        differences: list[Difference] | None = None
        kind = registration.type
        unresolved = _ambiguous(estate, scope, live_service)
        if kind == TASK_DEFINITION_TYPE:
            if live_service is not None and live_service.task_revision:
                step.note = (f"new revision of {live_service.task_family}; "
                             f":{live_service.task_revision} stays registered")
        elif not registration.import_id or unresolved:
            pass
        elif kind == CLUSTER_TYPE and estate.clusters[scope.split(".", 1)[1]].name:
            cluster = estate.clusters[scope.split(".", 1)[1]]
            compare = _Compare(kind, inputs)
            compare("name", cluster.name, ESTATE)
            settings = {s.get("name"): s.get("value") for s in inputs.get("settings") or []}
            compare("containerInsights", cluster.container_insights or "disabled", PROGRAM,
                    program=settings.get("containerInsights"))
            differences = compare.differences
        elif kind in _SERVICE_TYPES and live_service is not None and live_service.found:
            failure = _service_import(registration, live_service)
            if failure is not None:
                step.note = failure
            elif kind == NATIVE_SERVICE_TYPE:
                differences = _native_service_diff(inputs, live_service)
                step.note = ("20 s metrics (monitoring) from this update on; DescribeServices "
                             "does not return the live setting")
            else:
                differences = _service_diff(inputs, live_service)
        elif kind == TARGET_TYPE and live_service is not None \
                and live_service.scalable_target is not None:
            differences = _target_diff(inputs, live_service.scalable_target)
        elif kind == SCALING_POLICY_TYPE and live_service is not None:
            policy = next((p for p in live_service.policies
                           if p["PolicyName"] == inputs.get("name")), None)
            differences = _policy_diff(inputs, policy) if policy else None
        elif kind == METRIC_ALARM_TYPE and live_service is not None:
            alarm = next((a for a in live_service.alarms.values()
                          if a["AlarmName"] == inputs.get("name")), None)
            differences = _alarm_diff(inputs, alarm) if alarm else None
        elif kind == LOG_GROUP_TYPE and live_service is not None \
                and live_service.log_group is not None:
            compare = _Compare(kind, inputs)
            compare("name", live_service.log_group["logGroupName"], ESTATE)
            compare("retentionInDays", live_service.log_group.get("retentionInDays"), STACK,
                    numeric=True)
            differences = compare.differences
        elif kind == TOPIC_TYPE and estate.topic is not None:
            compare = _Compare(kind, inputs)
            compare("name", estate.topic["TopicArn"].rsplit(":", 1)[-1], ESTATE)
            differences = compare.differences
        elif kind == BUDGET_TYPE and estate.budget is not None:
            differences = _budget_diff(inputs, estate.budget)
        if registration.import_id:
            if unresolved:
                step.action = NOT_CHECKED
                step.note = unresolved
            elif differences is None:
                step.action = FAILS
                step.note = step.note or "the import id names nothing adopt found live"
            else:
                step.differences = differences
                step.action = (REPLACE if any(d.replaces for d in differences)
                               else UPDATE if differences else IMPORT)
        steps.append(step)
    return steps


def _budget_diff(inputs: dict[str, Any], live: dict[str, Any]) -> list[Difference]:
    compare = _Compare(BUDGET_TYPE, inputs)
    budget = live["Budget"]
    compare("name", budget["BudgetName"], ESTATE)
    compare("limitAmount", budget.get("BudgetLimit", {}).get("Amount"), STACK, numeric=True)
    live_notes = sorted((n.get("NotificationType"), n.get("ThresholdType", "PERCENTAGE"),
                         float(n["Threshold"])) for n in live["Notifications"])
    program_notes = sorted((n.get("notificationType"), n.get("thresholdType", "PERCENTAGE"),
                            float(n.get("threshold", 0))) for n in inputs.get("notifications") or [])
    if live_notes != program_notes:
        compare.add("notifications", live_notes, program_notes, STACK)
    return compare.differences
