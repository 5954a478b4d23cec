"""`z360-ecs cost`: figures as printed, bad input, and --baseline from a file or a git revision."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.runs import stack_document
from z360_ecs.commands import cost
from z360_ecs.common import PROJECT_DIR

HOURS = Decimal(730)


def x86_month(vcpu: str, gb: str) -> Decimal:
    """vcpu * 0.04048 * 730 + gb * 0.004445 * 730: the x86 list price, written out."""
    return Decimal(vcpu) * Decimal("0.04048") * HOURS + Decimal(gb) * Decimal("0.004445") * HOURS


def cents(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


def run_cost(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="z360-ecs")
    cost.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["cost", *argv])
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_cost([*argv, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_json_money_is_two_decimal_strings_to_the_cent(capsys):
    document = run_json(["beta"], capsys)
    web = document["services"]["web"]
    assert web["monthlyTaskCost"] == "36.04"
    assert web["monthlyAtMax"] == cents(50 * x86_month("1", "2"))
    voice = document["services"]["voice"]
    assert voice["monthlyTaskCost"] == cents(x86_month("2", "5")) == "75.33"


def test_worst_case_is_compared_with_the_budget_as_a_ratio(capsys):
    document = run_json(["beta"], capsys)
    worst = (
        50 * x86_month("1", "2") + 40 * x86_month("0.25", "0.5") + 50 * x86_month("0.5", "1")
        + 30 * x86_month("0.25", "1") + 50 * x86_month("2", "5")
    )
    assert document["worstCase"]["monthly"] == cents(worst)
    assert document["worstCase"]["tasks"] == 220
    expected_ratio = (worst / Decimal(2500)).quantize(Decimal("0.0001"), rounding="ROUND_HALF_UP")
    assert document["worstCase"]["ratioToBudget"] == str(expected_ratio)
    assert document["budget"] == {"name": "z360-monthly-spending-alert",
                                  "monthlyLimit": "2500.00", "scope": "account", "caps": False}


def test_text_says_the_budget_is_account_wide_and_caps_nothing(capsys):
    code, out, _ = run_cost(["beta"], capsys)
    assert code == 0
    assert "account-wide" in out and "caps nothing" in out
    assert "x the budget limit" in out


def test_a_stack_without_budget_says_so(capsys):
    code, out, _ = run_cost(["staging"], capsys)
    assert code == 0
    assert "declares no budget" in out
    assert run_json(["staging"], capsys)["worstCase"]["ratioToBudget"] is None


def test_spot_and_savings_plan_are_ranges(capsys):
    """Staging: five tasks on Spot (a range, at most their list price), voice on demand (exact);
    every task sleeps out of working hours, so no Savings Plan commitment is always used. Beta:
    the plan covers the on-demand floor, its minimums."""
    document = run_json(["staging"], capsys)
    baseline = Decimal(document["totals"]["monthlyAtBaseline"])
    spot = document["spot"]["baseline"]
    low, high = (Decimal(a) for a in spot["monthlyRange"])
    assert document["spot"]["discountRange"] == ["0", "0.70"]
    assert (spot["onDemandTasks"], spot["spotTasks"]) == (1, 5)
    on_demand = Decimal(spot["onDemandMonthly"])
    assert on_demand < low < high == baseline
    assert abs(low - (on_demand + Decimal(spot["spotMonthlyAtList"]) * Decimal("0.30"))) \
        <= Decimal("0.01")  # each figure rounded to the cent
    assert Decimal(document["computeSavingsPlan"]["onDemandFloorHourly"]) == 0
    document = run_json(["beta"], capsys)
    on_demand = Decimal(document["spot"]["baseline"]["onDemandMonthly"])
    plan = document["computeSavingsPlan"]
    plan_low, plan_high = (Decimal(a) for a in plan["floorMonthlyRange"])
    assert plan_low < plan_high < on_demand
    # The floor an hour (to $0.0001) times 730 h is the on-demand month, to a few cents.
    assert abs(Decimal(plan["onDemandFloorHourly"]) * 730 - on_demand) < Decimal("0.05")


def test_enabled_cost_breaker_shows_the_capped_worst_case_next_to_the_uncapped(capsys):
    document = run_json(["beta"], capsys)
    capped = document["cappedWorstCase"]
    ceilings = capped["ceilings"]
    beta = stack_document("beta")["config"]["z360-ecs:costBreaker"]["emergencyCeilings"]
    assert ceilings == beta  # every beta ceiling lies between its service's min and max
    per_task = {key: Decimal(s["monthlyTaskCost"]) for key, s in document["services"].items()}
    exact = {
        "web": x86_month("1", "2"), "queue": x86_month("0.25", "0.5"),
        "reverb": x86_month("0.25", "0.5"), "gateway": x86_month("0.5", "1"),
        "aegra": x86_month("0.25", "1"), "voice": x86_month("2", "5"),
    }
    assert set(per_task) == set(exact)
    assert capped["monthly"] == cents(sum(exact[k] * ceilings[k] for k in exact))
    assert Decimal(capped["monthly"]) < Decimal(document["worstCase"]["monthly"])
    code, out, _ = run_cost(["beta"], capsys)
    assert "cost breaker tripped" in out


def test_bad_config_exits_2_naming_the_key_and_value_without_traceback(
    capsys, write_stack: Callable[[dict[str, Any]], Path]
):
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["memory"] = 3000
    code, out, err = run_cost(["beta", "--stack-file", str(write_stack(document))], capsys)
    assert code == 2
    assert out == ""
    assert "services.web" in err and "3000" in err
    assert "Traceback" not in err


def test_missing_stack_file_exits_2(capsys, tmp_path: Path):
    code, _, err = run_cost(["beta", "--stack-file", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2
    assert "no such file" in err


def test_baseline_file_gives_savings_per_service(capsys):
    document = run_json(["beta", "--baseline", str(PROJECT_DIR / "baselines/beta.yaml")], capsys)
    voice = document["baseline"]["services"]["voice"]
    assert (voice["before"], voice["after"]) == ("4096/8192", "2048/5120")
    assert voice["savingPerTask"] == cents(x86_month("4", "8") - x86_month("2", "5")) == "68.84"
    assert document["baseline"]["services"]["gateway"]["savingPerTask"] == "0.00"


def test_baseline_that_is_neither_file_nor_revision_exits_2(capsys):
    code, _, err = run_cost(["beta", "--baseline", "no-such-file.yaml"], capsys)
    assert code == 2
    assert "no-such-file.yaml" in err and "REV:PATH" in err


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A throwaway project repository (the project's Pulumi.yaml): Pulumi.x.yaml committed with
    web at 2048/4096, then at 1024/2048. A REV:PATH resolves in the project's repository, so the
    tests make this one the project (--project-dir)."""
    _git(tmp_path, "init", "-q")
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    document = stack_document("beta")
    stack_file = tmp_path / "Pulumi.x.yaml"
    document["config"]["z360-ecs:services"]["web"].update(cpu=2048, memory=4096)
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    _git(tmp_path, "add", "Pulumi.x.yaml")
    _git(tmp_path, "commit", "-q", "-m", "web at 2 vCPU")
    document["config"]["z360-ecs:services"]["web"].update(cpu=1024, memory=2048)
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    _git(tmp_path, "commit", "-q", "-am", "web at 1 vCPU")
    return tmp_path


