"""`preview --compare`: the diff between two runs of the program (z360_ecs/engine/diff.py)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policies.guardrails.facts.types import (
    NATIVE_SERVICE_TYPE,
    SERVICE_TYPE,
    TASK_DEFINITION_TYPE,
)
from z360_ecs.cli import main
from z360_ecs.common import PROJECT_DIR, resolve_spec
from z360_ecs.engine.diff import (
    KEEPS,
    REPLACE_ON_CHANGE,
    diff_runs,
    render_diff,
    replaces_on_change,
    unset_after_import,
)
from z360_ecs.engine.program import ProgramRun, run_program

RunStack = Callable[..., ProgramRun]


def services(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]


def test_diff_flags_a_task_size_change_as_a_replacement(run_stack: RunStack) -> None:
    before = run_stack("staging")
    after = run_stack("staging", mutate=lambda d: services(d)["web"].update(cpu=1024, memory=2048))
    diff = diff_runs(before, after)
    assert not diff.added and not diff.removed
    task = next(c for c in diff.changed if c.name == "web-task")
    assert task.replaces
    assert {(c.path, c.old, c.new) for c in task.changes} >= {("cpu", "512", "1024"),
                                                              ("memory", "1024", "2048")}


def test_diff_shows_a_count_change_as_an_update_in_place(run_stack: RunStack) -> None:
    before = run_stack("staging")
    after = run_stack("staging", mutate=lambda d: services(d)["queue"].update(desiredCount=2))
    diff = diff_runs(before, after)
    change = next(c for c in diff.changed if c.name == "queue-service")
    assert [(c.path, c.old, c.new) for c in change.changes] == [("desiredCount", 1, 2)]
    assert not any(c.replaces for c in diff.changed)


def test_diff_flags_a_cluster_rename_as_a_replacement(run_stack: RunStack) -> None:
    before = run_stack("staging")
    after = run_stack("staging", mutate=lambda d: d["config"]["z360-ecs:clusters"]["app"]
                      .update(name="z360-staging-2"))
    cluster = next(c for c in diff_runs(before, after).changed if c.name == "app-cluster")
    assert cluster.replaces
    assert [c.path for c in cluster.changes if c.replaces] == ["name"]


def test_diff_lists_added_and_removed_resources_by_urn(run_stack: RunStack) -> None:
    before = run_stack("staging")
    after = run_stack("staging", mutate=lambda d: services(d)["web"].update(
        alarms={"cpuHigh": 85}))
    diff = diff_runs(before, after)
    assert [r.urn for r in diff.added] == [r.urn for r in after.resources
                                           if r.name == "web-high-cpu"]
    reverse = diff_runs(after, before)
    assert [r.name for r in reverse.removed] == ["web-high-cpu"]
    text = render_diff(reverse, "a", "b")
    assert re.search(r"^  - urn:pulumi:staging::z360-ecs::.*::web-high-cpu$", text, re.M)


def test_diff_reports_option_changes(run_stack: RunStack) -> None:
    before = run_stack("staging")
    after = run_stack("staging", mutate=lambda d: d["config"].update({"z360-ecs:protect": True}))
    cluster = next(c for c in diff_runs(before, after).changed if c.name == "app-cluster")
    assert [(o.path, o.old, o.new) for o in cluster.option_changes] == [("protect", False, True)]


def test_identical_runs_have_no_diff() -> None:
    # Two real runs, not copies of the session's one: registration order may differ.
    assert diff_runs(run_program("staging"), run_program("staging")).empty


def test_replace_table_never_replaces_on_tags() -> None:
    assert replaces_on_change(TASK_DEFINITION_TYPE, "containerDefinitions[0].image")
    assert not replaces_on_change(TASK_DEFINITION_TYPE, "tags.z360:service")
    assert not replaces_on_change(SERVICE_TYPE, "desiredCount")


def test_a_capacity_provider_strategy_never_replaces_and_a_set_launch_type_does() -> None:
    """terraform-provider-aws v6 (pulumi-aws 7), internal/service/ecs/service.go:
    capacityProviderStrategyCustomizeDiff no longer forces new (v5 did, for empty <-> set); it
    refuses an update without force_new_deployment (tested in diff_runs' refusal tests).
    launch_type is ForceNew + Optional/Computed: setting it replaces, dropping it does not."""
    service, path = SERVICE_TYPE, "capacityProviderStrategies[0].capacityProvider"
    spot = {"capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
    fargate = {"capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1}]}
    launch_type = {"launchType": "FARGATE"}
    assert not replaces_on_change(service, path, launch_type, fargate)
    assert not replaces_on_change(service, path, fargate, spot)
    assert replaces_on_change(service, "launchType", fargate, launch_type)
    assert not replaces_on_change(service, "launchType", launch_type, fargate)


def test_load_spec_reads_a_git_revision(tmp_path: Path) -> None:
    path = resolve_spec("HEAD:Pulumi.staging.yaml", PROJECT_DIR, scratch=tmp_path)
    assert path.parent == tmp_path
    assert "z360-ecs:environment: staging" in path.read_text()


def test_preview_compare_prints_the_changes(
    write_stack: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.runs import stack_document

    document = stack_document("staging")
    services(document)["web"]["memory"] = 2048
    changed = write_stack(document)
    code = main(["preview", "staging", "--stack-file", str(changed),
                 "--compare", str(PROJECT_DIR / "Pulumi.staging.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert 'memory: "1024" -> "2048"  [replaces]' in out
    assert "0 to add, 0 to delete" in out


def test_preview_compare_with_a_bad_spec_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "staging", "--compare", "no-such-file.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err


def _sdk_replace_on_changes(module: str) -> set[str]:
    """The replace_on_changes a pulumi-aws-native SDK resource sets (its createOnlyProperties)."""
    source = Path(importlib.import_module(module).__file__ or "").read_text()
    match = re.search(r"replace_on_changes=\[([^\]]*)\]", source)
    assert match, module
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def test_the_native_service_replace_table_is_the_sdks_create_only_list() -> None:
    """pulumi_aws_native/ecs/service.py passes the schema's createOnlyProperties (Cluster,
    Role, SchedulingStrategy, ServiceName) as replace_on_changes; the engine replaces on any
    change of them, a deletion included."""
    wanted = _sdk_replace_on_changes("pulumi_aws_native.ecs.service")
    assert wanted == {"cluster", "role", "schedulingStrategy", "serviceName"}
    assert set(REPLACE_ON_CHANGE[NATIVE_SERVICE_TYPE] or ()) == wanted


def test_what_an_unset_input_becomes_after_an_import() -> None:
    """aws-native: every imported writable property is an input, so unset is a delete, and
    deleting a create-only one replaces. pulumi-aws: Optional+Computed attributes keep the live
    value, scheduling_strategy takes its default REPLICA."""
    assert unset_after_import(NATIVE_SERVICE_TYPE, "schedulingStrategy") is None
    assert unset_after_import(NATIVE_SERVICE_TYPE, "enableExecuteCommand") is None
    assert replaces_on_change(NATIVE_SERVICE_TYPE, "schedulingStrategy",
                              {"schedulingStrategy": "REPLICA"}, {})
    assert replaces_on_change(NATIVE_SERVICE_TYPE, "role", {"role": "arn:aws:iam::1:role/x"}, {})
    assert not replaces_on_change(NATIVE_SERVICE_TYPE, "enableExecuteCommand",
                                  {"enableExecuteCommand": False}, {})
    assert unset_after_import(SERVICE_TYPE, "schedulingStrategy") == "REPLICA"
    for key in ("cluster", "iamRole", "launchType", "deploymentController"):
        assert unset_after_import(SERVICE_TYPE, key) is KEEPS
    # ForceNew in terraform-provider-aws: a set iam_role or scheduling_strategy that changes.
    assert replaces_on_change(SERVICE_TYPE, "iamRole", {"iamRole": "a"}, {"iamRole": "b"})
    assert replaces_on_change(SERVICE_TYPE, "schedulingStrategy",
                              {"schedulingStrategy": "DAEMON"}, {"schedulingStrategy": "REPLICA"})
