"""IAM rules: no policy document allows every action, or every action of a service; secrets are
granted by their own ARN; kms:Decrypt through kms:ViaService names the key's own region; and
(stack) each service's execution role can read the secrets its task definition names; task
protection is granted on one cluster's tasks only. The secret
facts and their sources live in secret_facts.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import NotApplicable, known, label, parse_json, resource_policy, stack_policy
from .facts.scaling import CLUSTER_TASKS_ARN, TASK_PROTECTION_ACTIONS
from .facts.secrets import (
    VIA_SERVICE,
    grants,
    is_secrets_manager,
    kms_key_region,
    secret_resource_arn,
    via_service_region,
)
from .facts.types import MANAGED_POLICY_TYPE, ROLE_POLICY_TYPE

POLICY_DOCUMENT_TYPES = (ROLE_POLICY_TYPE, MANAGED_POLICY_TYPE)

# IAM matches Action with glob semantics: `*` any run of characters, `?` any one (IAM User
# Guide, "IAM JSON policy elements: Action"). A pattern with either matches more than one
# action, or will as AWS adds actions: `*`, `*:*`, `s3:**`, `iam:?*`, `ecr:Get*` alike.
WILDCARD_ACTION = re.compile(r"[*?]")


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action element `pattern` covers `action`, as IAM matches it: case-insensitive,
    `*` any run of characters and `?` any one, anywhere in the pattern (the same glob
    WILDCARD_ACTION finds)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                    for c in pattern.lower())
    return re.fullmatch(regex, action.lower()) is not None


def _as_list(value: Any) -> list[Any]:
    """A policy element as a list: IAM takes one value or a list of them."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def wildcard_findings(document: Any) -> list[str]:
    """What in an IAM policy document allows a wildcard action; empty when nothing does."""
    if not isinstance(document, Mapping):
        raise ValueError("policy is not a JSON object")
    findings = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"#{index + 1}"
        wild = [a for a in _as_list(statement.get("Action")) if WILDCARD_ACTION.search(str(a))]
        if wild:
            findings.append(f"statement {sid} allows Action {', '.join(map(str, wild))}")
        if "NotAction" in statement:
            findings.append(f"statement {sid} allows every action but its NotAction list")
    return findings


def check_iam_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """An IAM policy document grants named actions, never a pattern (`*`, `s3:*`, `iam:?*`)."""
    props = args.props
    document = parse_json(props.get("policy"), "policy")
    who = label(props, str(props.get("name") or args.name))
    for finding in wildcard_findings(document):
        report(f"{who}: {finding}; grant the actions the role needs by name", None)


def _allows(statement: Mapping[str, Any], action: str) -> bool:
    return any(action_matches(str(granted), action)
               for granted in _as_list(statement.get("Action")))


