"""docs/policies.md's table of policies is generated from the pack, and never stale; the prose
around it is the author's and survives a regeneration."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pulumi_policy import StackValidationPolicy

from policies.guardrails.pack import POLICIES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_policy_docs.py"
DOC = ROOT / "docs" / "policies.md"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """scripts/ is not a package: load the generator from its file, as running it would."""
    spec = importlib.util.spec_from_file_location("gen_policy_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rows(text: str) -> dict[str, list[str]]:
    """Policy name -> the cells of its row in the generated table."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("| ").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_committed_policy_table_is_current(generator: ModuleType):
    current = DOC.read_text()
    assert current == generator.render(current), (
        "docs/policies.md is stale: regenerate it with `.venv/bin/python scripts/gen_policy_docs.py`"
    )


def test_every_policy_has_a_row_with_its_level_kind_and_description(generator: ModuleType):
    rows = _rows(generator.table())
    assert list(rows) == [policy.name for policy in POLICIES]
    for policy in POLICIES:
        _, _, kind, level, checks, _ = rows[policy.name]
        assert level == policy.enforcement_level.value, policy.name
        assert kind == ("stack" if isinstance(policy, StackValidationPolicy) else "resource")
        assert checks == generator.one_line(policy.description)


def test_a_setting_shows_its_schema_default_and_limits(generator: ModuleType):
    cells = _rows(generator.table())
    [ceiling] = [p for p in POLICIES if p.name == "max-capacity-ceiling"]
    schema = ceiling.config_schema.properties
    default = schema["defaultCeiling"]["default"]
    assert f"`defaultCeiling`: integer, at least 0, default `{default}`" in cells[ceiling.name][5]
    ceilings = ", ".join(f"{k}: {v}" for k, v in schema["ceilings"]["default"].items())
    assert f"map of string to integer, at least 0, default `{{{ceilings}}}`" in \
        cells[ceiling.name][5]
    # A regular expression's pipes are escaped, or the row would split into more cells.
    assert "PASSWORD\\|PASSWD" in cells["no-plaintext-secrets"][5]
    assert cells["alarm-notifies"][5] == "none"


def test_check_fails_on_a_stale_table_keeps_the_prose_and_names_the_command(
        generator: ModuleType, tmp_path: Path, capsys):
    stale = tmp_path / "policies.md"
    text = f"# Prose above\n\n{generator.BEGIN}\n| old |\n{generator.END}\n\nProse below.\n"
    stale.write_text(text)
    assert generator.main(["--check", "--output", str(stale)]) == 1
    assert "scripts/gen_policy_docs.py" in capsys.readouterr().err
    assert stale.read_text() == text, "--check writes nothing"
    assert generator.main(["--output", str(stale)]) == 0
    fresh = stale.read_text()
    assert fresh.startswith("# Prose above\n\n") and fresh.endswith("\n\nProse below.\n")
    assert "| old |" not in fresh and "| `burn-rate-warn-in-range` |" in fresh
    assert generator.main(["--check", "--output", str(stale)]) == 0


@pytest.mark.parametrize("text", ["no markers\n", "{END}\n{BEGIN}\n", "{BEGIN}\n{BEGIN}\n{END}\n"])
def test_a_file_without_its_markers_once_and_in_order_is_refused(generator, tmp_path, capsys,
                                                                 text):
    path = tmp_path / "policies.md"
    path.write_text(text.format(BEGIN=generator.BEGIN, END=generator.END))
    assert generator.main(["--output", str(path)]) == 2
    assert "once each, in that order" in capsys.readouterr().err