def test_baseline_at_a_git_revision(capsys, history: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(history)
    document = run_json(
        ["beta", "--stack-file", "Pulumi.x.yaml", "--baseline", "HEAD~1:Pulumi.x.yaml",
         "--project-dir", str(history)], capsys
    )
    web = document["baseline"]["services"]["web"]
    assert (web["before"], web["after"]) == ("2048/4096", "1024/2048")
    assert web["savingPerTask"] == cents(x86_month("2", "4") - x86_month("1", "2"))
    assert document["baseline"]["totalSavingAtBaseline"] == web["savingAtBaseline"]


def test_unknown_git_revision_exits_2_with_gits_reason(
    capsys, history: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(history)
    code, _, err = run_cost(
        ["beta", "--stack-file", "Pulumi.x.yaml", "--baseline", "HEAD~5:Pulumi.x.yaml",
         "--project-dir", str(history)], capsys
    )
    assert code == 2
    assert "HEAD~5:Pulumi.x.yaml" in err and "git show" in err


def test_beta_adds_eighteen_dollars_a_month_of_waf_fees(capsys):
    document = run_json(["beta"], capsys)
    assert document["waf"]["webAcls"] == {"web": {"rules": 4, "monthly": "9.00"},
                                          "gateway": {"rules": 4, "monthly": "9.00"}}
    assert document["waf"]["monthlyFixed"] == "18.00"
    assert document["waf"]["perMillionRequests"] == "0.60"
    code, out, _ = run_cost(["beta"], capsys)
    assert "AWS WAF: 2 web ACLs (web, gateway), each $5.00 a month plus 4 rules" in out

