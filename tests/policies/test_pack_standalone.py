"""The pack is loaded and published from its own folder: it must run there alone."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from policies.guardrails.pack import POLICIES
from z360_ecs.engine.analyzer import PACK_DIR, PolicyPackProcess

PROGRAM_PACKAGES = {"components", "z360_ecs", "breaker", "bench", "tests", "policies"}


def _absolute_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACK_DIR.rglob("*.py") if "venv" not in p.parts),
    ids=lambda p: str(p.relative_to(PACK_DIR)),
)
def test_no_pack_module_imports_the_program(path):
    assert _absolute_imports(path) & PROGRAM_PACKAGES == set()


def test_a_copy_of_the_pack_folder_starts_with_only_its_own_environment(tmp_path):
    venv_python = PACK_DIR / "venv" / "bin" / "python"
    if not venv_python.exists():
        pytest.skip("policies/venv is made by scripts/setup")
    copy = tmp_path / "z360-ecs-guardrails"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    with PolicyPackProcess(copy, python=str(venv_python)) as pack:
        assert pack.info is not None
        assert set(pack.info.policies) == {policy.name for policy in POLICIES}
