"""The project, the one stack-file reader and the one SPEC resolver, run from elsewhere.

The project is the nearest Pulumi.yaml at or above the working directory, as `pulumi` finds it,
or --project-dir. A path resolves against the directory the command runs in; REV:PATH against
the project's repository, whatever that directory is. Every command agrees.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stack_model.config.source import MAX_DOCUMENT_BYTES
from z360_ecs.cli import main
from z360_ecs.common import (
    PROJECT_DIR,
    ProjectError,
    SpecError,
    find_project,
    read_stack_config,
    resolve_spec,
)

# From outside the project, the commands are told where it is.
HERE = ["--project-dir", str(PROJECT_DIR)]


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the repository, holding a copy of baselines/beta.yaml."""
    folder = tmp_path / "elsewhere"
    (folder / "baselines").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "baselines" / "beta.yaml", folder / "baselines" / "beta.yaml")
    monkeypatch.chdir(folder)
    return folder


# --- the project, found as pulumi finds it ---------------------------------------------------


def test_the_project_is_the_nearest_pulumi_yaml_upwards(tmp_path: Path) -> None:
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    (inner / "a" / "b").mkdir(parents=True)
    for folder in (outer, inner):
        shutil.copy(PROJECT_DIR / "Pulumi.yaml", folder)
    assert find_project(inner / "a" / "b") == inner
    assert find_project(inner) == inner
    (outer / "c").mkdir()
    assert find_project(outer / "c") == outer
    assert find_project(PROJECT_DIR / "docs") == PROJECT_DIR


def test_a_folder_named_pulumi_yaml_is_not_a_project_file(tmp_path: Path) -> None:
    """pulumi's isMarkupFile: a folder is never the project file; the walk goes on upwards."""
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    (tmp_path / "sub" / "Pulumi.yaml").mkdir(parents=True)
    assert find_project(tmp_path / "sub") == tmp_path


def test_pulumis_order_of_project_files_in_one_folder(tmp_path: Path) -> None:
    """Pulumi.json before Pulumi.yaml before Pulumi.yml (encoding.Exts): a Pulumi.json beside
    this project's Pulumi.yaml is what pulumi would read, so it is refused."""
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    (tmp_path / "Pulumi.yml").write_text("name: other\n")
    assert find_project(tmp_path) == tmp_path
    (tmp_path / "Pulumi.json").write_text("{}")
    with pytest.raises(ProjectError, match="the nearest Pulumi project file is Pulumi.json"):
        find_project(tmp_path)


def test_a_pulumi_yaml_without_a_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n")
    with pytest.raises(ProjectError, match="no project name, not z360-ecs"):
        find_project(tmp_path)


def test_the_defaults_are_the_project_found_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No function of the tools falls back on the installed checkout: called without a
    project, each finds it from the working directory."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    text = (PROJECT_DIR / "Pulumi.beta.yaml").read_text().replace("monthlyLimit: 2500",
                                                                   "monthlyLimit: 3100")
    (tmp_path / "Pulumi.beta.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert read_stack_config("beta").budget.monthly_limit == 3100
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(ProjectError, match="no Pulumi.yaml in"):
        read_stack_config("beta")


# --- paths and revisions -----------------------------------------------------------------------


def test_a_path_resolves_against_the_working_directory(outside: Path) -> None:
    assert resolve_spec("baselines/beta.yaml") == Path("baselines/beta.yaml")
    with pytest.raises(SpecError, match="no such file"):
        resolve_spec("Pulumi.beta.yaml")  # in the project, not here


def test_a_revision_resolves_in_the_projects_repository(outside: Path, tmp_path: Path) -> None:
    path = resolve_spec("HEAD:Pulumi.beta.yaml", PROJECT_DIR, scratch=tmp_path)
    assert path.read_bytes() == subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "show", "HEAD:Pulumi.beta.yaml"],
        capture_output=True, check=True).stdout


