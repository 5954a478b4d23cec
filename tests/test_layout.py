"""Tests mirror the code: every module of the program, the pack, the stack model, the breaker and
the tools has its test module at `tests/<same path>/test_<module>.py` (a leading underscore is
dropped: `_index.py` -> `test_index.py`). A module whose tests live elsewhere is listed below with
the reason, and the listed test files must exist."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("components", "stack_model", "policies/guardrails", "breaker", "z360_ecs")

# Module -> (where its tests are, why not at the mirrored path).
TESTED_ELSEWHERE: dict[str, tuple[tuple[str, ...], str]] = {
    "policies/guardrails/pack.py": (
        ("tests/policies/test_pack_on_stacks.py", "tests/policies/test_pack_protocol.py",
         "tests/policies/test_pack_standalone.py", "tests/policies/test_pack_case_coverage.py"),
        "the pack as a whole: its list is what every whole-pack test runs"),
    "z360_ecs/commands/review_comment.py": (
        ("tests/z360_ecs/commands/test_review.py",),
        "the comment is review's rendering: each test gathers a change and reads its comment"),
    "z360_ecs/live/load.py": (
        ("tests/z360_ecs/live/test_loadtest.py",),
        "the load engine of `loadtest`: its plans, progress and runs are tested through the "
        "command against a local server"),
}


def modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "venv" in path.parts or path.name in ("__init__.py", "__main__.py"):
                continue
            found.append(path.relative_to(ROOT))
    return found


def mirrored_test(module: Path) -> Path:
    return Path("tests") / module.parent / f"test_{module.stem.lstrip('_')}.py"


def test_the_modules_are_found():
    names = {str(m) for m in modules()}
    assert {"components/scalable_service.py", "stack_model/pricing.py",
            "policies/guardrails/_index.py", "breaker/contract.py", "z360_ecs/cli.py"} <= names


@pytest.mark.parametrize("module", [str(m) for m in modules()])
def test_every_module_has_its_test_module(module):
    if module in TESTED_ELSEWHERE:
        tests, reason = TESTED_ELSEWHERE[module]
        missing = [t for t in tests if not (ROOT / t).is_file()]
        assert not missing, f"{module} is tested in {missing} ({reason}), which do not exist"
        return
    expected = mirrored_test(Path(module))
    assert (ROOT / expected).is_file(), f"{module} has no test module {expected}"


def test_no_exception_names_a_module_that_is_gone():
    names = {str(m) for m in modules()}
    assert set(TESTED_ELSEWHERE) <= names
