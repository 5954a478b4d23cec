"""`z360-ecs check`: exit codes, grouping, JSON, and config errors, end to end."""

from __future__ import annotations

import json

import pytest

from policies.guardrails.pack import POLICIES
from policies.guardrails.scaling import DEFAULT_CEILINGS
from tests.support.runs import stack_document
from z360_ecs.cli import main


def test_beta_passes_and_lists_advisories_after_the_header(capsys):
    assert main(["check", "beta"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("z360-ecs check beta: policy pack z360-ecs-guardrails 0.1.0")
    assert "MANDATORY" not in out
    assert "ADVISORY\n  aws:appautoscaling/target:Target  aegra-scaling-target" in out
    assert out.rstrip().endswith("passed")


def test_mandatory_violation_exits_1_and_is_listed_first(write_stack, capsys):
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["scaling"]["max"] = 60
    assert main(["check", "beta", "--stack-file", str(write_stack(document))]) == 1
    out = capsys.readouterr().out
    mandatory, _, rest = out.partition("MANDATORY\n")[2].partition("ADVISORY")
    assert "web-scaling-target\n    [max-capacity-ceiling] beta web: maxCapacity 60" in mandatory
    assert "BLOCKED" in out.splitlines()[-1]


def test_json_output_names_the_pack_python_and_findings(capsys):
    assert main(["check", "staging", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["pack"]["pythonSource"].startswith(("policies/venv", "sys.executable"))
    assert document["resourceCount"] > 0
    assert document["blocked"] is False
    assert document["summary"]["mandatory"] == 0
    # Every policy of the pack, listed by the check.
    assert len(document["pack"]["policies"]) == len(POLICIES)


def test_policy_pack_config_file_changes_a_threshold(tmp_path, capsys):
    # A config file replaces a whole setting, as the CLI does: give every ceiling.
    config = tmp_path / "policy-config.json"
    ceilings = {**DEFAULT_CEILINGS, "web": 40}
    config.write_text(json.dumps({"max-capacity-ceiling": {"ceilings": ceilings}}))
    assert main(["check", "beta", "--policy-pack-config", str(config), "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["policy"], f["resourceName"]) for f in findings if f["blocking"]] == [
        ("max-capacity-ceiling", "web-scaling-target")]


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    (json.dumps({"max-capacity-ceiling": {"defaultCeiling": "ten"}}),
     "max-capacity-ceiling.defaultCeiling: 'ten' is not allowed: expected integer"),
])
def test_bad_policy_pack_config_exits_2_naming_the_problem(tmp_path, capsys, content, expected):
    config = tmp_path / "policy-config.json"
    config.write_text(content)
    assert main(["check", "beta", "--policy-pack-config", str(config)]) == 2
    assert expected in capsys.readouterr().err


def test_bad_stack_config_exits_2(write_stack, capsys):
    document = stack_document("beta")
    document["config"]["z360-ecs:services"]["web"]["memory"] = 1536
    assert main(["check", "beta", "--stack-file", str(write_stack(document))]) == 2
    assert "services.web.memory" in capsys.readouterr().err


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_every_iam_document_is_checked_at_preview(stack, program_runs, policy_pack):
    """IAM documents are built from names, not from ARNs AWS assigns, so CI checks them."""
    from z360_ecs.engine.analyzer import analyze_run

    findings = analyze_run(program_runs.get(stack), pack=policy_pack)
    unchecked = [f"{f.resource_name} [{f.policy}]" for f in findings if f.unknown_during_preview]
    assert unchecked == []


def test_the_offline_note_is_said_once_under_the_header(capsys):
    assert main(["check", "beta"]) == 0
    captured = capsys.readouterr()
    header, note = captured.out.splitlines()[:2]
    assert header.startswith("z360-ecs check beta: policy pack")
    assert note.startswith("note: cost breaker: record /z360/beta/cost-breaker/state not read")
    assert (captured.out + captured.err).count("cost-breaker/state") == 1


def test_with_json_the_note_goes_to_stderr_once(capsys):
    assert main(["check", "beta", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stack"] == "beta"
    assert captured.err.count("note: cost breaker: record /z360/beta/") == 1
