"""`z360-ecs adopt STACK`: fill the stack file from the live estate (read-only AWS).

Finds each service's live resources (by the stack file's names, else by the estate's
CloudFormation naming; ambiguity is reported, never guessed), writes every value the live
estate fixes into `Pulumi.<stack>.yaml` keeping its comments and key order, runs the offline
preview of the result and prints, per service, live value -> stack value -> what the first
`pulumi up` will do. A replace of an adopted resource is flagged as an error.

  --dry-run   write nothing
  --check     write nothing; exit 1 when the stack file and the live estate disagree on a value
              the estate fixes, or the first `up` would replace an adopted resource (CI with
              read-only credentials)
  --json      the same table for machines

Credentials and region are the caller's (boto3's usual chain); the region must be the stack's.
The AWS calls made are exactly those of the read-only policy in docs/adopt.md.
Exit 0: agreed or written; 1: disagreement (--check) or an error in the plan; 2: bad stack
file, no credentials, no network, wrong account or region, or access denied.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from stack_model.config import ConfigError, StackConfig
from z360_ecs.common import (
    StackFileError,
    add_stack_arguments,
    find_project,
    read_stack_config,
    read_stack_document,
)
from z360_ecs.engine.program import ProgramRun, run_program
from z360_ecs.live import adopt_fill as fill_module
from z360_ecs.live.adopt_estate import Clients, LiveEstate, caller_account, discover
from z360_ecs.live.adopt_plan import ESTATE, Step, plan


class AdoptError(Exception):
    """Something stops adopt before it has a plan; printed as one line, exit 2."""


def round_trip_yaml() -> YAML:
    """ruamel.yaml set to write the stack files back byte for byte when nothing changes.

    Only for writing: every value adopt reads from a stack file comes from the one reader
    (z360_ecs.common.read_stack_document)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long import id onto a second line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def preview(stack: str, project_dir: Path, text: str) -> ProgramRun:
    """The offline preview of a stack file's text (the real program under the mock engine)."""
    with tempfile.TemporaryDirectory(prefix="z360-adopt-") as scratch:
        path = Path(scratch) / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        return run_program(stack, project_dir=project_dir, stack_file=path)


@dataclass
class Result:
    config: StackConfig
    estate: LiveEstate
    fill: fill_module.Fill
    steps: list[Step]
    original: str
    adopted: str
    """The stack file's text with the estate's values written in."""

    @property
    def changed(self) -> bool:
        return self.original != self.adopted

    @property
    def errors(self) -> list[str]:
        found = [f"{s.scope}: {s.type} {s.name}: {s.action}"
                 + (f" ({', '.join(d.path for d in s.differences if d.replaces)})"
                    if s.differences else f" ({s.note})")
                 for s in self.steps if s.error]
        found += [f"{r.scope}.{r.key}: {r.note or r.live}" for r in self.fill.rows if r.error]
        found += self.estate.problems
        return found


def adopt(stack: str, session: Any, project_dir: Path | None = None,
          stack_file: Path | None = None,
          on_client: Callable[[Any], None] | None = None) -> Result:
    """Discover, fill and plan; writes nothing. `on_client` sees each boto3 client made."""
    project_dir = project_dir if project_dir is not None else find_project()
    path = stack_file or project_dir / f"Pulumi.{stack}.yaml"
    config = read_stack_config(stack, stack_file, project_dir)
    region = getattr(session, "region_name", None) or config.region
    if region != config.region:
        raise AdoptError(f"the credentials' region is {region}, the stack's {config.region}: "
                         f"set AWS_REGION={config.region}")
    clients = Clients(session, config.region)
    if on_client is not None:
        clients.on_create.append(on_client)
    account = caller_account(clients)
    if account != config.account_id:
        raise AdoptError(f"the credentials are for account {account}; {path.name} is for "
                         f"{config.account_id} (aws:allowedAccountIds)")
    estate = discover(clients, config)
    # One read: the values come from the one stack-file reader (strict UTF-8, duplicate keys
    # and ambiguous YAML forms refused); ruamel only edits that same text and writes it back.
    original, values = read_stack_document(path)
    filled = fill_module.fill(config, estate, values)
    # A live value the config refuses is reported at its key and left out; the rest is written
    # (each round takes back at least one edit, so this ends).
    while True:
        adopted = _written(original, filled)
        try:
            run = preview(stack, project_dir, adopted)
        except ConfigError as exc:
            refused = [filled.refuse(problem) for problem in exc.details]
            if any(refused) and all(refused):
                continue
            raise AdoptError(f"the stack file with the live values written in is refused: "
                             f"{' '.join(str(exc).split())}"
                             + "".join(f"; {problem}" for problem in estate.problems)) from None
        except StackFileError as exc:
            raise AdoptError(f"the stack file with the live values written in is refused: "
                             f"{' '.join(str(exc).split())}") from None
        return Result(config, estate, filled, plan(run, config, estate), original, adopted)


