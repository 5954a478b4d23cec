"""What every command shares: the project, the stack arguments, the one stack-file reader and
the one SPEC resolver.

The project: `find_project` finds it as `pulumi` does, the nearest Pulumi.yaml at or above the
working directory (`--project-dir` overrides it). Never the checkout this package was installed
from: a second checkout (a git worktree, a CI job reusing a virtualenv) reads, and adopt
writes, its own stack files.

The reader: `load_stack_settings` reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` (or another
stack file) and applies the project's declared config defaults as the Pulumi CLI does;
`read_stack_config` validates those settings exactly as the program's `read_pulumi_config`
does. The mock engine (engine/program.py) runs the program on the same settings.

The resolver: `resolve_spec` turns a SPEC (`--baseline`, `--compare`) into a stack file. A path
resolves against the directory the command was run in; `REV:PATH` is the file at a git revision
of the project's repository (PATH from the repository root), whatever the working directory.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack_model.config import PROJECT, ConfigError, ServiceConfig, StackConfig, load_stack_config
from stack_model.config.errors import did_you_mean
from stack_model.config.source import (
    MAX_DOCUMENT_BYTES,
    SourceError,
    parse_yaml,
    read_stack_text,
    read_stack_yaml,
    render_path,
)

# The tests' "this repository" (z360_ecs/__init__.py); no command reads it: find_project.
from z360_ecs import PROJECT_DIR as PROJECT_DIR

SECRET_PLACEHOLDER = "[secret]"

class StackFileError(Exception):
    """A stack file or Pulumi.yaml cannot be read or breaks the project's declared schema."""


class SpecError(Exception):
    """A SPEC names no readable file and no file at a git revision."""


class ProjectError(StackFileError):
    """No z360-ecs project at or above the working directory, or --project-dir is not one."""


@dataclass
class StackSettings:
    stack: str
    project: str
    config: dict[str, Any]
    """Fully qualified key (`z360-ecs:services`) -> value, defaults applied."""
    secret_keys: list[str]


@dataclass(frozen=True)
class Baseline:
    spec: str
    """As the user wrote it: a path, or REV:PATH."""
    config: StackConfig


# --- the project -------------------------------------------------------------------------

# The project file names `pulumi` looks for in each folder, in its order (pulumi/pulumi
# sdk/go/common/encoding/marshal.go `Exts`: .json, .yaml, .yml).
PROJECT_FILES = ("Pulumi.json", "Pulumi.yaml", "Pulumi.yml")
_FIX = "run z360-ecs inside a checkout of the z360-ecs project, or give --project-dir DIR"


def find_project(start: Path | None = None) -> Path:
    """The folder of the nearest project file at or above `start` (the working directory), as
    `pulumi` finds its project, provided it is this project's Pulumi.yaml; ProjectError else.

    pulumi/pulumi sdk/go/common/workspace/paths.go: `DetectProjectPath` starts from the working
    directory and `DetectProjectPathFrom` walks up it (fsutil.WalkUpDirs: the folder, then each
    parent to the root); in each folder `findProjectInDir` takes the first of Pulumi.json,
    Pulumi.yaml, Pulumi.yml that stats as something other than a folder (`isMarkupFile`; a stat
    error, such as a permission error, counts as no file). The first folder with one is the
    project: a nearer project of another name is not skipped but refused, as pulumi would use
    it."""
    here = Path(os.path.abspath(start if start is not None else Path.cwd()))
    for folder in (here, *here.parents):
        for name in PROJECT_FILES:
            try:
                mode = os.stat(folder / name).st_mode
            except OSError:
                continue
            if not stat.S_ISDIR(mode):
                return _this_project(folder, name)
    raise ProjectError(f"no Pulumi.yaml in {here} or any folder above it: {_FIX}")


def locate_project(given: Path | None = None) -> Path:
    """`--project-dir` when given (it must hold this project's Pulumi.yaml), else
    `find_project()`."""
    if given is None:
        return find_project()
    folder = Path(os.path.abspath(given))
    if not (folder / "Pulumi.yaml").exists():
        raise ProjectError(f"--project-dir {given}: no Pulumi.yaml there; give the folder "
                           "that holds the z360-ecs project's Pulumi.yaml")
    return _this_project(folder, "Pulumi.yaml")


