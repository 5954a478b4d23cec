"""Task scale-in protection in the real beta program under the mock engine: voice's task role
may protect its cluster's tasks and nothing else; a service with a task role keeps it and gets
the policy attached by the role's name."""

from __future__ import annotations

import json

import pytest

from components.task_protection import role_name_of, task_protection_policy
from policies.guardrails.facts.types import TASK_DEFINITION_TYPE
from tests.support.runs import unmodified_run
from z360_ecs.engine.program import ProgramRun

ROLE_ARN = "arn:aws:iam::108782097218:role/service/z360-voice-app"


@pytest.fixture(scope="module")
def beta_run() -> ProgramRun:
    return unmodified_run("beta", preview=False)


def _voice(run: ProgramRun, suffix: str):
    return run.named(f"voice-{suffix}")


def test_voice_gets_a_task_role_allowed_to_protect_its_own_clusters_tasks(beta_run):
    policy = json.loads(_voice(beta_run, "task-protection").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]
    assert statement["Resource"] == "arn:aws:ecs:us-east-1:108782097218:task/agent-layer-beta/*"
    role = _voice(beta_run, "task-role")
    attachment = _voice(beta_run, "task-protection-attachment")
    assert attachment.inputs["role"] == role.inputs["name"] == "z360-agent-layer-beta-voice-task"
    (task,) = [r for r in beta_run.by_type(TASK_DEFINITION_TYPE)
               if r.inputs["family"] == "z360-agent-layer-beta-voice"]
    assert task.inputs["taskRoleArn"].endswith(":role/z360-agent-layer-beta-voice-task")


def test_an_unprotected_service_gets_no_protection(beta_run):
    names = {r.name for r in beta_run.registrations}
    assert "web-task-protection" not in names and "web-task-role" not in names


def test_a_given_task_role_is_kept_and_the_policy_attached_by_its_name(run_stack):
    def mutate(document):
        document["config"]["z360-ecs:services"]["voice"]["taskRoleArn"] = ROLE_ARN

    run = run_stack("beta", mutate, preview=False)
    names = {r.name for r in run.registrations}
    assert "voice-task-role" not in names
    assert run.named("voice-task-protection-attachment").inputs["role"] == "z360-voice-app"
    (task,) = [r for r in run.by_type(TASK_DEFINITION_TYPE)
               if r.inputs["family"] == "z360-agent-layer-beta-voice"]
    assert task.inputs["taskRoleArn"] == ROLE_ARN


def test_role_name_drops_the_path():
    assert role_name_of(ROLE_ARN) == "z360-voice-app"
    assert role_name_of("arn:aws:iam::108782097218:role/plain") == "plain"


def test_policy_grants_exactly_the_two_protection_actions():
    document = task_protection_policy("arn:aws:ecs:us-east-1:1:task/c/*")
    assert [s["Action"] for s in document["Statement"]] == [
        ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]]


def test_voice_deploys_never_stop_a_task_before_its_replacement_runs(beta_run):
    # New tasks start first (maximumPercent 200) and the running count never drops below the
    # desired (minimumHealthyPercent 100): an old task holding calls is stopped only when its
    # protection lapses (docs/operations.md, "Call-safe voice").
    configuration = beta_run.named("voice-service").inputs["deploymentConfiguration"]
    assert (configuration["minimumHealthyPercent"], configuration["maximumPercent"]) == (100, 200)
    assert beta_run.named("voice-service").inputs["deploymentController"] == {"type": "ECS"}