def _written(original: str, filled: fill_module.Fill) -> str:
    """`original` with `filled`'s edits made, comments and key order kept."""
    yaml = round_trip_yaml()
    document = yaml.load(original)
    fill_module.apply(document, filled.edits, filled.confirmed)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


# --- rendering ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}" for k in value) + "}" if value else "{}"
    if isinstance(value, list):
        return ", ".join(" ".join(f"{k}={v}" for k, v in item.items())
                         if isinstance(item, dict) else str(item) for item in value) or "[]"
    return str(value)


def _show(value: Any, width: int = 44) -> str:
    text = _text(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _window(text: str, start: int, width: int) -> str:
    """`width` characters of `text` from `start`, marked where cut."""
    head = "..." if start else ""
    rest = text[start:]
    room = width - len(head)
    return head + (rest if len(rest) <= room else rest[:room - 3] + "...")


def _show_pair(live: Any, stack: Any, width: int = 44) -> tuple[str, str]:
    """Live and stack values for one row. When they differ and are cut, both start where
    they first differ (the image tag, not the registry both share); of two mappings only the
    entries that differ are shown."""
    if isinstance(live, dict) and isinstance(stack, dict) and live != stack:
        keys = sorted(k for k in {*live, *stack} if live.get(k) != stack.get(k))
        live = {k: live[k] for k in keys if k in live}
        stack = {k: stack[k] for k in keys if k in stack}
        pair = ", ".join(f"{k}={v}" for k, v in live.items()) or "{}", \
            ", ".join(f"{k}={v}" for k, v in stack.items()) or "{}"
    else:
        pair = _text(live), _text(stack)
    first, second = pair
    if first == second or max(len(first), len(second)) <= width:
        return _show(first, width), _show(second, width)
    common = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
                  min(len(first), len(second)))
    start = max(0, common - 8) if common > width - 12 else 0
    return _window(first, start, width), _window(second, start, width)


def _show_input(value: Any, width: int = 60) -> str:
    """An input of a difference in full (never an environment value: plans compare none)."""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, default=str)
        return text if len(text) <= width else text[:width - 3] + "..."
    return _show(value, width)


def _status(row: fill_module.Row) -> str:
    if row.status == fill_module.WRITTEN:
        return "write"
    if row.status == fill_module.SAME:
        return "agrees"
    return row.status


