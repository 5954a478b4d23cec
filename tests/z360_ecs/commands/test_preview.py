"""`z360-ecs preview`: the offline main job, as a user runs it."""

import json
import subprocess
import sys

import pytest

from stack_model.config.source import read_stack_yaml
from z360_ecs.cli import main
from z360_ecs.common import PROJECT_DIR, StackFileError, load_stack_settings


def _preview(capsys, *argv):
    code = main(["preview", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_preview_of_beta_shows_sizes_capacities_cooldowns_alarms_and_budget(capsys):
    code, out, _ = _preview(capsys, "beta")
    assert code == 0
    assert "z360-ecs beta: offline preview, " in out
    for expected in (
        "family: z360-beta-web", "cpu: 1024", "memory: 2048", "maxCapacity: 50",
        "scaleOutCooldown: 0", "scaleInCooldown: 600", "name: z360-beta-web-high-cpu",
        "name: z360-monthly-spending-alert", "limitAmount: 2500",
        "[protect; ignoreChanges desiredCount]", "taskDefinition: (computed)",
        "log-group:/ecs/z360-beta-web:*",
    ):
        assert expected in out, expected


@pytest.mark.fresh_program_runs
def test_preview_output_is_deterministic(capsys):
    first = _preview(capsys, "beta")[1]
    second = _preview(capsys, "beta")[1]
    assert first == second


def test_preview_json_marks_computed_values(capsys):
    code, out, _ = _preview(capsys, "staging", "--json")
    document = json.loads(out)
    assert code == 0 and document["stack"] == "staging"
    service = next(r for r in document["resources"] if r["name"] == "web-service")
    assert service["inputs"]["taskDefinition"] == "(computed)"
    assert service["inputs"]["desiredCount"] == 1
    assert document["outputs"]["services"]["voice"]["monthlyTaskCost"] == "42.53"


def test_preview_shows_secret_config_as_secret(capsys, tmp_path):
    import yaml

    document = read_stack_yaml(PROJECT_DIR / "Pulumi.staging.yaml")
    document["config"]["z360-ecs:environment"] = {"secure": "v1:abcdef"}
    path = tmp_path / "Pulumi.secret.yaml"
    path.write_text(yaml.safe_dump(document))
    settings = load_stack_settings("staging", stack_file=path)
    assert settings.secret_keys == ["z360-ecs:environment"]
    assert settings.config["z360-ecs:environment"] == "[secret]"


def test_pulumi_yaml_defaults_are_applied_as_the_cli_applies_them():
    settings = load_stack_settings("staging")
    # staging sets neither: Pulumi.yaml's defaults fill them in.
    assert settings.config["z360-ecs:budget"] == {}
    assert settings.config["z360-ecs:dashboard"] is True
    assert settings.config["z360-ecs:protect"] is False


def test_a_missing_required_key_names_the_key(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  z360-ecs:environment: beta\n")
    with pytest.raises(StackFileError, match="z360-ecs:services: required key is missing"):
        load_stack_settings("x", stack_file=path)


def test_a_declared_type_is_enforced(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    document = (PROJECT_DIR / "Pulumi.staging.yaml").read_text().replace(
        "z360-ecs:protect: false", "z360-ecs:protect: maybe")
    path.write_text(document)
    with pytest.raises(StackFileError, match="z360-ecs:protect: 'maybe' is not allowed"):
        load_stack_settings("x", stack_file=path)


def test_bad_config_exits_2_with_the_error_and_no_traceback(tmp_path):
    document = (PROJECT_DIR / "Pulumi.beta.yaml").read_text().replace(
        "      cpu: 1024\n      memory: 2048\n", "      cpu: 1024\n      memory: 1024\n", 1)
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(document)
    result = subprocess.run(
        [sys.executable, "-m", "z360_ecs.cli", "preview", "beta", "--stack-file", str(path)],
        capture_output=True, text=True, cwd=PROJECT_DIR,
    )
    assert result.returncode == 2
    assert "services.web.memory: 1024 is not a Fargate size with cpu 1024" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_preview_is_identical_across_fresh_processes():
    # Two processes at once (each with its own hash seed): as fresh as one after the other.
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "z360_ecs.cli", "preview", "beta", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_DIR,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]


def test_preview_of_beta_shows_the_cost_breaker_and_dashboard(capsys):
    code, out, _ = _preview(capsys, "beta")
    assert code == 0
    for expected in (
        "z360:budgets:CostBreaker  cost-breaker", "runtime: python3.12",
        "cost-breaker-on-failure", '"BREAKER_TARGETS": ', "principal: sns.amazonaws.com",
        "name: /z360/beta/cost-breaker/state", "dashboardName: z360-beta-services",
        "costBreakerRestoreCommand: aws lambda invoke --function-name z360-beta-cost-breaker",
        "maximumRetryAttempts: 2",
        "destination: arn:aws:sns:us-east-1:108782097218:z360-beta-alerts",
        "name: /z360/beta/cost-breaker/lock", "tier: Intelligent-Tiering",
    ):
        assert expected in out, expected
    assert "reservedConcurrentExecutions" not in out


def test_the_offline_note_is_said_once_under_the_preview_header(capsys):
    assert main(["preview", "beta"]) == 0
    captured = capsys.readouterr()
    header, note = captured.out.splitlines()[:2]
    assert header.startswith("z360-ecs beta: offline preview")
    assert note.startswith("note: cost breaker: record /z360/beta/cost-breaker/state not read")
    assert "cost-breaker/state" not in captured.err
