"""`z360-ecs review`: the pull-request comment for a change, its money, findings and plan.

The comparisons run the real program on both sides and the real pack; the fixtures change one
stack file the way a pull request would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from policies.guardrails.scaling import DEFAULT_CEILINGS
from tests.support.runs import stack_document
from z360_ecs.cli import main
from z360_ecs.commands import review, review_comment
from z360_ecs.common import PROJECT_DIR


@pytest.fixture(autouse=True)
def session_pack(monkeypatch: pytest.MonkeyPatch, policy_pack: Any) -> None:
    """The session's pack process instead of one per review (each analysis configures it)."""

    @contextmanager
    def shared() -> Iterator[Any]:
        yield policy_pack

    monkeypatch.setattr(review, "_pack", shared)


def _review(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["review", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _web_max(document: dict[str, Any], value: int) -> None:
    document["config"]["z360-ecs:services"]["web"]["scaling"]["max"] = value


@pytest.fixture
def web_max_60(write_stack: Callable[[dict[str, Any]], Path]) -> Path:
    document = stack_document("beta")
    _web_max(document, 60)
    return write_stack(document)


@pytest.fixture
def ceiling_60(tmp_path: Path) -> Path:
    """The pack config a pull request raising web's max also changes (a capacity review)."""
    path = tmp_path / "beta-pack.json"
    path.write_text(json.dumps({"max-capacity-ceiling": {"ceilings": {**DEFAULT_CEILINGS,
                                                                       "web": 60}}}))
    return path


def test_web_max_50_to_60_adds_360_40_a_month_at_worst_case(capsys, web_max_60, ceiling_60):
    code, out, _ = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml",
                           "--stack-file", str(web_max_60), "--policy-pack-config", str(ceiling_60))
    assert code == 0
    assert "### beta: +$360.40 a month at worst case, $0.00 at baseline" in out
    # 10 more web tasks at 1 vCPU / 2 GB: (0.04048 + 2 x 0.004445) x 730 x 10.
    assert "worst case (every service at its max) $7,148.63 → **$7,509.04** a month, 3.00 x " \
           "the $2,500.00 budget (was 2.86 x)" in out
    assert "| web | max 50 → 60 | $0.00 | +$360.40 |" in out
    assert "**Policy pack** (`" + str(ceiling_60) + "`): passes: 0 mandatory, 4 advisory" in out
    assert "**new**" not in out, "the same advisories as before the change are not new"
    assert "0 to replace, 0 to delete." in out
    assert "- replace" not in out and "- delete" not in out
    assert "- `web-scaling-target` `aws:appautoscaling/target:Target`: maxCapacity 50 → 60" in out
    assert out.rstrip().endswith("<!-- z360-ecs review stacks: beta -->")


def test_a_new_mandatory_finding_and_a_replace(capsys, write_stack):
    document = stack_document("beta")
    _web_max(document, 60)
    document["config"]["z360-ecs:services"]["web"]["memory"] = 3072
    document["config"]["z360-ecs:clusters"]["agent"]["name"] = "z360-agent-layer-beta-2"
    code, out, _ = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml",
                           "--stack-file", str(write_stack(document)))
    assert code == 1, "a mandatory violation after the change exits 1"
    assert "| web | size 1024/2048 → 1024/3072; max 50 → 60 | +$3.24 | +$555.09 |" in out
    assert "| (stack) | also `clusters.agent.name` |" in out
    assert "**blocked**: 1 mandatory (1 new), 4 advisory" in out
    mandatory = out.split("**blocked**", 1)[1].split("<details>", 1)[0]
    assert "- **new** `max-capacity-ceiling` on `web-scaling-target`: beta web: maxCapacity " \
           "60 exceeds the ceiling 50" in mandatory
    plan = out.split("**First `pulumi up`**", 1)[1]
    assert "- replace `web-task` `aws:ecs/taskDefinition:TaskDefinition` (memory)\n" in plan
    assert ("- replace `agent-cluster` `aws:ecs/cluster:Cluster` (name): "
            "**protected: `pulumi up` fails here**") in plan
    assert plan.index("agent-cluster") < plan.index("web-task"), "protected ones first"
    assert review_comment.PROTECTED_NOTE in plan


def test_nothing_changed_is_one_line(capsys):
    code, out, _ = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml")
    assert code == 0
    body = [line for line in out.splitlines() if line and not line.startswith(("## ", "<!--"))]
    assert body == ["**beta**: no change to cost, policy findings or resources against "
                    "`Pulumi.beta.yaml`."]


def test_json_has_the_money_the_findings_and_the_plan(capsys, web_max_60):
    code, out, _ = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml",
                           "--stack-file", str(web_max_60), "--json")
    assert code == 1
    (stack,) = json.loads(out)["stacks"]
    assert stack["worstCase"] == {"before": "7148.63", "after": "7509.04", "change": "360.40",
                                  "ratioToBudgetBefore": "2.8595", "ratioToBudgetAfter": "3.0036"}
    assert stack["baseline"]["change"] == "0.00"
    assert stack["services"] == [{
        "key": "web", "changes": [{"field": "max", "before": "50", "after": "60"}],
        "otherKeys": [], "baselineChange": "0.00", "worstCaseChange": "360.40",
        "fixedFeesChange": "0.00",
    }]
    new = [(f["policy"], f["resourceName"]) for f in stack["findings"] if f["new"]]
    assert new == [("max-capacity-ceiling", "web-scaling-target")]
    assert stack["blocked"] is True
    assert stack["plan"]["replace"] == 0 and stack["plan"]["resources"] == []


