"""The `z360-ecs` command line finds its project as `pulumi` does: the nearest Pulumi.yaml at or
above the working directory (or --project-dir), never the checkout it was installed from.

A second checkout (a git worktree, a CI job reusing a virtualenv) is a real copy here: its own
Pulumi.yaml and stack files, beta's budget 3,100 where this repository's is 2,500. While it
runs, this repository's stack files are guarded: any open of one is refused and recorded (in
process by patching the two ways files are opened, in a subprocess of the installed entry
point by an audit hook), and their bytes and modification times are compared afterwards.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.hostile_input import Blocked, bounded
from tests.support import live_replica as replica
from tests.support.live_estates import aws_account
from z360_ecs import PROJECT_DIR
from z360_ecs.cli import main

# This repository's data: what a command run elsewhere must never read or write.
GUARDED = sorted(
    [*PROJECT_DIR.glob("Pulumi*.yaml"), *PROJECT_DIR.glob("baselines/*"),
     *PROJECT_DIR.glob("reports/*")]
)


def _state() -> dict[Path, tuple[bytes, int]]:
    return {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in GUARDED}


@contextlib.contextmanager
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (EACCES) and record every open of a GUARDED file, by os.open (the one file
    reader) or io.open (open(), pathlib); afterwards, check that none of them changed."""
    names = {str(path.resolve()) for path in GUARDED}
    opened: list[str] = []
    real_os_open, real_io_open = os.open, io.open

    def check(file: object) -> None:
        if isinstance(file, (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(file))
            if path in names:
                opened.append(path)
                raise PermissionError(errno.EACCES, "guarded by the test", path)

    def os_open(path: object, *args: object, **kwargs: object) -> int:
        check(path)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def io_open(file: object, *args: object, **kwargs: object) -> object:
        check(file)
        return real_io_open(file, *args, **kwargs)  # type: ignore[call-overload]

    before = _state()
    with monkeypatch.context() as patch:
        patch.setattr(os, "open", os_open)
        patch.setattr(io, "open", io_open)
        patch.setattr("builtins.open", io_open)
        yield opened
    assert _state() == before


@pytest.fixture
def second_checkout(tmp_path: Path) -> Path:
    """A copy of the project: Pulumi.yaml, the program, the stack files with beta's budget at
    3,100 (this repository's is 2,500)."""
    copy = tmp_path / "checkout"
    (copy / "docs" / "deep").mkdir(parents=True)
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, copy / name)
    beta = (PROJECT_DIR / "Pulumi.beta.yaml").read_text()
    assert beta.count("monthlyLimit: 2500") == 1
    (copy / "Pulumi.beta.yaml").write_text(beta.replace("monthlyLimit: 2500", "monthlyLimit: 3100"))
    return copy