def render(result: Result, stack: str, written: bool) -> str:
    lines = [f"z360-ecs adopt {stack}: account {result.estate.account_id}, "
             f"{result.estate.region}"]
    scopes = ([f"clusters.{k}" for k in result.config.clusters]
              + [f"services.{k}" for k in result.config.services] + ["alerts", "budget", "stack"])
    for scope in scopes:
        rows = result.fill.for_scope(scope)
        steps = [s for s in result.steps if s.scope == scope]
        if not rows and not steps:
            continue
        lines.append("")
        lines.append(scope)
        if rows:
            lines.append(f"  {'value':<28} {'live':<44} {'stack file':<44} adopt")
            for row in rows:
                note = f"  ({row.note})" if row.note else ""
                flag = "ERROR " if row.error else ""
                live, stack = _show_pair(row.live, row.stack)
                lines.append(f"  {row.key:<28} {live:<44} {stack:<44} "
                             f"{flag}{_status(row)}{note}")
        if steps:
            lines.append("  first `pulumi up`:")
            for step in steps:
                flag = "ERROR " if step.error else ""
                lines.append(f"    {flag}{step.action:<16} {step.type}  {step.name}"
                             + (f"  [{step.import_id}]" if step.import_id else "")
                             + (f"  ({step.note})" if step.note else ""))
                for diff in step.differences:
                    marker = "  [replaces]" if diff.replaces else ""
                    lines.append(f"        {diff.path}: {_show_input(diff.live)} -> "
                                 f"{_show_input(diff.program)}  ({diff.decided_by}){marker}")
    if result.estate.unmanaged:
        lines.append("")
        lines.append("live services the stack file does not name (unmanaged, left alone):")
        for cluster, name in result.estate.unmanaged:
            lines.append(f"  {cluster}/{name}")
    lines.append("")
    edits = len(result.fill.edits)
    imports = sum(1 for s in result.steps if s.import_id)
    replaces = sum(1 for s in result.steps if s.error)
    unfilled = sum(1 for s in result.steps for d in s.differences if d.decided_by == ESTATE)
    lines.append(f"{edits} values to write, {imports} resources imported, "
                 f"{sum(1 for s in result.steps if not s.import_id)} created, {replaces} "
                 f"replaces or failed imports of adopted resources (errors), {unfilled} "
                 "differences from live values the config cannot state yet")
    for error in result.errors:
        lines.append(f"ERROR {error}")
    if written:
        lines.append(f"wrote the live values into the stack file ({edits} edits)")
    return "\n".join(lines) + "\n"


def as_json(result: Result, written: bool) -> dict[str, Any]:
    """The table for machines: every value, every step of the first `up`, the errors."""
    return {
        "account": result.estate.account_id,
        "region": result.estate.region,
        "values": [{"scope": r.scope, "key": r.key, "live": r.live, "stack": r.stack,
                    "adopt": _status(r), "note": r.note, "error": r.error}
                   for r in result.fill.rows],
        "firstUp": [{"scope": s.scope, "type": s.type, "name": s.name, "action": s.action,
                     "importId": s.import_id or None, "note": s.note, "error": s.error,
                     "differences": [{"path": d.path, "live": d.live, "program": d.program,
                                      "decidedBy": d.decided_by, "replaces": d.replaces}
                                     for d in s.differences]}
                    for s in result.steps],
        "unmanaged": [f"{cluster}/{name}" for cluster, name in result.estate.unmanaged],
        "edits": len(result.fill.edits),
        "written": written,
        "errors": result.errors,
    }


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def handle(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    path = args.stack_file or args.project_dir / f"Pulumi.{args.stack}.yaml"
    try:
        result = adopt(args.stack, boto3.Session(), args.project_dir, args.stack_file)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {path.name}: {exc}", file=sys.stderr)
        return 2
    except AdoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "?")
        print(f"error: AWS refused {operation}: {error.get('Code')}: "
              f"{_one_line(Exception(error.get('Message', '')))} (docs/adopt.md lists the "
              "read-only policy adopt needs)", file=sys.stderr)
        return 2
    except BotoCoreError as exc:
        # NoCredentialsError, EndpointConnectionError, NoRegionError, ...: one line, no trace.
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    write = not (args.dry_run or args.check) and result.changed
    if write:
        path.write_text(result.adopted)
    if args.json:
        sys.stdout.write(json.dumps(as_json(result, write), indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render(result, args.stack, write))
    if args.check:
        return 1 if (result.changed or result.errors) else 0
    return 1 if result.errors else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adopt",
        help="needs AWS credentials: fill a stack file from the live estate (read-only) and "
             "show what the first `pulumi up` will do",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the table, write nothing")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when the stack file and the estate disagree")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=handle)
