"""Rollback runbooks as stack-config changes: each change runs the real program and the
resulting registrations are what the runbook in the README (Operations) promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from z360_ecs.engine.diff import diff_runs
from z360_ecs.engine.program import ProgramRun

RunStack = Callable[..., ProgramRun]
SCALING_TYPES = {"aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"}


def web(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]["web"]


def adopted(document: dict[str, Any]) -> None:
    """The stack after its first `pulumi up`: import ids removed (the README (Operations))."""
    for service in document["config"]["z360-ecs:services"].values():
        service.pop("importIds", None)


def children_of(run: ProgramRun, component: str) -> list:
    parent = next(r.urn for r in run.registrations if r.type == "z360:ecs:ScalableService"
                  and r.name == component)
    return [r for r in run.registrations if r.parent == parent]


def test_pinning_a_revision_points_the_service_at_family_n(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d).__setitem__("taskDefinitionRevision", 20))
    assert run.named("web-service").inputs["taskDefinition"] == "z360-beta-web:20"
    # The task definition resource stays, keeping every registered revision.
    task = run.named("web-task")
    assert task.inputs["skipDestroy"] is True
    assert task.inputs["family"] == "z360-beta-web"
    # Only the pinned service changes.
    assert run.named("queue-service").inputs["taskDefinition"] != "z360-beta-queue:20"


def test_an_unpinned_service_follows_its_task_definition(run_stack: RunStack) -> None:
    run = run_stack("beta")
    assert not str(run.named("web-service").inputs["taskDefinition"]).startswith("z360-beta-web:")


def test_scaling_off_removes_target_and_policies_and_restores_the_baseline(
    run_stack: RunStack,
) -> None:
    before = run_stack("beta", mutate=adopted)

    def scaling_off(document: dict[str, Any]) -> None:
        adopted(document)
        web(document)["scaling"]["enabled"] = False
        # A fixed-count service has no max for the cost breaker to lower.
        document["config"]["z360-ecs:costBreaker"]["emergencyCeilings"].pop("web")
        web(document)["desiredCount"] = 2

    after = run_stack("beta", mutate=scaling_off)
    assert not {r.type for r in children_of(after, "web")} & SCALING_TYPES
    service = after.named("web-service")
    assert service.inputs["desiredCount"] == 2
    assert "desiredCount" not in service.ignore_changes
    removed = diff_runs(before, after).removed
    assert {r.name for r in removed} == {"web-scaling-target", "web-cpu-scaling",
                                         "web-memory-scaling"}
    # Nothing removed is protected, or `pulumi up` would refuse to delete it.
    assert not any(r.protect for r in removed)
    # Other services keep scaling.
    assert after.named("queue-scaling-target")


def test_hold_at_pins_the_target_to_min_equals_max(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d)["scaling"].__setitem__("holdAt", 3))
    target = run.named("web-scaling-target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (3, 3)
    # Target tracking stays on: it can only move the count between 3 and 3.
    assert run.named("web-cpu-scaling")
    assert "desiredCount" in run.named("web-service").ignore_changes


def test_without_hold_at_the_target_spans_min_to_max(run_stack: RunStack) -> None:
    target = run_stack("beta").named("web-scaling-target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 50)


def test_apply_desired_count_lets_the_baseline_through_for_one_update(
    run_stack: RunStack,
) -> None:
    def baseline(apply: bool) -> Callable[[dict[str, Any]], None]:
        def mutate(document: dict[str, Any]) -> None:
            web(document)["desiredCount"] = 4
            web(document)["applyDesiredCount"] = apply
        return mutate

    applied = run_stack("beta", mutate=baseline(True)).named("web-service")
    assert applied.inputs["desiredCount"] == 4
    assert "desiredCount" not in applied.ignore_changes
    held = run_stack("beta", mutate=baseline(False)).named("web-service")
    assert held.ignore_changes == ["desiredCount"]


def test_raising_scaling_min_is_the_other_deliberate_baseline(run_stack: RunStack) -> None:
    run = run_stack("beta", mutate=lambda d: web(d)["scaling"].__setitem__("min", 3))
    assert run.named("web-scaling-target").inputs["minCapacity"] == 3
    assert "desiredCount" in run.named("web-service").ignore_changes
