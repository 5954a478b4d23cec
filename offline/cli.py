"""`z360-ecs`: offline tooling for the z360-ecs Pulumi program and its policy pack.

Each subcommand lives in its own module with a `register(subparsers)` function that adds its
parser and sets `handler`. Exit codes: 0 ok, 1 findings that block (e.g. a mandatory policy
violation), 2 bad input (stack config, arguments).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules, in the order `--help` lists them.
COMMAND_MODULES = (
    "offline.preview",
    "offline.check",
    "offline.cost",
    "offline.report",
    "offline.simulate",
    "offline.loadtest",
    "offline.scaling",
    "z360_ecs.live.adopt",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="z360-ecs",
        description="Check, cost and preview the z360-ecs stacks with no cloud account.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that command is not part of this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
