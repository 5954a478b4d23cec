"""`z360-ecs review [STACK] --base REV`: one pull-request comment for a change, as markdown.

For each stack the change touches (its stack file, its pack config `policies/config/<stack>.json`,
or the program's code: Pulumi.yaml, __main__.py, components/, stack_model/, breaker/,
policies/), compares the stack at the git revision REV with the working tree:
- a headline: the monthly Fargate cost at baseline and in the worst case, before and after,
  and the worst case against the budget (stack_model/pricing.py, as `z360-ecs cost` prices it);
- a table of the services that changed: size, min/max, targets, cooldowns, provider, metric
  resolution, WAF limit (and any other setting, by key), each with what it adds a month;
- the policy pack's findings by level, those the base does not have marked **new**;
- the first `pulumi up`'s plan (engine/diff.py): one line per resource replaced or deleted,
  protected ones called out;
in the shape of Infracost's comment (headline, table, collapsed details). A stack with nothing
changed is one line.

With STACK, that stack is reviewed whether or not the change touches it; without, every stack
the change touches (the pull-request comment, posted by scripts/post_review.py).

The base side: REV's stack file (common.resolve_spec, `REV:Pulumi.<stack>.yaml`) and pack
config. When the program's code is the same at REV, both sides run here, under this
revision's code and pack; when it differs, REV's own tools run REV's program and pack from a
`git archive` of REV (`preview --json`, `check --json`), so a code change shows in the plan
and a finding the base pack did not report is new. `--base-stack-file SPEC` instead compares
with another stack file (a path, or REV:PATH) under this revision's code and pack config.

This module gathers both sides; review_comment.py renders them.
Exit 0: reviewed; 1: a reviewed stack has a mandatory violation after the change; 2: bad
input (revision, stack file, pack config).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack_model.config import ConfigError, StackConfig
from z360_ecs.commands.review_comment import Review, Side, render_json, render_markdown
from z360_ecs.common import (
    SpecError,
    StackFileError,
    StackSettings,
    add_project_argument,
    read_stack_config,
    resolve_spec,
)
from z360_ecs.engine import pack_config, program
from z360_ecs.engine.analyzer import (
    Finding,
    PackConfigError,
    PackError,
    PolicyPackProcess,
    analyze_run,
)
from z360_ecs.engine.program import COMPUTED, SECRET, ProgramRun, Registration

# What the program and the pack are made of: a change under any of these can change every
# stack's resources or findings. policies/config/ holds one stack's thresholds each.
PROGRAM_PATHS = ("Pulumi.yaml", "__main__.py", "components", "stack_model", "breaker", "policies")
BASE_TOOLS_TIMEOUT_SECONDS = 900


class ReviewError(Exception):
    """Bad input: the revision, a stack file or a pack config cannot be read."""


# --- git ---------------------------------------------------------------------------------


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise ReviewError("git is not installed") from None


def _stderr(result: subprocess.CompletedProcess[bytes]) -> str:
    return " ".join(result.stderr.decode("utf-8", "replace").split())


def resolve_commit(project_dir: Path, revision: str) -> str:
    """REV as a commit id. The revision is first read by the one REV:PATH resolver, which
    refuses anything git could take for an option or a range."""
    with tempfile.TemporaryDirectory(prefix="z360-review-") as scratch:
        try:
            resolve_spec(f"{revision}:Pulumi.yaml", project_dir, Path(scratch))
        except SpecError as exc:
            raise ReviewError(f"--base {revision}: {exc}") from None
    result = _git(project_dir, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}")
    if result.returncode != 0:
        raise ReviewError(f"--base {revision}: not a commit: {_stderr(result)}")
    return result.stdout.decode().strip()


def changed_paths(project_dir: Path, commit: str) -> list[str]:
    """Files that differ between `commit` and the working tree (repository paths): tracked
    ones, and new ones git does not ignore."""
    paths = []
    for args in (("diff", "--name-only", "--no-renames", commit, "--"),
                 ("ls-files", "--others", "--exclude-standard")):
        result = _git(project_dir, *args)
        if result.returncode != 0:
            raise ReviewError(f"git {args[0]} failed: {_stderr(result)}")
        paths += [line for line in result.stdout.decode("utf-8", "replace").splitlines() if line]
    return sorted(set(paths))


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def program_changes(paths: Iterable[str]) -> list[str]:
    """The paths that belong to the program or the pack (not a stack's own pack config)."""
    config_dir = pack_config.CONFIG_DIR.as_posix()
    return [p for p in paths
            if any(_under(p, prefix) for prefix in PROGRAM_PATHS) and not _under(p, config_dir)]


def stack_changes(stack: str, paths: Iterable[str]) -> list[str]:
    """The changed paths that touch `stack`: its files, or the program's code."""
    own = {f"Pulumi.{stack}.yaml", pack_config.stack_config_path(stack).as_posix()}
    paths = list(paths)
    return [p for p in paths if p in own] + program_changes(paths)


def stacks_in(project_dir: Path, commit: str) -> list[str]:
    """Stacks with a stack file in the working tree or at `commit`, sorted."""
    names = {p.name[len("Pulumi."):-len(".yaml")] for p in Path(project_dir).glob("Pulumi.*.yaml")}
    listed = _git(project_dir, "ls-tree", "--name-only", commit)
    for line in listed.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Pulumi.") and line.endswith(".yaml") and line != "Pulumi.yaml":
            names.add(line[len("Pulumi."):-len(".yaml")])
    return sorted(names)


def _exists_at(project_dir: Path, commit: str, path: str) -> bool:
    return _git(project_dir, "cat-file", "-e", f"{commit}:{path}").returncode == 0


# --- the base's stack file and pack config ----------------------------------------------


def _findings(run: ProgramRun, config: pack_config.PackConfig, pack: PolicyPackProcess) -> list[Finding]:
    return analyze_run(run, config.values, pack, config_source=config.source)


def _base_pack_config(project_dir: Path, commit: str, stack: str, scratch: Path) -> pack_config.PackConfig:
    """REV's `policies/config/<stack>.json`, or the pack's defaults when REV has none."""
    path = pack_config.stack_config_path(stack).as_posix()
    if not _exists_at(project_dir, commit, path):
        return pack_config.DEFAULTS
    folder = scratch / "pack-config"
    folder.mkdir(exist_ok=True)
    try:
        return pack_config.load(resolve_spec(f"{commit}:{path}", project_dir, folder),
                                f"{commit[:7]}:{path}")
    except (SpecError, PackConfigError) as exc:
        raise ReviewError(f"{commit[:7]}:{path}: {exc}") from None


def _read_config(stack: str, stack_file: Path, project_dir: Path, notes: list[str],
                 label: str) -> StackConfig | None:
    try:
        return read_stack_config(stack, stack_file, project_dir)
    except (ConfigError, StackFileError) as exc:
        notes.append(f"The stack file at {label} does not validate under this revision's config "
                     f"model, so its cost is not compared: {' '.join(str(exc).split())}")
        return None


# --- REV's own tools, for a change to the program's code ---------------------------------


def _markers(value: Any) -> Any:
    """`preview --json`'s placeholders back into the engine's markers."""
    if value == "(computed)":
        return COMPUTED
    if value == "[secret]":
        return SECRET
    if isinstance(value, dict):
        return {k: _markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_markers(v) for v in value]
    return value


def run_from_preview_json(document: dict[str, Any], stack: str) -> ProgramRun:
    """A ProgramRun from `z360-ecs preview STACK --json`, enough to diff (engine/diff.py)."""
    from google.protobuf import struct_pb2

    registrations = [
        Registration(
            urn=r["urn"], type=r["type"], name=r["name"], parent=r.get("parent") or "",
            custom=True, inputs=_markers(r.get("inputs") or {}), properties=struct_pb2.Struct(),
            protect=bool(r.get("protect")), ignore_changes=list(r.get("ignoreChanges") or []),
            import_id=r.get("importId") or "", dependencies=[], provider="",
        )
        for r in document.get("resources", [])
    ]
    settings = StackSettings(stack=stack, project=str(document.get("project", "")), config={},
                             secret_keys=[])
    return ProgramRun(settings=settings, registrations=registrations,
                      outputs=_markers(document.get("outputs") or {}), preview=True)


def findings_from_check_json(document: dict[str, Any]) -> list[Finding]:
    """Findings from `z360-ecs check STACK --json`."""
    return [
        Finding(policy=f["policy"], level=f["level"], message=f["message"], urn=f["urn"],
                resource_name=f["resourceName"], resource_type=f["resourceType"],
                unknown_during_preview=bool(f.get("unknownDuringPreview")))
        for f in document.get("findings", [])
    ]


def extract_tree(project_dir: Path, commit: str, target: Path) -> Path:
    """The files of `commit`, from `git archive` (tracked files only, nothing of the working
    tree), into `target`."""
    archive = _git(project_dir, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        raise ReviewError(f"git archive {commit} failed: {_stderr(archive)}")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse links out of target
            tar.extractall(target, filter="data")
        else:
            tar.extractall(target)  # noqa: S202 - the project's own commit
    return target


def run_base_tools(tree: Path, stack: str) -> tuple[ProgramRun, list[Finding] | None, str | None]:
    """REV's program run (`preview --json`) and its pack's findings (`check --json`), each by
    REV's own tools in `tree`, on this interpreter. Returns (run, findings, why the findings are
    missing). Raises ReviewError when the program itself would not run."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("Z360_ECS_DEBUG", None)

    def start(*argv: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "z360_ecs.cli", *argv, stack, "--json"],
                                cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    with start("preview") as preview, start("check") as check:
        preview_out, preview_err = preview.communicate(timeout=BASE_TOOLS_TIMEOUT_SECONDS)
        check_out, check_err = check.communicate(timeout=BASE_TOOLS_TIMEOUT_SECONDS)
    if preview.returncode != 0:
        raise ReviewError(" ".join(preview_err.decode("utf-8", "replace").split())[-400:]
                          or f"preview exited {preview.returncode}")
    run = run_from_preview_json(json.loads(preview_out), stack)
    if check.returncode not in (0, 1):
        return run, None, " ".join(check_err.decode("utf-8", "replace").split())[-400:]
    return run, findings_from_check_json(json.loads(check_out)), None


# --- gathering ---------------------------------------------------------------------------


@dataclass
class Request:
    project_dir: Path
    stack_file: Path | None = None
    """The head's stack file (one stack only); default Pulumi.<stack>.yaml."""
    policy_pack_config: Path | None = None
    base_revision: str | None = None
    base_stack_file: str | None = None
    """A SPEC (file or REV:PATH), instead of a revision."""


def _head(stack: str, request: Request, pack: PolicyPackProcess) -> Side:
    stack_file = request.stack_file or request.project_dir / f"Pulumi.{stack}.yaml"
    label = str(request.stack_file) if request.stack_file else "this change"
    try:
        config = read_stack_config(stack, stack_file, request.project_dir)
        run = program.run_program(stack, project_dir=request.project_dir, stack_file=stack_file)
    except (ConfigError, StackFileError) as exc:
        raise ReviewError(f"{stack}: {exc}") from None
    try:
        packed = pack_config.for_stack(request.project_dir, stack, request.policy_pack_config)
        findings = _findings(run, packed, pack)
    except PackConfigError as exc:
        raise ReviewError(f"invalid policy pack config:\n{exc}") from None
    return Side(label, config, run, findings, packed.source)


def _base_from_spec(stack: str, request: Request, pack: PolicyPackProcess, scratch: Path,
                    notes: list[str]) -> Side:
    spec = request.base_stack_file or ""
    try:
        base_file = resolve_spec(spec, request.project_dir, scratch)
    except SpecError as exc:
        raise ReviewError(f"--base-stack-file {spec}: {exc}") from None
    config = _read_config(stack, base_file, request.project_dir, notes, spec)
    if config is None:
        return Side(spec, None, None, None)
    run = program.run_program(stack, project_dir=request.project_dir, stack_file=base_file)
    try:
        packed = pack_config.for_stack(request.project_dir, stack, request.policy_pack_config)
    except PackConfigError as exc:
        raise ReviewError(f"invalid policy pack config:\n{exc}") from None
    return Side(spec, config, run, _findings(run, packed, pack), packed.source)


def _base_at(stack: str, request: Request, commit: str, label: str, code_changed: bool,
             pack: PolicyPackProcess, scratch: Path, notes: list[str]) -> Side:
    stack_path = f"Pulumi.{stack}.yaml"
    if not _exists_at(request.project_dir, commit, stack_path):
        notes.append(f"{label} has no {stack_path}: every resource and cost is new.")
        return Side(label, None, None, [], absent=True)
    folder = scratch / stack
    folder.mkdir(exist_ok=True)
    base_file = resolve_spec(f"{commit}:{stack_path}", request.project_dir, folder)
    config = _read_config(stack, base_file, request.project_dir, notes, f"{label}")
    if code_changed:
        tree = scratch / "tree"
        if not tree.is_dir():
            extract_tree(request.project_dir, commit, tree)
        try:
            run, findings, missing = run_base_tools(tree, stack)
        except (ReviewError, ValueError, subprocess.TimeoutExpired) as exc:
            notes.append(f"{label}'s own tools could not run its program ({exc}); the plan and "
                         "the findings compare its stack file under this revision's code.")
        else:
            if missing is not None:
                notes.append(f"{label}'s policy pack could not run ({missing}): no finding is "
                             "marked new.")
            config_path = pack_config.stack_config_path(stack).as_posix()
            source = (f"{commit[:7]}:{config_path}"
                      if _exists_at(request.project_dir, commit, config_path)
                      else pack_config.DEFAULTS.source)
            return Side(label, config, run, findings, source)
    if config is None:
        return Side(label, None, None, None)
    run = program.run_program(stack, project_dir=request.project_dir, stack_file=base_file)
    packed = _base_pack_config(request.project_dir, commit, stack, scratch)
    try:
        findings = _findings(run, packed, pack)
    except PackConfigError as exc:
        notes.append(f"{packed.source} does not fit this revision's pack ({exc}): no finding "
                     "is marked new.")
        findings = None
    return Side(label, config, run, findings, packed.source)


@contextmanager
def _pack() -> Iterator[PolicyPackProcess]:
    try:
        with PolicyPackProcess(connect=False) as pack:
            yield pack
    except PackError as exc:
        raise ReviewError(str(exc)) from None


def gather(stacks: Sequence[str] | None, request: Request) -> tuple[str, list[Review], list[str]]:
    """(the base's label, one Review per stack reviewed, the stacks left out as untouched).

    `stacks` None: every stack the change touches."""
    with ExitStack() as cleanup:
        scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="z360-review-")))
        pack = cleanup.enter_context(_pack())
        if request.base_stack_file is not None:
            assert stacks is not None and len(stacks) == 1
            notes: list[str] = []
            base = _base_from_spec(stacks[0], request, pack, scratch, notes)
            head = _head(stacks[0], request, pack)
            return f"`{request.base_stack_file}`", [Review(stacks[0], base, head, [], notes)], []
        revision = request.base_revision or "HEAD"
        commit = resolve_commit(request.project_dir, revision)
        label = revision if revision.startswith(commit[:7]) else f"{revision} ({commit[:7]})"
        paths = changed_paths(request.project_dir, commit)
        code_changed = bool(program_changes(paths))
        reviews, untouched = [], []
        for stack in stacks or stacks_in(request.project_dir, commit):
            reasons = stack_changes(stack, paths)
            if stacks is None and not reasons:
                untouched.append(stack)
                continue
            notes = []
            if not (request.project_dir / f"Pulumi.{stack}.yaml").is_file() \
                    and request.stack_file is None:
                reviews.append(Review(stack, Side(label, None, None, None),
                                      Side("this change", None, None, None), reasons,
                                      [f"this change removes Pulumi.{stack}.yaml"]))
                continue
            base = _base_at(stack, request, commit, label, code_changed, pack, scratch, notes)
            head = _head(stack, request, pack)
            reviews.append(Review(stack, base, head, reasons, notes))
        return f"`{label}`", reviews, untouched


