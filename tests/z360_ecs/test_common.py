"""The one stack-file reader and the one SPEC resolver, run from outside the repository.

A path resolves against the directory the command runs in; REV:PATH against the project's
repository, whatever that directory is. Every command agrees.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from z360_ecs.cli import main
from z360_ecs.common import PROJECT_DIR, SpecError, read_stack_config, resolve_spec


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the repository, holding a copy of baselines/beta.yaml."""
    folder = tmp_path / "elsewhere"
    (folder / "baselines").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "baselines" / "beta.yaml", folder / "baselines" / "beta.yaml")
    monkeypatch.chdir(folder)
    return folder


def test_a_path_resolves_against_the_working_directory(outside: Path) -> None:
    assert resolve_spec("baselines/beta.yaml") == Path("baselines/beta.yaml")
    with pytest.raises(SpecError, match="no such file"):
        resolve_spec("Pulumi.beta.yaml")  # in the project, not here


def test_a_revision_resolves_in_the_projects_repository(outside: Path, tmp_path: Path) -> None:
    path = resolve_spec("HEAD:Pulumi.beta.yaml", scratch=tmp_path)
    assert path.read_text() == (PROJECT_DIR / "Pulumi.beta.yaml").read_text()


def test_cost_baseline_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "beta", "--json", "--baseline", "baselines/beta.yaml"]) == 0
    from_path = json.loads(capsys.readouterr().out)["baseline"]
    assert from_path["services"]["voice"]["before"] == "4096/8192"
    assert main(["cost", "beta", "--json", "--baseline", "HEAD:Pulumi.beta.yaml"]) == 0
    from_git = json.loads(capsys.readouterr().out)["baseline"]
    assert from_git["totalSavingAtBaseline"] == "0.00"


def test_preview_compare_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "beta", "--compare", "HEAD:Pulumi.beta.yaml"]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["preview", "beta", "--compare", "baselines/beta.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("changes from baselines/beta.yaml to Pulumi.beta.yaml:")
    assert "[replaces]" in out


def test_report_baseline_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "beta", "--baseline", "HEAD:Pulumi.beta.yaml"]) == 0
    assert "against the baseline `HEAD:Pulumi.beta.yaml`" in capsys.readouterr().out


def test_both_options_reject_a_path_that_is_not_here(
    outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "beta", "--baseline", "Pulumi.beta.yaml"]) == 2
    cost_error = capsys.readouterr().err
    assert main(["preview", "beta", "--compare", "Pulumi.beta.yaml"]) == 2
    preview_error = capsys.readouterr().err
    assert cost_error.replace("--baseline", "--compare") == preview_error
    assert f"no such file in {outside}" in preview_error


def test_stack_file_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.beta.yaml", outside / "mine.yaml")
    assert main(["cost", "beta", "--json", "--stack-file", "mine.yaml"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "beta"
    assert main(["preview", "beta", "--json", "--stack-file", "mine.yaml"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "beta"
    assert read_stack_config("beta", Path("mine.yaml")) == read_stack_config("beta")