def _allowed_resources(document: Any, action: str) -> list[str]:
    """Every Resource an Allow statement grants `action` on."""
    if not isinstance(document, Mapping):
        raise ValueError("policy is not a JSON object")
    resources: list[str] = []
    for statement in _as_list(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow" \
                and _allows(statement, action):
            resources.extend(str(r) for r in _as_list(statement.get("Resource")))
    return resources


GET_SECRET = "secretsmanager:GetSecretValue"
GET_PARAMETERS = "ssm:GetParameters"


def secret_reference_findings(document: Any) -> list[str]:
    """Secrets Manager resources that are references (`:json-key:...`), not secret ARNs."""
    return [
        f"{resource} is a secret reference, not the secret's ARN; grant "
        f"{secret_resource_arn(resource)}"
        for resource in _allowed_resources(document, GET_SECRET)
        if is_secrets_manager(resource) and secret_resource_arn(resource) != resource
        and not resource.endswith("*") and not resource.endswith("-??????")
    ]


def check_secret_resources_are_secret_arns(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """secretsmanager:GetSecretValue is granted on secret ARNs, never on a valueFrom reference.

    ECS developer guide, "Pass Secrets Manager secrets through Amazon ECS environment
    variables": valueFrom may end in `:json-key:version-stage:version-id`; IAM evaluates the
    secret's own ARN, so such a resource never matches and the task fails to start."""
    props = args.props
    document = parse_json(props.get("policy"), "policy")
    who = label(props, str(props.get("name") or args.name))
    findings = secret_reference_findings(document)
    if not findings and not _allowed_resources(document, GET_SECRET):
        raise NotApplicable("grants no secretsmanager:GetSecretValue")
    for finding in findings:
        report(f"{who}: {finding}", None)


def check_task_protection_on_cluster_tasks(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """ecs:UpdateTaskProtection is granted on one cluster's tasks (`task/<cluster>/*`), never on
    `*` or every cluster's: a protected task is kept out of every scale-in and deployment until
    its protection expires (ECS developer guide, "Protect your Amazon ECS tasks from being
    terminated by scale-in events"), so a role that can protect any task can hold any service
    at its peak. Resource type `task` (Service Authorization Reference, Amazon ECS)."""
    props = args.props
    document = parse_json(props.get("policy"), "policy")
    who = label(props, str(props.get("name") or args.name))
    granted = {action: _allowed_resources(document, action) for action in TASK_PROTECTION_ACTIONS}
    update = granted["ecs:UpdateTaskProtection"]
    if not update:
        raise NotApplicable("grants no ecs:UpdateTaskProtection")
    broad = sorted({r for r in update if not CLUSTER_TASKS_ARN.fullmatch(r)})
    if broad:
        report(f"{who}: ecs:UpdateTaskProtection on {', '.join(broad)}: grant it on the service's "
               "own cluster's tasks only (arn:aws:ecs:<region>:<account>:task/<cluster>/*)", None)


KMS_DECRYPT = "kms:Decrypt"


def _via_service_values(statement: Mapping[str, Any]) -> list[str] | None:
    """The kms:ViaService values a statement's condition requires one of (StringEquals or
    StringLike, with or without ForAnyValue:), or None when it sets none. Condition key names
    are not case-sensitive (IAM User Guide, "IAM JSON policy elements: Condition")."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return None
    values: list[str] | None = None
    for operator, keys in condition.items():
        name = str(operator).split(":")[-1]
        if name not in ("StringEquals", "StringLike") or not isinstance(keys, Mapping):
            continue
        for key, value in keys.items():
            if str(key).lower() == VIA_SERVICE.lower():
                values = (values or []) + [str(v) for v in _as_list(value)]
    return values


def via_service_findings(document: Any) -> list[str] | None:
    """kms:Decrypt grants on a key of a region their kms:ViaService never names; None when no
    statement grants kms:Decrypt on a KMS key through kms:ViaService."""
    if not isinstance(document, Mapping):
        raise ValueError("policy is not a JSON object")
    findings: list[str] | None = None
    for position, statement in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow" \
                or not _allows(statement, KMS_DECRYPT):
            continue
        values = _via_service_values(statement)
        keys = [(str(r), kms_key_region(str(r))) for r in _as_list(statement.get("Resource"))]
        keys = [(arn, region) for arn, region in keys if region is not None]
        if values is None or not keys:
            continue
        findings = findings or []
        if any(WILDCARD_ACTION.search(v) for v in values):
            continue  # a pattern (secretsmanager.*.amazonaws.com) may name any region
        regions = {via_service_region(v) for v in values} - {None}
        sid = statement.get("Sid") or f"#{position + 1}"
        findings.extend(
            f"statement {sid} grants {KMS_DECRYPT} on {arn}, a key of {region}, only via "
            f"{', '.join(values)}: a key is used through the services of its own region, so "
            "the grant never matches and the task cannot read its secrets; list the key of "
            f"{', '.join(sorted(r for r in regions if r)) or 'the named region'} "
            "(services.<key>.secretsKmsKeyArns)"
            for arn, region in keys if region not in regions
        )
    return findings


def check_kms_decrypt_via_service_region(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A kms:Decrypt grant conditioned on kms:ViaService names the key's own region.

    AWS KMS developer guide, "kms:ViaService": the value is `SERVICE.REGION.amazonaws.com`, and
    a key is used by the services of its own region (facts/secrets.py). The program grants its
    execution roles kms:Decrypt via Secrets Manager and SSM of the stack's region
    (components/scalable_service.py), so a key listed from another region is never usable."""
    props = args.props
    findings = via_service_findings(parse_json(props.get("policy"), "policy"))
    if findings is None:
        raise NotApplicable(f"grants no {KMS_DECRYPT} on a KMS key through {VIA_SERVICE}")
    who = label(props, str(props.get("name") or args.name))
    for finding in findings:
        report(f"{who}: {finding}", None)


def _container_secrets(task_definition: PolicyResource) -> list[str]:
    containers = parse_json(task_definition.props.get("containerDefinitions"),
                            "containerDefinitions")
    values = []
    for container in containers if isinstance(containers, list) else []:
        for entry in (container.get("secrets") or []) if isinstance(container, Mapping) else []:
            if isinstance(entry, Mapping) and entry.get("valueFrom"):
                values.append(str(entry["valueFrom"]))
    return values


def _prop(resource: PolicyResource, key: str) -> Any:
    return resource.props.get(key)


def _documents(policies: list[PolicyResource]) -> list[Any]:
    return [parse_json(p.props.get("policy"), "policy") for p in policies]


def missing_secret_grants(value_froms: list[str], documents: list[Any]) -> list[str]:
    """The secret resources (`secret_resource_arn`) no document grants reading."""
    missing = []
    for value_from in value_froms:
        action = GET_SECRET if is_secrets_manager(value_from) else GET_PARAMETERS
        needed = secret_resource_arn(value_from)
        granted = [r for document in documents for r in _allowed_resources(document, action)]
        if not grants(granted, needed):
            missing.append(f"{action} on {needed}")
    return missing


def check_execution_role_grants_secrets(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """Each service's execution role may read every secret its task definition names.

    Joined by the role the task definition's executionRoleArn names, or, while that is unknown
    or unset, the role carrying its z360:service tag (StackIndex.execution_role), and the
    role's name (role -> inline policies). ECS developer guide, "Amazon ECS task execution IAM
    role": the execution role needs secretsmanager:GetSecretValue / ssm:GetParameters on each
    secret."""
    index = StackIndex.build(args.resources)
    checked = False
    for service, task_definition in sorted(index.task_definitions.items()):
        try:
            ok, value_froms = known(partial(_container_secrets, task_definition))
        except ValueError:
            continue  # malformed containerDefinitions: the resource rules report it
        role = index.execution_role(service)
        if not ok or not value_froms or role is None:
            continue
        ok, role_name = known(partial(_prop, role, "name"))
        policies = index.role_policies.get(str(role_name)) if ok else None
        if not policies:
            continue
        try:
            ok, documents = known(partial(_documents, policies))
            if ok:
                missing_grants = missing_secret_grants(value_froms, documents)
        except ValueError:
            continue  # a policy that is not JSON: iam-no-wildcard-actions reports it
        if not ok:
            continue
        checked = True
        for missing in missing_grants:
            report(f"{service}: execution role {role_name} lacks {missing}, so the task "
                   "cannot start; list the secret under services.<key>.secrets (the program "
                   "grants its ARN)", policies[0].urn)
    if not checked:
        raise NotApplicable("no task definition with secrets joined to its execution role")


RESOURCE_POLICIES = [
    resource_policy(
        "iam-no-wildcard-actions",
        "IAM policy documents allow named actions only, never a wildcard pattern.",
        EnforcementLevel.MANDATORY, POLICY_DOCUMENT_TYPES, check_iam_no_wildcard_actions, {},
    ),
    resource_policy(
        "secret-resources-are-secret-arns",
        "secretsmanager:GetSecretValue is granted on secret ARNs, never on a secret reference.",
        EnforcementLevel.MANDATORY, POLICY_DOCUMENT_TYPES,
        check_secret_resources_are_secret_arns, {},
    ),
    resource_policy(
        "task-protection-on-cluster-tasks",
        "ecs:UpdateTaskProtection is granted on one cluster's tasks, never on every task.",
        EnforcementLevel.MANDATORY, POLICY_DOCUMENT_TYPES,
        check_task_protection_on_cluster_tasks, {},
    ),
    resource_policy(
        "kms-decrypt-via-service-in-key-region",
        "A kms:Decrypt grant conditioned on kms:ViaService names the key's own region.",
        EnforcementLevel.MANDATORY, POLICY_DOCUMENT_TYPES,
        check_kms_decrypt_via_service_region, {},
    ),
]

STACK_POLICIES = [
    stack_policy(
        "execution-role-grants-secrets",
        "Each service's execution role may read every secret its task definition names.",
        EnforcementLevel.MANDATORY, check_execution_role_grants_secrets, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