def _this_project(folder: Path, name: str) -> Path:
    path = folder / name
    if name != "Pulumi.yaml":
        raise ProjectError(f"{path}: the nearest Pulumi project file is {name}; the z360-ecs "
                           f"project is a Pulumi.yaml: {_FIX}")
    document = _read_yaml(path)
    found = document.get("name") if isinstance(document, Mapping) else None
    if found != PROJECT:
        what = f"project {found!r}" if isinstance(found, str) else "no project name"
        raise ProjectError(f"{path}: {what}, not {PROJECT}; these tools read only the "
                           f"{PROJECT} project's stack files: {_FIX}")
    return folder


# --- the stack-file reader ---------------------------------------------------------------


def _read_yaml(path: Path, project: str | None = None) -> Any:
    """The document at `path`, read by the one set of rules (stack_model/config/source.py)."""
    try:
        return read_stack_yaml(path)
    except SourceError as exc:
        raise _stack_file_error(path, exc, project) from None


def read_stack_document(path: Path, project: str = PROJECT) -> tuple[str, Any]:
    """A stack file's text and its values, from one read by the one set of rules.

    For a command that writes the file back (`z360-ecs adopt` edits it with ruamel.yaml's
    round trip): the text is what it edits, the values are what it reads. No command reads a
    stack file's values any other way."""
    try:
        text = read_stack_text(path)
        return text, parse_yaml(text)
    except SourceError as exc:
        raise _stack_file_error(path, exc, project) from None


def _stack_file_error(path: Path, exc: SourceError, project: str | None) -> StackFileError:
    where = _stack_path(exc.path, project)
    return StackFileError(f"{path}: {where + ': ' if where else ''}{exc.message}")


def _stack_path(path: tuple[Any, ...], project: str | None) -> str:
    """A stack-file key path as the config errors name it: `services.web.cpu` for
    `config.z360-ecs:services.web.cpu`."""
    parts = list(path)
    if project and len(parts) >= 2 and parts[0] == "config":
        first = str(parts[1])
        parts = [first[len(project) + 1:] if first.startswith(f"{project}:") else first, *parts[2:]]
    return render_path(tuple(parts))


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}


