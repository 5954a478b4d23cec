"""The CLI under misuse: refs never read as options, exit 2 with one line for bad input, no
traceback, files that are not files refused at once through every command that takes one, live
commands that say what is missing, simulate without NaN."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from bench.hostile_input import NOT_FILES, RUN_SECONDS, Blocked, Mutation, bounded, place
from z360_ecs import PROJECT_DIR
from z360_ecs.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("spec", ["--output=/tmp/z360-pwned:Pulumi.beta.yaml",
                                  "-p:Pulumi.beta.yaml", "HEAD:--output=x", "a..b:Pulumi.beta.yaml"])
def test_a_spec_never_reaches_git_as_an_option(capsys, tmp_path, monkeypatch, spec):
    """From a project of its own (a git repository): git writes nothing there, whatever the
    spec holds."""
    for name in ("Pulumi.yaml", "Pulumi.beta.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "cost", "beta", f"--baseline={spec}")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert sorted(tmp_path.rglob("*")) == before


def test_a_valid_revision_still_resolves(capsys):
    code, out, _ = _run(capsys, "cost", "beta", "--baseline=HEAD:Pulumi.beta.yaml")
    assert code == 0 and "total" in out


@pytest.mark.parametrize("content", [b"config:\n  z360-ecs:environment: \"\xff\"\n", None])
def test_bad_files_exit_2_with_one_line(capsys, tmp_path, content):
    path = tmp_path / "Pulumi.beta.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    for command in ("cost", "check", "preview", "report"):
        code, _, err = _run(capsys, command, "beta", "--stack-file", str(path))
        assert code == 2, (command, err)
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, (command, err)


# Every command that takes a file, with F where the file goes.
FILE_ARGUMENTS = {
    "cost --stack-file": ["cost", "beta", "--stack-file", "F"],
    "preview --stack-file": ["preview", "beta", "--stack-file", "F"],
    "check --stack-file": ["check", "beta", "--stack-file", "F"],
    "report --stack-file": ["report", "beta", "--stack-file", "F"],
    "simulate --stack-file": ["simulate", "beta", "web", "--load", "flat:1x", "--stack-file", "F"],
    "flood --stack-file": ["flood", "beta", "web", "--rate", "100", "--sources", "1",
                           "--stack-file", "F"],
    "adopt --stack-file": ["adopt", "beta", "--dry-run", "--stack-file", "F"],
    "cost --baseline": ["cost", "beta", "--baseline", "F"],
    "report --baseline": ["report", "beta", "--baseline", "F"],
    "preview --compare": ["preview", "beta", "--compare", "F"],
    "flood --loadtest": ["flood", "beta", "web", "--rate", "100", "--sources", "1",
                         "--loadtest", "F"],
    "check --policy-pack-config": ["check", "beta", "--policy-pack-config", "F"],
    "report --check --output": ["report", "beta", "--check", "--output", "F"],
}


@pytest.mark.parametrize("linked", [False, True], ids=["itself", "symlink"])
@pytest.mark.parametrize("node", sorted(NOT_FILES))
@pytest.mark.parametrize("command", sorted(FILE_ARGUMENTS))
def test_a_file_that_is_not_a_regular_file_is_refused_at_once(capsys, tmp_path, command, node,
                                                              linked):
    """A FIFO used to block for ever, /dev/zero to be read until memory ran out (flood
    --loadtest, check --policy-pack-config), a 50 MB file to be reported as 1,048,577 bytes:
    now each is refused with what it is, or its real size, and exit 2, at once."""
    mutation = Mutation(node, b"", NOT_FILES[node], node, linked)
    path = place(mutation, tmp_path / "given.yaml")
    argv = [str(path) if word == "F" else word for word in FILE_ARGUMENTS[command]]
    try:
        with bounded():
            code = main(argv)
    except Blocked:
        pytest.fail(f"z360-ecs {command} {node}: still blocked after {RUN_SECONDS:g} s")
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert NOT_FILES[node] in lines[0] and "1,048,577" not in lines[0], lines[0]


@pytest.mark.parametrize("argv", [
    ["--load", "flat:2x", "--base-load", "nan"], ["--load", "flat:2x", "--base-load", "-1"],
    ["--load", "flat:-1x"], ["--load", "flat:nanx"], ["--load", "flat:1e999x"],
    ["--load", "flat:2x", "--memory-utilisation", "inf"],
])
def test_simulate_refuses_negative_and_non_finite_loads(capsys, argv):
    with pytest.raises(SystemExit) if "--base-load" in argv or "--memory-utilisation" in argv \
            else _no_exit():
        code, _, err = _run(capsys, "simulate", "beta", "web", *argv)
        assert code == 2 and err.startswith("error:")


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_simulate_json_is_strict_json(capsys):
    code, out, _ = _run(capsys, "simulate", "beta", "web", "--load", "step:3x@10", "--json",
                        "--minutes", "30")
    assert code == 0
    json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in --json"))


def test_scaling_without_credentials_says_so(capsys, monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = _run(capsys, "scaling", "beta", "web")
    assert code == 2
    assert err.startswith("error: no usable AWS credentials") and "Traceback" not in err
