"""IAM rules (policies/guardrails/iam.py): policy documents on one resource through the SDK's
real Analyze path, the execution role's grants through its AnalyzeStack path, and documents the
provider accepts sent to the pack as its own process on the real beta run. Each policy has
compliant, non-compliant and not-applicable cases (`policy_case` marks,
tests/policies/conftest.py)."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.scalable_service import execution_role_policy
from policies.guardrails import iam
from policies.guardrails.facts.types import (
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    TASK_DEFINITION_TYPE,
)
from tests.support.pack_runs import levels, run_stack_file, with_props
from tests.support.policy_resources import LOGS_STATEMENT as LOGS
from tests.support.policy_resources import SECRET, WEB_TAGS, secret_read_policy
from tests.support.policy_resources import policy_document as document
from tests.support.policy_sdk import changed, sdk_analyze, sdk_analyze_stack
from z360_ecs.engine.analyzer import analyze_run
from z360_ecs.engine.program import ProgramRun

ALL = iam.POLICIES
ROLE_POLICY, MANAGED_POLICY = iam.POLICY_DOCUMENT_TYPES
DOCUMENT_RULES = ("iam-no-wildcard-actions", "secret-resources-are-secret-arns")


@pytest.mark.policy_case("compliant", "iam-no-wildcard-actions")
@pytest.mark.parametrize("resource_type", [ROLE_POLICY, MANAGED_POLICY])
def test_named_actions_are_compliant(resource_type):
    props = {"policy": document(LOGS, {**LOGS, "Sid": "Auth",
                                       "Action": "ecr:GetAuthorizationToken", "Resource": "*"})}
    assert sdk_analyze(ALL, resource_type, props).violations == []


@pytest.mark.parametrize("action", ["*", "s3:*", ["logs:PutLogEvents", "ECS:*"]])
@pytest.mark.policy_case("non-compliant", "iam-no-wildcard-actions")
@pytest.mark.parametrize("resource_type", [ROLE_POLICY, MANAGED_POLICY])
def test_wildcard_actions_are_mandatory(resource_type, action):
    props = {"policy": document(LOGS, {**LOGS, "Sid": "Wide", "Action": action})}
    outcome = sdk_analyze(ALL, resource_type, props)
    assert outcome.levels("iam-no-wildcard-actions") == {"mandatory"}
    assert "statement Wide allows Action" in outcome.messages("iam-no-wildcard-actions")[0]


def test_deny_with_wildcard_is_compliant():
    props = {"policy": document(LOGS, {"Effect": "Deny", "Action": "*", "Resource": "*"})}
    assert sdk_analyze(ALL, ROLE_POLICY, props).violations == []


def test_allow_with_not_action_is_a_violation():
    props = {"policy": document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
    assert sdk_analyze(ALL, ROLE_POLICY, props).messages("iam-no-wildcard-actions")


@pytest.mark.policy_case("not-applicable", *DOCUMENT_RULES)
def test_role_is_not_applicable():
    outcome = sdk_analyze(ALL, ROLE_TYPE, {"assumeRolePolicy": document(LOGS)})
    assert set(DOCUMENT_RULES) <= outcome.not_applicable


def test_policy_unknown_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, ROLE_POLICY, {"policy": UNKNOWN, "role": UNKNOWN})
    assert outcome.violations == []
    assert "iam-no-wildcard-actions" in outcome.unknown


def test_malformed_document_is_reported_as_a_policy_failure():
    messages = sdk_analyze(ALL, ROLE_POLICY, {"policy": "{not json"}).messages(
        "iam-no-wildcard-actions")
    assert "policy is not valid JSON" in messages[0]


# --- secret-resources-are-secret-arns ---------------------------------------------------------


def test_validator_secret_reference_findings():
    assert iam.secret_reference_findings(json.loads(secret_read_policy(f"{SECRET}:password::")))


@pytest.mark.policy_case("non-compliant", "secret-resources-are-secret-arns")
def test_sdk_secret_reference_as_resource_is_mandatory():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE,
                          {"policy": secret_read_policy(f"{SECRET}:password::")})
    assert outcome.levels("secret-resources-are-secret-arns") == {"mandatory"}
    assert f"grant {SECRET}-??????" in outcome.messages("secret-resources-are-secret-arns")[0]


@pytest.mark.policy_case("compliant", "secret-resources-are-secret-arns")
@pytest.mark.policy_case("not-applicable", "secret-resources-are-secret-arns")
def test_sdk_secret_arns_are_compliant_and_other_policies_not_applicable():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE,
                          {"policy": secret_read_policy(f"{SECRET}-??????")})
    assert outcome.violations == []
    logs = json.dumps({"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",
                                      "Resource": "*"}]})
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": logs})
    assert "secret-resources-are-secret-arns" in outcome.not_applicable


# --- kms-decrypt-via-service-in-key-region ----------------------------------------------------

KMS_RULE = "kms-decrypt-via-service-in-key-region"


def _key(region):
    return f"arn:aws:kms:{region}:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _program_grant(key_region):
    """The execution role policy the program writes for a secret and one customer key."""
    return json.dumps(execution_role_policy(
        "108782097218.dkr.ecr.us-east-1.amazonaws.com/z360-web:1", "arn:log", [SECRET],
        [_key(key_region)], region="us-east-1"))


@pytest.mark.policy_case("compliant", KMS_RULE)
def test_sdk_the_programs_decrypt_grant_on_a_key_of_its_region_is_compliant():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": _program_grant("us-east-1")})
    assert outcome.violations == []
    assert KMS_RULE not in outcome.not_applicable


@pytest.mark.policy_case("non-compliant", KMS_RULE)
def test_sdk_a_key_of_another_region_is_mandatory():
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": _program_grant("eu-west-1")})
    assert outcome.levels(KMS_RULE) == {"mandatory"}
    (message,) = outcome.messages(KMS_RULE)
    assert f"grants kms:Decrypt on {_key('eu-west-1')}, a key of eu-west-1" in message
    assert "secretsmanager.us-east-1.amazonaws.com" in message


@pytest.mark.parametrize("condition", [
    {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},  # any region
    {"ForAnyValue:StringEquals": {"KMS:VIASERVICE": ["ssm.eu-west-1.amazonaws.com"]}},
])
def test_sdk_a_pattern_or_the_keys_own_region_is_compliant(condition):
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": _key("eu-west-1"),
                 "Condition": condition}
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": document(statement)})
    assert outcome.messages(KMS_RULE) == []


@pytest.mark.policy_case("not-applicable", KMS_RULE)
@pytest.mark.parametrize("statement", [
    LOGS,  # no kms:Decrypt
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": _key("eu-west-1")},  # no condition
    {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": _key("eu-west-1"),
     "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}},
])
def test_sdk_no_decrypt_through_via_service_is_not_applicable(statement):
    outcome = sdk_analyze(iam.POLICIES, ROLE_POLICY_TYPE, {"policy": document(statement)})
    assert KMS_RULE in outcome.not_applicable


# --- execution-role-grants-secrets (stack) ------------------------------------------------------


def secret_stack(granted):
    """Beta web's task definition naming one secret by reference, its execution role, and the
    role's policy granting `granted`."""
    containers = json.dumps([{"name": "web", "secrets": [
        {"name": "DB", "valueFrom": f"{SECRET}:password::"}]}])
    return [
        (TASK_DEFINITION_TYPE, "web-task", {"family": "z360-beta-web", "tags": WEB_TAGS,
                                            "containerDefinitions": containers}),
        (ROLE_TYPE, "web-execution-role", {"name": "z360-beta-web-execution", "tags": WEB_TAGS}),
        (ROLE_POLICY_TYPE, "web-execution-policy", {"role": "z360-beta-web-execution",
                                                    "policy": secret_read_policy(granted)}),
    ]


