"""docs/config.md is generated from the config models and Pulumi.yaml, and never stale."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel

from stack_model.config import ScalingConfig, StackConfig

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_config_docs.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """scripts/ is not a package: load the generator from its file, as running it would."""
    spec = importlib.util.spec_from_file_location("gen_config_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(generator: ModuleType) -> str:
    text, _ = generator.render()
    return text


def test_committed_config_reference_is_current(rendered: str):
    committed = ROOT / "docs" / "config.md"
    assert committed.is_file(), "docs/config.md is missing"
    assert committed.read_text() == rendered, (
        "docs/config.md is stale: regenerate it with `.venv/bin/python scripts/gen_config_docs.py`"
    )


def test_check_fails_on_a_stale_file_and_names_the_command(generator, tmp_path: Path, capsys):
    stale = tmp_path / "config.md"
    stale.write_text("# old\n")
    assert generator.main(["--check", "--output", str(stale)]) == 1
    assert "scripts/gen_config_docs.py" in capsys.readouterr().err
    assert stale.read_text() == "# old\n", "--check writes nothing"


def test_check_passes_on_a_fresh_file(generator, tmp_path: Path):
    fresh = tmp_path / "config.md"
    assert generator.main(["--output", str(fresh)]) == 0
    assert generator.main(["--check", "--output", str(fresh)]) == 0


def _aliases(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every stack-file key of `model` and of every model nested in it, found independently."""
    found: set[str] = set()
    if model in seen:
        return found
    seen.add(model)
    for name, field in model.model_fields.items():
        found.add(field.alias or name)
        for candidate in _nested_models(field.annotation):
            found |= _aliases(candidate, seen)
    return found


def _nested_models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _nested_models(arg)]


def test_every_key_of_every_model_has_a_row(rendered: str):
    keys = {
        line.split("`")[1].rsplit(".", 1)[-1]
        for line in rendered.splitlines()
        if line.startswith("| `")
    }
    missing = _aliases(StackConfig, set()) - keys
    assert not missing, f"keys with no row in docs/config.md: {sorted(missing)}"


def test_every_project_key_is_a_row_in_its_order(rendered: str, generator: ModuleType):
    declared = list(generator.project_keys())
    top = [line.split("`")[1] for line in rendered.splitlines()
           if line.startswith("| `") and "." not in line.split("`")[1]]
    assert [k for k in top if k in declared] == declared


def test_the_load_balancer_container_port_the_hand_table_lacked_is_documented(rendered: str):
    row = next(line for line in rendered.splitlines()
               if line.startswith("| `services.<key>.loadBalancer.containerPort`"))
    assert "integer, 1 to 65535" in row and "| none |" in row and "containerPort" in row


def test_a_row_shows_the_fields_limits_default_and_docstring(rendered: str):
    field = ScalingConfig.model_fields["scale_in_cooldown"]
    low, high = (getattr(m, name) for name in ("ge", "le") for m in field.metadata
                 if getattr(m, name, None) is not None)
    row = next(line for line in rendered.splitlines()
               if line.startswith("| `services.<key>.scaling.scaleInCooldown` |"))
    _, kind, default, meaning = (cell.strip() for cell in row.strip("| ").split(" | "))
    assert kind == f"integer, {low} to {high}"
    assert default == f"`{field.default}`"
    assert meaning and meaning != "(undocumented)"