def load_stack_settings(
    stack: str,
    project_dir: Path | None = None,
    stack_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> StackSettings:
    """Config for `stack` as the CLI would pass it: stack values over Pulumi.yaml defaults.

    `project_dir` None: the project `find_project` finds from the working directory.
    `stack_file` replaces `Pulumi.<stack>.yaml`; `overrides` (fully qualified keys) replace
    single values after the file is read, as `pulumi config set` would.
    """
    project_dir = project_dir if project_dir is not None else find_project()
    project = _read_yaml(project_dir / "Pulumi.yaml")
    if not isinstance(project, Mapping) or not isinstance(project.get("name"), str):
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'}: no project name")
    name = project["name"]
    declared: Mapping[str, Any] = project.get("config") or {}
    path = stack_file or project_dir / f"Pulumi.{stack}.yaml"
    document = _read_yaml(path, name)
    if document is None:
        document = {}
    if not isinstance(document, Mapping) or not isinstance(document.get("config", {}), Mapping):
        raise StackFileError(f"{path}: expected a mapping with a 'config' mapping")
    values: dict[str, Any] = dict(document.get("config") or {})
    if overrides:
        values.update(copy.deepcopy(dict(overrides)))

    problems = []
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    declared_keys = [short if ":" in short else f"{name}:{short}" for short in declared]
    for key, value in values.items():
        if ":" not in key:
            key = f"{name}:{key}"
        if key.startswith(f"{name}:") and key not in declared_keys:
            problems.append(_undeclared(path, name, key, declared_keys))
            continue
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            config[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
            continue
        config[key] = value
    for short, declaration in declared.items():
        key = short if ":" in short else f"{name}:{short}"
        declaration = declaration if isinstance(declaration, Mapping) else {"value": declaration}
        if key in config:
            expected = declaration.get("type")
            check = _TYPE_CHECKS.get(expected) if expected else None
            if check and key not in secret_keys and not check(config[key]):
                problems.append(
                    f"{path.name}: {key}: {config[key]!r} is not allowed: Pulumi.yaml declares "
                    f"it as {expected}"
                )
        elif "default" in declaration:
            config[key] = copy.deepcopy(declaration["default"])
        elif "value" in declaration:
            config[key] = copy.deepcopy(declaration["value"])
        else:
            problems.append(
                f"{path.name}: {key}: required key is missing (Pulumi.yaml declares it "
                "with no default)"
            )
    if problems:
        raise StackFileError("\n".join(problems))
    return StackSettings(stack=stack, project=name, config=config, secret_keys=secret_keys)


def _undeclared(path: Path, project: str, key: str, declared: list[str]) -> str:
    """A stack key in the project's namespace that Pulumi.yaml does not declare.

    Pulumi's project-level config validation (pulumi/pulumi
    sdk/go/common/workspace/config.go, `ValidateStackConfigAndApplyProjectConfig`) refused such
    keys when it was introduced ("Stack '...' uses configuration value '...' which is not
    defined by the project configuration"; narrowed to the project's own namespace by
    pulumi/pulumi#11127); its current form checks only declared keys (missing, wrong type). The
    offline tools keep the refusal, and the program refuses the same keys itself
    (stack_model/config/load.py), so a typo of `protect` or `costBreaker` stops every path.
    """
    short = key[len(project) + 1:]
    names = [k[len(project) + 1:] for k in declared if k.startswith(f"{project}:")]
    return (f"{path.name}: {short}: unknown config key{did_you_mean(short, names)}: Pulumi.yaml "
            f"declares no {key} (allowed: {', '.join(names)})")


def config_from_settings(settings: StackSettings) -> StackConfig:
    """Validate resolved stack settings exactly as `read_pulumi_config` does in the program."""
    prefix = f"{PROJECT}:"
    raw = {
        key[len(prefix):]: value
        for key, value in settings.config.items()
        if key.startswith(prefix)
    }
    aws_raw = {
        "region": settings.config.get("aws:region"),
        "allowedAccountIds": settings.config.get("aws:allowedAccountIds"),
    }
    return load_stack_config(raw, aws_raw, {"region": settings.config.get("aws-native:region")})


def read_stack_config(
    stack: str, stack_file: Path | None = None, project_dir: Path | None = None
) -> StackConfig:
    """The validated config of `stack`; raises StackFileError or ConfigError."""
    return config_from_settings(load_stack_settings(stack, project_dir, stack_file))


# --- the SPEC resolver -------------------------------------------------------------------

# A git revision as a user names one: refs, hashes, HEAD~3, main^2, @{-1}. Nothing that git
# could read as an option or a range.
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@{}~^-]{0,199}|@(?:\{-?[0-9]+\})?")


def resolve_spec(spec: str, project_dir: Path | None = None, scratch: Path | None = None) -> Path:
    """A stack file for SPEC: a path that exists (relative to the working directory; the one
    reader then refuses what is not a regular file), else `REV:PATH` written from the project's
    repository into `scratch` (a new temporary folder when None). Raises SpecError."""
    path = Path(spec).expanduser()
    if os.path.lexists(path):
        return path
    if ":" not in spec:
        raise SpecError(
            f"no such file in {Path.cwd()} (give a stack config file, or REV:PATH for a file "
            "at a git revision of the project, e.g. HEAD~3:Pulumi.beta.yaml)"
        )
    revision, _, inner = spec.partition(":")
    if not _REVISION.fullmatch(revision) or revision.startswith("-") or ".." in revision:
        raise SpecError(
            f"{revision!r} is not a git revision this tool reads (a branch, tag or commit, "
            "optionally with ~N or ^N, e.g. HEAD~3 or main); it may not start with '-'"
        )
    if not inner or inner.startswith("-") or "\0" in inner or "\n" in inner:
        raise SpecError(f"{inner!r} is not a path in the repository")
    project_dir = project_dir if project_dir is not None else find_project()
    directory = scratch or Path(tempfile.mkdtemp(prefix="z360-spec-"))
    target = directory / (Path(inner).name or "Pulumi.spec.yaml")
    target.write_bytes(_git_blob(spec, revision, project_dir))
    return target  # read, UTF-8 checked, by the one stack-file reader


def _git(project_dir: Path, args: list[str], stdin: bytes | None = None,
         stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(project_dir), *args], input=stdin,
                              stdout=stdout, stderr=subprocess.PIPE, check=False)
    except FileNotFoundError:
        raise SpecError("git is not installed") from None