# --- command -----------------------------------------------------------------------------


def handle(args: argparse.Namespace) -> int:
    if args.base is None and args.base_stack_file is None:
        print("error: give --base REV (a git revision) or --base-stack-file SPEC", file=sys.stderr)
        return 2
    if args.stack is None and (args.stack_file or args.base_stack_file):
        print("error: --stack-file and --base-stack-file need a STACK", file=sys.stderr)
        return 2
    request = Request(project_dir=args.project_dir, stack_file=args.stack_file,
                      policy_pack_config=args.policy_pack_config, base_revision=args.base,
                      base_stack_file=args.base_stack_file)
    try:
        base_label, reviews, untouched = gather([args.stack] if args.stack else None, request)
    except ReviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    render = render_json if args.json else render_markdown
    sys.stdout.write(render(base_label, reviews, untouched))
    return 1 if any(f.blocking for r in reviews for f in r.head.findings or []) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "review",
        help="markdown pull-request comment for a change: its money, findings and first-up plan",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("stack", nargs="?", default=None,
                        help="stack to review (default: every stack the change touches)")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="REV", default=None,
                      help="git revision to compare with (a branch, tag or commit, e.g. main)")
    base.add_argument("--base-stack-file", metavar="SPEC", default=None,
                      help="compare with this stack file instead (a path, or REV:PATH), under "
                           "this revision's code and pack config")
    parser.add_argument("--stack-file", type=Path, default=None,
                        help="read this stack config file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--policy-pack-config", type=Path, default=None, metavar="FILE",
                        help="policy pack config for this change (default: "
                             "policies/config/<stack>.json when it exists)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    add_project_argument(parser)
    parser.set_defaults(handler=handle)