def test_a_revision_resolves_in_the_repository_of_the_project_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a second checkout, HEAD is that checkout's HEAD."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                        "-c", "commit.gpgsign=false", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    (tmp_path / "Pulumi.beta.yaml").write_text("config: {}\n# the second checkout's\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "second")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    path = resolve_spec("HEAD:Pulumi.beta.yaml", scratch=tmp_path / "sub")
    assert path.read_text() == "config: {}\n# the second checkout's\n"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A project repository holding a file over the size limit and a folder."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                        "-c", "commit.gpgsign=false", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    (tmp_path / "big.yaml").write_bytes(b"#" * (2 * MAX_DOCUMENT_BYTES))
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "Pulumi.beta.yaml").write_text("config: {}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "files")
    return tmp_path


def test_a_file_at_a_revision_over_the_limit_is_refused_by_its_size_unread(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real = subprocess.run

    def run(argv: list[str], *args: object, **kwargs: object) -> object:
        calls.append(list(argv))
        return real(argv, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(SpecError, match=r"^is 2,097,152 bytes at HEAD; the limit is 1,048,576$"):
        resolve_spec("HEAD:big.yaml", repository, scratch=repository)
    assert not [argv for argv in calls if "show" in argv or "blob" in argv]  # only its size


def test_a_folder_at_a_revision_is_refused(repository: Path) -> None:
    with pytest.raises(SpecError, match="^is a folder at HEAD, not a stack config file$"):
        resolve_spec("HEAD:folder", repository, scratch=repository)
    assert resolve_spec("HEAD:folder/Pulumi.beta.yaml", repository,
                        scratch=repository).read_text() == "config: {}\n"


def test_a_path_with_a_newline_never_reaches_git(repository: Path) -> None:
    """git cat-file --batch-check reads one spec per line: a newline would be a second one."""
    with pytest.raises(SpecError, match="is not a path in the repository"):
        resolve_spec("HEAD:big.yaml\nHEAD:folder", repository, scratch=repository)


# --- every command agrees ----------------------------------------------------------------------


def test_cost_baseline_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "beta", "--json", "--baseline", "baselines/beta.yaml", *HERE]) == 0
    from_path = json.loads(capsys.readouterr().out)["baseline"]
    assert from_path["services"]["voice"]["before"] == "4096/8192"
    assert main(["cost", "beta", "--json", "--baseline", "HEAD:Pulumi.beta.yaml", *HERE]) == 0
    from_git = json.loads(capsys.readouterr().out)["baseline"]
    assert from_git["totalSavingAtBaseline"] == "0.00"


def test_preview_compare_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "beta", "--compare", "HEAD:Pulumi.beta.yaml", *HERE]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["preview", "beta", "--compare", "baselines/beta.yaml", *HERE]) == 0
    out = capsys.readouterr().out
    assert out.startswith("changes from baselines/beta.yaml to Pulumi.beta.yaml:")
    assert "[replaces]" in out


def test_report_baseline_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "beta", "--baseline", "HEAD:Pulumi.beta.yaml", *HERE]) == 0
    assert "against the baseline `HEAD:Pulumi.beta.yaml`" in capsys.readouterr().out


def test_both_options_reject_a_path_that_is_not_here(
    outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "beta", "--baseline", "Pulumi.beta.yaml", *HERE]) == 2
    cost_error = capsys.readouterr().err
    assert main(["preview", "beta", "--compare", "Pulumi.beta.yaml", *HERE]) == 2
    preview_error = capsys.readouterr().err
    assert cost_error.replace("--baseline", "--compare") == preview_error
    assert f"no such file in {outside}" in preview_error


def test_stack_file_from_outside(outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.beta.yaml", outside / "mine.yaml")
    assert main(["cost", "beta", "--json", "--stack-file", "mine.yaml", *HERE]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "beta"
    assert main(["preview", "beta", "--json", "--stack-file", "mine.yaml", *HERE]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "beta"
    assert read_stack_config("beta", Path("mine.yaml"), PROJECT_DIR) == \
        read_stack_config("beta", project_dir=PROJECT_DIR)
