"""`z360-ecs report`: the committed reports are current, and each section says what it must."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stack_model.config import StackConfig
from tests.support.runs import stack_document
from z360_ecs.commands import report
from z360_ecs.common import PROJECT_DIR, read_stack_config
from z360_ecs.engine import program as program_module
from z360_ecs.engine.program import run_program as fresh_run_program  # never a shared run


def run_report(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="z360-ecs")
    report.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv])
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def beta_report() -> str:
    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers(dest="command"))
    text = report.build_report(parser.parse_args(["report", "beta"]))
    assert text is not None
    return text


@pytest.mark.parametrize("stack", ["staging", "beta"])
def test_committed_report_is_current(stack: str, tmp_path: Path, capsys):
    fresh = tmp_path / f"{stack}.md"
    code, _, err = run_report([stack, "--output", str(fresh)], capsys)
    assert code == 0, err
    committed = PROJECT_DIR / "reports" / f"{stack}.md"
    assert committed.is_file(), f"reports/{stack}.md is missing"
    assert committed.read_text() == fresh.read_text(), (
        f"reports/{stack}.md is stale: regenerate it with "
        f"`z360-ecs report {stack} --output reports/{stack}.md`"
    )


def test_report_bytes_are_stable_between_runs(capsys, monkeypatch):
    """The report of the session's run of beta (made once, earlier or now) and the report of
    a run made afresh: two runs of the program, the same bytes."""
    first = run_report(["beta"], capsys)[1]
    monkeypatch.setattr(program_module, "run_program", fresh_run_program)
    second = run_report(["beta"], capsys)[1]
    assert first == second


def test_check_fails_on_a_stale_file_and_names_the_command(tmp_path: Path, capsys):
    stale = tmp_path / "beta.md"
    stale.write_text("# old\n")
    code, _, err = run_report(["beta", "--check", "--output", str(stale)], capsys)
    assert code == 1
    assert f"z360-ecs report beta --output {stale}" in err
    assert stale.read_text() == "# old\n", "--check writes nothing"


def test_check_passes_on_a_fresh_file(tmp_path: Path, capsys):
    fresh = tmp_path / "beta.md"
    assert run_report(["beta", "--output", str(fresh)], capsys)[0] == 0
    assert run_report(["beta", "--check", "--output", str(fresh)], capsys)[0] == 0


def test_right_sizing_table_has_before_after_and_list_price_saving(beta_report: str):
    assert "| voice | `agent-layer-beta-voice` | 4096/8192 | 2048/5120 | $68.84 |" \
        in beta_report
    assert "| gateway | `agent-layer-beta-gateway` | 512/1024 | kept | $0.00 |" in beta_report


def test_max_capacity_table_shows_old_and_new_maxima(beta_report: str):
    section = beta_report.split("## Max capacity", 1)[1].split("##", 1)[0]
    web = next(line for line in section.splitlines() if line.startswith("| web |"))
    cells = [cell.strip() for cell in web.strip("|").split("|")]
    assert cells[2] == "3" and cells[4] == "50"


def test_alarms_come_from_the_program(capsys, write_stack: Callable[[dict[str, Any]], Path]):
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["alarms"]["cpuHigh"] = 91
    code, out, err = run_report(["beta", "--stack-file", str(write_stack(document))], capsys)
    assert code == 0, err
    assert "| `z360-beta-web-high-cpu` | AWS/ECS CPUUtilization (Average) | > 91 % |" in out
    assert "| `z360-beta-voice-task-count-spike` | ECS/ContainerInsights RunningTaskCount" in out


def test_budget_section_names_limit_alerts_recipients_and_that_it_caps_nothing(beta_report):
    section = beta_report.split("## Budget", 1)[1].split("##", 1)[0]
    assert "`z360-monthly-spending-alert` | $2,500.00 |" in section
    assert "$500.00 (20 %), $1,000.00 (40 %), $2,000.00 (80 %)" in section
    assert "ansar@z360.biz" in section
    assert "caps nothing" in section


def test_burn_rate_alarms_show_their_metric_math_and_dollar_thresholds(beta_report: str):
    assert ("| `z360-beta-burn-rate-trip` | ECS/ContainerInsights 6 x RunningTaskCount x hourly "
            "task price (Maximum) | > $5.00/h | 5 of 5 x 60 s | notBreaching |") in beta_report


def test_money_at_risk_section_shows_both_paths(beta_report: str):
    section = beta_report.split("## Cost breaker: money at risk", 1)[1].split("##", 1)[0]
    assert "| budget notification | 32 h 0 min | 32 h 6 min | $314.34 |" in section
    assert "| burn-rate alarm, simulated flood | 15 min | 21 min | $2.37 |" in section
    assert "above $5.00/h for 5 one-minute datapoints" in section


def test_rollback_uses_the_stacks_real_names(beta_report: str):
    assert "--cluster z360-beta-Cluster-8E41UEvLHdpU" in beta_report
    assert "--service z360-beta-web-Service-5Ao8dxMzQ1d8" in beta_report
    assert "--task-definition z360-beta-web:$((N-1))" in beta_report
    assert ("--resource-id service/z360-beta-Cluster-8E41UEvLHdpU/"
            "z360-beta-web-Service-5Ao8dxMzQ1d8") in beta_report
    assert "deregister-scalable-target" in beta_report
    for setting in ("taskDefinitionRevision", "scaling.enabled: false", "scaling.holdAt"):
        assert setting in beta_report
    assert "pulumi up --stack beta --policy-pack policies" in beta_report


def test_staging_has_no_scaling_commands(capsys):
    code, out, _ = run_report(["staging"], capsys)
    assert code == 0
    assert "deregister-scalable-target" not in out
    assert "--desired-count 1" in out
    assert "declares no budget" in out
    assert "money at risk" not in out  # no cost breaker


def test_bad_config_exits_2_without_traceback(capsys, write_stack):
    document = stack_document("staging")
    document["config"]["z360-ecs:services"]["voice"]["cpu"] = 3000
    code, out, err = run_report(["staging", "--stack-file", str(write_stack(document))], capsys)
    assert code == 2 and out == ""
    assert "services.voice.cpu" in err and "3000" in err
    assert "Traceback" not in err


def test_report_against_a_git_revision(tmp_path: Path, capsys, monkeypatch):
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                        "-c", "commit.gpgsign=false", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    # A throwaway project repository: REV:PATH resolves in the project's repository.
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    document = stack_document("staging")
    stack_file = tmp_path / "Pulumi.x.yaml"
    git("init", "-q")
    document["config"]["z360-ecs:services"]["voice"].update(cpu=4096, memory=8192)
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    git("add", "Pulumi.x.yaml")
    git("commit", "-q", "-m", "voice at 4 vCPU")
    document["config"]["z360-ecs:services"]["voice"].update(cpu=1024, memory=4096)
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    git("commit", "-q", "-am", "voice at 1 vCPU")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_report(
        ["staging", "--stack-file", "Pulumi.x.yaml", "--baseline", "HEAD~1:Pulumi.x.yaml",
         "--project-dir", str(tmp_path)], capsys
    )
    assert code == 0, err
    assert "against the baseline `HEAD~1:Pulumi.x.yaml`" in out
    assert "| voice | `agent-layer-staging-voice` | 4096/8192 | 1024/4096 |" in out
    assert "| web | `z360-staging-web` | 512/1024 | kept | $0.00 |" in out


def _comparable(config: StackConfig) -> dict[str, Any]:
    """The config without what a baseline is meant to differ in: sizes, maxima, spike alarms
    and emergency ceilings (at most the maxima)."""
    data = config.model_dump()
    if data.get("cost_breaker"):
        data["cost_breaker"].pop("emergency_ceilings")
    for service in data["services"].values():
        for key in ("cpu", "memory"):
            service.pop(key)
        service["scaling"].pop("max")
        service["alarms"].pop("task_count_spike")
        service["import_ids"].pop("spike_alarm")
    return data


@pytest.mark.parametrize("stack", ["staging", "beta"])
def test_shipped_baseline_differs_from_the_stack_only_in_right_sizing(stack: str):
    current = read_stack_config(stack)
    baseline = read_stack_config(stack, PROJECT_DIR / "baselines" / f"{stack}.yaml")
    assert _comparable(baseline) == _comparable(current), (
        f"baselines/{stack}.yaml has drifted from Pulumi.{stack}.yaml beyond task sizes and "
        "maxima: bring the other values back in step"
    )


# --- --json ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beta_json() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers(dest="command"))
    text = report.build_report(parser.parse_args(["report", "beta", "--json"]))
    assert text is not None
    return json.loads(text)


def test_json_has_every_section_of_the_markdown(beta_json: dict[str, Any]):
    assert {"rightSizing", "services", "alarms", "budget", "scenarios", "flood", "moneyAtRisk",
            "rollback"} <= set(beta_json)
    assert beta_json["rightSizing"]["baseline"] == "baselines/beta.yaml"


def test_json_figures_are_the_markdowns(beta_json: dict[str, Any], beta_report: str):
    saving = beta_json["rightSizing"]["monthlySaving"]
    assert f"**${float(saving):,.2f}**" in beta_report
    voice = next(s for s in beta_json["rightSizing"]["services"] if s["key"] == "voice")
    assert (voice["before"], voice["after"], voice["savingPerTask"]) == ("4096/8192", "2048/5120",
                                                                        "68.84")
    web = next(s for s in beta_json["services"] if s["key"] == "web")
    assert (web["oldMax"], web["max"], web["cpuTarget"]) == (3, 50, 60)
    worst = next(s for s in beta_json["scenarios"] if s["scenario"] == "worst case")
    assert worst["monthly"] == "7148.63" and worst["ratioToBudget"] == "2.8595"
    alarm_rows = beta_report.split("## Alarms", 1)[1].split("##", 1)[0].count("\n| `")
    assert len(beta_json["alarms"]) == alarm_rows
    trip = next(a for a in beta_json["alarms"] if a["name"] == "z360-beta-burn-rate-trip")
    assert trip["metricMath"] is True and trip["threshold"] == 5
    paths = {p["path"]: p["moneyAtRisk"] for p in beta_json["moneyAtRisk"]}
    assert paths["budget notification"] == "314.34"
    assert beta_json["rollback"]["web"]["cluster"] == "z360-beta-Cluster-8E41UEvLHdpU"


def test_json_of_staging_has_no_budget_and_no_money_at_risk(capsys):
    code, out, _ = run_report(["staging", "--json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["budget"] is None and document["moneyAtRisk"] == []
    assert all(s["timeToScale"] is None for s in document["services"])


def test_json_with_check_is_refused(capsys):
    code, _, err = run_report(["beta", "--json", "--check"], capsys)
    assert code == 2 and "--check compares the markdown report" in err