def test_a_fixed_fee_change_has_its_own_column(capsys, write_stack):
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["metricResolution"] = 60
    code, out, _ = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml",
                           "--stack-file", str(write_stack(document)))
    assert code == 0
    assert "| Service | What changed | Baseline /month | Worst case /month | Fixed fees /month |" \
        in out
    assert "| web | metrics 20 s → 60 s | $0.00 | $0.00 | -$" in out


@pytest.mark.parametrize("paths, expected", [
    (["Pulumi.beta.yaml"], {"beta": ["Pulumi.beta.yaml"], "staging": []}),
    (["policies/config/staging.json"], {"beta": [], "staging": ["policies/config/staging.json"]}),
    (["components/waf.py"], {"beta": ["components/waf.py"], "staging": ["components/waf.py"]}),
    (["policies/guardrails/scaling.py"], {"beta": ["policies/guardrails/scaling.py"],
                                          "staging": ["policies/guardrails/scaling.py"]}),
    (["docs/operations.md", "z360_ecs/cli.py", "tests/x.py"], {"beta": [], "staging": []}),
])
def test_a_stack_is_touched_by_its_files_or_the_programs_code(paths, expected):
    assert {stack: review.stack_changes(stack, paths) for stack in expected} == expected


# --- against a git revision ----------------------------------------------------------------


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def committed_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository holding this project's committed files, one commit: made once, never
    changed (each test changes a copy of its own, `repository`)."""
    folder = review.extract_tree(PROJECT_DIR, "HEAD", tmp_path_factory.mktemp("review") / "repo")
    # This change's own stack pack configs, when they are not committed yet.
    shutil.copytree(PROJECT_DIR / "policies" / "config", folder / "policies" / "config",
                    dirs_exist_ok=True)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "base")
    return folder


@pytest.fixture
def repository(committed_repository: Path, tmp_path: Path) -> Path:
    """A repository holding this project's committed files, one commit (a copy of the
    module's, its .git included, for this test to change)."""
    return Path(shutil.copytree(committed_repository, tmp_path / "repo", symlinks=True))


def test_base_revision_reviews_only_the_stacks_a_change_touches(capsys, repository):
    path = repository / "Pulumi.beta.yaml"
    path.write_text(path.read_text().replace("        max: 50\n", "        max: 60\n", 1))
    code, out, _ = _review(capsys, "--base", "HEAD", "--project-dir", str(repository), "--json")
    assert code == 1
    document = json.loads(out)
    assert [s["stack"] for s in document["stacks"]] == ["beta"]
    assert document["untouched"] == ["staging"]
    assert document["stacks"][0]["worstCase"]["change"] == "360.40"
    assert document["stacks"][0]["changedFiles"] == ["Pulumi.beta.yaml"]


def test_a_new_stack_is_all_new(capsys, repository):
    shutil.copy(repository / "Pulumi.staging.yaml", repository / "Pulumi.qa.yaml")
    code, out, _ = _review(capsys, "--base", "HEAD", "--project-dir", str(repository), "--json")
    assert code == 0
    (stack,) = json.loads(out)["stacks"]
    assert stack["stack"] == "qa" and stack["changedFiles"] == ["Pulumi.qa.yaml"]
    assert stack["baseline"]["before"] == "0.00" and stack["baseline"]["after"] != "0.00"
    assert {s["changes"][0]["field"] for s in stack["services"]} == {"service"}
    assert stack["plan"]["add"] > 0 and stack["plan"]["delete"] == 0
    (note,) = stack["notes"]
    assert note.endswith("has no Pulumi.qa.yaml: every resource and cost is new.")


def test_base_revision_with_nothing_touched_says_so(capsys, repository):
    code, out, _ = _review(capsys, "--base", "HEAD", "--project-dir", str(repository))
    assert code == 0
    assert "No stack is touched by this change" in out
    assert out.rstrip().endswith("<!-- z360-ecs review stacks:  -->")


def test_a_code_change_runs_the_base_revisions_own_program(capsys, repository):
    """The base commit's program made one more topic: the plan deletes it, so the base side
    ran that commit's code, not this one's."""
    main_py = repository / "__main__.py"
    original = main_py.read_text()
    main_py.write_text(original + "\nimport pulumi_aws\n\npulumi_aws.sns.Topic('extra-topic')\n")
    _git(repository, "commit", "-q", "-am", "a topic")
    main_py.write_text(original)
    code, out, _ = _review(capsys, "staging", "--base", "HEAD", "--project-dir", str(repository),
                           "--json")
    assert code == 0
    (stack,) = json.loads(out)["stacks"]
    assert stack["changedFiles"] == ["__main__.py"]
    assert [(p["action"], p["name"]) for p in stack["plan"]["resources"]] == [
        ("delete", "extra-topic")]
    assert stack["notes"] == []


@pytest.mark.parametrize("argv, expected", [
    (["beta", "--base=--output=/tmp/x"], "is not a git revision"),
    (["beta", "--base", "no-such-branch"], "--base no-such-branch"),
    (["--base-stack-file", "Pulumi.beta.yaml"], "need a STACK"),
    (["beta"], "give --base REV"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, expected):
    code, _, err = _review(capsys, *argv)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_bad_pack_config_is_refused_with_its_key_path(capsys, tmp_path):
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"scaling-cooldowns": {"minScaleInCooldown": "long"}}))
    code, _, err = _review(capsys, "beta", "--base-stack-file", "Pulumi.beta.yaml",
                           "--policy-pack-config", str(config))
    assert code == 2
    assert f"{config}: scaling-cooldowns.minScaleInCooldown: 'long' is not allowed: expected " \
           "integer" in err
