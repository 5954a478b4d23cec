"""The GitHub workflows: valid against GitHub's workflow schema (check-jsonschema ships it, so
this runs offline), and doing what docs/operations.md says they do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True, text=True, check=False,
    )


def _load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    return {("on" if key is True else key): value for key, value in document.items()}


def _steps(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("with", "")) for step in job["steps"])


def test_every_workflow_is_valid_against_githubs_schema():
    assert {p.name for p in WORKFLOWS} >= {"pulumi.yml", "review.yml", "drift.yml"}
    result = _validate(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = _validate(broken)
    assert result.returncode == 1 and "stepz" in result.stdout


def test_review_posts_one_comment_per_pull_request():
    workflow = _load("review.yml")
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflow["concurrency"]["group"] == "review-${{ github.event.pull_request.number }}"
    job = workflow["jobs"]["review"]
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0, "the checkout fetches the base revision"
    steps = _steps(job)
    assert '.venv/bin/z360-ecs review --base "$base" > review.md' in steps
    assert "scripts/post_review.py comment" in steps and "--summary-only" in steps
    post = next(s for s in job["steps"] if "post_review.py" in str(s.get("run", "")))
    assert post["env"]["FROM_FORK"] == (
        "${{ github.event.pull_request.head.repo.full_name != github.repository }}")


def test_drift_runs_nightly_per_stack_read_only_and_keeps_one_issue():
    workflow = _load("drift.yml")
    assert "schedule" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    drift = workflow["jobs"]["drift"]
    assert sorted(drift["strategy"]["matrix"]["stack"]) == STACKS
    assert drift["permissions"] == {"contents": "read", "id-token": "write"}
    steps = _steps(drift)
    for flag in ("--refresh", "--expect-no-changes", "--policy-pack policies",
                 '--policy-pack-config "policies/config/$STACK.json"'):
        assert flag in steps
    assert '.venv/bin/z360-ecs adopt "$STACK" --check' in steps
    assert "AWS_READONLY_ROLE_ARN" in str(drift)
    report = workflow["jobs"]["report"]
    assert report["permissions"]["issues"] == "write"
    listed = re.search(r"--stacks (\S+)", _steps(report))
    assert listed and sorted(listed.group(1).split(",")) == STACKS
    assert "scripts/post_review.py drift" in _steps(report)


@pytest.mark.parametrize("job", ["preview", "up"])
def test_pulumi_gets_each_stacks_pack_config(job: str):
    workflow = _load("pulumi.yml")
    pulumi = next(s for s in workflow["jobs"][job]["steps"]
                  if s.get("uses", "").startswith("pulumi/actions"))
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    for stack in workflow["jobs"][job]["strategy"]["matrix"]["stack"]:
        assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()