def _git_blob(spec: str, revision: str, project_dir: Path) -> bytes:
    """The bytes of the file SPEC names at a revision, read with a bound like every file.

    `git cat-file --batch-check` gives the object's type and size first (the spec goes on
    stdin, so nothing in it is ever an option): a folder, or a file over the limit, is refused
    by its real size before a byte of it is read; the blob itself is then read by its id."""
    found = _git(project_dir, ["cat-file", "--batch-check=%(objecttype) %(objectsize) "
                               "%(objectname)"], stdin=f"{spec}\n".encode())
    words = found.stdout.decode("utf-8", "replace").split()
    if found.returncode != 0 or len(words) != 3 or not words[1].isdigit():
        # Missing or ambiguous: git show says why (its output, were there any, is dropped).
        # --end-of-options: the spec is never read as an option, whatever it holds
        # (`--baseline=--output=FILE` must not become `git show --output=FILE`).
        shown = _git(project_dir, ["show", "--end-of-options", spec], stdout=subprocess.DEVNULL)
        detail = " ".join(shown.stderr.decode("utf-8", "replace").split())
        raise SpecError(f"git show {spec} failed in {project_dir}: "
                        f"{detail or 'no such file at that revision'}")
    kind, size, name = words[0], int(words[1]), words[2]
    if kind != "blob":
        raise SpecError(f"is a {'folder' if kind == 'tree' else kind} at {revision}, not a "
                        "stack config file")
    if size > MAX_DOCUMENT_BYTES:
        raise SpecError(f"is {size:,} bytes at {revision}; the limit is {MAX_DOCUMENT_BYTES:,}")
    blob = _git(project_dir, ["cat-file", "blob", name])
    if blob.returncode != 0:
        detail = " ".join(blob.stderr.decode("utf-8", "replace").split())
        raise SpecError(f"git cat-file blob {name} failed in {project_dir}: {detail}")
    return blob.stdout


def load_baseline(spec: str, stack: str, project_dir: Path | None = None) -> Baseline:
    """The validated config SPEC names; raises SpecError, StackFileError or ConfigError."""
    project_dir = project_dir if project_dir is not None else find_project()
    with tempfile.TemporaryDirectory(prefix="z360-spec-") as scratch:
        return Baseline(spec, read_stack_config(stack, resolve_spec(spec, project_dir, Path(scratch)),
                                                project_dir))


# --- arguments and their errors ----------------------------------------------------------


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """STACK plus --stack-file, shared by every command that reads a stack."""
    parser.add_argument("stack", help="stack name: staging or beta (reads Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--stack-file", type=Path, default=None,
        help="read this stack config file instead of Pulumi.<stack>.yaml",
    )
    add_project_argument(parser)


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    """--project-dir: the project, found as pulumi finds it unless given."""
    parser.add_argument(
        "--project-dir", type=_project_argument, default="", metavar="DIR",
        help="the z360-ecs project (the folder of its Pulumi.yaml); default: the nearest "
             "Pulumi.yaml at or above the working directory, as pulumi finds it",
    )


def _project_argument(text: str) -> Path:
    """--project-dir, or the project found (argparse converts the default "" too). Raises
    ProjectError, which argparse lets through (it is no ValueError): cli.main prints it as one
    line."""
    return locate_project(Path(text) if text else None)


def add_baseline_argument(parser: argparse.ArgumentParser, default_help: str) -> None:
    parser.add_argument(
        "--baseline", metavar="SPEC", default=None,
        help="compare with this stack config: a file path, or REV:PATH for the file at a git "
             f"revision (e.g. HEAD~3:Pulumi.beta.yaml); {default_help}",
    )


def load_or_report(args: argparse.Namespace) -> StackConfig | None:
    """The stack's config, or None after printing why it cannot be read (no traceback)."""
    try:
        return read_stack_config(args.stack, args.stack_file, args.project_dir)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def baseline_or_report(spec: str, args: argparse.Namespace) -> Baseline | None:
    """The --baseline config, or None after printing why it cannot be read."""
    try:
        return load_baseline(spec, args.stack, args.project_dir)
    except (SpecError, StackFileError, ConfigError) as exc:
        print(f"error: --baseline {spec}: {exc}", file=sys.stderr)
        return None


def service_or_error(config: StackConfig, stack: str, key: str) -> ServiceConfig | None:
    """The service `key` of a stack, or None after printing the keys it has."""
    service = config.services.get(key)
    if service is None:
        print(f"error: {stack}: services.{key}: no such service (allowed: "
              f"{', '.join(sorted(config.services))})", file=sys.stderr)
    return service