@pytest.mark.policy_case("compliant", "execution-role-grants-secrets")
def test_sdk_execution_role_granting_the_secret_arn_is_compliant():
    assert sdk_analyze_stack(iam.STACK_POLICIES, secret_stack(f"{SECRET}-??????")).violations == []


@pytest.mark.policy_case("non-compliant", "execution-role-grants-secrets")
def test_sdk_execution_role_granting_the_reference_is_mandatory():
    outcome = sdk_analyze_stack(iam.STACK_POLICIES, secret_stack(f"{SECRET}:password::"))
    assert outcome.levels("execution-role-grants-secrets") == {"mandatory"}
    assert (f"web: execution role z360-beta-web-execution lacks secretsmanager:GetSecretValue "
            f"on {SECRET}-??????") in outcome.messages("execution-role-grants-secrets")[0]


@pytest.mark.policy_case("not-applicable", "execution-role-grants-secrets")
def test_sdk_task_without_secrets_is_not_applicable():
    resources = [r for r in secret_stack(SECRET) if r[0] != TASK_DEFINITION_TYPE]
    outcome = sdk_analyze_stack(iam.STACK_POLICIES, resources)
    assert "execution-role-grants-secrets" in outcome.not_applicable


def test_iam_actions_match_as_globs_for_grants_too():
    """`secretsmanager:Get*Value` and `secretsmanager:?etSecretValue` grant GetSecretValue (IAM
    matches Action as a glob, the same rule iam-no-wildcard-actions uses to find patterns)."""
    assert iam.action_matches("secretsmanager:Get*Value", "secretsmanager:GetSecretValue")
    assert iam.action_matches("SecretsManager:?etSecretValue", "secretsmanager:GetSecretValue")
    assert not iam.action_matches("secretsmanager:Get*", "ssm:GetParameters")
    resources = secret_stack(f"{SECRET}-??????")
    policy = json.loads(resources[2][2]["policy"])
    policy["Statement"][0]["Action"] = "secretsmanager:*Secret?alue"
    resources[2] = (ROLE_POLICY_TYPE, "web-execution-policy",
                    changed(resources[2][2], policy=json.dumps(policy)))
    assert sdk_analyze_stack(iam.STACK_POLICIES, resources).violations == []


