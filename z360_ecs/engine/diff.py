"""Compare two runs of the program: what a stack-config change would add, remove and change.

`diff_runs(old, new)` matches registrations by URN and reports resources added and removed,
and per changed resource every changed input path (`old -> new`), plus changed resource
options (protect, ignoreChanges, import). Inputs AWS would replace rather than update in place
are flagged from a small table of replace-on-change properties per type (pulumi-aws marks these
as forcing a new resource), plus the inputs that replace only under a condition (REPLACE_WHEN);
the tables cover what this program sets, and a path not in them is shown as an update. They are
the one source of this knowledge: `z360-ecs adopt` (live/adopt_plan.py) asks
`replaces_on_change` whether a live-to-program difference replaces an adopted resource, and
`unset_after_import` what an input the program leaves unset becomes after each provider's
import (UNSET_AFTER_IMPORT). Values
only AWS knows are `(computed)` in both runs, so a change that only shows up after AWS answers
(a new ARN after a replacement) is not listed: `pulumi preview`
against the real stack remains the authority.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    LOG_GROUP_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SCHEDULED_ACTION_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from z360_ecs.engine.program import COMPUTED, SECRET, ProgramRun, Registration

# Input paths whose change replaces the resource (top-level input names; a nested path
# replaces when its first segment is listed). None = every input except those in _IN_PLACE.
# A deleted input is a change too (the engine diffs the recorded inputs, deletes included).
REPLACE_ON_CHANGE: dict[str, tuple[str, ...] | None] = {
    CLUSTER_TYPE: ("name",),
    # Task definitions are immutable: any change registers a new revision.
    TASK_DEFINITION_TYPE: None,
    # ForceNew in terraform-provider-aws internal/service/ecs/service.go (which pulumi-aws 7
    # wraps): name, cluster, iam_role, scheduling_strategy, deployment_controller.type;
    # launch_type and capacity_provider_strategy: REPLACE_WHEN and _service_rules.
    SERVICE_TYPE: ("name", "cluster", "iamRole", "schedulingStrategy", "deploymentController"),
    # createOnlyProperties of AWS::ECS::Service (pulumi-aws-native
    # aws-cloudformation-schema/aws-ecs-service.json: Cluster, Role, SchedulingStrategy,
    # ServiceName), the SDK's replace_on_changes (pulumi_aws_native/ecs/service.py), which the
    # engine applies to the keys its own diff finds changed or deleted (pulumi/pulumi
    # pkg/resource/deploy/step_generator.go, applyReplaceOnChanges). LaunchType is only in
    # conditionalCreateOnlyProperties, which neither the SDK nor the provider turns into a
    # replace: Cloud Control is asked to update it, as capacityProviderStrategy; nothing
    # refuses a strategy change without forceNewDeployment (pulumi-aws's own rule,
    # _service_rules).
    NATIVE_SERVICE_TYPE: ("serviceName", "cluster", "role", "schedulingStrategy"),
    CLUSTER_CAPACITY_PROVIDERS_TYPE: ("clusterName",),
    TARGET_TYPE: ("resourceId", "scalableDimension", "serviceNamespace"),
    SCALING_POLICY_TYPE: (
        "name", "resourceId", "scalableDimension", "serviceNamespace",
    ),
    # ForceNew in terraform-provider-aws internal/service/appautoscaling/scheduled_action.go:
    # name, service_namespace, resource_id, scalable_dimension; schedule, timezone and
    # scalable_target_action are put again in place (PutScheduledAction).
    SCHEDULED_ACTION_TYPE: ("name", "resourceId", "scalableDimension", "serviceNamespace"),
    METRIC_ALARM_TYPE: ("name",),
    LOG_GROUP_TYPE: ("name",),
    ROLE_TYPE: ("name", "path"),
    ROLE_POLICY_TYPE: ("name", "role"),
    TOPIC_TYPE: ("name", "fifoTopic"),
    TOPIC_POLICY_TYPE: ("arn",),
    TOPIC_SUBSCRIPTION_TYPE: ("topic", "protocol", "endpoint"),
    BUDGET_TYPE: ("name", "accountId"),
}
# Inputs that never replace, even on a type that otherwise always does.
_IN_PLACE = ("tags", "tagsAll", "skipDestroy", "trackLatest")

KEEPS = "(keeps the live value)"
"""What an input the program leaves unset becomes when the provider keeps the live value."""

# What an import records as a resource's inputs decides what an input the program leaves
# unset becomes in the first diff after it (`unset_after_import`):
# - aws-native (Cloud Control): with no recorded inputs, Read takes every writable property
#   Cloud Control returns as an input (pulumi-aws-native provider/pkg/provider/provider.go,
#   Read: `if inputs == nil { ... newInputs = classifier.ProjectWritableOutputState(...) }`;
#   provider/pkg/resources/path_classifier.go drops only read-only and write-only paths;
#   pulumi-aws-native#2941, "Import infers provider-observed/default fields as desired
#   inputs"). Its Diff answers DIFF_UNKNOWN, so the engine diffs those recorded inputs against
#   the program's (step_generator.go, diffResource): an unset property is a deleted key, and a
#   deleted create-only key is a replace, which the engine refuses while the import id is set
#   (pulumi/pulumi#20762) and on a protected resource.
# - pulumi-aws (terraform-provider-aws through the bridge): the import reads every attribute;
#   the plan keeps an Optional+Computed attribute the program leaves unset, gives one with a
#   Default its default, and drops the rest (terraform-plugin-sdk schema semantics). Only the
#   attributes whose unset value could replace are listed (ForceNew, service.go); any other
#   keeps as far as a replace is concerned.
UNSET_AFTER_IMPORT: dict[str, dict[str, Any]] = {
    SERVICE_TYPE: {
        # Optional + Computed + ForceNew: unset keeps the live value.
        "cluster": KEEPS, "iamRole": KEEPS, "launchType": KEEPS,
        # Optional + ForceNew, Default REPLICA.
        "schedulingStrategy": "REPLICA",
        # A missing deployment_controller block is suppressed
        # (verify.SuppressMissingOptionalConfigurationBlock).
        "deploymentController": KEEPS,
    },
}


def unset_after_import(type_token: str, key: str) -> Any:
    """What input `key` of an imported `type_token` resource becomes in the first diff when the
    program leaves it unset: KEEPS, None (deleted) or the provider's default."""
    if type_token.startswith("aws-native:"):
        return None
    return UNSET_AFTER_IMPORT.get(type_token, {}).get(key, KEEPS)


