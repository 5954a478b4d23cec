"""The floors hold: `lint-imports` passes on the tree, and fails when a file imports upwards.

The contracts are in `.importlinter`; CI runs `lint-imports` (.ci/run). These tests run it on a
copy of the packages so a forbidden import can be added without touching the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from z360_ecs import PROJECT_DIR

PACKAGES = ("policies", "stack_model", "breaker", "components", "z360_ecs")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    ignore = shutil.ignore_patterns("venv", "__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(PROJECT_DIR / package, root / package, ignore=ignore)
    shutil.copy(PROJECT_DIR / ".importlinter", root / ".importlinter")
    return root


@pytest.fixture(scope="module")
def tree_result(tree: Path) -> subprocess.CompletedProcess[str]:
    return lint(tree)


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the checkout the environment installed.
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "300"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def states(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' summary."""
    found = {}
    for line in result.stdout.splitlines():
        name, _, state = line.rpartition(" ")
        if state in ("KEPT", "BROKEN"):
            found[name] = state
    return found


def contract_state(result: subprocess.CompletedProcess[str], contract: str) -> str:
    matches = [state for name, state in states(result).items() if name.startswith(contract)]
    assert len(matches) == 1, f"no single contract named {contract!r}: {states(result)}"
    return matches[0]


def with_import(tree: Path, tmp_path: Path, module: str, statement: str) -> Path:
    """A copy of `tree` in which `module` (a dotted name) also runs `statement`."""
    root = tmp_path / "tree"
    shutil.copytree(tree, root)
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{statement}\n")
    return root


def test_the_tree_keeps_every_contract(tree_result: subprocess.CompletedProcess[str]) -> None:
    result = tree_result
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(states(result)) >= 9 and set(states(result).values()) == {"KEPT"}


@pytest.mark.parametrize("module, statement, contract", [
    # A fact that reaches up into the stack model.
    ("policies.guardrails.facts.fargate", "import stack_model.naming",
     "Floors: tools > program > (stack as data | breaker) > facts"),
    # The program loading a rule module, and with it pulumi_policy.
    ("components.alerts", "from policies.guardrails import scaling",
     "Only the pack and the tools load rules"),
    # The stack model reaching for a component.
    ("stack_model.pricing", "import components.stack",
     "Floors: tools > program > (stack as data | breaker) > facts"),
    # The pack importing the program: it could no longer be published from policies/.
    ("policies.guardrails.ecs", "import stack_model.config",
     "The policy pack is published from policies/ alone"),
    # A tool's pure model importing a ComponentResource module.
    ("z360_ecs.models.flood", "import components.burn_rate",
     "The tools' models are pure"),
    # The common floor of the tools importing the engine back.
    ("z360_ecs.common", "import z360_ecs.engine.program",
     "Tools: cli > commands | live > engine | models > common"),
])
def test_an_upward_import_breaks_its_contract(tree: Path, tree_result: subprocess.CompletedProcess[str],
                                              tmp_path: Path, module: str, statement: str,
                                              contract: str) -> None:
    assert contract_state(tree_result, contract) == "KEPT"
    result = lint(with_import(tree, tmp_path, module, statement))
    assert result.returncode != 0, f"{module}: `{statement}` passed lint-imports"
    assert contract_state(result, contract) == "BROKEN", result.stdout
