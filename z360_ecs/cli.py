"""`z360-ecs`: the command line of the z360-ecs tooling, one subcommand per module.

Each subcommand lives in its own module with a `register(subparsers)` function that adds its
parser and sets `handler`: commands/ need no cloud account, live/ need a network or AWS
credentials. Exit codes: 0 ok, 1 findings that block (e.g. a mandatory policy violation), 2
bad input (stack config, arguments, no z360-ecs project found).

Every command that reads a stack works on the project `pulumi` would: the nearest Pulumi.yaml
at or above the working directory (z360_ecs.common.find_project), or `--project-dir`. It is
found once, as the arguments are parsed, before the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from z360_ecs.common import StackFileError

# Subcommand modules, in the order `--help` lists them.
OFFLINE_COMMANDS = (
    "z360_ecs.commands.preview",
    "z360_ecs.commands.check",
    "z360_ecs.commands.cost",
    "z360_ecs.commands.report",
    "z360_ecs.commands.simulate",
    "z360_ecs.commands.flood",
    "z360_ecs.commands.review",
)
LIVE_COMMANDS = (
    "z360_ecs.live.loadtest",
    "z360_ecs.live.scaling",
    "z360_ecs.live.adopt",
    "z360_ecs.live.wake",
)
COMMAND_MODULES = OFFLINE_COMMANDS + LIVE_COMMANDS


def _names(modules: Sequence[str]) -> str:
    return ", ".join(module.rsplit(".", 1)[-1] for module in modules)


def _command_modules(argv: Sequence[str] | None) -> Sequence[str]:
    """The module of the command `argv` names, when it names one: a command imports only what
    it needs (start-up is most of a short command's time); every module for --help or a typo."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args else None
    chosen = [module for module in COMMAND_MODULES if module.rsplit(".", 1)[-1] == name]
    return chosen or COMMAND_MODULES


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="z360-ecs",
        description=("Preview, check and cost the z360-ecs stacks; watch a live service scale; "
                     "adopt the live estate into a stack file."),
        epilog=(
            f"No cloud account or network needed: {_names(OFFLINE_COMMANDS)}. "
            f"Need a network or AWS credentials: {_names(LIVE_COMMANDS)} "
            "(loadtest sends requests to a live URL; scaling and adopt read AWS with your "
            "credentials, read-only)."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that command is not part of this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_command_modules(argv))
    try:
        args = parser.parse_args(argv)
    except StackFileError as exc:  # no project: --project-dir is found while parsing
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback (Z360_ECS_DEBUG=1 shows it)
        if os.environ.get("Z360_ECS_DEBUG"):
            raise
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 2


def explain(exc: BaseException) -> str:
    """One line for an error no command handled: what is missing, in the user's words."""
    kind = type(exc).__name__
    module = type(exc).__module__
    if module.startswith("botocore"):
        if kind in ("NoCredentialsError", "PartialCredentialsError", "NoRegionError"):
            return (f"no usable AWS credentials ({exc}); this command reads AWS: set "
                    "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`")
        if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                    "ConnectionClosedError", "ProxyConnectionError", "SSLError"):
            return f"cannot reach AWS ({exc}); this command needs the network"
        if kind == "ClientError":
            return f"AWS refused the request: {exc}"
    if module.startswith("httpx") and kind.endswith(("Error", "Timeout")):
        return f"network error ({kind}: {exc}); this command sends requests to a live URL"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory, a file is expected"
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    if isinstance(exc, UnicodeError):
        return f"not UTF-8 text: {exc}"
    return f"unexpected {kind}: {' '.join(str(exc).split())} (set Z360_ECS_DEBUG=1 for details)"


if __name__ == "__main__":
    sys.exit(main())