def test_sdk_a_policy_that_is_not_json_hides_no_other_service():
    """The execution-role rule skips a policy it cannot read (the resource rules report it)."""
    broken = [(t, f"api-{n}", changed(p, tags={"z360:service": "api"}) if "tags" in p else p)
              for t, n, p in secret_stack(f"{SECRET}:password::")]
    broken[1] = (ROLE_TYPE, "api-execution-role", {"name": "z360-beta-api-execution",
                                                   "tags": {"z360:service": "api"}})
    broken[2] = (ROLE_POLICY_TYPE, "api-execution-policy",
                 {"role": "z360-beta-api-execution", "policy": "{not json"})
    outcome = sdk_analyze_stack(iam.STACK_POLICIES,
                                secret_stack(f"{SECRET}:password::") + broken)
    assert outcome.levels("execution-role-grants-secrets") == {"mandatory"}
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


# --- the pack as its own process: documents the provider accepts, on the real beta run ----------


@pytest.fixture(scope="module")
def beta(tmp_path_factory) -> ProgramRun:
    return run_stack_file("beta", tmp_path_factory)


def _policy(actions):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


HOSTILE = [
    ("glob-star-star", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("*:*")))),
    ("glob-double-star", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy(["logs:PutLogEvents", "s3:**"])))),
    ("glob-question", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("iam:?*")))),
    ("glob-prefix", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("ecr:Get*")))),
    ("policy-as-object", "web-execution-policy",
     lambda p: p.update(policy=_policy("*"))),
]


@pytest.mark.parametrize("case, resource, change", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_each_shape_is_judged_not_failed(beta, pack, case, resource, change):
    findings = analyze_run(with_props(beta, resource, change), pack=pack)
    assert levels(findings, "iam-no-wildcard-actions", resource) == {"mandatory"}, findings
    assert not [f for f in findings if "failed on this resource" in f.message], findings


def test_a_valid_policy_object_is_not_blocked(beta, pack):
    document = _policy(["logs:CreateLogStream", "logs:PutLogEvents"])
    findings = analyze_run(
        with_props(beta, "web-execution-policy", lambda p: p.update(policy=document)), pack=pack)
    assert [f for f in findings if f.blocking] == []


# --- task-protection-on-cluster-tasks ---------------------------------------------------------

PROTECTION_RULE = "task-protection-on-cluster-tasks"
VOICE_TASKS = "arn:aws:ecs:us-east-1:108782097218:task/agent-layer-beta/*"


def _protection(resource):
    from components.task_protection import task_protection_policy
    return {"name": "z360-agent-layer-beta-voice-task-protection",
            "policy": json.dumps(task_protection_policy(resource))}


@pytest.mark.policy_case("compliant", PROTECTION_RULE)
def test_protection_on_its_own_clusters_tasks_is_compliant():
    assert sdk_analyze(ALL, MANAGED_POLICY, _protection(VOICE_TASKS)).violations == []


@pytest.mark.policy_case("non-compliant", PROTECTION_RULE)
@pytest.mark.parametrize("resource", ["*", "arn:aws:ecs:us-east-1:108782097218:task/*",
                                      "arn:aws:ecs:us-east-1:108782097218:cluster/agent"])
def test_protection_on_every_task_is_mandatory(resource):
    outcome = sdk_analyze(ALL, MANAGED_POLICY, _protection(resource))
    assert outcome.levels(PROTECTION_RULE) == {"mandatory"}
    assert f"ecs:UpdateTaskProtection on {resource}" in outcome.messages(PROTECTION_RULE)[0]


@pytest.mark.policy_case("not-applicable", PROTECTION_RULE)
def test_a_policy_without_task_protection_is_not_applicable():
    outcome = sdk_analyze(ALL, ROLE_POLICY, {"policy": document(LOGS)})
    assert PROTECTION_RULE in outcome.not_applicable
