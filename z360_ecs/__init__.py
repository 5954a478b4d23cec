"""z360-ecs tooling: preview, check and cost the stacks with no cloud; watch them live with one.

Layout: cli.py (the `z360-ecs` command), common.py (stack arguments, the stack-file reader,
the SPEC resolver), engine/ (the mock engine and the policy pack's analyzer client), models/
(pure cost and scaling models), commands/ (need no cloud), live/ (need a network or AWS).
"""

from pathlib import Path

# The project's root: Pulumi.yaml, the stack files, __main__.py and policies/ live here.
PROJECT_DIR = Path(__file__).resolve().parent.parent
