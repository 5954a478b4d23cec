"""`z360-ecs preview STACK`: the resource tree the program would create, with no cloud.

Runs the real `__main__.py` under the mock engine in preview mode and prints every resource
under its parent with the values an engineer reviews. Values only AWS knows show as
`(computed)`, secrets as `[secret]`. Output is deterministic; `--json` prints everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    DASHBOARD_TYPE,
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE,
    LAMBDA_FUNCTION_TYPE,
    LAMBDA_PERMISSION_TYPE,
    LOG_GROUP_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    SSM_PARAMETER_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from stack_model.config import ConfigError
from z360_ecs.common import (
    SpecError,
    StackFileError,
    add_stack_arguments,
    resolve_spec,
)
from z360_ecs.engine.diff import diff_runs, render_diff
from z360_ecs.engine.program import (
    COMPUTED,
    SECRET,
    ProgramRun,
    Registration,
    ResourceNode,
    rare_full_collections,
    resource_tree,
    run_or_report,
    run_program,
    walk,
)

# Per type: the input paths worth reviewing, in display order.
REVIEW_FIELDS: dict[str, tuple[str, ...]] = {
    CLUSTER_TYPE: ("name", "settings"),
    CLUSTER_CAPACITY_PROVIDERS_TYPE: (
        "clusterName", "capacityProviders", "defaultCapacityProviderStrategies",
    ),
    TASK_DEFINITION_TYPE: (
        "family", "cpu", "memory", "runtimePlatform.cpuArchitecture", "skipDestroy",
    ),
    SERVICE_TYPE: (
        "name", "desiredCount", "taskDefinition", "launchType", "capacityProviderStrategies",
        "forceNewDeployment", "deploymentCircuitBreaker", "networkConfiguration.assignPublicIp",
    ),
    NATIVE_SERVICE_TYPE: (
        "serviceName", "desiredCount", "taskDefinition", "launchType", "capacityProviderStrategy",
        "forceNewDeployment", "deploymentConfiguration.deploymentCircuitBreaker",
        "deploymentController.type",
        "monitoring", "networkConfiguration.awsvpcConfiguration.assignPublicIp",
    ),
    TARGET_TYPE: ("resourceId", "minCapacity", "maxCapacity"),
    SCALING_POLICY_TYPE: (
        "name",
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType",
        "targetTrackingScalingPolicyConfiguration.targetValue",
        "targetTrackingScalingPolicyConfiguration.scaleOutCooldown",
        "targetTrackingScalingPolicyConfiguration.scaleInCooldown",
        "targetTrackingScalingPolicyConfiguration.disableScaleIn",
    ),
    METRIC_ALARM_TYPE: (
        "name", "namespace", "metricName", "statistic", "comparisonOperator", "threshold",
        "period", "evaluationPeriods", "datapointsToAlarm", "treatMissingData", "alarmActions",
    ),
    LOG_GROUP_TYPE: ("name", "retentionInDays"),
    ROLE_TYPE: ("name",),
    ROLE_POLICY_TYPE: ("policy",),
    TOPIC_TYPE: ("name",),
    TOPIC_POLICY_TYPE: ("arn",),
    TOPIC_SUBSCRIPTION_TYPE: ("protocol", "endpoint"),
    BUDGET_TYPE: (
        "name", "budgetType", "timeUnit", "limitAmount", "limitUnit", "notifications",
    ),
    LAMBDA_FUNCTION_TYPE: (
        "name", "runtime", "handler", "timeout", "reservedConcurrentExecutions",
        "environment.variables",
    ),
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE: (
        "maximumRetryAttempts", "destinationConfig.onFailure.destination",
    ),
    LAMBDA_PERMISSION_TYPE: ("action", "principal"),
    SSM_PARAMETER_TYPE: ("name", "type", "tier"),
    DASHBOARD_TYPE: ("dashboardName",),
}


def _get(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _jsonable(value: Any) -> Any:
    if value is COMPUTED:
        return "(computed)"
    if value is SECRET:
        return "[secret]"
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _short(value: Any) -> str:
    if value is COMPUTED:
        return "(computed)"
    if value is SECRET:
        return "[secret]"
    if isinstance(value, (dict, list)):
        return json.dumps(_jsonable(value), sort_keys=True, separators=(", ", ": "))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flags(registration: Registration) -> str:
    flags = []
    if registration.protect:
        flags.append("protect")
    if registration.import_id:
        flags.append(f"import {registration.import_id}")
    if registration.ignore_changes:
        flags.append("ignoreChanges " + ",".join(registration.ignore_changes))
    return f"  [{'; '.join(flags)}]" if flags else ""


def _render(node: ResourceNode, prefix: str, last: bool, lines: list[str]) -> None:
    registration = node.registration
    branch = "└─ " if last else "├─ "
    lines.append(f"{prefix}{branch}{registration.type}  {registration.name}{_flags(registration)}")
    inner = prefix + ("   " if last else "│  ")
    fields = REVIEW_FIELDS.get(registration.type, ())
    detail_prefix = inner + ("│    " if node.children else "     ")
    for path in fields:
        value = _get(registration.inputs, path)
        if value is None:
            continue
        lines.append(f"{detail_prefix}{path.rsplit('.', 1)[-1]}: {_short(value)}")
    for index, child in enumerate(node.children):
        _render(child, inner, index == len(node.children) - 1, lines)


def render_text(run: ProgramRun) -> str:
    roots = resource_tree(run)
    stack = run.settings.stack
    lines = [f"{run.settings.project} {stack}: offline preview, {len(run.resources)} resources "
             "(+ create; values AWS assigns show as (computed))",
             *(f"note: {note}" for note in run.notes)]
    for root in roots:
        registration = root.registration
        lines.append(f"{registration.type}  {registration.name}")
        for index, child in enumerate(root.children):
            _render(child, "", index == len(root.children) - 1, lines)
    lines.append("")
    lines.append("Outputs:")
    for name, value in sorted(run.outputs.items()):
        if isinstance(value, dict):
            lines.append(f"  {name}:")
            for key, item in value.items():
                lines.append(f"    {key}: {_short(item)}")
        else:
            lines.append(f"  {name}: {_short(value)}")
    return "\n".join(lines) + "\n"


def render_json(run: ProgramRun) -> str:
    document = {
        "project": run.settings.project,
        "stack": run.settings.stack,
        "resourceCount": len(run.resources),
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "protect": r.protect,
                "ignoreChanges": r.ignore_changes,
                "importId": r.import_id or None,
                "inputs": _jsonable(r.inputs),
            }
            for r in walk(resource_tree(run))
            if r.type != "pulumi:pulumi:Stack"
        ],
        "outputs": _jsonable(run.outputs),
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def _compare(args: argparse.Namespace, run: ProgramRun) -> int:
    """Print what changes from the --compare stack config to this one."""
    try:
        with tempfile.TemporaryDirectory(prefix="z360-spec-") as scratch:
            old_file = resolve_spec(args.compare, args.project_dir, Path(scratch))
            old_run = run_program(args.stack, project_dir=args.project_dir, stack_file=old_file,
                                  echo_notes=False, last_in_process=True)
    except (ConfigError, StackFileError, SpecError) as exc:
        print(f"error: --compare {args.compare}: {exc}", file=sys.stderr)
        return 2
    new_label = str(args.stack_file or f"Pulumi.{args.stack}.yaml")
    sys.stdout.write(render_diff(diff_runs(old_run, run), args.compare, new_label))
    return 0


def handle(args: argparse.Namespace) -> int:
    # The tree prints the program's notes under its header and JSON keeps stdout the machine's
    # (they go to stderr); a comparison of two configs is no place for them.
    with rare_full_collections():
        run = run_or_report(args, echo_notes=args.json and not getattr(args, "compare", None),
                            last_in_process=True)
        if run is None:
            return 2
        if getattr(args, "compare", None):
            return _compare(args, run)
        sys.stdout.write(render_json(run) if args.json else render_text(run))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview", help="print the resource tree of a stack, as `pulumi preview` would create it",
        description=__doc__,
    )
    add_stack_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument(
        "--compare", metavar="SPEC", default=None,
        help="print what changes from SPEC to this stack's config instead of the tree; SPEC "
             "is a stack file or REV:PATH at a git revision (e.g. HEAD:Pulumi.beta.yaml)",
    )
    parser.set_defaults(handler=handle)
