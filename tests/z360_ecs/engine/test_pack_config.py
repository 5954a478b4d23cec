"""The pack's thresholds per stack (policies/config/<stack>.json): valid against the pack's own
schemas, read by `check` by default, and refused with a key path when wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policies.guardrails.scaling import DEFAULT_CEILINGS
from z360_ecs.cli import main
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine import pack_config
from z360_ecs.engine.analyzer import PackConfigError, merge_config

THRESHOLDS = ("max-capacity-ceiling", "capacity-bounds", "scaling-cooldowns",
              "target-utilisation-bounds", "target-utilisation-preferred")


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_each_stack_has_its_thresholds_and_they_fit_the_packs_schemas(stack, policy_pack: Any):
    loaded = pack_config.for_stack(PROJECT_DIR, stack)
    assert loaded.source == f"policies/config/{stack}.json"
    assert loaded.values is not None and set(THRESHOLDS) <= set(loaded.values)
    merged = merge_config(policy_pack.connect(), loaded.values, loaded.source)
    assert all("enforcementLevel" in config for config in merged.values()), \
        "every policy is configured with its level (a missing one silently becomes advisory)"


def test_check_reads_the_stacks_file_by_default(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "beta.json").write_text(json.dumps(
        {"max-capacity-ceiling": {"ceilings": {**DEFAULT_CEILINGS, "web": 40}}}))
    monkeypatch.setattr(pack_config, "CONFIG_DIR", tmp_path)
    assert main(["check", "beta", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["pack"]["config"] == str(tmp_path / "beta.json")
    assert [(f["policy"], f["resourceName"]) for f in document["findings"] if f["blocking"]] == [
        ("max-capacity-ceiling", "web-scaling-target")]


def test_check_names_the_file_it_used(capsys):
    assert main(["check", "staging", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pack"]["config"] == "policies/config/staging.json"


def test_a_project_without_the_file_uses_the_packs_defaults(tmp_path: Path):
    assert pack_config.for_stack(tmp_path, "beta") == pack_config.DEFAULTS


@pytest.mark.parametrize("content, expected", [
    ({"max-capacity-ceiling": {"ceilings": {"web": -1}}},
     "beta.json: max-capacity-ceiling.ceilings.web: -1 is below the minimum 0"),
    ({"scaling-cooldowns": {"maxScaleOutCooldown": "1m"}},
     "beta.json: scaling-cooldowns.maxScaleOutCooldown: '1m' is not allowed: expected integer"),
    ({"target-utilisation-bounds": {"maxTarget": 120}},
     "beta.json: target-utilisation-bounds.maxTarget: 120 is above the maximum 100"),
    ({"scaling-cooldown": {"maxScaleOutCooldown": 60}},
     "beta.json: 'scaling-cooldown' is not a policy of z360-ecs-guardrails"),
])
def test_a_bad_threshold_is_refused_with_its_key_path(tmp_path: Path, monkeypatch, capsys,
                                                      content, expected):
    (tmp_path / "beta.json").write_text(json.dumps(content))
    monkeypatch.setattr(pack_config, "CONFIG_DIR", tmp_path)
    assert main(["check", "beta"]) == 2
    assert expected in capsys.readouterr().err


def test_an_unreadable_file_is_refused_before_anything_runs(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "beta.json").write_text("{ceilings: 50")
    monkeypatch.setattr(pack_config, "CONFIG_DIR", tmp_path)
    with pytest.raises(PackConfigError, match="not valid JSON"):
        pack_config.for_stack(PROJECT_DIR, "beta")
    assert main(["check", "beta"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
