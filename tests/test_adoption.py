"""Adopting the live estate (import ids), deletion protection, and `preview --compare`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from z360_ecs.cli import main
from z360_ecs.common import PROJECT_DIR, resolve_spec
from z360_ecs.engine.diff import diff_runs, render_diff, replaces_on_change
from z360_ecs.engine.program import ProgramRun

RunStack = Callable[..., ProgramRun]
PROTECTABLE = {"aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:sns/topic:Topic",
               "aws:budgets/budget:Budget"}
DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture(scope="module")
def beta() -> ProgramRun:
    from z360_ecs.engine.program import run_program

    return run_program("beta")


def test_beta_adopts_the_seed_known_resources(beta: ProgramRun) -> None:
    imported = {r.name: r.import_id for r in beta.resources if r.import_id}
    assert imported["app-cluster"] == "z360-beta-Cluster-8E41UEvLHdpU"
    assert imported["web-service"] == (
        "z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8")
    assert imported["web-scaling-target"] == (
        f"ecs/service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8/{DIMENSION}")
    assert imported["monthly-budget"] == "108782097218:z360-monthly-spending-alert"
    # Task definitions are never imported: registering one only adds a revision.
    assert not any(r.import_id for r in beta.by_type("aws:ecs/taskDefinition:TaskDefinition"))


def test_every_import_id_names_the_resource_the_program_declares(beta: ProgramRun) -> None:
    """The id's format is pulumi-aws's for that type, built from the declared inputs."""
    by_urn = {r.urn: r for r in beta.registrations}
    checked = 0
    for r in beta.resources:
        if not r.import_id:
            continue
        inputs = r.inputs
        if r.type == "aws:ecs/cluster:Cluster":
            expected = inputs["name"]
        elif r.type == "aws:ecs/service:Service":
            cluster = next(c for c in beta.by_type("aws:ecs/cluster:Cluster")
                           if c.import_id and inputs["cluster"].endswith("/" + c.inputs["name"]))
            expected = f"{cluster.inputs['name']}/{inputs['name']}"
        elif r.type == "aws:appautoscaling/target:Target":
            expected = f"{inputs['serviceNamespace']}/{inputs['resourceId']}/" \
                       f"{inputs['scalableDimension']}"
        elif r.type == "aws:appautoscaling/policy:Policy":
            expected = f"{inputs['serviceNamespace']}/{inputs['resourceId']}/" \
                       f"{inputs['scalableDimension']}/{inputs['name']}"
        elif r.type == "aws:cloudwatch/metricAlarm:MetricAlarm":
            expected = inputs["name"]
        elif r.type == "aws:budgets/budget:Budget":
            expected = f"{inputs['accountId']}:{inputs['name']}"
        else:
            pytest.fail(f"{r.urn}: no import id rule for {r.type}")
        assert r.import_id == expected, r.urn
        assert r.parent in by_urn
        checked += 1
    assert checked >= 4


def test_scaling_resource_ids_use_the_live_names(beta: ProgramRun) -> None:
    target = beta.named("web-scaling-target")
    assert target.inputs["resourceId"] == (
        "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8")
    policy = beta.named("web-cpu-scaling")
    assert policy.inputs["name"] == "z360-beta-web-cpu-scaling"  # the seed's live policy


def test_beta_protects_only_clusters_services_topic_and_budget(beta: ProgramRun) -> None:
    protected = [r for r in beta.registrations if r.protect]
    assert protected
    assert {r.type for r in protected} <= PROTECTABLE
    assert not [r.urn for r in beta.registrations if not r.custom and r.protect]
    for name in ("app-cluster", "agent-cluster", "web-service", "voice-service",
                 "alerts-topic", "monthly-budget"):
        assert beta.named(name).protect, name


def test_staging_protects_nothing(run_stack: RunStack) -> None:
    assert [r.urn for r in run_stack("staging").registrations if r.protect] == []


# --- diff ------------------------------------------------------------------------------


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


def test_identical_runs_have_no_diff(run_stack: RunStack) -> None:
    assert diff_runs(run_stack("staging"), run_stack("staging")).empty


def test_replace_table_never_replaces_on_tags() -> None:
    assert replaces_on_change("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions[0].image")
    assert not replaces_on_change("aws:ecs/taskDefinition:TaskDefinition", "tags.z360:service")
    assert not replaces_on_change("aws:ecs/service:Service", "desiredCount")


def test_load_spec_reads_a_git_revision(tmp_path: Path) -> None:
    path = resolve_spec("HEAD:Pulumi.staging.yaml", PROJECT_DIR, scratch=tmp_path)
    assert path.parent == tmp_path
    assert "z360-ecs:environment: staging" in path.read_text()


def test_preview_compare_prints_the_changes(
    write_stack: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import stack_document

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