def _cost(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict, str]:
    code = main(["cost", "beta", "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else {}, captured.err


def test_cost_from_a_second_checkout_reads_its_own_stack_file(
    second_checkout: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(second_checkout / "docs" / "deep")  # anywhere below its Pulumi.yaml
    with guarded(monkeypatch) as opened:
        code, document, err = _cost(capsys)
    assert (code, err, opened) == (0, "", [])
    assert document["budget"]["monthlyLimit"] == "3100.00"


def test_every_stack_command_reads_the_second_checkout(
    second_checkout: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """preview and report run the copy's program on the copy's stack file; report --check
    compares with the copy's reports/<stack>.md."""
    monkeypatch.chdir(second_checkout)
    with guarded(monkeypatch) as opened:
        assert main(["preview", "beta", "--json"]) == 0
        assert '"limitAmount": "3100"' in capsys.readouterr().out
        assert main(["report", "beta"]) == 0
        assert "the budget limit of $3,100.00" in capsys.readouterr().out
        assert main(["report", "beta", "--check"]) == 1
        assert f"{second_checkout / 'reports' / 'beta.md'} does not exist" in \
            capsys.readouterr().err
        assert main(["simulate", "beta", "web", "--load", "flat:1x", "--minutes", "5"]) == 0
        assert main(["flood", "beta", "web", "--rate", "100", "--sources", "1"]) == 0
    assert opened == []


def test_cost_from_a_second_checkout_as_the_installed_command(
    second_checkout: Path, tmp_path: Path
) -> None:
    """The installed entry point in a subprocess, with an audit hook (sys.addaudithook, loaded
    by sitecustomize) that refuses and records any open of this repository's stack files."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    log = tmp_path / "opened.log"
    (hooks / "sitecustomize.py").write_text(
        "import os, sys\n"
        "GUARDED = set(os.environ['Z360_GUARDED'].split(os.pathsep))\n"
        "LOG = os.environ['Z360_OPENED']\n"
        "with open(LOG, 'a') as f:\n"
        "    f.write('hook active\\n')\n"
        "def hook(event, args):\n"
        "    if event == 'open' and isinstance(args[0], (str, bytes, os.PathLike)):\n"
        "        path = os.path.realpath(os.fsdecode(args[0]))\n"
        "        if path in GUARDED:\n"
        "            with open(LOG, 'a') as f:\n"
        "                f.write(path + '\\n')\n"
        "            raise PermissionError(13, 'guarded by the test', path)\n"
        "sys.addaudithook(hook)\n"
    )
    path = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "Z360_OPENED": str(log),
           "Z360_GUARDED": os.pathsep.join(str(p.resolve()) for p in GUARDED)}
    before = _state()
    entry_point = Path(sys.executable).parent / "z360-ecs"
    result = subprocess.run([str(entry_point), "cost", "beta", "--json"], cwd=second_checkout,
                            env=env, capture_output=True, text=True, timeout=120)
    assert log.read_text() == "hook active\n"  # loaded, and nothing guarded was opened
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["budget"]["monthlyLimit"] == "3100.00"
    assert _state() == before


def test_adopt_writes_only_the_second_checkouts_stack_file(
    second_checkout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """adopt against a moto replica of staging, run from the copy: it fills the copy's
    Pulumi.staging.yaml; this repository's is never opened."""
    before = (second_checkout / "Pulumi.staging.yaml").read_text()
    monkeypatch.chdir(second_checkout / "docs")
    with aws_account():
        replica.build("staging")
        with guarded(monkeypatch) as opened:
            code = main(["adopt", "staging"])
    err = capsys.readouterr().err
    assert opened == [], err
    assert code in (0, 1), err  # 1: errors found live; the file is written all the same
    after = (second_checkout / "Pulumi.staging.yaml").read_text()
    assert after != before and "PLACEHOLDER: the application's live cluster name" not in after


# --- the project's rule, and its refusals -------------------------------------------------------


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    try:
        with bounded(30):
            code = main(argv)
    except Blocked:
        pytest.fail(f"z360-ecs {' '.join(argv)} still blocked after 30 s")
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def no_project_above(tmp_path: Path) -> Path:
    if any((folder / name).exists() for folder in tmp_path.parents
           for name in ("Pulumi.json", "Pulumi.yaml", "Pulumi.yml")):
        pytest.skip("a Pulumi project file above the temporary folder")
    return tmp_path


def test_no_pulumi_yaml_above_is_one_line_saying_how_to_fix_it(
    no_project_above: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(no_project_above)
    for argv in (["cost", "beta"], ["check", "beta"], ["adopt", "beta", "--dry-run"]):
        line = _one_line_error(capsys, argv)
        assert line == (f"error: no Pulumi.yaml in {no_project_above} or any folder above it: "
                        "run z360-ecs inside a checkout of the z360-ecs project, or give "
                        "--project-dir DIR")


def test_another_projects_pulumi_yaml_is_refused(
    no_project_above: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nearer project is the one pulumi would use: refused, not skipped for one further up."""
    outer = no_project_above
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", outer)
    shutil.copy(PROJECT_DIR / "Pulumi.beta.yaml", outer)
    inner = outer / "other"
    inner.mkdir()
    (inner / "Pulumi.yaml").write_text("name: other-app\nruntime: python\n")
    monkeypatch.chdir(inner)
    line = _one_line_error(capsys, ["cost", "beta"])
    assert line.startswith(f"error: {inner / 'Pulumi.yaml'}: project 'other-app', not z360-ecs")
    assert "--project-dir" in line
    assert main(["cost", "beta", "--project-dir", str(outer)]) == 0


@pytest.mark.parametrize("name", ["Pulumi.json", "Pulumi.yml"])
def test_a_nearer_project_file_of_another_form_is_refused(
    no_project_above: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", no_project_above)
    (no_project_above / "sub").mkdir()
    (no_project_above / "sub" / name).write_text("{}\n")
    monkeypatch.chdir(no_project_above / "sub")
    line = _one_line_error(capsys, ["cost", "beta"])
    assert f"the nearest Pulumi project file is {name}" in line


def test_a_pulumi_yaml_that_is_a_fifo_is_refused_at_once(
    no_project_above: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(no_project_above / "Pulumi.yaml")
    monkeypatch.chdir(no_project_above)
    assert "is a named pipe (FIFO), not a regular file" in _one_line_error(capsys, ["cost", "beta"])


def test_project_dir_overrides_the_working_directory(
    second_checkout: Path, no_project_above: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    code, document, err = _cost(capsys, "--project-dir", str(second_checkout))
    assert (code, err) == (0, "")
    assert document["budget"]["monthlyLimit"] == "3100.00"
    empty = no_project_above / "empty"
    empty.mkdir()
    line = _one_line_error(capsys, ["cost", "beta", "--project-dir", str(empty)])
    assert line == (f"error: --project-dir {empty}: no Pulumi.yaml there; give the folder that "
                    "holds the z360-ecs project's Pulumi.yaml")


def test_no_tool_uses_the_installed_checkout() -> None:
    """PROJECT_DIR (the checkout this package was imported from) is for the tests: no module of
    the tools reads it, beyond common.py's re-export for the tests."""
    users = []
    for path in sorted((PROJECT_DIR / "z360_ecs").rglob("*.py")):
        if path.name == "__init__.py" and path.parent.name == "z360_ecs":
            continue
        text = path.read_text()
        if text.isascii() and "PROJECT_DIR" not in text:
            continue  # no such name (only a non-ASCII identifier could spell it otherwise)
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "PROJECT_DIR":
                users.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}")
    assert users == []