STRATEGY_REFUSED = (
    "refused: pulumi-aws updates a service's capacity provider strategy only with "
    "forceNewDeployment (set migrateLaunchConfiguration for this update)"
)


def _launch_type_set(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """`launch_type` is ForceNew but also Optional+Computed in terraform-provider-aws
    (internal/service/ecs/service.go, which pulumi-aws 7 wraps): setting or changing it replaces
    the service; leaving it unset keeps the live value, so dropping it changes nothing."""
    value = new.get("launchType")
    return value is not None and value is not COMPUTED


def _never(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return False


# Inputs whose change replaces only in some cases: (type, top-level input) -> rule on the old
# and new inputs. Checked before REPLACE_ON_CHANGE. A changed capacity provider strategy is an
# in-place UpdateService, or refused without forceNewDeployment (_service_rules).
REPLACE_WHEN: dict[tuple[str, str], Callable[[Mapping[str, Any], Mapping[str, Any]], bool]] = {
    (SERVICE_TYPE, "launchType"): _launch_type_set,
    (SERVICE_TYPE, "capacityProviderStrategies"): _never,
}


@dataclass
class Change:
    path: str
    old: Any
    new: Any
    replaces: bool
    refused: str | None = None
    """Why the provider refuses this change outright, when it does."""


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    changes: list[Change] = field(default_factory=list)
    option_changes: list[Change] = field(default_factory=list)

    @property
    def replaces(self) -> bool:
        return any(c.replaces for c in self.changes)

    @property
    def refused(self) -> bool:
        return any(c.refused for c in self.changes)


@dataclass
class ProgramDiff:
    added: list[Registration]
    removed: list[Registration]
    changed: list[ResourceChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _json_container(value: Any) -> Any:
    """JSON documents held in strings (container definitions, policies) compared by content."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by path: `a.b`, `list[0].c`. Empty maps and lists are leaves."""
    value = _json_container(value)
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and value:
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def replaces_on_change(
    type_token: str, path: str,
    old_inputs: Mapping[str, Any] | None = None, new_inputs: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a change of input `path` replaces a `type_token` resource; the inputs on both
    sides decide the conditional cases (REPLACE_WHEN)."""
    top = _top(path)
    if top in _IN_PLACE:
        return False
    rule = REPLACE_WHEN.get((type_token, top))
    if rule is not None:
        return rule(old_inputs or {}, new_inputs or {})
    if type_token not in REPLACE_ON_CHANGE:
        return False
    listed = REPLACE_ON_CHANGE[type_token]
    return listed is None or top in listed


def _service_rules(new_inputs: dict[str, Any], changes: list[Change]) -> None:
    """What pulumi-aws refuses outright on an ECS service (terraform-provider-aws
    internal/service/ecs/service.go, which pulumi-aws 7 wraps; replacements: REPLACE_WHEN):

    - `capacityProviderStrategyCustomizeDiff`: on an existing service a changed
      `capacity_provider_strategy` is refused ("force_new_deployment should be true when
      capacity_provider_strategy is being updated") unless `force_new_deployment` is true, and
      is then an in-place UpdateService. (Provider v5 forced a replacement instead, and did so
      even with force_new_deployment when the strategy went from empty to set or back.)
    """
    force = new_inputs.get("forceNewDeployment") is True
    for change in changes:
        if _top(change.path) == "capacityProviderStrategies":
            change.refused = None if force else STRATEGY_REFUSED


def _option_changes(old: Registration, new: Registration) -> list[Change]:
    changes = []
    for label, before, after in (
        ("protect", old.protect, new.protect),
        ("ignoreChanges", sorted(old.ignore_changes), sorted(new.ignore_changes)),
        ("import", old.import_id or None, new.import_id or None),
    ):
        if before != after:
            changes.append(Change(label, before, after, replaces=False))
    return changes


def diff_runs(old: ProgramRun, new: ProgramRun) -> ProgramDiff:
    """What changes going from `old` to `new`, resource by resource (matched by URN)."""
    old_by_urn = {r.urn: r for r in old.resources}
    new_by_urn = {r.urn: r for r in new.resources}
    added = [r for r in new.resources if r.urn not in old_by_urn]
    removed = [r for r in old.resources if r.urn not in new_by_urn]
    changed = []
    for registration in new.resources:
        before = old_by_urn.get(registration.urn)
        if before is None:
            continue
        old_flat, new_flat = flatten(before.inputs), flatten(registration.inputs)
        changes = []
        for path in sorted(set(old_flat) | set(new_flat)):
            before_value, after_value = old_flat.get(path), new_flat.get(path)
            if before_value == after_value:
                continue
            # A value unknown offline on one side is not known to differ: never a replace.
            known = before_value is not COMPUTED and after_value is not COMPUTED
            changes.append(Change(
                path, before_value, after_value,
                known and replaces_on_change(registration.type, path, before.inputs,
                                             registration.inputs),
            ))
        if registration.type == SERVICE_TYPE:
            _service_rules(registration.inputs, changes)
        options = _option_changes(before, registration)
        if changes or options:
            changed.append(ResourceChange(
                registration.urn, registration.type, registration.name, changes, options,
            ))
    return ProgramDiff(added=added, removed=removed, changed=changed)


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if value is COMPUTED:
        return "(computed)"
    if value is SECRET:
        return "[secret]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=repr)


def render_diff(diff: ProgramDiff, old_label: str, new_label: str) -> str:
    lines = [f"changes from {old_label} to {new_label}:"]
    if diff.empty:
        lines.append("  no changes")
        return "\n".join(lines) + "\n"
    for registration in diff.added:
        lines.append(f"  + {registration.urn}")
    for registration in diff.removed:
        protected = "  (protected: `pulumi up` will refuse)" if registration.protect else ""
        lines.append(f"  - {registration.urn}{protected}")
    for change in diff.changed:
        verb = "+-" if change.replaces else "~ "
        note = "  (replace)" if change.replaces else ""
        if change.refused:
            verb, note = "x ", "  (refused: `pulumi up` fails here)"
        lines.append(f"  {verb} {change.urn}{note}")
        for item in change.changes:
            marker = "  [replaces]" if item.replaces else ""
            if item.refused:
                marker = f"  [{item.refused}]"
            lines.append(f"       {item.path}: {_show(item.old)} -> {_show(item.new)}{marker}")
        for item in change.option_changes:
            lines.append(f"       [{item.path}] {_show(item.old)} -> {_show(item.new)}")
    replacements = sum(1 for c in diff.changed if c.replaces)
    refused = sum(1 for c in diff.changed if c.refused)
    summary = (
        f"{len(diff.added)} to add, {len(diff.removed)} to delete, "
        f"{len(diff.changed) - replacements} to update in place, {replacements} to replace"
    )
    if refused:
        summary += f", {refused} refused by the provider"
    lines.append(summary)
    return "\n".join(lines) + "\n"
